"""A running task definition → the compose document that `render` turns back into it. Pure.

`init` writes this for a team that runs a service made by hand or by Terraform and wants to
start from compose: the first deploy then changes nothing they did not mean to change. Each
container becomes a compose service with the compose fields compose has (the ones the
conversion maps back exactly: image, command, entrypoint, environment, ports, healthcheck,
resources, user, working_dir, read_only, init, stop_grace_period, ulimits, depends_on,
volumes, labels); every other container key goes into the service's `x-ecs` block, and every
task-level key into the top-level `x-ecs` block (ECS API names, the conversion's last layer),
so nothing is lost. What cannot come back through `render` is listed in `lossy`: the writer
puts it at the top of the file and on stderr.

Strings are written as compose reads them: a `$` is doubled, since compose interpolates
`${X}` and `$X` in every value and the loader undoes the doubling once.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from compose_ecs_deploy.compose.secrets import is_bare_parameter
from compose_ecs_deploy.compose.taskdef import strip_read_only

# Task keys `render` fills by itself when the base is silent: written always, so the default
# never replaces what ran (an absent list comes back empty, which ECS treats as absent).
_TASK_DEFAULTS: dict[str, Any] = {"requiresCompatibilities": [], "networkMode": None}
_SERVICE_NAME = re.compile(r"[a-zA-Z0-9][a-zA-Z0-9_.-]*")
_PROJECT_CHARACTERS = re.compile(r"[^a-z0-9_-]+")
_PLAIN = (("entryPoint", "entrypoint"), ("command", "command"), ("user", "user"),
          ("workingDirectory", "working_dir"))  # fmt: skip
_ECS_ARN = re.compile(
    r"arn:(?P<partition>aws[a-z-]*):ecs:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):"
)
_DEPENDS_ON = {"START": "service_started", "HEALTHY": "service_healthy",
               "SUCCESS": "service_completed_successfully"}  # fmt: skip


@dataclass
class Reverse:
    """The compose document (plain data, in the order a reader expects) and what it loses."""

    document: dict[str, Any]
    lossy: list[str] = field(default_factory=list)


def escape(value: Any) -> Any:
    """Every string with `$` doubled, so compose's interpolation gives it back verbatim."""
    if isinstance(value, str):
        return value.replace("$", "$$")
    if isinstance(value, Mapping):
        return {escape(k): escape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [escape(v) for v in value]
    return value


def project_name(family: str) -> str:
    """Compose's project names are lower case letters, digits, '-' and '_', starting with a
    letter or digit."""
    name = _PROJECT_CHARACTERS.sub("-", family.lower()).strip("-_")
    return name or "app"


def to_compose(task_definition: Mapping[str, Any]) -> Reverse:
    """The compose document for `task_definition` (a DescribeTaskDefinition answer, whole or
    its taskDefinition, tags included when asked for)."""
    task = strip_read_only(task_definition)
    reverse = Reverse(document={})
    described = task_definition.get("taskDefinition") or task_definition
    containers = [
        _parameters_by_arn(c, str(described.get("taskDefinitionArn") or ""), reverse)
        for c in task.get("containerDefinitions") or []
    ]
    fargate = "FARGATE" in (task.get("requiresCompatibilities") or [])
    awsvpc = task.get("networkMode") == "awsvpc"
    success_targets = {
        d.get("containerName") for c in containers for d in c.get("dependsOn") or []
        if d.get("condition") == "SUCCESS"
    }  # fmt: skip
    services: dict[str, Any] = {}
    mounted: dict[str, None] = {}
    for container in containers:
        name = str(container.get("name"))
        if not _SERVICE_NAME.fullmatch(name):
            reverse.lossy.append(
                f"container {name!r}: not a valid compose service name (letters, digits, "
                "'.', '_', '-', starting with a letter or digit); rename it in the file"
            )
        spec = _service(container, fargate=fargate, awsvpc=awsvpc,
                        success_target=name in success_targets, reverse=reverse)  # fmt: skip
        for mount in container.get("mountPoints") or []:
            mounted[str(mount.get("sourceVolume"))] = None
        services[name] = spec
        if "logConfiguration" not in container:
            reverse.lossy.append(
                f"container {name}: it has no logConfiguration; render gives it the default "
                "awslogs configuration (/ecs/<family>)"
            )
    document: dict[str, Any] = {"name": project_name(str(task.get("family", "")))}
    document["services"] = services
    volumes = _volumes(task.get("volumes") or [], mounted, reverse)
    if volumes:
        document["volumes"] = volumes
    document["x-ecs"] = _task_block(task)
    reverse.document = escape(document)
    return reverse


def _parameters_by_arn(
    container: Mapping[str, Any], task_arn: str, reverse: Reverse
) -> dict[str, Any]:
    """The container with each SSM parameter named without an ARN (legal in ECS: a parameter
    of the task's Region) written as its ARN, from the task definition's Region and account:
    `render` works offline and refuses a bare name, which a pasted password also looks like.
    ECS reads both alike, but render gives the ARN back, so each is listed (by its variable's
    name, never the parameter's: it may be a value pasted by mistake)."""
    found = _ECS_ARN.match(task_arn)
    prefix = (
        f"arn:{found['partition']}:ssm:{found['region']}:{found['account']}:parameter/"
        if found
        else ""
    )
    result = dict(container)
    name = container.get("name")
    if result.get("secrets"):
        result["secrets"] = _by_arn(result["secrets"], f"container {name}: secret", prefix, reverse)
    log = result.get("logConfiguration") or {}
    if log.get("secretOptions"):
        what = f"container {name}: log option"
        options = _by_arn(log["secretOptions"], what, prefix, reverse)
        result["logConfiguration"] = {**log, "secretOptions": options}
    return result


def _by_arn(
    entries: Sequence[Mapping[str, Any]], what: str, prefix: str, reverse: Reverse
) -> list[Mapping[str, Any]]:
    """`entries` (name, valueFrom) with each bare parameter name prefixed to its ARN; said."""
    result: list[Mapping[str, Any]] = []
    for entry in entries:
        value = str(entry.get("valueFrom", ""))
        if not is_bare_parameter(value):
            result.append(entry)
        elif prefix:
            result.append({**entry, "valueFrom": prefix + value})
            reverse.lossy.append(
                f"{what} {entry.get('name')}: the SSM parameter named without its ARN is "
                "written as its ARN (render cannot look a bare name up offline; ECS reads both "
                "alike), so render gives the ARN back"
            )
        else:
            result.append(entry)
            reverse.lossy.append(
                f"{what} {entry.get('name')}: an SSM parameter named without its ARN, which "
                "render (offline) refuses; write the parameter's ARN in the file"
            )
    return result


def _task_block(task: Mapping[str, Any]) -> dict[str, Any]:
    block = {k: v for k, v in task.items() if k not in ("containerDefinitions", "volumes")}
    for key, default in _TASK_DEFAULTS.items():
        if key not in block and default is not None:
            block[key] = default
    return block


def _volumes(
    volumes: Sequence[Mapping[str, Any]], mounted: Mapping[str, None], reverse: Reverse
) -> dict[str, Any]:
    """Top-level compose volumes, each with its ECS configuration in its own `x-ecs`."""
    result: dict[str, Any] = {}
    for volume in volumes:
        name = str(volume.get("name"))
        if name not in mounted:
            reverse.lossy.append(
                f"volume {name}: no container mounts it, and render keeps only mounted volumes"
            )
            continue
        config = {k: v for k, v in volume.items() if k != "name"}
        result[name] = {"x-ecs": config} if config else {}
    for name in mounted:
        if name not in result and name not in {str(v.get("name")) for v in volumes}:
            result[name] = {}
    return result


def _service(
    container: Mapping[str, Any],
    *,
    fargate: bool,
    awsvpc: bool,
    success_target: bool,
    reverse: Reverse,
) -> dict[str, Any]:
    """One container as a compose service: compose fields, then `x-ecs` for the rest."""
    rest = {k: v for k, v in container.items() if k != "name"}
    spec: dict[str, Any] = {}
    if "image" in rest:
        spec["image"] = rest.pop("image")
    for ecs_key, compose_key in _PLAIN:
        if ecs_key in rest:
            spec[compose_key] = rest.pop(ecs_key)
    if rest.get("readonlyRootFilesystem") is True:  # compose drops `read_only: false`
        spec["read_only"] = bool(rest.pop("readonlyRootFilesystem"))
    if _unique_names(rest.get("environment")):
        spec["environment"] = {e["name"]: str(e.get("value", "")) for e in rest.pop("environment")}
    ports = _ports(rest.get("portMappings"), awsvpc)
    if ports is not None:
        spec["ports"] = ports
        rest.pop("portMappings")
    health = _healthcheck(rest.get("healthCheck"))
    if health is not None:
        spec["healthcheck"] = health
        rest.pop("healthCheck")
    resources = _resources(rest)
    if resources:
        spec["deploy"] = {"resources": resources}
    if "stopTimeout" in rest:
        spec["stop_grace_period"] = f"{int(rest.pop('stopTimeout'))}s"
    ulimits = rest.get("ulimits")
    if ulimits and (not fargate or all(u.get("name") == "nofile" for u in ulimits)):
        spec["ulimits"] = {
            u["name"]: {"soft": u["softLimit"], "hard": u["hardLimit"]} for u in rest.pop("ulimits")
        }
    linux = rest.get("linuxParameters")
    if isinstance(linux, Mapping) and set(linux) == {"initProcessEnabled"}:
        spec["init"] = bool(linux["initProcessEnabled"])
        rest.pop("linuxParameters")
    depends = rest.get("dependsOn") or []
    if depends and all(d.get("condition") in _DEPENDS_ON for d in depends):
        spec["depends_on"] = {
            d["containerName"]: {"condition": _DEPENDS_ON[d["condition"]], "required": True}
            for d in rest.pop("dependsOn")
        }
    if rest.get("mountPoints") and all(m.get("sourceVolume") for m in rest["mountPoints"]):
        spec["volumes"] = [
            {"type": "volume", "source": m["sourceVolume"], "target": m["containerPath"],
             "read_only": bool(m.get("readOnly", False))}
            for m in rest.pop("mountPoints")
        ]  # fmt: skip
    if isinstance(rest.get("dockerLabels"), Mapping) and rest["dockerLabels"]:
        spec["labels"] = {str(k): str(v) for k, v in rest.pop("dockerLabels").items()}
    essential = rest.pop("essential", True)
    if essential is False or success_target:
        rest["essential"] = bool(essential)
    x_ecs = {k: v for k, v in rest.items() if v not in (None, [], {})}
    if x_ecs:
        spec["x-ecs"] = x_ecs
    return spec


def _unique_names(entries: Any) -> bool:
    """An environment list compose can hold as a mapping: names unique and present."""
    if not isinstance(entries, list) or not entries:
        return False
    names = [e.get("name") for e in entries]
    return all(isinstance(n, str) and n for n in names) and len(set(names)) == len(names)


def _ports(mappings: Any, awsvpc: bool) -> list[dict[str, Any]] | None:
    """Long-syntax ports, or None when a mapping has what compose cannot say (a range)."""
    if not isinstance(mappings, list) or not mappings:
        return None
    ports = []
    for mapping in mappings:
        if "containerPort" not in mapping or set(mapping) - {
            "containerPort", "hostPort", "protocol", "name", "appProtocol"
        }:  # fmt: skip
            return None
        port: dict[str, Any] = {"target": int(mapping["containerPort"])}
        host = mapping.get("hostPort")
        if host not in (None, 0) and not awsvpc:
            port["published"] = str(host)
        elif host not in (None, 0, mapping["containerPort"]):
            return None
        port["protocol"] = mapping.get("protocol", "tcp")
        if mapping.get("name"):
            port["name"] = mapping["name"]
        if mapping.get("appProtocol"):
            port["app_protocol"] = mapping["appProtocol"]
        ports.append(port)
    keys = [(p["target"], p["protocol"]) for p in ports]
    return ports if len(set(keys)) == len(keys) else None


def _healthcheck(check: Any) -> dict[str, Any] | None:
    if not isinstance(check, Mapping) or not check.get("command"):
        return None
    command = [str(part) for part in check["command"]]
    if command[0] not in ("CMD", "CMD-SHELL") or set(check) - {
        "command", "interval", "timeout", "retries", "startPeriod"
    }:  # fmt: skip
        return None
    spec: dict[str, Any] = {"test": command}
    for ecs_key, compose_key in (("interval", "interval"), ("timeout", "timeout"),
                                 ("startPeriod", "start_period")):  # fmt: skip
        if check.get(ecs_key) is not None:
            spec[compose_key] = f"{int(check[ecs_key])}s"
    if check.get("retries") is not None:
        spec["retries"] = int(check["retries"])
    return spec


def _resources(rest: dict[str, Any]) -> dict[str, Any]:
    """deploy.resources from cpu (units / 1024, exact: a dyadic fraction), memory and
    memoryReservation (MiB); the keys it uses leave `rest`."""
    limits: dict[str, Any] = {}
    if rest.get("cpu"):
        limits["cpus"] = _cpus(int(rest.pop("cpu")))
    else:
        rest.pop("cpu", None)  # 0 is ECS's "no limit", which compose's silence also gives
    if rest.get("memory"):
        limits["memory"] = f"{int(rest.pop('memory'))}M"
    resources: dict[str, Any] = {"limits": limits} if limits else {}
    if rest.get("memoryReservation"):
        resources["reservations"] = {"memory": f"{int(rest.pop('memoryReservation'))}M"}
    return resources


def _cpus(units: int) -> str:
    """`0.25` for 256: exact, since units / 1024 has a finite binary and decimal form."""
    text = f"{units / 1024:.10f}".rstrip("0").rstrip(".")
    return text or "0"
