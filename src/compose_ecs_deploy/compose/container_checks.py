"""The container-level rules of `validate`: health checks, stop timeouts, dependencies,
secrets, ulimits, memory and the Fargate limits, each reported through one `Checker`.

Apart from the task-level rules so that each module stays small enough to read whole.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from compose_ecs_deploy.compose.dev_only import FARGATE_LOG_DRIVERS
from compose_ecs_deploy.compose.field_context import FROM_BASE
from compose_ecs_deploy.compose.health_fit import HEALTH_RANGES
from compose_ecs_deploy.compose.linux_fields import FARGATE_UNSUPPORTED
from compose_ecs_deploy.compose.secrets import (
    ONLY_IF_SSM_HAS_IT,
    BareName,
    is_bare_parameter,
    reference_problem,
)
from compose_ecs_deploy.diagnostics import Diagnostic, Diagnostics

_CONDITIONS = ("START", "COMPLETE", "SUCCESS", "HEALTHY")


@dataclass(frozen=True)
class BaseFile:
    """Where a base task-definition file wrote its values, so that a rule broken by one
    points at its line rather than at x-ecs."""

    file: str
    task_lines: Mapping[str, int] = dataclasses.field(default_factory=dict)  # by task key
    container_lines: Mapping[str, int] = dataclasses.field(default_factory=dict)  # by name


class Checker:
    def __init__(
        self,
        diagnostics: Diagnostics,
        compose_services: frozenset[str],
        origins: Mapping[tuple[str, str], str],
        x_ecs_keys: frozenset[str],
        base_file: BaseFile | None,
    ) -> None:
        self.diagnostics = diagnostics
        self.compose_services = compose_services
        self.origins = origins
        self.x_ecs_keys = x_ecs_keys
        self.base_file = base_file
        self.bare: list[BareName] = []  # only SSM can judge these (compose/secrets.BareName)

    def origin(self, container: str, ecs_key: str, default: str) -> str:
        return self.origins.get((container, ecs_key), default)

    def field(self, container: str, ecs_key: str, compose_field: str, below: str = "") -> str:
        """Where the user wrote a container key: the compose field, or the service's x-ecs
        key (and the part `below` it) when the value came from there, or the ECS key itself
        in a container of the base, or in a key the base set for a compose service's container."""
        origin = self.origins.get((container, ecs_key))
        if container not in self.compose_services or origin == FROM_BASE:
            return f"{ecs_key}.{below}" if below else ecs_key
        if origin is None or not origin.startswith("x-ecs."):
            return compose_field
        return f"{origin}.{below}" if below else origin

    def error(self, container: str, field: str, code: str, message: str) -> None:
        self.diagnostics.add(self.located(container, field, code, message))

    def located(self, container: str, field: str, code: str, message: str) -> Diagnostic:
        """The error as `error` reports it: on the compose service's field, else on the base
        file's container line, else on the base's container by name."""
        if self.in_compose(container, field):
            return Diagnostic.error(code, message, service=container, field=field)
        if self.base_file is not None:
            return Diagnostic.error(
                code,
                f"container {container}: {message}",
                file=self.base_file.file,
                line=self.base_file.container_lines.get(container),
            )
        return Diagnostic.error(
            code, f"container {container} (from the base task definition): {message}"
        )

    def in_compose(self, container: str, field: str) -> bool:
        """Whether a compose service wrote the field (else the base did)."""
        ecs_key = field.split(".", 1)[0].split("[", 1)[0]
        from_base = self.origins.get((container, ecs_key)) == FROM_BASE
        return container in self.compose_services and not from_base

    def task_error(self, key: str, code: str, message: str) -> None:
        base = self.base_file
        if base is not None and key not in self.x_ecs_keys and key in base.task_lines:
            self.diagnostics.add(
                Diagnostic.error(
                    code, message, field=key, file=base.file, line=base.task_lines[key]
                )
            )
        else:
            self.diagnostics.error(code, message, field=f"x-ecs.{key}")


def check_health(checker: Checker, name: str, check: Mapping[str, Any] | None) -> None:
    if not check:
        return
    command = check.get("command") or []
    if not command or command[0] not in ("CMD", "CMD-SHELL") or len(command) < 2:
        checker.error(
            name,
            "healthcheck.test",
            "healthcheck-command",
            "the health check command must be CMD or CMD-SHELL followed by the command",
        )
    for ecs_key, compose_key, low, high in HEALTH_RANGES:
        value = check.get(ecs_key)
        if value is not None and not low <= int(value) <= high:
            unit = "" if ecs_key == "retries" else " seconds"
            field = checker.field(name, "healthCheck", f"healthcheck.{compose_key}", ecs_key)
            checker.error(
                name,
                field,
                "healthcheck-range",
                f"{field.rsplit('.', 1)[-1]} is {value}{unit}; ECS accepts "
                f"{low}-{high}{unit}: set {field} within that range",
            )


def check_stop_timeout(checker: Checker, name: str, value: Any, fargate_task: bool) -> None:
    if value is None:
        return
    low, high = (2, 120) if fargate_task else (0, 2**31 - 1)
    if not low <= int(value) <= high:
        field = checker.field(name, "stopTimeout", "stop_grace_period")
        checker.error(
            name,
            field,
            "stop-timeout-range",
            f"{field} is {value} seconds; {'Fargate' if fargate_task else 'ECS'} "
            f"accepts {low}-{high}: set it within that range",
        )


