"""The AppSpec of a CodeDeploy deployment of an ECS service: checked, filled, built. Pure.

The rules, from the CodeDeploy user guide ("AppSpec 'resources' section for Amazon ECS
deployments", reference-appspec-file-structure-resources.html; "AppSpec 'hooks' section for an
Amazon ECS deployment", reference-appspec-file-structure-hooks.html#appspec-hooks-ecs):
- ``version: 0.0``; ``Resources`` lists one target service of ``Type: AWS::ECS::Service`` whose
  ``Properties`` are ``TaskDefinition`` (required), ``LoadBalancerInfo`` (``ContainerName`` and
  ``ContainerPort``, required), and optionally ``PlatformVersion``,
  ``NetworkConfiguration.AwsvpcConfiguration`` (``Subnets``, ``SecurityGroups``,
  ``AssignPublicIp``) and ``CapacityProviderStrategy`` (``CapacityProvider``, ``Base``,
  ``Weight``).
- ``Hooks`` is a list of one-key mappings, event -> Lambda function, and only five events take
  one: BeforeInstall, AfterInstall, AfterAllowTestTraffic, BeforeAllowTraffic,
  AfterAllowTraffic ("Start, Install, TestTraffic, AllowTraffic, and End ... cannot be
  scripted").

What we fill, as the official aws-actions/amazon-ecs-deploy-task-definition does (keys matched
in any case; its users write placeholders such as ``<TASK_DEFINITION>``): ``TaskDefinition`` is
always the new revision's ARN. ``LoadBalancerInfo`` is kept when the file gives real values,
else taken from the ECS service's ``loadBalancers``; ``PlatformVersion``, the awsvpc network
settings and the capacity provider strategy are carried over from the service where the file
does not give them (as ecspresso does), since CodeDeploy makes the replacement task set from the
AppSpec alone. The container and port must be in the new revision: CodeDeploy would otherwise
fail only after it made the replacement task set.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from compose_ecs_deploy.diagnostics import Diagnostic

HOOKABLE = (
    "BeforeInstall",
    "AfterInstall",
    "AfterAllowTestTraffic",
    "BeforeAllowTraffic",
    "AfterAllowTraffic",
)
UNSCRIPTABLE = ("Start", "Install", "AllowTestTraffic", "TestTraffic", "AllowTraffic", "End")
TOP = ("version", "Resources", "Hooks")
OPTIONAL = ("PlatformVersion", "NetworkConfiguration", "CapacityProviderStrategy")
PROPERTIES = ("TaskDefinition", "LoadBalancerInfo", *OPTIONAL)
TARGET_TYPE = "AWS::ECS::Service"
CODE = "codedeploy-appspec"
_PLACEHOLDER = re.compile(r"^\s*(<[^<>]*>|\$\{[^}]*\}|\{\{[^}]*\}\})\s*$")


def is_placeholder(value: Any) -> bool:
    """An unfilled value: missing, empty, or ``<NAME>``, ``${NAME}``, ``{{NAME}}``."""
    return (
        value is None or value == "" or bool(isinstance(value, str) and _PLACEHOLDER.match(value))
    )


def _shown(value: Any) -> str:
    """A value for a message, short whatever the file holds (a YAML alias bomb's repr would
    not end): a scalar's repr cut to 40 characters, else what kind of value it is."""
    if isinstance(value, (str, int, float, bool)) or value is None:
        text = repr(value)
        return text if len(text) <= 40 else text[:37] + "..."
    return "a mapping" if isinstance(value, Mapping) else "a list"


def _get(mapping: Mapping[Any, Any], name: str) -> tuple[str, Any]:
    """The key that spells `name` in any case (the official action's rule) and its value."""
    for key, value in mapping.items():
        if str(key).lower() == name.lower():
            return str(key), value
    return name, None


