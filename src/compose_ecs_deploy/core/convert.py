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
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from compose_ecs_deploy.core import fargate
from compose_ecs_deploy.core.fields import BY_NAME
from compose_ecs_deploy.core.project import Project
from compose_ecs_deploy.core.secrets import SecretBinding
from compose_ecs_deploy.core.taskdef import (
    CONTAINER_KEYS,
    SECRET_LOOKING_NAME,
    TASK_KEYS,
    in_canonical_order,
)
from compose_ecs_deploy.core.units import (
    bytes_to_mib,
    cpus_to_units,
    duration_to_whole_seconds,
    parse_bytes,
    parse_port_range,
)
from compose_ecs_deploy.diagnostics import Diagnostics

FARGATE = "FARGATE"
DEFAULT_NETWORK_MODE = "awsvpc"
FARGATE_LOG_DRIVERS = ("awslogs", "splunk", "awsfirelens")
_DEPENDS_ON_CONDITIONS = {
    "service_started": "START",
    "service_healthy": "HEALTHY",
    "service_completed_successfully": "SUCCESS",
}
_PLATFORMS = {
    "linux/amd64": "X86_64",
    "linux/x86_64": "X86_64",
    "amd64": "X86_64",
    "linux/arm64": "ARM64",
    "linux/arm64/v8": "ARM64",
    "arm64": "ARM64",
}


@dataclass(frozen=True)
class ConversionOptions:
    """What the conversion needs beyond the compose files; `Settings` builds it."""

    services: tuple[str, ...] = ()
    images: Mapping[str, str] = field(default_factory=dict)
    secrets: tuple[SecretBinding, ...] = ()
    family: str | None = None
    region: str | None = None
    base: Mapping[str, Any] | None = None
    other_tasks_services: frozenset[str] = frozenset()
    strict: bool = False