def check_dependencies(
    checker: Checker,
    name: str,
    dependencies: list[Mapping[str, Any]],
    by_name: Mapping[str, Mapping[str, Any]],
) -> None:
    for dependency in dependencies:
        target = str(dependency.get("containerName"))
        condition = dependency.get("condition")
        where = checker.field(name, "dependsOn", f"depends_on.{target}")
        if condition not in _CONDITIONS:
            checker.error(
                name,
                where,
                "depends-on-condition",
                f"condition {condition!r} must be one of {', '.join(_CONDITIONS)}",
            )
        if target == name:
            checker.error(name, where, "depends-on-self", "a container cannot depend on itself")
            continue
        if target not in by_name:
            checker.error(
                name,
                where,
                "depends-on-missing",
                f"depends on {target}, which is not a container of the task",
            )
            continue
        target_spec = by_name[target]
        if condition == "HEALTHY" and not target_spec.get("healthCheck"):
            checker.error(
                name,
                where,
                "depends-on-healthy-without-check",
                f"waits for {target} to be healthy, but {target} has no health "
                f"check; add a healthcheck to {target} or use service_started",
            )
        if condition in ("SUCCESS", "COMPLETE") and target_spec.get("essential", True):
            checker.error(
                name,
                where,
                "depends-on-essential",
                f"waits for {target} to exit, but {target} is essential (its exit "
                f"would stop the task); set x-ecs.essential: false on {target}",
            )


def check_secrets(checker: Checker, name: str, container: Mapping[str, Any]) -> bool:
    """Every `valueFrom` of the container (`secrets`, and its log configuration's
    `secretOptions`: ECS's one `Secret` type) is a secret reference ECS takes; a bare
    parameter name is kept on `checker.bare` for SSM to judge. True if the container has
    `secrets` (its execution role fetches them)."""
    entries = []
    for secret in container.get("secrets") or []:
        below = str(secret.get("name"))
        entries.append((secret, checker.field(name, "secrets", f"secrets.{below}", below)))
    for secret in (container.get("logConfiguration") or {}).get("secretOptions") or []:
        below = f"secretOptions.{secret.get('name')}"
        entries.append((secret, checker.field(name, "logConfiguration", f"logging.{below}", below)))
    for secret, field in entries:
        value_from = str(secret.get("valueFrom") or "")
        problem = reference_problem(value_from)
        said = "" if checker.in_compose(name, field) else f"{field}: "
        if problem is not None:
            checker.error(
                name,
                field,
                "secret-arn",
                f"{said}the valueFrom is not a secret reference ({problem}; it is not "
                "repeated here)",
            )
        elif is_bare_parameter(value_from):
            where = checker.located(name, field, "secret-arn", f"{said}{ONLY_IF_SSM_HAS_IT}")
            checker.bare.append(BareName(value_from, name, str(secret.get("name")), where))
    return bool(container.get("secrets"))


def check_ulimits(checker: Checker, name: str, ulimits: list[Mapping[str, Any]]) -> None:
    """A soft limit above its hard limit is refused when the container starts (setrlimit)."""
    for ulimit in ulimits:
        soft, hard = int(ulimit.get("softLimit", 0)), int(ulimit.get("hardLimit", 0))
        if soft > hard:
            checker.error(
                name,
                checker.field(name, "ulimits", f"ulimits.{ulimit.get('name')}"),
                "ulimit-soft-above-hard",
                f"{ulimit.get('name')} soft limit {soft} is above its hard limit "
                f"{hard}; the soft limit must not exceed the hard one",
            )


def check_memory(
    checker: Checker,
    name: str,
    container: Mapping[str, Any],
    task_memory: int | None,
    fargate_task: bool,
) -> None:
    memory, reservation = container.get("memory"), container.get("memoryReservation")
    memory_field = checker.origin(name, "memory", "deploy.resources.limits.memory")
    if memory is not None and int(memory) < 6:
        checker.error(
            name,
            memory_field,
            "memory-too-small",
            f"memory {memory} MiB is below ECS's minimum of 6 MiB",
        )
    if memory is not None and reservation is not None and int(reservation) > int(memory):
        checker.error(
            name,
            checker.origin(name, "memoryReservation", "deploy.resources.reservations.memory"),
            "memory-reservation",
            f"reservation {reservation} MiB exceeds the limit {memory} MiB",
        )
    if task_memory is not None and memory is not None and int(memory) > task_memory:
        checker.error(
            name,
            memory_field,
            "memory-exceeds-task",
            f"memory {memory} MiB exceeds the task's {task_memory} MiB",
        )


def check_fargate_container(checker: Checker, name: str, c: Mapping[str, Any]) -> None:
    """The same launch-type rules the converter enforces, for values from x-ecs or the base."""
    problems = [(field, what) for field, (what, asks) in FARGATE_UNSUPPORTED.items() if asks(c)]
    driver = (c.get("logConfiguration") or {}).get("logDriver")
    if driver and driver not in FARGATE_LOG_DRIVERS:
        problems.append(("logging.driver", f"the {driver} log driver"))
    for field, what in problems:
        checker.error(
            name,
            field,
            "fargate-unsupported",
            f"Fargate does not support {what}; remove it or use the EC2 launch type",
        )