class _Check:
    """The problems found so far, each naming the ECS service and the AppSpec key path."""

    def __init__(self, service: str) -> None:
        self.service = service
        self.problems: list[Diagnostic] = []

    def add(self, path: str, message: str) -> None:
        self.problems.append(Diagnostic.error(CODE, message, service=self.service, field=path))

    def unknown(self, mapping: Mapping[Any, Any], known: Sequence[str], path: str) -> None:
        lowered = {k.lower() for k in known}
        for key in mapping:
            if str(key).lower() not in lowered:
                where = f"{path}.{key}" if path else str(key)
                self.add(
                    where,
                    f"unknown key; the AppSpec of an ECS deployment takes {', '.join(known)} here",
                )


def _hooks(check: _Check, key: str, hooks: Any) -> list[dict[str, str]]:
    """The documented list form, one event -> one function, five events only."""
    if hooks is None:
        return []
    if not isinstance(hooks, list):
        check.add(
            key,
            "must be a list of one-key mappings, e.g. "
            "'Hooks: [{AfterAllowTestTraffic: MyLambda}]' (the AppSpec's list form)",
        )
        return []
    kept: list[dict[str, str]] = []
    for index, entry in enumerate(hooks):
        at = f"{key}[{index}]"
        if not isinstance(entry, Mapping) or len(entry) != 1:
            check.add(at, "must be one mapping of a lifecycle event to a Lambda function")
            continue
        ((event, function),) = entry.items()
        if event not in HOOKABLE:
            why = "cannot be scripted" if event in UNSCRIPTABLE else "is no ECS lifecycle event"
            check.add(f"{at}.{event}", f"{event} {why}; hooks run in {', '.join(HOOKABLE)}")
        elif not isinstance(function, str) or is_placeholder(function.strip()):
            check.add(f"{at}.{event}", "needs the name or ARN of a Lambda function")
        else:
            kept.append({str(event): function.strip()})
    return kept


def _load_balancer(
    check: _Check, path: str, given: Any, service: Mapping[str, Any]
) -> dict[str, Any]:
    """LoadBalancerInfo from the file when it has real values, else from the service."""
    if isinstance(given, Mapping):
        _name_key, name = _get(given, "ContainerName")
        port_key, port = _get(given, "ContainerPort")
        if not is_placeholder(name) and not is_placeholder(port):
            if not isinstance(port, int) or isinstance(port, bool) or not 0 < port < 65536:
                check.add(f"{path}.{port_key}", f"{_shown(port)} is not a port number")
                return {}
            return {"ContainerName": str(name), "ContainerPort": port}
    elif given is not None:
        check.add(path, "must be a mapping with ContainerName and ContainerPort")
        return {}
    balancers = [lb for lb in service.get("loadBalancers") or [] if lb.get("containerName")]
    if not balancers:
        check.add(
            path,
            "the ECS service has no load balancer to take it from, and CodeDeploy "
            "blue/green needs one: give LoadBalancerInfo.ContainerName and ContainerPort "
            "in the AppSpec, or attach the target group to the service",
        )
        return {}
    first = balancers[0]
    return {
        "ContainerName": str(first["containerName"]),
        "ContainerPort": int(first.get("containerPort") or 0),
    }


def _check_container(
    check: _Check, path: str, info: Mapping[str, Any], containers: Sequence[Mapping[str, Any]]
) -> None:
    """The container and port traffic goes to must be in the new revision."""
    name, port = info["ContainerName"], info["ContainerPort"]
    container = next((c for c in containers if c.get("name") == name), None)
    if container is None:
        names = ", ".join(str(c.get("name")) for c in containers)
        check.add(
            path,
            f"traffic goes to container {name}, which the new revision does not "
            f"have (its containers: {names}); keep a compose service named {name} in "
            "the task, or change LoadBalancerInfo",
        )
        return
    ports = [m.get("containerPort") for m in container.get("portMappings") or []]
    if port not in ports:
        have = ", ".join(str(p) for p in ports) or "none"
        check.add(
            path,
            f"traffic goes to container {name} port {port}, which the new "
            f'revision does not expose (its ports: {have}); add expose: ["{port}"] or '
            f"a ports entry to compose service {name}",
        )


