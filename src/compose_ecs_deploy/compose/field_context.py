"""The types of the conversion's one table: a field's rule, its handler, what handlers see.

Every compose service field has one `FieldRule` row, written beside the handler that converts
it (`service_fields`, `linux_fields`, `dev_only`): its handling, its ECS field, the note that
becomes its README row, and the handler. A handler gets what it may read and report through
`FieldContext`, a protocol that `context.Context` satisfies, so the handlers' modules never
import the context (no import cycle).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from compose_ecs_deploy.compose.project import Project
from compose_ecs_deploy.compose.scratch import ScratchMount
from compose_ecs_deploy.compose.units import (
    bytes_to_mib,
    cpus_to_units,
    duration_to_whole_seconds,
    parse_bytes,
)

Handling = Literal["mapped", "ignored", "rejected"]


class FieldContext(Protocol):
    """The conversion state a handler reads and reports to."""

    project: Project
    services: tuple[str, ...]
    used_volumes: dict[str, None]
    platforms: dict[str, str]
    origins: dict[tuple[str, str], str]
    scratch: list[ScratchMount]  # tmpfs mounts that become task volumes (no tmpfs on Fargate)
    task_settings: dict[str, tuple[str, str]]  # task key -> (value, the service that asked)
    logging_gaps: dict[str, tuple[str, ...]]  # awslogs options a logging block left out
    driverless_logging: set[str]  # services whose logging block gives options but no driver

    @property
    def fargate(self) -> bool: ...

    @property
    def awsvpc(self) -> bool: ...

    def error(self, service: str, field_name: str, code: str, message: str) -> None: ...

    def notice(self, service: str, field_name: str, code: str, message: str) -> None: ...

    def secret_bound(self, service: str, name: str) -> bool: ...


# The origin of a container key that the base set and neither compose nor x-ecs replaced:
# a rule its value breaks points at the base, not at a compose field.
FROM_BASE = "(base)"

# (context, service, the field's value as `config` wrote it, the container, linuxParameters)
Handler = Callable[[FieldContext, str, Any, dict[str, Any], dict[str, Any]], None]


@dataclass(frozen=True)
class FieldRule:
    """One compose field: how it is handled, where it goes, what the README says, who does it.

    `convert` is None for a field converted elsewhere (the image, file secrets),
    resolved by Docker Compose, or ignored (then the converter gives the note as a notice).
    """

    compose: str
    handling: Handling
    ecs: str
    note: str
    convert: Handler | None = None


def parsed(
    ctx: FieldContext,
    service: str,
    field_name: str,
    value: Any,
    parse: Callable[[Any], int],
    code: str,
) -> int | None:
    """The parsed value, or None with an error naming the field (never a traceback)."""
    try:
        return parse(value)
    except ValueError as exc:
        ctx.error(service, field_name, code, str(exc))
        return None


def duration(ctx: FieldContext, service: str, field_name: str, value: Any) -> int | None:
    return parsed(ctx, service, field_name, value, duration_to_whole_seconds, "duration-invalid")


def size_mib(ctx: FieldContext, service: str, field_name: str, value: Any) -> int | None:
    return parsed(
        ctx, service, field_name, value, lambda v: bytes_to_mib(parse_bytes(v)), "memory-invalid"
    )


def cpu_units(ctx: FieldContext, service: str, field_name: str, value: Any) -> int | None:
    return parsed(ctx, service, field_name, value, cpus_to_units, "cpu-invalid")


def set_resource(
    ctx: FieldContext,
    service: str,
    c: dict[str, Any],
    ecs_key: str,
    compose_key: str,
    amount: int | None,
) -> None:
    """Record which compose key set the value, so validation errors can point at it."""
    if amount is not None:
        c[ecs_key] = amount
        ctx.origins[(service, ecs_key)] = compose_key


def copy(ecs_key: str, convert: Callable[[Any], Any] = str) -> Handler:
    """A handler that sets `ecs_key` to the value, converted."""

    def handler(
        ctx: FieldContext, service: str, value: Any, c: dict[str, Any], linux: dict[str, Any]
    ) -> None:
        if value is not None:
            c[ecs_key] = convert(value)

    return handler
