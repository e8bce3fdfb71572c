"""The RegisterTaskDefinition request's shape: key order, base clean-up, normalisation.

A stable key order is what makes `render` byte-for-byte repeatable and the diff readable;
the read-only list is what turns a DescribeTaskDefinition answer into a valid request.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

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
READ_ONLY_TASK_KEYS: frozenset[str] = frozenset({
    "taskDefinitionArn",
    "revision",
    "status",
    "requiresAttributes",
    "compatibilities",
    "registeredAt",
    "registeredBy",
    "deregisteredAt",
    "deleteRequestedAt",
})


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
