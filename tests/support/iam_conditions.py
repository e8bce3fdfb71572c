"""IAM's conditions, evaluated for the calls a run makes: what moto does not enforce.

moto authorises on the action alone (tests/deploy/test_iam.py) and tests/support/
iam_resources.py adds the resource each call is authorised against; neither evaluates a
statement's `Condition`, so the policy's `ecs:task-definition`, `ecs:CreateAction`,
`ecs:cluster` and `iam:PassedToService` conditions were written but never shown to hold.
This module evaluates them as IAM documents it:

- "Policy evaluation logic" (IAM User Guide): a request is allowed when an Allow statement
  matches its action, its resource and every condition, and no Deny statement does.
- "IAM JSON policy elements: Condition": the operators of a `Condition` block are ANDed, the
  keys under one operator are ANDed, the values of one key are ORed; condition key names
  are case-insensitive.
- "IAM JSON policy elements: Condition operators": `StringEquals` is exact and
  case-sensitive, `StringLike` takes `*` and `?`; `ArnEquals` and `ArnLike` compare an ARN
  part by part (its six `:`-separated parts, each with `*` and `?`), and behave alike. A key
  that the request context lacks makes the condition false, except under `...IfExists`
  (true when the key is absent). An operator not modelled here fails the test that meets it.

What each call puts in the request context (the "Condition keys" of each action in the
Service Authorization Reference, "Actions, resources, and condition keys for Amazon Elastic
Container Service"): `UpdateService`, `CreateExpressGatewayService` and
`UpdateExpressGatewayService` carry `ecs:cluster` and `ecs:task-definition` (the ARN of the
revision they set, when they set one); `ListTasks`, `DescribeTasks`, `RunTask`, `StopTask` and
`ListServices` carry `ecs:cluster`. Authorisations that come with a call without being calls
of their own (the reference's "Dependent actions"):
- tag-on-create: a `RegisterTaskDefinition` or `CreateExpressGatewayService` with tags is also
  authorised as `ecs:TagResource` on what it makes with `ecs:CreateAction` = its own name
  (ECS developer guide, "Grant permission to tag resources on creation"); a `TagResource`
  called on its own carries no `ecs:CreateAction`;
- passing roles (`iam:PassRole` with `iam:PassedToService`; IAM User Guide, "Grant a user
  permissions to pass a role to an AWS service"): a task or execution role is passed to
  `ecs-tasks.amazonaws.com`, the service its trust policy names, by `RegisterTaskDefinition`
  and by an Express call that names one (`executionRoleArn`, `taskRoleArn`); the Express
  infrastructure role is passed to `ecs.amazonaws.com`, the principal its trust policy names
  (developer guide, "Amazon ECS infrastructure IAM role"), as AWS's AmazonECS_FullAccess
  passes an infrastructure role. The reference lists `iam:PassRole` among the dependent
  actions of both Express calls without saying which roles it checks there: when a call names
  a revision instead of roles, the revision's own roles (from the run's
  `RegisterTaskDefinition`) are passed again to `ecs-tasks.amazonaws.com`, so the policy is
  shown to hold whichever roles ECS checks.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from tests.support.iam_resources import Call, resources

_CLUSTER_KEYED = {"ListTasks", "DescribeTasks", "RunTask", "StopTask", "ListServices"}
_EXPRESS_WRITES = {"CreateExpressGatewayService", "UpdateExpressGatewayService"}
_REVISION_KEYED = {"UpdateService"} | _EXPRESS_WRITES
_TASKS = "ecs-tasks.amazonaws.com"


@dataclass(frozen=True)
class Request:
    """One authorisation: the action, the resource ARN, the request context's keys."""

    action: str
    resource: str
    context: Mapping[str, str] = field(default_factory=dict)

    def line(self) -> str:
        keys = ", ".join(f"{k}={v}" for k, v in sorted(self.context.items()))
        return f"{self.action} on {self.resource}" + (f" ({keys})" if keys else "")


def _like(pattern: str, value: str) -> bool:
    """IAM's wildcards: `*` any run of characters, `?` any one; nothing else is special."""
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, value, re.DOTALL) is not None


def _arn_like(pattern: str, value: str) -> bool:
    """Part by part: arn, partition, service, region, account, resource."""
    patterns, values = pattern.split(":", 5), value.split(":", 5)
    return len(patterns) == len(values) == 6 and all(
        _like(p, v) for p, v in zip(patterns, values, strict=True)
    )


OPERATORS: dict[str, Callable[[str, str], bool]] = {
    "StringEquals": lambda pattern, value: pattern == value,
    "StringLike": _like,
    "ArnEquals": _arn_like,
    "ArnLike": _arn_like,
}


def conditions_met(block: Mapping[str, Mapping[str, Any]], context: Mapping[str, str]) -> bool:
    keys = {key.lower(): value for key, value in context.items()}
    for operator, tests in block.items():
        if_exists = operator.endswith("IfExists")
        test = OPERATORS.get(operator.removesuffix("IfExists"))
        if test is None:
            raise AssertionError(f"condition operator {operator} is not modelled; add it")
        for key, values in tests.items():
            present = keys.get(key.lower())
            if present is None:
                if if_exists:
                    continue
                return False
            patterns = [values] if isinstance(values, str) else list(values)
            if not any(test(pattern, present) for pattern in patterns):
                return False
    return True


