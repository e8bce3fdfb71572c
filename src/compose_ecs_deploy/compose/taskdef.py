"""The RegisterTaskDefinition request's shape: key order, base clean-up, normalisation.

A stable key order is what makes `render` byte-for-byte repeatable and the diff readable;
the read-only list is what turns a DescribeTaskDefinition answer into a valid request.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Callable, Mapping
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


# A name that says its value is a credential (issue #22: password, secret, token, key,
# credentials), for the diff, the log masker and the warning on plain environment values.
SECRET_LOOKING_NAME = re.compile(
    r"(PASSWORD|PASSWD|PASS\b|_PASS|PWD|SECRET|TOKEN|API_?KEY|PRIVATE_?KEY|ACCESS_?KEY|_KEY\b"
    r"|CREDENTIAL|AUTH|DSN|CONNECTION_?STRING)",
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
    for key in ("environment", "secrets", "ulimits"):  # by name: their order means nothing
        if key in result:
            result[key] = sorted(result[key], key=lambda entry: str(entry.get("name")))
    if "portMappings" in result:
        mappings = []
        for mapping in result["portMappings"]:
            normal = {"protocol": "tcp", **mapping}
            # hostPort 0 (or absent) on bridge is a dynamic port, as DescribeTaskDefinition says
            if awsvpc or normal.get("hostPort") in (0, normal.get("containerPort")):
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
    task = {  # nested keys sorted: ECS does not keep a request's order (volumes, constraints)
        key: value if key == "containerDefinitions" else _sorted_keys(value)
        for key, value in strip_read_only(request).items()
    }
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


Hide = Callable[[str, str], bool]
"""Whether the value set under a name (an environment name, a label, a log option, a
command's position) must not be shown; report/redact.looks_secret is the one in use."""


def _hidden_pairs(pairs: Mapping[str, Any], hide: Hide) -> dict[str, Any]:
    return {k: REDACTED if hide(str(k), str(v)) else v for k, v in pairs.items()}


def _hidden_words(name: str, words: Any, hide: Hide) -> Any:
    """A command or health-check list with each secret-looking word hidden, and the word
    after an option that takes a secret (`--password VALUE`)."""
    if not isinstance(words, list):
        return words
    hidden = []
    for index, word in enumerate(str(w) for w in words):
        after = str(words[index - 1]) if index else ""
        secret = hide(name, word) or bool(after and hide(name, f"{after} {word}"))
        hidden.append(REDACTED if secret else words[index])
    return hidden


def redact(request: Mapping[str, Any], hide: Hide) -> dict[str, Any]:
    """Every value `hide` flags is replaced, so that a diff is safe in CI logs and summaries:
    environment values, docker labels, log-driver options (a Splunk token), commands, entry
    points and health checks. Secret references (`valueFrom`) are ARNs, not secrets."""
    result = dict(request)
    containers = []
    for container in request.get("containerDefinitions", []):
        copy = dict(container)
        if "environment" in copy:
            copy["environment"] = [
                {**entry, "value": REDACTED}
                if hide(str(entry.get("name")), str(entry.get("value", "")))
                else entry
                for entry in copy["environment"]
            ]
        if isinstance(copy.get("dockerLabels"), Mapping):
            copy["dockerLabels"] = _hidden_pairs(copy["dockerLabels"], hide)
        log = copy.get("logConfiguration")
        if isinstance(log, Mapping) and isinstance(log.get("options"), Mapping):
            copy["logConfiguration"] = {**log, "options": _hidden_pairs(log["options"], hide)}
        for key in ("command", "entryPoint"):
            copy[key] = _hidden_words(key, copy.get(key), hide)
        health = copy.get("healthCheck")
        if isinstance(health, Mapping):
            copy["healthCheck"] = {
                **health,
                "command": _hidden_words("healthCheck", health.get("command"), hide),
            }
        containers.append({k: v for k, v in copy.items() if v is not None})
    if "containerDefinitions" in result:
        result["containerDefinitions"] = containers
    return result


DIFF_PRECEDENCE = (
    "# each container, lowest precedence first: our defaults, the base revision, compose, "
    "the service's x-ecs"
)


def diff(
    old: Mapping[str, Any] | None,
    new: Mapping[str, Any],
    *,
    old_label: str,
    new_label: str,
    hide: Hide,
) -> list[str]:
    """A unified diff of the two normalised, redacted requests; empty when they are equal.

    Its last line says which layer wins, so that a key kept from the running revision
    (compose was silent on it) is no surprise to whoever reads the diff.
    """
    before = to_json(redact(normalise(old), hide)).splitlines() if old else []
    after = to_json(redact(normalise(new), hide)).splitlines()
    lines = list(difflib.unified_diff(before, after, old_label, new_label, lineterm=""))
    return [*lines, DIFF_PRECEDENCE] if lines else []
