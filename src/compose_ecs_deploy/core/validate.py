"""ECS's rules for a RegisterTaskDefinition request, checked before anything touches AWS.

moto accepts almost any task definition, and real ECS rejects many only at register time
(after a five-minute build): so every rule we know is checked here, on the final request,
whatever set the value (compose, x-ecs or the base). All problems are reported together.
Messages name the compose field where the value came from one.
"""

from __future__ import annotations

import dataclasses
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from compose_ecs_deploy.core import fargate
from compose_ecs_deploy.core.dev_only import FARGATE_LOG_DRIVERS
from compose_ecs_deploy.core.linux_fields import FARGATE_UNSUPPORTED
from compose_ecs_deploy.core.secrets import is_secret_reference
from compose_ecs_deploy.core.service_fields import HEALTH_RANGES
from compose_ecs_deploy.diagnostics import Diagnostic, Diagnostics

NAME_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,255}")
ROLE_ARN = re.compile(r"arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]{1,512}")
_CONDITIONS = ("START", "COMPLETE", "SUCCESS", "HEALTHY")


@dataclass(frozen=True)
class BaseFile:
    """Where a base task-definition file wrote its values, so that a rule broken by one
    points at its line rather than at x-ecs."""

    file: str
    task_lines: Mapping[str, int] = dataclasses.field(default_factory=dict)  # by task key
    container_lines: Mapping[str, int] = dataclasses.field(default_factory=dict)  # by name