def _listed(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def _matches(statement: Mapping[str, Any], request: Request) -> bool:
    return (
        any(_like(a.lower(), request.action.lower()) for a in _listed(statement["Action"]))
        and any(_like(r, request.resource) for r in _listed(statement["Resource"]))
        and conditions_met(statement.get("Condition") or {}, request.context)
    )


def allowed(document: Mapping[str, Any], request: Request) -> bool:
    statements = document["Statement"]
    if any(s.get("Effect") == "Deny" and _matches(s, request) for s in statements):
        return False
    return any(s.get("Effect") == "Allow" and _matches(s, request) for s in statements)


def _cluster_arn(region: str, account: str, cluster: str) -> str:
    if cluster.startswith("arn:"):
        return cluster
    return f"arn:aws:ecs:{region}:{account}:cluster/{cluster}"


def _cluster_of(params: Mapping[str, Any]) -> str:
    """An Update names its service by ARN (`service/CLUSTER/NAME`), not its cluster."""
    arn = str(params.get("serviceArn") or "")
    return arn.split(":service/", 1)[1].split("/")[0] if ":service/" in arn else "default"


def _task_definition_arn(region: str, account: str, name: str) -> str:
    if name.startswith("arn:"):
        return name
    return f"arn:aws:ecs:{region}:{account}:task-definition/{name}"


def _passed(roles: Iterable[str], service: str) -> list[Request]:
    return [Request("iam:PassRole", role, {"iam:PassedToService": service}) for role in roles]


def _express(
    call: Call, region: str, account: str, revision_roles: Mapping[str, tuple[str, ...]]
) -> list[Request]:
    """What a Create/UpdateExpressGatewayService authorises beyond itself (module docstring)."""
    p = call.params
    found = _passed([str(p[k]) for k in ("executionRoleArn", "taskRoleArn") if p.get(k)], _TASKS)
    if p.get("taskDefinitionArn"):
        family = str(p["taskDefinitionArn"]).rsplit("/", 1)[-1].split(":")[0]
        found += _passed(revision_roles.get(family, ()), _TASKS)
    if call.operation == "CreateExpressGatewayService":
        if p.get("infrastructureRoleArn"):
            found += _passed([str(p["infrastructureRoleArn"])], "ecs.amazonaws.com")
        if p.get("tags"):
            create = {"ecs:CreateAction": "CreateExpressGatewayService"}
            found += [
                Request("ecs:TagResource", target, create)
                for target in resources(call, region, account)
            ]
    return found


def requests(
    call: Call,
    region: str,
    account: str,
    revision_roles: Mapping[str, tuple[str, ...]] | None = None,
) -> list[Request]:
    """Every authorisation `call` needs, each with its request context (`revision_roles`: the
    roles of the revisions the run registered, by family)."""
    p, op = call.params, call.operation
    context: dict[str, str] = {}
    if call.service == "ecs" and (op in _CLUSTER_KEYED or op in _REVISION_KEYED):
        context["ecs:cluster"] = _cluster_arn(
            region, account, str(p.get("cluster") or _cluster_of(p))
        )
    revision = p.get("taskDefinition") or p.get("taskDefinitionArn")
    if call.service == "ecs" and op in _REVISION_KEYED and revision:
        context["ecs:task-definition"] = _task_definition_arn(region, account, str(revision))
    action = f"{call.service}:{op}"
    if call.service == "ecs" and op == "RunTask":
        targets: tuple[str, ...] = (_task_definition_arn(region, account, p["taskDefinition"]),)
    elif call.service == "ecs" and op == "StopTask":
        targets = (str(p["task"]),)
    else:
        targets = resources(call, region, account)
    found = [Request(action, target, context) for target in targets]
    if call.service == "ecs" and op == "RegisterTaskDefinition":
        # the revision's number is the answer's; any revision of the family is the same here
        revision = _task_definition_arn(region, account, f"{p['family']}:1")
        if p.get("tags"):
            create = {"ecs:CreateAction": "RegisterTaskDefinition"}
            found.append(Request("ecs:TagResource", revision, create))
        found += _passed(
            [str(p[k]) for k in ("taskRoleArn", "executionRoleArn") if p.get(k)], _TASKS
        )
    if call.service == "ecs" and op in _EXPRESS_WRITES:
        found += _express(call, region, account, revision_roles or {})
    return found


def denied(
    document: Mapping[str, Any], calls: Iterable[Call], region: str, account: str
) -> list[str]:
    """Each authorisation of the calls that the policy does not allow, conditions evaluated."""
    found: list[str] = []
    roles: dict[str, tuple[str, ...]] = {}
    for call in calls:
        if call.service == "ecs" and call.operation == "RegisterTaskDefinition":
            named = ("taskRoleArn", "executionRoleArn")
            roles[str(call.params["family"])] = tuple(
                str(call.params[k]) for k in named if call.params.get(k)
            )
        for request in requests(call, region, account, roles):
            if not allowed(document, request) and request.line() not in found:
                found.append(request.line())
    return found