def carried_over(service: Mapping[str, Any]) -> dict[str, Any]:
    """The optional properties the replacement task set takes from the service."""
    found: dict[str, Any] = {}
    if service.get("platformVersion"):
        found["PlatformVersion"] = str(service["platformVersion"])
    awsvpc = (service.get("networkConfiguration") or {}).get("awsvpcConfiguration")
    if awsvpc:
        network: dict[str, Any] = {"Subnets": list(awsvpc.get("subnets") or [])}
        if awsvpc.get("securityGroups"):
            network["SecurityGroups"] = list(awsvpc["securityGroups"])
        if awsvpc.get("assignPublicIp"):
            network["AssignPublicIp"] = str(awsvpc["assignPublicIp"])
        found["NetworkConfiguration"] = {"AwsvpcConfiguration": network}
    if service.get("capacityProviderStrategy"):
        found["CapacityProviderStrategy"] = [
            {
                "CapacityProvider": s["capacityProvider"],
                "Base": int(s.get("base", 0)),
                "Weight": int(s.get("weight", 0)),
            }
            for s in service["capacityProviderStrategy"]
        ]
    return found


def _strings(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) and v for v in value)


def _platform(check: _Check, path: str, value: Any) -> None:
    if not isinstance(value, str):
        check.add(path, f"{_shown(value)} is not a platform version such as LATEST or 1.4.0")


def _network(check: _Check, path: str, value: Any) -> None:
    """NetworkConfiguration.AwsvpcConfiguration: Subnets, SecurityGroups, AssignPublicIp."""
    awsvpc = _get(value, "AwsvpcConfiguration")[1] if isinstance(value, Mapping) else None
    if not isinstance(value, Mapping) or len(value) != 1 or not isinstance(awsvpc, Mapping):
        check.add(path, "must be {AwsvpcConfiguration: {Subnets, SecurityGroups, AssignPublicIp}}")
        return
    check.unknown(
        awsvpc, ("Subnets", "SecurityGroups", "AssignPublicIp"), f"{path}.AwsvpcConfiguration"
    )
    subnets, groups = _get(awsvpc, "Subnets")[1], _get(awsvpc, "SecurityGroups")[1]
    public = _get(awsvpc, "AssignPublicIp")[1]
    if not _strings(subnets) or (groups is not None and not _strings(groups)):
        check.add(
            f"{path}.AwsvpcConfiguration", "Subnets (and SecurityGroups) must be lists of ids"
        )
    if public is not None and public not in ("ENABLED", "DISABLED"):
        check.add(
            f"{path}.AwsvpcConfiguration.AssignPublicIp",
            f"{_shown(public)} is not ENABLED or DISABLED",
        )


def _strategy(check: _Check, path: str, value: Any) -> None:
    """CapacityProviderStrategy: a list of {CapacityProvider, Base, Weight}."""
    ok = isinstance(value, list) and all(
        isinstance(item, Mapping)
        and isinstance(_get(item, "CapacityProvider")[1], str)
        and all(isinstance(_get(item, k)[1], (int, type(None))) for k in ("Base", "Weight"))
        and not [k for k in item if str(k).lower() not in ("capacityprovider", "base", "weight")]
        for item in value
    )
    if not ok:
        check.add(path, "must be a list of {CapacityProvider: NAME, Base: N, Weight: N}")


_SHAPES = {
    "PlatformVersion": _platform,
    "NetworkConfiguration": _network,
    "CapacityProviderStrategy": _strategy,
}


