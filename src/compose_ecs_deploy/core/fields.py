"""One table of every compose service field: mapped, ignored with a notice, or rejected.

The converter consults it for every key a service has, so nothing is dropped silently, and
the README's mapping table is generated from it (`python -m compose_ecs_deploy.core.fields`),
so the documentation cannot drift from the behaviour.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Handling = Literal["mapped", "ignored", "rejected"]


@dataclass(frozen=True)
class FieldRule:
    compose: str
    handling: Handling
    ecs: str
    note: str


RULES: tuple[FieldRule, ...] = (
    FieldRule("image", "mapped", "image",
              "a built service gets the pushed image; `--image` overrides"),
    FieldRule("build", "ignored", "-", "used by the build stage, not by the task definition"),
    FieldRule("command", "mapped", "command", ""),
    FieldRule("entrypoint", "mapped", "entryPoint", ""),
    FieldRule("environment", "mapped", "environment",
              "values verbatim; an entry with no value is ignored with a notice; "
              "a `--secret` of the same name replaces it"),
    FieldRule("env_file", "mapped", "environment", "read and merged by Docker Compose"),
    FieldRule("ports", "mapped", "portMappings",
              "tcp/udp; `host_ip` ignored; under awsvpc a published port that differs from "
              "the target is dropped with a notice (the task listens on the target)"),
    FieldRule("expose", "mapped", "portMappings", "tcp; a range maps every port of it"),
    FieldRule("healthcheck", "mapped", "healthCheck",
              "string → CMD-SHELL; NONE / disable → none; durations rounded up to seconds; "
              "ranges: interval 5-300, timeout 2-60, retries 1-10, start_period 0-300"),
    FieldRule("deploy", "mapped", "cpu, memory, memoryReservation",
              "resources.limits.cpus x 1024 (rounded up), limits.memory and "
              "reservations.memory in MiB (rounded up); other deploy keys ignored"),
    FieldRule("cpus", "mapped", "cpu", "x 1024, rounded up"),
    FieldRule("mem_limit", "mapped", "memory", "MiB, rounded up"),
    FieldRule("mem_reservation", "mapped", "memoryReservation", "MiB, rounded up"),
    FieldRule("depends_on", "mapped", "dependsOn",
              "service_started → START, service_healthy → HEALTHY (target needs a health "
              "check), service_completed_successfully → SUCCESS (target becomes non-essential); "
              "services outside the task are dropped with a notice; `restart: true` is "
              "ignored with a notice"),
    FieldRule("logging", "mapped", "logConfiguration",
              "passed through; Fargate allows awslogs, splunk, awsfirelens; json-file and "
              "local are dropped with a notice; without one, the base's, else awslogs to "
              "/ecs/<family>"),
    FieldRule("ulimits", "mapped", "ulimits", "only nofile on Fargate"),
    FieldRule("cap_add", "mapped", "linuxParameters.capabilities.add",
              "only SYS_PTRACE on Fargate"),
    FieldRule("cap_drop", "mapped", "linuxParameters.capabilities.drop", ""),
    FieldRule("tmpfs", "mapped", "linuxParameters.tmpfs",
              "EC2 only, with a size (`/path:size=64m`); rejected on Fargate"),
    FieldRule("init", "mapped", "linuxParameters.initProcessEnabled", ""),
    FieldRule("stop_grace_period", "mapped", "stopTimeout",
              "seconds, rounded up; 2-120 on Fargate"),
    FieldRule("user", "mapped", "user", ""),
    FieldRule("working_dir", "mapped", "workingDirectory", ""),
    FieldRule("read_only", "mapped", "readonlyRootFilesystem", ""),
    FieldRule("labels", "mapped", "dockerLabels", ""),
    FieldRule("volumes", "mapped", "mountPoints + task volumes",
              "named volumes only (`:ro` → readOnly); x-ecs.volumes or the volume's own "
              "x-ecs gives its ECS configuration, else it is task storage (a notice says "
              "so); `subpath` dropped with a notice; bind mounts and anonymous volumes "
              "ignored"),
    FieldRule("platform", "mapped", "runtimePlatform", "linux/amd64 or linux/arm64"),
    FieldRule("privileged", "mapped", "privileged", "rejected on Fargate"),
    FieldRule("devices", "mapped", "linuxParameters.devices", "rejected on Fargate"),
    FieldRule("shm_size", "mapped", "linuxParameters.sharedMemorySize", "rejected on Fargate"),
    FieldRule("security_opt", "mapped", "dockerSecurityOptions", "rejected on Fargate"),
    FieldRule("sysctls", "mapped", "systemControls", ""),
    FieldRule("extra_hosts", "mapped", "extraHosts",
              "`host-gateway` entries dropped with a notice; others rejected under awsvpc"),
    FieldRule("hostname", "mapped", "hostname", "dropped with a notice under awsvpc"),
    FieldRule("dns", "mapped", "dnsServers", "rejected under awsvpc"),
    FieldRule("dns_search", "mapped", "dnsSearchDomains",
              "an empty one dropped with a notice; rejected under awsvpc"),
    FieldRule("network_mode", "rejected", "networkMode",
              "`service:X` dropped with a notice under awsvpc (a task shares one network); "
              "`host` is rejected on Fargate; else set x-ecs.networkMode"),
    FieldRule("pid", "rejected", "pidMode", "task-level in ECS: set x-ecs.pidMode"),
    FieldRule("ipc", "rejected", "ipcMode", "task-level in ECS: set x-ecs.ipcMode"),
    FieldRule("secrets", "mapped", "init container + mountPoints",
              "file secrets: a non-essential init container gets each through ECS secrets "
              "(`--secret NAME=ARN`) and writes it to a task volume with its mode/uid/gid; "
              "the service mounts it read-only and waits for it (dependsOn SUCCESS)"),
    FieldRule("configs", "rejected", "-", "ECS has no file-mounted configs: use --secret or "
              "bake the file into the image"),
    FieldRule("x-ecs", "mapped", "(any container field)",
              "merged last into the container, ECS API names"),
    FieldRule("restart", "mapped", "essential",
              "a non-primary service with `no` or `on-failure` runs once: essential false, "
              "with a notice (x-ecs.essential overrides); else ignored: the ECS service "
              "scheduler replaces stopped tasks"),
    FieldRule("container_name", "ignored", "-", "the container is named after the service"),
    FieldRule("networks", "ignored", "-", "containers of one task share its network"),
    FieldRule("tty", "ignored", "-", "development only"),
    FieldRule("stdin_open", "ignored", "-", "development only"),
    FieldRule("profiles", "ignored", "-", "selects services at load time"),
    FieldRule("pull_policy", "ignored", "-", "ECS always pulls the image"),
    FieldRule("develop", "ignored", "-", "compose watch is development only"),
    FieldRule("stop_signal", "ignored", "-", "ECS always sends SIGTERM"),
    FieldRule("links", "ignored", "-", "in an awsvpc task containers reach each other on "
              "localhost"),
    FieldRule("external_links", "ignored", "-", "development only"),
    FieldRule("scale", "ignored", "-", "set the ECS service's desired count"),
)

BY_NAME: dict[str, FieldRule] = {rule.compose: rule for rule in RULES}


def markdown_table() -> str:
    """The README's mapping table, one row per compose field."""
    lines = ["| compose field | handling | ECS field | notes |", "|---|---|---|---|"]
    for rule in RULES:
        lines.append(f"| `{rule.compose}` | {rule.handling} | {rule.ecs} | {rule.note} |")
    lines.append("| any other field | ignored | - | a notice names it |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(markdown_table(), end="")
