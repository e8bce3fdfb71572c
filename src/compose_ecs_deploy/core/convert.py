"""Compose project + options → the RegisterTaskDefinition request. Pure: data in, data out.

Precedence, lowest first: defaults (FARGATE, awsvpc), the base revision (the running one or
a `task-definition` file, read-only fields already stripped), the compose top-level `x-ecs`
block, then explicit options. A base container whose name matches a compose service is
replaced key by key (every key we produce replaces the base's whole); keys we do not produce
are kept; base containers that match no service are kept as they are. A service-level
`x-ecs` block is laid over its container last, key by key.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from compose_ecs_deploy.core import fargate
from compose_ecs_deploy.core.context import (
    DEFAULT_NETWORK_MODE,
    FARGATE,
    Context,
    ConversionOptions,
)
from compose_ecs_deploy.core.project import Project
from compose_ecs_deploy.core.taskdef import (
    CONTAINER_KEYS,
    SECRET_LOOKING_NAME,
    TASK_KEYS,
    in_canonical_order,
)
from compose_ecs_deploy.diagnostics import Diagnostics

__all__ = ["Conversion", "ConversionOptions", "select_services", "to_task_definition"]


@dataclass(frozen=True)
class Conversion:
    request: dict[str, Any]
    services: tuple[str, ...]
    origins: Mapping[tuple[str, str], str] = field(default_factory=dict)


def select_services(
    project: Project, requested: Sequence[str], diagnostics: Diagnostics
) -> tuple[str, ...]:
    """The task's containers: the requested services in their order, else the built ones."""
    if requested:
        unknown = [name for name in requested if name not in project.services]
        for name in unknown:
            known = ", ".join(sorted(project.services)) or "none"
            diagnostics.error(
                "unknown-service",
                f"--service {name}: the compose project has no such service "
                f"(it has: {known}); check the name and the active profiles",
            )
        return tuple(dict.fromkeys(name for name in requested if name in project.services))
    built = project.built_services
    if not built:
        diagnostics.error(
            "no-services",
            "no service has a build section, so none is deployed by default; name the "
            "services to deploy with --service (action input: services)",
        )
    return tuple(built)


def to_task_definition(
    project: Project, options: ConversionOptions, diagnostics: Diagnostics
) -> Conversion:
    """The request for the selected services; every problem goes to `diagnostics`."""
    services = select_services(project, options.services, diagnostics)
    for service in options.images:
        if service not in services and service not in options.other_tasks_services:
            diagnostics.error(
                "image-unknown-service",
                f"--image {service}=...: {service} is not a container of this task "
                f"(containers: {', '.join(services) or 'none'}); fix the name or add "
                f"--service {service}",
            )
    base = dict(options.base or {})
    x_ecs = dict(project.x_ecs)
    _check_x_ecs_task_keys(x_ecs, diagnostics)

    task: dict[str, Any] = {
        "requiresCompatibilities": [FARGATE],
        "networkMode": DEFAULT_NETWORK_MODE,
    }
    task.update({key: value for key, value in base.items() if key != "containerDefinitions"})
    task.update({key: value for key, value in x_ecs.items() if key != "volumes"})
    task["family"] = _family(project, options, x_ecs, base, diagnostics)
    launch_type = FARGATE if FARGATE in (task.get("requiresCompatibilities") or []) else "EC2"
    network_mode = str(task.get("networkMode") or DEFAULT_NETWORK_MODE)

    context = Context(
        project=project,
        options=options,
        diagnostics=diagnostics,
        services=services,
        launch_type=launch_type,
        network_mode=network_mode,
        family=task["family"],
    )
    base_containers = {
        container.get("name"): container for container in base.get("containerDefinitions", [])
    }
    containers = []
    for service in services:
        produced = context.container(service)
        merged = {**base_containers.get(service, {}), **produced}
        merged.update(_service_x_ecs(project, service, diagnostics))
        containers.append(merged)
    containers.extend(
        container for name, container in base_containers.items() if name not in services
    )
    _apply_secrets(containers, context)
    _mark_success_targets(containers, project, services)
    _notice_sibling_hosts(containers, services, diagnostics)
    _flag_secret_looking_environment(containers, services, options.strict, diagnostics)
    task["containerDefinitions"] = containers

    volumes = context.task_volumes(base.get("volumes", []), x_ecs.get("volumes"))
    if volumes:
        task["volumes"] = volumes
    else:
        task.pop("volumes", None)
    platform = context.runtime_platform()
    if platform and "runtimePlatform" not in x_ecs:
        task["runtimePlatform"] = platform
    if launch_type == FARGATE and containers:
        _fit_fargate_size(task, containers, diagnostics)
    return Conversion(
        request=in_canonical_order(task),
        services=services,
        origins=context.origins,
    )


