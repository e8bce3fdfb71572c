"""The RegisterTaskDefinition request's shape: key order, base clean-up, normalisation.

A stable key order is what makes `render` byte-for-byte repeatable and the diff readable;
the read-only list is what turns a DescribeTaskDefinition answer into a valid request.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Mapping
from typing import Any

from compose_ecs_deploy.compose.fargate import parse_task_size

TASK_KEYS: tuple[str, ...] = (
    "family",
    "networkMode",
    "requiresCompatibilities",
    "cpu",
    "memory",
    "executionRoleArn",
    "taskRoleArn",
    "runtimePlatform",
    "ephemeralStorage",
    "pidMode",
    "ipcMode",
    "proxyConfiguration",
    "inferenceAccelerators",
    "placementConstraints",
    "containerDefinitions",
    "volumes",
    "tags",
    "enableFaultInjection",
)

CONTAINER_KEYS: tuple[str, ...] = (
    "name",
    "image",
    "essential",
    "cpu",
    "memory",
    "memoryReservation",
    "portMappings",
    "entryPoint",
    "command",
    "workingDirectory",
    "user",
    "environment",
    "environmentFiles",
    "secrets",
    "healthCheck",
    "dependsOn",
    "mountPoints",
    "volumesFrom",
    "linuxParameters",
    "ulimits",
    "stopTimeout",
    "startTimeout",
    "readonlyRootFilesystem",
    "privileged",
    "hostname",
    "extraHosts",
    "dnsServers",
    "dnsSearchDomains",
    "dockerSecurityOptions",
    "systemControls",
    "dockerLabels",
    "logConfiguration",
    "firelensConfiguration",
    "repositoryCredentials",
    "resourceRequirements",
    "restartPolicy",
    "interactive",
    "pseudoTerminal",
    "links",
    "disableNetworking",
    "credentialSpecs",
    "versionConsistency",
)

# Fields DescribeTaskDefinition returns that RegisterTaskDefinition refuses.
READ_ONLY_TASK_KEYS: frozenset[str] = frozenset(
    {
        "taskDefinitionArn",
        "revision",
        "status",
        "requiresAttributes",
        "compatibilities",
        "registeredAt",
        "registeredBy",
        "deregisteredAt",
        "deleteRequestedAt",
    }
)


def strip_read_only(task_definition: Mapping[str, Any]) -> dict[str, Any]:
    """A base revision as a request: accepts the Describe answer whole or its taskDefinition."""
    body = task_definition.get("taskDefinition", task_definition)
    request = {key: value for key, value in body.items() if key not in READ_ONLY_TASK_KEYS}
    if "tags" in task_definition and "tags" not in request:
        request["tags"] = task_definition["tags"]
    return request


def _ordered(mapping: Mapping[str, Any], order: tuple[str, ...]) -> dict[str, Any]:
    known = [key for key in order if key in mapping]
    rest = sorted(key for key in mapping if key not in order)
    return {key: mapping[key] for key in known + rest}


def in_canonical_order(request: Mapping[str, Any]) -> dict[str, Any]:
    """Task keys, then each container's keys, in the order a reader expects them."""
    ordered = _ordered(request, TASK_KEYS)
    if "containerDefinitions" in ordered:
        ordered["containerDefinitions"] = [
            _ordered(container, CONTAINER_KEYS) for container in ordered["containerDefinitions"]
        ]
    return ordered


def to_json(request: Mapping[str, Any]) -> str:
    """Same request, same bytes: canonical key order, two-space indent, trailing newline."""
    return json.dumps(in_canonical_order(request), indent=2, ensure_ascii=False) + "\n"


SECRET_LOOKING_NAME = re.compile(
    r"(PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|PRIVATE_?KEY|ACCESS_?KEY|CREDENTIALS?|AUTH)",
    re.IGNORECASE,
)
REDACTED = "(redacted)"


def _prune(value: Any) -> Any:
    """Drop what ECS treats as absent anyway: None, empty lists and empty mappings."""
    if isinstance(value, Mapping):
        pruned = {k: _prune(v) for k, v in value.items()}
        return {k: v for k, v in pruned.items() if v not in (None, [], {})}
    if isinstance(value, list):
        return [_prune(v) for v in value]
    return value