def _target(check: _Check, user: Mapping[Any, Any]) -> tuple[str, str, Mapping[Any, Any]]:
    """The one target service in the file's Resources: (its key path, name, mapping)."""
    key, resources = _get(user, "Resources")
    if resources is None:
        return f"{key}[0].TargetService", "TargetService", {}
    if not isinstance(resources, list) or len(resources) != 1:
        check.add(key, "must list exactly one target service")
        return "", "", {}
    entry = resources[0]
    if not isinstance(entry, Mapping) or len(entry) != 1:
        check.add(
            f"{key}[0]", "must be one mapping, e.g. 'TargetService: {Type: ..., Properties: ...}'"
        )
        return "", "", {}
    ((name, target),) = entry.items()
    path = f"{key}[0].{name}"
    if not isinstance(target, Mapping):
        check.add(path, "must be a mapping with Type and Properties")
        return "", "", {}
    check.unknown(target, ("Type", "Properties"), path)
    type_key, kind = _get(target, "Type")
    if not is_placeholder(kind) and kind != TARGET_TYPE:
        check.add(f"{path}.{type_key}", f"{_shown(kind)}: an ECS deployment takes {TARGET_TYPE}")
    return path, str(name), target


def build(
    user: Any,
    *,
    revision: str,
    service_name: str,
    service: Mapping[str, Any],
    containers: Sequence[Mapping[str, Any]],
) -> tuple[dict[str, Any], list[Diagnostic]]:
    """The AppSpec to send (from `user`, the file's data, or None), and every problem."""
    check = _Check(service_name)
    user = {} if user is None else user
    if not isinstance(user, Mapping):
        check.add("", "an AppSpec must be a mapping with version, Resources and Hooks")
        return {}, check.problems
    check.unknown(user, TOP, "")
    version_key, version = _get(user, "version")
    if version is not None and str(version) not in ("0.0", "0"):
        check.add(version_key, f"{_shown(version)}: CodeDeploy takes version 0.0")
    path, name, target = _target(check, user)
    props_key, given = _get(target, "Properties")
    if not isinstance(given, Mapping):
        if given is not None:
            check.add(f"{path}.{props_key}", "must be a mapping")
        given = {}
    check.unknown(given, PROPERTIES, f"{path}.{props_key}")
    lb_key, lb_given = _get(given, "LoadBalancerInfo")
    lb_path = f"{path}.{props_key}.{lb_key}"
    lb = _load_balancer(check, lb_path, lb_given, service)
    if lb:
        _check_container(check, lb_path, lb, containers)
    hooks_key, hooks_given = _get(user, "Hooks")
    hooks = _hooks(check, hooks_key, hooks_given)
    properties: dict[str, Any] = {"TaskDefinition": revision, "LoadBalancerInfo": lb}
    inherited = carried_over(service)
    for key in OPTIONAL:
        found_key, mine = _get(given, key)
        if not is_placeholder(mine):
            _SHAPES[key](check, f"{path}.{props_key}.{found_key}", mine)
        value = inherited.get(key) if is_placeholder(mine) else mine
        if value is not None:
            properties[key] = value
    spec: dict[str, Any] = {
        "version": 0.0,
        "Resources": [{name or "TargetService": {"Type": TARGET_TYPE, "Properties": properties}}],
    }
    if hooks:
        spec["Hooks"] = hooks
    return spec, check.problems


def with_revision(spec: Mapping[str, Any], revision: str) -> dict[str, Any]:
    """The AppSpec `build` made at plan time, with the revision registered since."""
    ((name, target),) = spec["Resources"][0].items()
    properties = {**target["Properties"], "TaskDefinition": revision}
    return {**spec, "Resources": [{name: {**target, "Properties": properties}}]}


def task_definition_of(document: Any) -> str:
    """The TaskDefinition an AppSpec deploys ('' when it names none): what a deployment of
    CodeDeploy's is for, read from its revision's content."""
    if not isinstance(document, Mapping):
        return ""
    resources = _get(document, "Resources")[1]
    if not isinstance(resources, list) or not resources or not isinstance(resources[0], Mapping):
        return ""
    for target in resources[0].values():
        if isinstance(target, Mapping):
            properties = _get(target, "Properties")[1]
            if isinstance(properties, Mapping):
                value = _get(properties, "TaskDefinition")[1]
                return value if isinstance(value, str) else ""
    return ""