def _family(
    project: Project,
    options: ConversionOptions,
    x_ecs: Mapping[str, Any],
    base: Mapping[str, Any],
    diagnostics: Diagnostics,
) -> str:
    if options.family:
        return options.family
    if x_ecs.get("family"):
        return str(x_ecs["family"])
    if base.get("family"):
        return str(base["family"])
    diagnostics.notice(
        "family-default",
        f"no family given; using the compose project name {project.name!r} "
        "(set --family or x-ecs.family to choose another)",
    )
    return project.name


def _check_x_ecs_task_keys(x_ecs: Mapping[str, Any], diagnostics: Diagnostics) -> None:
    for key in x_ecs:
        if key == "containerDefinitions":
            diagnostics.error(
                "x-ecs-containers",
                "containers come from the compose services; put container fields in the "
                "service's own x-ecs block",
                field="x-ecs.containerDefinitions",
            )
        elif key not in TASK_KEYS:
            diagnostics.error(
                "x-ecs-unknown-key",
                f"{key!r} is not a RegisterTaskDefinition field (known: "
                f"{', '.join(k for k in TASK_KEYS if k != 'containerDefinitions')})",
                field=f"x-ecs.{key}",
            )


def _service_x_ecs(project: Project, service: str, diagnostics: Diagnostics) -> dict[str, Any]:
    block = project.services[service].get("x-ecs") or {}
    if not isinstance(block, Mapping):
        diagnostics.error("x-ecs-type", "must be a mapping of container fields",
                          service=service, field="x-ecs")
        return {}
    for key in block:
        if key not in CONTAINER_KEYS or key == "name":
            diagnostics.error(
                "x-ecs-unknown-key",
                f"{key!r} is not a container definition field that can be set here "
                "(use the ECS API's camelCase names, e.g. essential, firelensConfiguration)",
                service=service,
                field=f"x-ecs.{key}",
            )
    return {key: value for key, value in block.items() if key in CONTAINER_KEYS and key != "name"}


def _apply_secrets(containers: list[dict[str, Any]], context: Context) -> None:
    """Bind each secret to its container; a secret replaces a same-named environment entry."""
    if not context.services:
        return  # the selection error says why there is no container to bind to
    by_name = {container["name"]: container for container in containers}
    primary = context.services[0]
    for binding in context.options.secrets:
        target = binding.service or primary
        if target is None or target not in context.services:
            context.diagnostics.error(
                "secret-unknown-service",
                f"{binding.origin}: {binding.key} names service {target!r}, which is not a "
                f"container of this task (containers: {', '.join(context.services) or 'none'})",
            )
            continue
        container = by_name[target]
        environment = container.get("environment") or []
        if any(entry.get("name") == binding.name for entry in environment):
            context.diagnostics.notice(
                "secret-replaces-environment",
                f"secret {binding.name} replaces the environment value of the same name "
                "(the development value is not deployed)",
                service=target,
                field=f"environment.{binding.name}",
            )
            remaining = [entry for entry in environment if entry.get("name") != binding.name]
            if remaining:
                container["environment"] = remaining
            else:
                container.pop("environment", None)
        secrets = [s for s in container.get("secrets", []) if s.get("name") != binding.name]
        secrets.append({"name": binding.name, "valueFrom": binding.value_from})
        container["secrets"] = secrets


