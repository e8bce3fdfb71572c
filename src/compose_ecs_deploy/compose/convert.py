"""Compose project + options → the RegisterTaskDefinition request. Pure: data in, data out.

Task level, lowest first: defaults (FARGATE, awsvpc), the base revision (the running one or
a `task-definition` file, read-only fields already stripped), the compose top-level `x-ecs`
block, then explicit options. Container level, lowest first: our defaults, the base
container of the same name, what compose says, the service's `x-ecs` (`layers`). Base
containers that match no service are kept as they are.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from compose_ecs_deploy.compose import fargate, scratch
from compose_ecs_deploy.compose.bind_secrets import apply_secrets
from compose_ecs_deploy.compose.container_notices import (
    flag_secret_looking_environment,
    notice_sibling_hosts,
)
from compose_ecs_deploy.compose.context import (
    DEFAULT_NETWORK_MODE,
    FARGATE,
    Context,
    ConversionOptions,
)
from compose_ecs_deploy.compose.field_context import FROM_BASE
from compose_ecs_deploy.compose.file_secrets import file_secrets
from compose_ecs_deploy.compose.layers import layered_container
from compose_ecs_deploy.compose.project import Project
from compose_ecs_deploy.compose.taskdef import (
    CONTAINER_KEYS,
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
            profiles = project.behind_profiles.get(name)
            if profiles:
                diagnostics.error(
                    "service-behind-profile",
                    f"--service {name}: the service exists only behind the profile "
                    f"{' or '.join(profiles)}; add --profile {profiles[0]} (action input: "
                    "profiles)",
                )
                continue
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
        base_container = base_containers.get(service, {})
        compose_container = context.container(service)
        x_ecs_container = _service_x_ecs(project, service, diagnostics)
        for key in base_container.keys() - compose_container.keys() - x_ecs_container.keys():
            context.origins[(service, str(key))] = FROM_BASE  # a rule it breaks points there
        containers.append(
            layered_container(
                base_container,
                compose_container,
                x_ecs_container,
                functools.partial(context.default_logging, service),
                diagnostics,
                context.logging_gaps.get(service, ()),
                driverless=service in context.driverless_logging,
            )
        )
    environment_from_base = frozenset(
        container["name"]
        for container in containers
        if "environment" in container
        and container["environment"]
        is base_containers.get(container["name"], {}).get("environment")
    )
    files = file_secrets(
        project, services, options.secrets, options.secrets_init_image, diagnostics
    )
    if files.init_container is not None:
        containers.append(files.init_container)
    scratch_volumes = scratch.attach(containers, context.scratch, options.secrets_init_image)
    containers.extend(
        container for name, container in base_containers.items() if name not in services
    )
    apply_secrets(containers, context, files)
    _mark_success_targets(containers, project, services)
    notice_sibling_hosts(containers, services, diagnostics)
    flag_secret_looking_environment(
        containers, services, options, environment_from_base, diagnostics
    )
    _check_container_limit(containers, services, diagnostics)
    task["containerDefinitions"] = containers

    volumes = context.task_volumes(base.get("volumes", []), x_ecs.get("volumes"))
    volumes += [
        volume
        for volume in [*files.volumes, *scratch_volumes]
        if volume["name"] not in {v.get("name") for v in volumes}
    ]
    for key, (value, _service) in context.task_settings.items():
        if key not in x_ecs:
            task[key] = value
    if volumes:
        task["volumes"] = volumes
    else:
        task.pop("volumes", None)
    platform = context.runtime_platform()
    if platform and "runtimePlatform" not in x_ecs:
        task["runtimePlatform"] = platform
    if launch_type == FARGATE and containers:
        _fit_fargate_size(task, containers, diagnostics)
    return Conversion(request=in_canonical_order(task), services=services, origins=context.origins)


# "Amazon ECS endpoints and quotas" (AWS General Reference): containers per task definition,
# 10, not adjustable.
MAX_CONTAINERS = 10


def _check_container_limit(
    containers: Sequence[Mapping[str, Any]], services: Sequence[str], diagnostics: Diagnostics
) -> None:
    """Botocore's model has no such bound, so only ECS would refuse it, after the build."""
    if len(containers) <= MAX_CONTAINERS:
        return
    extra = len(containers) - len(services)
    diagnostics.error(
        "too-many-containers",
        f"the task would have {len(containers)} containers ({len(services)} services"
        + (f" and {extra} from the base task definition or file secrets" if extra else "")
        + f"); ECS allows at most {MAX_CONTAINERS} in one task definition: deploy some "
        "services as their own ECS service (--ecs-service NAME=SERVICE,... once per ECS "
        "service)",
        field="services",
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
        diagnostics.error(
            "x-ecs-type", "must be a mapping of container fields", service=service, field="x-ecs"
        )
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
        explicit = name in services and "essential" in (project.services[name].get("x-ecs") or {})
        if name in targets and not explicit:
            container["essential"] = False


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
        + (
            f"that fits the containers' limits (cpu {cpu_needed}, memory {memory_needed} MiB)"
            if cpu_needed or memory_needed
            else "(no container sets a cpu or memory limit)"
        )
        + "; set x-ecs.cpu and x-ecs.memory to choose",
    )