def validate(
    request: Mapping[str, Any],
    diagnostics: Diagnostics,
    *,
    compose_services: frozenset[str] = frozenset(),
    origins: Mapping[tuple[str, str], str] | None = None,
    x_ecs_keys: frozenset[str] = frozenset(),
    base_file: BaseFile | None = None,
) -> None:
    """Append one error per broken rule.

    `compose_services` says which containers came from compose (the others came from the
    base), `origins` which compose key (or service x-ecs key) set a container's value,
    `x_ecs_keys` which task keys the top-level x-ecs block gave; the others came from the
    base, which is `base_file` when the base is a file (else the running revision).
    """
    fargate_task = "FARGATE" in (request.get("requiresCompatibilities") or [])
    awsvpc = request.get("networkMode", "awsvpc") == "awsvpc"
    checker = _Checker(diagnostics, compose_services, origins or {}, x_ecs_keys, base_file)

    family = str(request.get("family") or "")
    if not NAME_PATTERN.fullmatch(family):
        checker.task_error(
            "family", "family-invalid", f"family {family!r} must be 1-255 letters, digits, - or _"
        )
    for key in ("executionRoleArn", "taskRoleArn"):
        value = request.get(key)
        if value is not None and not ROLE_ARN.fullmatch(str(value)):
            checker.task_error(
                key,
                "role-arn",
                f"{key} {value!r} is not an IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME)",
            )
    if fargate_task and request.get("networkMode", "awsvpc") != "awsvpc":
        checker.task_error(
            "networkMode",
            "fargate-network-mode",
            f"Fargate tasks need networkMode awsvpc, not {request.get('networkMode')!r}",
        )

    containers: list[Mapping[str, Any]] = list(request.get("containerDefinitions") or [])
    if not containers:
        checker.task_error(
            "containerDefinitions",
            "no-containers",
            "the task has no containers; name services with --service",
        )
    task_cpu, task_memory = _task_sizes(request, checker, fargate_task)

    names = Counter(str(c.get("name")) for c in containers)
    for name, count in names.items():
        if count > 1:
            checker.task_error(
                "containerDefinitions",
                "container-duplicate",
                f"container name {name!r} is used {count} times",
            )
    if containers and not any(c.get("essential", True) for c in containers):
        checker.task_error(
            "containerDefinitions",
            "no-essential",
            "at least one container must be essential; set x-ecs.essential: "
            "true on the main service",
        )

    by_name = {str(c.get("name")): c for c in containers}
    ports: dict[tuple[int, str], str] = {}
    taken = {
        int(m.get("containerPort", 0)) for c in containers for m in c.get("portMappings") or []
    }
    needs_execution_role: dict[str, list[str]] = {}  # reason -> containers it applies to
    for container in containers:
        name = str(container.get("name"))
        if not NAME_PATTERN.fullmatch(name):
            checker.error(
                name,
                "name",
                "container-name",
                f"container name {name!r} must be 1-255 letters, digits, - or _; "
                "rename the compose service",
            )
        if not container.get("image"):
            checker.error(name, "image", "image-missing", "the container has no image")
        _check_health(checker, name, container.get("healthCheck"))
        _check_stop_timeout(checker, name, container.get("stopTimeout"), fargate_task)
        _check_dependencies(checker, name, container.get("dependsOn") or [], by_name)
        _check_memory(checker, name, container, task_memory, fargate_task)
        _check_ulimits(checker, name, container.get("ulimits") or [])
        if int(container.get("cpu") or 0) < 0:
            checker.error(
                name,
                checker.origin(name, "cpu", "deploy.resources.limits.cpus"),
                "cpu-negative",
                f"cpu {container.get('cpu')} units is negative; give 0 or more",
            )
        logging = container.get("logConfiguration") or {}
        for reason, applies in (
            ("secrets", _check_secrets(checker, name, container.get("secrets") or [])),
            ("awslogs on Fargate", logging.get("logDriver") == "awslogs" and fargate_task),
            ("log secretOptions", bool(logging.get("secretOptions"))),
            ("a private registry's credentials", bool(container.get("repositoryCredentials"))),
        ):
            if applies:
                needs_execution_role.setdefault(reason, []).append(name)
        ports_field = checker.field(name, "portMappings", "ports")
        for mapping in container.get("portMappings") or []:
            port = int(mapping.get("containerPort", 0))
            protocol = str(mapping.get("protocol", "tcp"))
            for key in ("containerPort", "hostPort"):
                number = mapping.get(key)
                if number is not None and not 0 <= int(number) <= 65535:
                    checker.error(
                        name,
                        ports_field,
                        "port-range",
                        f"{key} {number} is not a port: ECS accepts 0-65535",
                    )
            if awsvpc and mapping.get("hostPort") not in (None, port):
                checker.error(
                    name,
                    ports_field,
                    "port-host-differs",
                    f"hostPort {mapping.get('hostPort')} must equal containerPort "
                    f"{port} under awsvpc",
                )
            owner = ports.get((port, protocol))
            if owner is not None and awsvpc:
                free = next(p for p in range(port + 1, 65536) if p not in taken)
                taken.add(free)
                checker.error(
                    name,
                    ports_field,
                    "port-conflict",
                    f"port {port}/{protocol} is also used by container {owner}; "
                    "containers of one awsvpc task share one network interface: "
                    f"make {name} listen on another port (e.g. {free}, which no "
                    "container of this task uses) or deploy it as its own ECS "
                    "service",
                )
            ports.setdefault((port, protocol), name)
        if fargate_task:
            _check_fargate_container(checker, name, container)
        elif task_memory is None and not (
            container.get("memory") or container.get("memoryReservation")
        ):
            checker.error(
                name,
                "deploy.resources.limits.memory",
                "memory-missing",
                "on EC2 without a task memory size, each container needs memory or "
                "a memory reservation: set deploy.resources.limits.memory",
            )

    if task_cpu is not None:
        total_cpu = sum(int(c.get("cpu") or 0) for c in containers)
        if total_cpu > task_cpu:
            checker.task_error(
                "cpu",
                "cpu-exceeds-task",
                f"the containers' cpu adds up to {total_cpu} units, more than "
                f"the task's {task_cpu}; raise x-ecs.cpu or lower the limits",
            )
    if task_memory is not None:
        total_memory = sum(
            int(c.get("memory") or c.get("memoryReservation") or 0) for c in containers
        )
        if total_memory > task_memory:
            checker.task_error(
                "memory",
                "memory-exceeds-task",
                f"the containers' memory adds up to {total_memory} MiB, more "
                f"than the task's {task_memory} MiB; raise x-ecs.memory or "
                "lower the limits",
            )
    if needs_execution_role and not request.get("executionRoleArn"):
        shown = "; ".join(
            f"{reason} (container{'s' if len(names) > 1 else ''} {', '.join(names)})"
            for reason, names in needs_execution_role.items()
        )
        checker.task_error(
            "executionRoleArn",
            "execution-role-missing",
            f"{shown} need{'s' if len(needs_execution_role) == 1 else ''} "
            "a task execution role; set x-ecs.executionRoleArn, or give a "
            "base that has one (--task-definition FILE, or deploy onto the "
            "ECS service, whose running revision has one)",
        )