def _mark_success_targets(
    containers: list[dict[str, Any]], project: Project, services: Sequence[str]
) -> None:
    """A container others wait on to exit 0 must not stop the task when it does."""
    targets = {
        dependency["containerName"]
        for container in containers
        for dependency in container.get("dependsOn", [])
        if dependency.get("condition") == "SUCCESS"
    }
    for container in containers:
        name = container["name"]
        explicit = name in services and "essential" in (
            project.services[name].get("x-ecs") or {}
        )
        if name in targets and not explicit:
            container["essential"] = False


_HOST_REFERENCE = r"(?:^|[/@=,;\s])({names})(?::\d+|/|$|[,;\s])"


def _notice_sibling_hosts(
    containers: list[dict[str, Any]], services: Sequence[str], diagnostics: Diagnostics
) -> None:
    if len(services) < 2:
        return
    pattern = re.compile(
        _HOST_REFERENCE.format(names="|".join(re.escape(s) for s in services))
    )
    for container in containers:
        for entry in container.get("environment", []):
            match = pattern.search(str(entry.get("value", "")))
            if match and match.group(1) != container["name"]:
                diagnostics.notice(
                    "sibling-hostname",
                    f"{entry['name']} uses {match.group(1)!r} as a host name; in an awsvpc "
                    "task containers reach each other on localhost",
                    service=container["name"],
                    field=f"environment.{entry['name']}",
                )


def _flag_secret_looking_environment(
    containers: list[dict[str, Any]], services: Sequence[str], strict: bool,
    diagnostics: Diagnostics,
) -> None:
    """A plain value under a secret's name ends up readable in the task definition."""
    for container in containers:
        if container["name"] not in services:
            continue
        for entry in container.get("environment", []):
            name = str(entry.get("name"))
            if not SECRET_LOOKING_NAME.search(name):
                continue
            message = (f"{name} looks like a secret but is a plain environment value, "
                       "readable by anyone who can describe the task definition; bind it "
                       f"with --secret {name}=ARN (action input: secrets)")
            if strict:
                diagnostics.error("secret-in-environment", message + " (strict mode)",
                                  service=container["name"], field=f"environment.{name}")
            else:
                diagnostics.warning("secret-in-environment", message,
                                    service=container["name"], field=f"environment.{name}")


def _fit_fargate_size(
    task: dict[str, Any], containers: list[dict[str, Any]], diagnostics: Diagnostics
) -> None:
    """Keep a given cpu/memory (normalised to units); pick the smallest pair for a missing half."""
    sizes: dict[str, int | None] = {}
    for key, unit in (("cpu", "cpu"), ("memory", "memory")):
        if task.get(key) in (None, ""):
            sizes[key] = None
            continue
        try:
            sizes[key] = fargate.parse_task_size(task[key], unit)
        except ValueError as exc:
            diagnostics.error("task-size", str(exc), field=f"x-ecs.{key}")
            return
    cpu, memory = sizes["cpu"], sizes["memory"]
    if cpu is not None and memory is not None:
        task["cpu"], task["memory"] = str(cpu), str(memory)
        return
    cpu_needed = sum(int(c.get("cpu") or 0) for c in containers)
    memory_needed = sum(
        max(int(c.get("memory") or 0), int(c.get("memoryReservation") or 0)) for c in containers
    )
    pair = fargate.smallest_fitting_pair(cpu_needed, memory_needed, cpu=cpu, memory=memory)
    if pair is None:
        diagnostics.error(
            "task-size-none-fits",
            f"no Fargate size fits the containers (cpu {cpu_needed} units, memory "
            f"{memory_needed} MiB) with the given "
            f"{'cpu ' + str(cpu) if cpu is not None else 'memory ' + str(memory)}; "
            "set x-ecs.cpu and x-ecs.memory to a valid pair",
            field="x-ecs.cpu" if cpu is not None else "x-ecs.memory",
        )
        return
    task["cpu"], task["memory"] = str(pair[0]), str(pair[1])
    diagnostics.notice(
        "task-size-picked",
        f"task size cpu {pair[0]} / memory {pair[1]} MiB picked: the smallest Fargate pair "
        f"that fits the containers' limits (cpu {cpu_needed}, memory {memory_needed} MiB); "
        "set x-ecs.cpu and x-ecs.memory to choose",
    )
