"""The conversion's one table: every compose service field, mapped, ignored or rejected.

Each module of handlers keeps its fields' rows beside the handlers (`service_fields`,
`port_fields`, `mount_fields`, `linux_fields`, `dev_only`); the rows here are the fields
converted elsewhere (the image by the container builder, which also fills it where compose
has none; file secrets by `file_secrets`), resolved by Docker Compose, or ignored with a
notice. The
converter looks every key of a service up in `BY_NAME`, so nothing is dropped silently,
and the README's mapping table is generated from `RULES` (`python -m
compose_ecs_deploy.compose.fields`; a test keeps the two equal).
"""

from __future__ import annotations

from compose_ecs_deploy.compose import (
    dev_only,
    linux_fields,
    mount_fields,
    port_fields,
    service_fields,
)
from compose_ecs_deploy.compose.field_context import FieldRule

_ELSEWHERE: tuple[FieldRule, ...] = (
    FieldRule(
        "image", "mapped", "image", "a built service gets the pushed image; `--image` overrides"
    ),
    FieldRule(
        "build",
        "mapped",
        "(the build stage)",
        "used by the build stage, not by the task definition",
    ),
    FieldRule("env_file", "mapped", "environment", "read and merged by Docker Compose"),
)
_ELSEWHERE_AFTER_PORTS: tuple[FieldRule, ...] = (
    FieldRule(
        "secrets",
        "mapped",
        "init container + mountPoints",
        "file secrets: a non-essential init container gets each through ECS secrets "
        "(`--secret NAME=ARN`) and writes it to a task volume with its mode/uid/gid; "
        "the service mounts it read-only and waits for it (dependsOn SUCCESS); an external "
        "secret whose name is a Secrets Manager or SSM parameter ARN needs no `--secret`",
    ),
    FieldRule("extends", "mapped", "-", "resolved by Docker Compose"),
)
_IGNORED: tuple[FieldRule, ...] = (
    FieldRule(
        "x-ecs", "mapped", "(any container field)", "merged last into the container, ECS API names"
    ),
    FieldRule("container_name", "ignored", "-", "the container is named after the service"),
    FieldRule("tty", "ignored", "-", "development only"),
    FieldRule("stdin_open", "ignored", "-", "development only"),
    FieldRule("profiles", "ignored", "-", "selects services at load time"),
    FieldRule("pull_policy", "ignored", "-", "ECS always pulls the image"),
    FieldRule("develop", "ignored", "-", "compose watch is development only"),
    FieldRule("stop_signal", "ignored", "-", "ECS always sends SIGTERM"),
    FieldRule(
        "links", "ignored", "-", "in an awsvpc task containers reach each other on localhost"
    ),
    FieldRule("external_links", "ignored", "-", "development only"),
    FieldRule("scale", "ignored", "-", "set the ECS service's desired count"),
)

RULES: tuple[FieldRule, ...] = (
    _ELSEWHERE
    + port_fields.RULES
    + _ELSEWHERE_AFTER_PORTS
    + service_fields.RULES
    + mount_fields.RULES
    + linux_fields.RULES
    + dev_only.RULES
    + _IGNORED
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