def _sorted_keys(value: Any) -> Any:
    """Nested mappings with sorted keys: ECS does not keep the order a request used."""
    if isinstance(value, Mapping):
        return {k: _sorted_keys(value[k]) for k in sorted(value)}
    if isinstance(value, list):
        return [_sorted_keys(v) for v in value]
    return value


def _normalise_container(container: Mapping[str, Any], awsvpc: bool) -> dict[str, Any]:
    result = {key: _sorted_keys(value) for key, value in container.items()}
    result.setdefault("essential", True)
    if result.get("cpu") == 0:
        del result["cpu"]
    for key in ("environment", "secrets"):
        if key in result:
            result[key] = sorted(result[key], key=lambda entry: str(entry.get("name")))
    if "portMappings" in result:
        mappings = []
        for mapping in result["portMappings"]:
            normal = {"protocol": "tcp", **mapping}
            if awsvpc or normal.get("hostPort") == normal.get("containerPort"):
                normal.pop("hostPort", None)
            mappings.append(normal)
        result["portMappings"] = sorted(
            mappings, key=lambda m: (int(m.get("containerPort", 0)), str(m["protocol"]))
        )
    if "mountPoints" in result:
        result["mountPoints"] = sorted(
            ({"readOnly": False, **m} for m in result["mountPoints"]),
            key=lambda m: str(m.get("containerPath")),
        )
    return result


def normalise(request: Mapping[str, Any]) -> dict[str, Any]:
    """The form two revisions are compared in: ECS's defaults filled, lists sorted, units kept.

    DescribeTaskDefinition answers with defaults the request never had (hostPort, cpu 0,
    empty lists); without this every deploy would look like a change.
    """
    task = dict(strip_read_only(request))
    awsvpc = task.get("networkMode", "awsvpc") == "awsvpc"
    for key, unit in (("cpu", "cpu"), ("memory", "memory")):
        if task.get(key) not in (None, ""):
            try:
                task[key] = str(parse_task_size(task[key], unit))
            except ValueError:
                task[key] = str(task[key])
    task["containerDefinitions"] = sorted(
        (_normalise_container(c, awsvpc) for c in task.get("containerDefinitions", [])),
        key=lambda c: str(c.get("name")),
    )
    if "volumes" in task:
        task["volumes"] = sorted(task["volumes"], key=lambda v: str(v.get("name")))
    if "tags" in task:
        task["tags"] = sorted(task["tags"], key=lambda t: str(t.get("key")))
    return in_canonical_order(_prune(task))


def redact(request: Mapping[str, Any]) -> dict[str, Any]:
    """Environment values whose names look secret are hidden, so diffs are safe in CI logs."""
    result = dict(request)
    containers = []
    for container in request.get("containerDefinitions", []):
        copy = dict(container)
        if "environment" in copy:
            copy["environment"] = [
                {**entry, "value": REDACTED}
                if SECRET_LOOKING_NAME.search(str(entry.get("name")))
                else entry
                for entry in copy["environment"]
            ]
        containers.append(copy)
    if "containerDefinitions" in result:
        result["containerDefinitions"] = containers
    return result


DIFF_PRECEDENCE = (
    "# each container, lowest precedence first: our defaults, the base revision, compose, "
    "the service's x-ecs"
)


def diff(
    old: Mapping[str, Any] | None, new: Mapping[str, Any], *, old_label: str, new_label: str
) -> list[str]:
    """A unified diff of the two normalised, redacted requests; empty when they are equal.

    Its last line says which layer wins, so that a key kept from the running revision
    (compose was silent on it) is no surprise to whoever reads the diff.
    """
    before = to_json(redact(normalise(old))).splitlines() if old else []
    after = to_json(redact(normalise(new))).splitlines()
    lines = list(difflib.unified_diff(before, after, old_label, new_label, lineterm=""))
    return [*lines, DIFF_PRECEDENCE] if lines else []