class _Checker:
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

    def origin(self, container: str, ecs_key: str, default: str) -> str:
        return self.origins.get((container, ecs_key), default)

    def field(self, container: str, ecs_key: str, compose_field: str, below: str = "") -> str:
        """Where the user wrote a container key: the compose field, or the service's x-ecs
        key (and the part `below` it) when the value came from there, or the ECS key itself
        in a container of the base."""
        if container not in self.compose_services:
            return f"{ecs_key}.{below}" if below else ecs_key
        origin = self.origins.get((container, ecs_key))
        if origin is None or not origin.startswith("x-ecs."):
            return compose_field
        return f"{origin}.{below}" if below else origin

    def error(self, container: str, field: str, code: str, message: str) -> None:
        if container in self.compose_services:
            self.diagnostics.error(code, message, service=container, field=field)
        elif self.base_file is not None:
            self.diagnostics.add(
                Diagnostic.error(
                    code,
                    f"container {container}: {message}",
                    file=self.base_file.file,
                    line=self.base_file.container_lines.get(container),
                )
            )
        else:
            self.diagnostics.error(
                code,
                f"container {container} (from the base task definition): {message}",
                field=None,
            )

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


def _task_sizes(
    request: Mapping[str, Any], checker: _Checker, fargate_task: bool
) -> tuple[int | None, int | None]:
    sizes: list[int | None] = []
    for key in ("cpu", "memory"):
        value = request.get(key)
        if value in (None, ""):
            sizes.append(None)
            continue
        try:
            sizes.append(fargate.parse_task_size(value, key))
        except ValueError as exc:
            checker.task_error(key, "task-size", str(exc))
            sizes.append(None)
    cpu, memory = sizes
    if fargate_task:
        if cpu is None or memory is None:
            checker.task_error(
                "cpu",
                "fargate-size-missing",
                "Fargate tasks need both cpu and memory; set x-ecs.cpu and x-ecs.memory",
            )
        elif not fargate.is_valid_pair(cpu, memory):
            checker.task_error(
                "memory",
                "fargate-size-pair",
                f"cpu {cpu} / memory {memory} is not a Fargate size: "
                f"{fargate.describe_valid_memory(cpu)}",
            )
    return cpu, memory


def _check_health(checker: _Checker, name: str, check: Mapping[str, Any] | None) -> None:
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


def _check_stop_timeout(checker: _Checker, name: str, value: Any, fargate_task: bool) -> None:
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


def _check_dependencies(
    checker: _Checker,
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


def _check_secrets(checker: _Checker, name: str, secrets: list[Mapping[str, Any]]) -> bool:
    for secret in secrets:
        value_from = str(secret.get("valueFrom") or "")
        if not is_secret_reference(value_from):
            checker.error(
                name,
                f"secrets.{secret.get('name')}",
                "secret-arn",
                f"{value_from!r} is neither a Secrets Manager ARN nor an SSM parameter ARN or name",
            )
    return bool(secrets)


def _check_ulimits(checker: _Checker, name: str, ulimits: list[Mapping[str, Any]]) -> None:
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


def _check_memory(
    checker: _Checker,
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


def _check_fargate_container(checker: _Checker, name: str, c: Mapping[str, Any]) -> None:
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
