"""Which calls a policy allows, resource by resource: what moto cannot check.

Why: moto enforces IAM on the action alone (it authorises ECS and ECR calls against the
resource `*` and knows no condition keys), so tests/deploy/test_iam.py cannot see a statement
whose resources miss what a verb touches (a preview is the service `<SERVICE>-<name>`, not
`<SERVICE>`). `recording` keeps each call a run makes; `resources` names the ARNs IAM
authorises it against, per the Service Authorization Reference for Amazon ECS ("Actions
defined by Amazon Elastic Container Service": DescribeServices, the Express operations and
TagResource on `service`; the service-deployment operations on `service-deployment`, and
ListServiceDeployments on `service`; RegisterTaskDefinition, DescribeTaskDefinition,
ListServices, ListTasks and DescribeTasks with no resource type of their own here, so `*`)
and for CloudWatch Logs (CreateLogGroup on `log-group`, GetLogEvents on its `log-stream`);
`denied` says which of them no Allow statement of the policy covers (IAM's `*` and `?`
wildcards in actions and resources; conditions are not evaluated: each reads as met). An
operation without a rule here fails the test that meets it, so the map stays complete.
"""

from __future__ import annotations

import fnmatch
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import pytest

from compose_ecs_deploy.aws.client import Aws

ANY = ("*",)


@dataclass(frozen=True)
class Call:
    service: str  # the signing name: ecs, logs, iam, ...
    operation: str  # RegisterTaskDefinition
    params: dict[str, Any]


def recording(monkeypatch: pytest.MonkeyPatch) -> list[Call]:
    """Every call the product's clients make, in order, with its request parameters."""
    calls: list[Call] = []
    count = Aws._count

    def record(self: Aws, model: Any, **kwargs: Any) -> None:
        body = kwargs.get("params", {}).get("body") or b""
        if isinstance(body, dict):  # the query protocols' form, before encoding
            params = {str(k): v for k, v in body.items()}
        else:
            text = body.decode() if isinstance(body, bytes) else str(body)
            params = json.loads(text) if text.startswith("{") else {}
        calls.append(Call(model.service_model.signing_name, model.name, params))
        count(self, model, **kwargs)

    monkeypatch.setattr(Aws, "_count", record)
    return calls


def _ecs(region: str, account: str) -> Callable[[str], str]:
    return lambda rest: f"arn:aws:ecs:{region}:{account}:{rest}"


def _service(arn: Callable[[str], str], cluster: str, name: str) -> str:
    if name.startswith("arn:"):
        return name
    return arn(f"service/{cluster.rsplit('/', 1)[-1]}/{name}")


def resources(call: Call, region: str, account: str) -> tuple[str, ...]:
    """The resource ARNs IAM authorises `call` against."""
    arn, p, op = _ecs(region, account), call.params, call.operation
    cluster = str(p.get("cluster") or "default")
    if call.service == "ecs":
        if op == "DescribeServices":
            return tuple(_service(arn, cluster, s) for s in p["services"])
        if op in ("ListServiceDeployments", "CreateExpressGatewayService"):
            return (_service(arn, cluster, p.get("service") or p["serviceName"]),)
        if op in (
            "UpdateExpressGatewayService",
            "DescribeExpressGatewayService",
            "DeleteExpressGatewayService",
        ):
            return (p["serviceArn"],)
        if op == "DescribeServiceDeployments":
            return tuple(p["serviceDeploymentArns"])
        if op in ("StopServiceDeployment", "ContinueServiceDeployment"):
            return (p["serviceDeploymentArn"],)
        if op == "DescribeServiceRevisions":
            return tuple(p["serviceRevisionArns"])
        if op == "TagResource":
            return (p["resourceArn"],)
        if op == "UpdateService":
            return (_service(arn, cluster, p["service"]),)
        if op in (
            "RegisterTaskDefinition",
            "DescribeTaskDefinition",
            "ListServices",
            "ListTasks",
            "DescribeTasks",
            "ListTaskDefinitions",
            "DescribeClusters",
        ):
            return ANY
    if call.service == "logs":
        group = f"arn:aws:logs:{region}:{account}:log-group:{p.get('logGroupName', '')}"
        if op == "CreateLogGroup":
            return (group,)
        if op == "GetLogEvents":
            return (f"{group}:log-stream:{p['logStreamName']}",)
        if op == "DescribeLogGroups":
            return ANY
    if call.service in ("iam", "secretsmanager", "ssm", "ecr", "sts"):
        return ANY  # the policy grants these reads on `*` (or the repository, for ECR)
    raise AssertionError(f"no resource rule for {call.service}:{op}; add one (see the docstring)")


def _matches(pattern: str, value: str, *, case: bool) -> bool:
    regex = fnmatch.translate(pattern)
    return re.match(regex, value, 0 if case else re.IGNORECASE) is not None


def allowed(document: dict[str, Any], action: str, resource: str) -> bool:
    for statement in document["Statement"]:
        if statement.get("Effect") != "Allow":
            continue
        actions = statement["Action"]
        patterns = statement["Resource"]
        actions = [actions] if isinstance(actions, str) else actions
        patterns = [patterns] if isinstance(patterns, str) else patterns
        if any(_matches(a, action, case=False) for a in actions) and any(
            _matches(r, resource, case=True) for r in patterns
        ):
            return True
    return False


def denied(document: dict[str, Any], calls: Iterable[Call], region: str, account: str) -> list[str]:
    """`service:Operation on ARN` for each call's resource that no statement allows."""
    found: list[str] = []
    for call in calls:
        action = f"{call.service}:{call.operation}"
        for resource in resources(call, region, account):
            line = f"{action} on {resource}"
            if not allowed(document, action, resource) and line not in found:
                found.append(line)
    return found
