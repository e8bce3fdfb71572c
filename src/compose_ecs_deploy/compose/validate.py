"""ECS's rules for a RegisterTaskDefinition request, checked before anything touches AWS.

moto accepts almost any task definition, and real ECS rejects many only at register time
(after a five-minute build): so every rule we know is checked here, on the final request,
whatever set the value (compose, x-ecs or the base). All problems are reported together.
Messages name the compose field where the value came from one.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from typing import Any

from compose_ecs_deploy.compose import fargate
from compose_ecs_deploy.compose.container_checks import (
    BaseFile,
    Checker,
    check_dependencies,
    check_fargate_container,
    check_health,
    check_memory,
    check_secrets,
    check_stop_timeout,
    check_ulimits,
)
from compose_ecs_deploy.compose.image_ref import image_problem
from compose_ecs_deploy.compose.secrets import BareName
from compose_ecs_deploy.diagnostics import Diagnostics

NAME_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,255}")
ROLE_ARN = re.compile(r"arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]{1,512}")


def validate(
    request: Mapping[str, Any],
    diagnostics: Diagnostics,
    *,
    compose_services: frozenset[str] = frozenset(),
    origins: Mapping[tuple[str, str], str] | None = None,
    x_ecs_keys: frozenset[str] = frozenset(),
    base_file: BaseFile | None = None,
) -> tuple[BareName, ...]:
    """Append one error per broken rule; return the bare SSM parameter names the request
    carries, which only SSM can judge (compose/secrets.BareName), each with where it was
    written.

    `compose_services` says which containers came from compose (the others came from the
    base), `origins` which compose key (or service x-ecs key) set a container's value,
    `x_ecs_keys` which task keys the top-level x-ecs block gave; the others came from the
    base, which is `base_file` when the base is a file (else the running revision).
    """
    fargate_task = "FARGATE" in (request.get("requiresCompatibilities") or [])
    awsvpc = request.get("networkMode", "awsvpc") == "awsvpc"
    checker = Checker(diagnostics, compose_services, origins or {}, x_ecs_keys, base_file)

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
        elif (problem := image_problem(str(container["image"]))) is not None:
            checker.error(
                name,
                "image",
                "image-reference",
                f"the image is not a reference Docker or ECS accepts: {problem}",
            )
        check_health(checker, name, container.get("healthCheck"))
        check_stop_timeout(checker, name, container.get("stopTimeout"), fargate_task)
        check_dependencies(checker, name, container.get("dependsOn") or [], by_name)
        check_memory(checker, name, container, task_memory, fargate_task)
        check_ulimits(checker, name, container.get("ulimits") or [])
        if int(container.get("cpu") or 0) < 0:
            checker.error(
                name,
                checker.origin(name, "cpu", "deploy.resources.limits.cpus"),
                "cpu-negative",
                f"cpu {container.get('cpu')} units is negative; give 0 or more",
            )
        logging = container.get("logConfiguration") or {}
        for reason, applies in (
            ("secrets", check_secrets(checker, name, container)),
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
            check_fargate_container(checker, name, container)
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
    return tuple(checker.bare)


def _task_sizes(
    request: Mapping[str, Any], checker: Checker, fargate_task: bool
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