@dataclass(frozen=True)
class Conversion:
    request: dict[str, Any]
    services: tuple[str, ...]
    launch_type: str
    network_mode: str
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

    context = _Context(
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
        launch_type=launch_type,
        network_mode=network_mode,
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


def _apply_secrets(containers: list[dict[str, Any]], context: _Context) -> None:
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


@dataclass
class _Context:
    project: Project
    options: ConversionOptions
    diagnostics: Diagnostics
    services: tuple[str, ...]
    launch_type: str
    network_mode: str
    family: str
    used_volumes: dict[str, None] = field(default_factory=dict)
    platforms: dict[str, str] = field(default_factory=dict)
    origins: dict[tuple[str, str], str] = field(default_factory=dict)

    @property
    def fargate(self) -> bool:
        return self.launch_type == FARGATE

    @property
    def awsvpc(self) -> bool:
        return self.network_mode == "awsvpc"

    def error(self, service: str, field_name: str, code: str, message: str) -> None:
        self.diagnostics.error(code, message, service=service, field=field_name)

    def notice(self, service: str, field_name: str, code: str, message: str) -> None:
        self.diagnostics.notice(code, message, service=service, field=field_name)

    def container(self, service: str) -> dict[str, Any]:
        spec = self.project.services[service]
        container: dict[str, Any] = {"name": service, "essential": True}
        container["image"] = self._image(service, spec)
        linux: dict[str, Any] = {}
        for key, value in spec.items():
            handler = _HANDLERS.get(key)
            if handler is not None:
                handler(self, service, value, container, linux)
                continue
            if key.startswith("x-") or key in _RESOLVED_BY_COMPOSE or key in _HANDLED_ELSEWHERE:
                continue
            rule = BY_NAME.get(key)
            if rule is None:
                self.notice(service, key, "field-unsupported",
                            f"{key} has no ECS equivalent; ignored")
            elif rule.handling == "ignored":
                if key == "networks" and set(value or {}) <= {"default"}:
                    continue
                self.notice(service, key, "field-ignored", f"{key} ignored: {rule.note}")
        if linux:
            container["linuxParameters"] = linux
        self._ports(service, spec, container)
        if "logConfiguration" not in container:
            container["logConfiguration"] = self._default_logging(service)
        return container

    def _image(self, service: str, spec: Mapping[str, Any]) -> str:
        if service in self.options.images:
            return self.options.images[service]
        if spec.get("image"):
            return str(spec["image"])
        placeholder = f"{self.project.name}-{service}:latest"
        self.notice(service, "image", "image-placeholder",
                    f"no image given; using the placeholder {placeholder} "
                    f"(pass --image {service}=URI, or deploy to build and push it)")
        return placeholder

    def _default_logging(self, service: str) -> dict[str, Any]:
        region = self.options.region
        if not region:
            self.error(service, "logging", "region-missing",
                       "the default awslogs configuration needs a region; pass --region "
                       "(action input aws-region) or set AWS_REGION, or give a logging block")
            region = ""
        return {
            "logDriver": "awslogs",
            "options": {
                "awslogs-group": f"/ecs/{self.family}",
                "awslogs-region": region,
                "awslogs-stream-prefix": "ecs",
            },
        }

    def _ports(self, service: str, spec: Mapping[str, Any], container: dict[str, Any]) -> None:
        mappings: list[dict[str, Any]] = []
        seen: set[tuple[int, str]] = set()
        for index, port in enumerate(spec.get("ports") or []):
            where = f"ports[{index}]"
            try:
                target = parse_port_range(port.get("target"))
            except ValueError as exc:
                self.error(service, where, "port-invalid", str(exc))
                continue
            protocol = str(port.get("protocol") or "tcp")
            if protocol not in ("tcp", "udp"):
                self.error(service, where, "port-protocol",
                           f"protocol {protocol!r} is not supported by ECS; use tcp or udp")
                continue
            if port.get("host_ip"):
                self.notice(service, where, "port-host-ip",
                            f"host_ip {port['host_ip']} ignored: ECS binds the task's own "
                            "network interface")
            host_port = None
            if port.get("published") not in (None, ""):
                try:
                    published = parse_port_range(port["published"])
                except ValueError as exc:
                    self.error(service, where, "port-invalid", str(exc))
                    continue
                if self.awsvpc and published != range(target.start, target.start + 1):
                    self.error(service, where, "port-published-differs",
                               f"published port {port['published']} differs from target "
                               f"{port['target']}; under awsvpc the task listens on the "
                               f"container port itself: publish {port['target']}:"
                               f"{port['target']} (the load balancer maps outside ports)")
                    continue
                if not self.awsvpc:
                    host_port = published.start
            mapping: dict[str, Any] = {"containerPort": target.start, "protocol": protocol}
            if host_port is not None:
                mapping["hostPort"] = host_port
            if port.get("name"):
                mapping["name"] = str(port["name"])
            if port.get("app_protocol"):
                mapping["appProtocol"] = str(port["app_protocol"])
            if (target.start, protocol) not in seen:
                seen.add((target.start, protocol))
                mappings.append(mapping)
        for exposed in spec.get("expose") or []:
            text = str(exposed)
            number, _, protocol = text.partition("/")
            try:
                target = parse_port_range(number)
            except ValueError as exc:
                self.error(service, "expose", "port-invalid", str(exc))
                continue
            key = (target.start, protocol or "tcp")
            if key not in seen:
                seen.add(key)
                mappings.append({"containerPort": target.start, "protocol": protocol or "tcp"})
        if mappings:
            container["portMappings"] = mappings

    def task_volumes(
        self, base_volumes: Sequence[Mapping[str, Any]], x_ecs_volumes: Any
    ) -> list[dict[str, Any]]:
        """Named volumes the containers mount, configured by x-ecs, else the base, else bare."""
        configured: dict[str, dict[str, Any]] = {}
        if x_ecs_volumes is not None:
            if not isinstance(x_ecs_volumes, list) or not all(
                isinstance(v, Mapping) and v.get("name") for v in x_ecs_volumes
            ):
                self.diagnostics.error(
                    "x-ecs-volumes", "must be a list of ECS volumes, each with a name",
                    field="x-ecs.volumes")
            else:
                configured = {str(v["name"]): dict(v) for v in x_ecs_volumes}
        for name, spec in self.project.volumes.items():
            own = spec.get("x-ecs") if isinstance(spec, Mapping) else None
            if isinstance(own, Mapping):
                configured[name] = {"name": name, **own}
        base_by_name = {str(v.get("name")): dict(v) for v in base_volumes}
        result = [
            configured.get(name) or base_by_name.get(name) or {"name": name}
            for name in self.used_volumes
        ]
        result.extend(v for name, v in base_by_name.items() if name not in self.used_volumes)
        return result

    def runtime_platform(self) -> dict[str, str] | None:
        architectures = sorted(set(self.platforms.values()))
        if not architectures:
            return None
        if len(architectures) > 1:
            self.diagnostics.error(
                "platform-mixed",
                "the task's containers ask for different platforms ("
                + ", ".join(f"{s}: {p}" for s, p in self.platforms.items())
                + "); one task runs on one architecture",
            )
            return None
        return {"cpuArchitecture": architectures[0], "operatingSystemFamily": "LINUX"}


_Handler = Any
_RESOLVED_BY_COMPOSE = frozenset({"env_file", "extends", "name"})
_HANDLED_ELSEWHERE = frozenset({"image", "ports", "expose", "build"})


def _map_command(ctx: _Context, service: str, value: Any, c: dict[str, Any],
                 linux: dict[str, Any]) -> None:
    if value is not None:
        c["command"] = [str(part) for part in value]


def _map_entrypoint(ctx: _Context, service: str, value: Any, c: dict[str, Any],
                    linux: dict[str, Any]) -> None:
    if value is not None:
        c["entryPoint"] = [str(part) for part in value]


def _map_environment(ctx: _Context, service: str, value: Any, c: dict[str, Any],
                     linux: dict[str, Any]) -> None:
    entries = []
    for name, entry in (value or {}).items():
        if entry is None:
            ctx.notice(service, f"environment.{name}", "environment-no-value",
                       f"{name} has no value (it would be taken from the shell that runs "
                       "compose); ignored: give it a value or bind it with --secret")
            continue
        entries.append({"name": str(name), "value": _scalar(entry)})
    if entries:
        c["environment"] = entries


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _parsed(ctx: _Context, service: str, field_name: str, value: Any,
            parse: Callable[[Any], int], code: str) -> int | None:
    """The parsed value, or None with an error naming the field (never a traceback)."""
    try:
        return parse(value)
    except ValueError as exc:
        ctx.error(service, field_name, code, str(exc))
        return None


def _duration(ctx: _Context, service: str, field_name: str, value: Any) -> int | None:
    return _parsed(ctx, service, field_name, value, duration_to_whole_seconds,
                   "duration-invalid")


def _map_healthcheck(ctx: _Context, service: str, value: Any, c: dict[str, Any],
                     linux: dict[str, Any]) -> None:
    spec = value or {}
    test = spec.get("test")
    if spec.get("disable") or (test and str(test[0]).upper() == "NONE"):
        return
    if not test:
        ctx.notice(service, "healthcheck", "healthcheck-no-test",
                   "healthcheck has no test (the image's HEALTHCHECK is not visible to ECS); "
                   "ignored")
        return
    if isinstance(test, str):
        command = ["CMD-SHELL", test]
    elif str(test[0]) in ("CMD", "CMD-SHELL"):
        command = [str(part) for part in test]
    else:
        ctx.error(service, "healthcheck.test", "healthcheck-test",
                  f"test must start with CMD, CMD-SHELL or NONE, not {test[0]!r}")
        return
    check: dict[str, Any] = {"command": command}
    for compose_key, ecs_key in (("interval", "interval"), ("timeout", "timeout"),
                                 ("retries", "retries"), ("start_period", "startPeriod")):
        if spec.get(compose_key) is None:
            continue
        if compose_key == "retries":
            check[ecs_key] = int(spec[compose_key])
            continue
        seconds = _duration(ctx, service, f"healthcheck.{compose_key}", spec[compose_key])
        if seconds is not None:
            check[ecs_key] = seconds
    if spec.get("start_interval") is not None:
        ctx.notice(service, "healthcheck.start_interval", "field-ignored",
                   "start_interval has no ECS equivalent; ignored")
    c["healthCheck"] = check


def _size_mib(ctx: _Context, service: str, field_name: str, value: Any) -> int | None:
    return _parsed(ctx, service, field_name, value, lambda v: bytes_to_mib(parse_bytes(v)),
                   "memory-invalid")


def _cpu_units(ctx: _Context, service: str, field_name: str, value: Any) -> int | None:
    return _parsed(ctx, service, field_name, value, cpus_to_units, "cpu-invalid")


def _map_deploy(ctx: _Context, service: str, value: Any, c: dict[str, Any],
                linux: dict[str, Any]) -> None:
    deploy = value or {}
    resources = deploy.get("resources") or {}
    limits = resources.get("limits") or {}
    reservations = resources.get("reservations") or {}
    for ecs_key, compose_key, value, parse in (
        ("cpu", "deploy.resources.limits.cpus", limits.get("cpus"), _cpu_units),
        ("memory", "deploy.resources.limits.memory", limits.get("memory"), _size_mib),
        ("memoryReservation", "deploy.resources.reservations.memory",
         reservations.get("memory"), _size_mib),
    ):
        if value is not None:
            _set_resource(ctx, service, c, ecs_key, compose_key, parse(
                ctx, service, compose_key, value))
    if reservations.get("devices"):
        if ctx.fargate:
            ctx.error(service, "deploy.resources.reservations.devices", "fargate-devices",
                      "device reservations (GPUs) are not available on Fargate; use the EC2 "
                      "launch type (x-ecs.requiresCompatibilities: [EC2])")
        else:
            ctx.notice(service, "deploy.resources.reservations.devices", "field-ignored",
                       "set GPUs with x-ecs.resourceRequirements; ignored")
    for key in sorted(set(deploy) - {"resources"}):
        ctx.notice(service, f"deploy.{key}", "field-ignored",
                   f"deploy.{key} is a service setting in ECS (desired count, deployment "
                   "configuration); ignored")
    for key in sorted(set(resources) - {"limits", "reservations"}):
        ctx.notice(service, f"deploy.resources.{key}", "field-ignored",
                   f"deploy.resources.{key} has no ECS equivalent; ignored")
    for key in sorted(set(limits) - {"cpus", "memory"}):
        ctx.notice(service, f"deploy.resources.limits.{key}", "field-ignored",
                   f"limits.{key} has no ECS equivalent; ignored")
    for key in sorted(set(reservations) - {"memory", "devices"}):
        ctx.notice(service, f"deploy.resources.reservations.{key}", "field-ignored",
                   f"reservations.{key} has no ECS equivalent (ECS reserves cpu from the "
                   "container's cpu); ignored")


def _set_resource(ctx: _Context, service: str, c: dict[str, Any], ecs_key: str,
                  compose_key: str, amount: int | None) -> None:
    """Record which compose key set the value, so validation errors can point at it."""
    if amount is not None:
        c[ecs_key] = amount
        ctx.origins[(service, ecs_key)] = compose_key


def _resource(ecs_key: str, compose_key: str, parse: Any) -> _Handler:
    def handler(ctx: _Context, service: str, value: Any, c: dict[str, Any],
                linux: dict[str, Any]) -> None:
        _set_resource(ctx, service, c, ecs_key, compose_key,
                      parse(ctx, service, compose_key, value))
    return handler


def _map_depends_on(ctx: _Context, service: str, value: Any, c: dict[str, Any],
                    linux: dict[str, Any]) -> None:
    dependencies = []
    for target, spec in (value or {}).items():
        condition = (spec or {}).get("condition", "service_started")
        where = f"depends_on.{target}"
        if target not in ctx.services:
            ctx.notice(service, where, "depends-on-outside-task",
                       f"dependency on {target} dropped: it is not a container of this task "
                       "(in production it is a managed service or another ECS service)")
            continue
        if condition not in _DEPENDS_ON_CONDITIONS:
            ctx.error(service, where, "depends-on-condition",
                      f"condition {condition!r} is unknown; use service_started, "
                      "service_healthy or service_completed_successfully")
            continue
        dependencies.append(
            {"containerName": target, "condition": _DEPENDS_ON_CONDITIONS[condition]})
    if dependencies:
        c["dependsOn"] = dependencies


def _map_logging(ctx: _Context, service: str, value: Any, c: dict[str, Any],
                 linux: dict[str, Any]) -> None:
    spec = value or {}
    driver = spec.get("driver")
    if not driver:
        return
    if ctx.fargate and driver not in FARGATE_LOG_DRIVERS:
        ctx.error(service, "logging.driver", "fargate-log-driver",
                  f"log driver {driver!r} is not available on Fargate; use awslogs, splunk "
                  "or awsfirelens (or remove the logging block for the awslogs default)")
        return
    config: dict[str, Any] = {"logDriver": str(driver)}
    if spec.get("options"):
        config["options"] = {str(k): _scalar(v) for k, v in spec["options"].items()}
    c["logConfiguration"] = config


def _map_ulimits(ctx: _Context, service: str, value: Any, c: dict[str, Any],
                 linux: dict[str, Any]) -> None:
    ulimits = []
    for name, spec in (value or {}).items():
        if ctx.fargate and name != "nofile":
            ctx.error(service, f"ulimits.{name}", "fargate-ulimit",
                      f"ulimit {name} is not honoured on Fargate (only nofile is); remove it "
                      "or use the EC2 launch type")
            continue
        if isinstance(spec, Mapping):
            soft, hard = int(spec.get("soft", 0)), int(spec.get("hard", 0))
        else:
            soft = hard = int(spec)
        ulimits.append({"name": str(name), "softLimit": soft, "hardLimit": hard})
    if ulimits:
        c["ulimits"] = ulimits


def _map_capabilities(key: str) -> _Handler:
    def handler(ctx: _Context, service: str, value: Any, c: dict[str, Any],
                linux: dict[str, Any]) -> None:
        capabilities = [str(cap).upper().removeprefix("CAP_") for cap in value or []]
        if key == "add" and ctx.fargate:
            refused = [cap for cap in capabilities if cap != "SYS_PTRACE"]
            if refused:
                ctx.error(service, "cap_add", "fargate-capability",
                          f"Fargate can add only SYS_PTRACE, not {', '.join(refused)}; remove "
                          "them or use the EC2 launch type")
                capabilities = [cap for cap in capabilities if cap == "SYS_PTRACE"]
        if capabilities:
            linux.setdefault("capabilities", {})[key] = capabilities
    return handler


def _map_tmpfs(ctx: _Context, service: str, value: Any, c: dict[str, Any],
               linux: dict[str, Any]) -> None:
    if not value:
        return
    if ctx.fargate:
        ctx.error(service, "tmpfs", "fargate-tmpfs",
                  "tmpfs mounts are not available on Fargate; write to a named volume or the "
                  "container's own file system")
        return
    mounts = []
    for entry in [value] if isinstance(value, str) else value:
        path, _, option_text = str(entry).partition(":")
        options = dict(part.partition("=")[::2] for part in option_text.split(",") if part)
        if "size" not in options:
            ctx.error(service, "tmpfs", "tmpfs-size",
                      f"ECS needs a size for tmpfs {path}: write {path}:size=64m")
            continue
        mib = _size_mib(ctx, service, "tmpfs", options["size"])
        if mib is not None:
            mounts.append({"containerPath": path, "size": mib})
    if mounts:
        linux["tmpfs"] = mounts


def _map_init(ctx: _Context, service: str, value: Any, c: dict[str, Any],
              linux: dict[str, Any]) -> None:
    if value is not None:
        linux["initProcessEnabled"] = bool(value)


def _map_stop_grace_period(ctx: _Context, service: str, value: Any, c: dict[str, Any],
                           linux: dict[str, Any]) -> None:
    seconds = _duration(ctx, service, "stop_grace_period", value)
    if seconds is not None:
        c["stopTimeout"] = seconds


def _copy(ecs_key: str, convert: Any = str) -> _Handler:
    def handler(ctx: _Context, service: str, value: Any, c: dict[str, Any],
                linux: dict[str, Any]) -> None:
        if value is not None:
            c[ecs_key] = convert(value)
    return handler


def _map_labels(ctx: _Context, service: str, value: Any, c: dict[str, Any],
                linux: dict[str, Any]) -> None:
    if value:
        c["dockerLabels"] = {str(k): _scalar(v) for k, v in value.items()}


def _map_volumes(ctx: _Context, service: str, value: Any, c: dict[str, Any],
                 linux: dict[str, Any]) -> None:
    mount_points = []
    for index, volume in enumerate(value or []):
        where = f"volumes[{index}]"
        kind = volume.get("type")
        target = volume.get("target")
        if kind == "volume" and volume.get("source"):
            ctx.used_volumes[str(volume["source"])] = None
            mount_points.append({
                "sourceVolume": str(volume["source"]),
                "containerPath": str(target),
                "readOnly": bool(volume.get("read_only", False)),
            })
        elif kind == "volume":
            ctx.notice(service, where, "volume-anonymous",
                       f"anonymous volume at {target} ignored: the task's own storage is used")
        elif kind == "bind":
            ctx.notice(service, where, "volume-bind",
                       f"bind mount {volume.get('source')} → {target} ignored: the host's files "
                       "are not there in production (bake them into the image)")
        elif kind == "tmpfs":
            _map_tmpfs(ctx, service, [str(target)], c, linux)
        else:
            ctx.notice(service, where, "volume-unsupported",
                       f"{kind} volume at {target} has no ECS equivalent; ignored")
    if mount_points:
        c["mountPoints"] = mount_points


def _map_platform(ctx: _Context, service: str, value: Any, c: dict[str, Any],
                  linux: dict[str, Any]) -> None:
    architecture = _PLATFORMS.get(str(value).lower())
    if architecture is None:
        ctx.error(service, "platform", "platform-unsupported",
                  f"platform {value!r} is not one ECS runs; use linux/amd64 or linux/arm64")
        return
    ctx.platforms[service] = architecture


def _refused_when(blocked: Callable[[_Context], bool], compose_key: str, code: str,
                  message: str, apply: _Handler) -> _Handler:
    """Map a field with `apply`, unless the task's launch type or network mode forbids it."""
    def handler(ctx: _Context, service: str, value: Any, c: dict[str, Any],
                linux: dict[str, Any]) -> None:
        if not value:
            return
        if blocked(ctx):
            ctx.error(service, compose_key, code, message)
            return
        apply(ctx, service, value, c, linux)
    return handler


def _fargate_refuses(compose_key: str, why: str, apply: _Handler) -> _Handler:
    return _refused_when(
        lambda ctx: ctx.fargate, compose_key, f"fargate-{compose_key.replace('_', '-')}",
        f"{compose_key} is not available on Fargate ({why}); remove it or use the EC2 launch "
        "type (x-ecs.requiresCompatibilities: [EC2])", apply)


def _awsvpc_refuses(compose_key: str, why: str, apply: _Handler) -> _Handler:
    return _refused_when(
        lambda ctx: ctx.awsvpc, compose_key, f"awsvpc-{compose_key.replace('_', '-')}",
        f"{compose_key} cannot be set under the awsvpc network mode ({why}); remove it", apply)


def _linux(key: str, convert: Any) -> _Handler:
    def handler(ctx: _Context, service: str, value: Any, c: dict[str, Any],
                linux: dict[str, Any]) -> None:
        linux[key] = convert(ctx, service, value)
    return handler


def _devices(ctx: _Context, service: str, value: Any) -> list[dict[str, Any]]:
    devices = []
    for entry in value:
        if isinstance(entry, Mapping):
            host, container = entry.get("source"), entry.get("target") or entry.get("source")
            permissions = entry.get("permissions")
        else:
            host, _, rest = str(entry).partition(":")
            container, _, permissions = rest.partition(":")
            container = container or host
        device: dict[str, Any] = {"hostPath": str(host), "containerPath": str(container)}
        if permissions:
            names = {"r": "read", "w": "write", "m": "mknod"}
            device["permissions"] = [names[p] for p in str(permissions) if p in names]
        devices.append(device)
    return devices


def _extra_hosts(value: Any) -> list[dict[str, str]]:
    hosts = []
    for entry in value:
        name, sep, address = str(entry).partition("=")
        if not sep:
            name, _, address = str(entry).partition(":")
        hosts.append({"hostname": name, "ipAddress": address})
    return hosts


def _map_network_mode(ctx: _Context, service: str, value: Any, c: dict[str, Any],
                      linux: dict[str, Any]) -> None:
    if value == "host" and ctx.fargate:
        ctx.error(service, "network_mode", "fargate-network-mode",
                  "network_mode host is not available on Fargate (tasks use awsvpc); remove it")
    else:
        ctx.error(service, "network_mode", "network-mode-service",
                  f"network_mode {value!r} is a task-level setting in ECS; remove it and set "
                  "x-ecs.networkMode")


def _map_task_level(compose_key: str, ecs_key: str) -> _Handler:
    def handler(ctx: _Context, service: str, value: Any, c: dict[str, Any],
                linux: dict[str, Any]) -> None:
        if value:
            ctx.error(service, compose_key, f"{compose_key}-service",
                      f"{compose_key} is a task-level setting in ECS"
                      f"{' and not available on Fargate' if ctx.fargate else ''}; remove it"
                      f"{'' if ctx.fargate else f' and set x-ecs.{ecs_key}'}")
    return handler


def _map_compose_secrets(ctx: _Context, service: str, value: Any, c: dict[str, Any],
                         linux: dict[str, Any]) -> None:
    if value:
        names = ", ".join(str(s.get("source")) for s in value)
        ctx.error(service, "secrets", "compose-secrets",
                  f"file-mounted secrets ({names}) cannot be used: ECS injects secrets as "
                  "environment variables; remove them and pass --secret NAME=ARN "
                  "(action input: secrets)")


def _map_compose_configs(ctx: _Context, service: str, value: Any, c: dict[str, Any],
                         linux: dict[str, Any]) -> None:
    if value:
        ctx.error(service, "configs", "compose-configs",
                  "file-mounted configs cannot be used on ECS; bake the file into the image "
                  "or pass its content as a secret (--secret NAME=ARN)")


def _map_sysctls(ctx: _Context, service: str, value: Any, c: dict[str, Any],
                 linux: dict[str, Any]) -> None:
    if value:
        c["systemControls"] = [
            {"namespace": str(k), "value": _scalar(v)} for k, v in value.items()]


def _shm_size(ctx: _Context, service: str, value: Any) -> int | None:
    return _size_mib(ctx, service, "shm_size", value)


_HANDLERS: dict[str, _Handler] = {
    "command": _map_command,
    "entrypoint": _map_entrypoint,
    "environment": _map_environment,
    "healthcheck": _map_healthcheck,
    "deploy": _map_deploy,
    "cpus": _resource("cpu", "cpus", _cpu_units),
    "mem_limit": _resource("memory", "mem_limit", _size_mib),
    "mem_reservation": _resource("memoryReservation", "mem_reservation", _size_mib),
    "depends_on": _map_depends_on,
    "logging": _map_logging,
    "ulimits": _map_ulimits,
    "cap_add": _map_capabilities("add"),
    "cap_drop": _map_capabilities("drop"),
    "tmpfs": _map_tmpfs,
    "init": _map_init,
    "stop_grace_period": _map_stop_grace_period,
    "user": _copy("user"),
    "working_dir": _copy("workingDirectory"),
    "read_only": _copy("readonlyRootFilesystem", bool),
    "labels": _map_labels,
    "volumes": _map_volumes,
    "platform": _map_platform,
    "privileged": _fargate_refuses("privileged", "tasks cannot run privileged",
                                   _copy("privileged", bool)),
    "devices": _fargate_refuses("devices", "no host devices", _linux("devices",
                                lambda ctx, s, v: _devices(ctx, s, v))),
    "shm_size": _fargate_refuses("shm_size", "no shared memory size", _linux(
        "sharedMemorySize", _shm_size)),
    "security_opt": _fargate_refuses("security_opt", "no Docker security options",
                                     _copy("dockerSecurityOptions",
                                           lambda v: [str(x) for x in v])),
    "sysctls": _map_sysctls,
    "extra_hosts": _awsvpc_refuses("extra_hosts", "the task's /etc/hosts is managed by ECS",
                                   _copy("extraHosts", _extra_hosts)),
    "hostname": _awsvpc_refuses("hostname", "the host name is the task's ENI",
                                _copy("hostname")),
    "dns": _awsvpc_refuses("dns", "DNS comes from the VPC", _copy(
        "dnsServers", lambda v: [str(x) for x in ([v] if isinstance(v, str) else v)])),
    "dns_search": _awsvpc_refuses("dns_search", "DNS comes from the VPC", _copy(
        "dnsSearchDomains", lambda v: [str(x) for x in ([v] if isinstance(v, str) else v)])),
    "network_mode": _map_network_mode,
    "pid": _map_task_level("pid", "pidMode"),
    "ipc": _map_task_level("ipc", "ipcMode"),
    "secrets": _map_compose_secrets,
    "configs": _map_compose_configs,
}
