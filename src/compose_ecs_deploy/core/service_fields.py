"""Each compose service field mapped onto its container definition: one handler a field.

A handler gets the conversion context, the service, the field's value as `docker compose
config` normalised it, the container being built and its linuxParameters; it sets ECS keys,
or reports a notice or an error on the context. `fields.RULES` documents the same table.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from compose_ecs_deploy.core import dev_only
from compose_ecs_deploy.core.dev_only import (  # validate checks values from x-ecs too
    FARGATE_LOG_DRIVERS as FARGATE_LOG_DRIVERS,
)
from compose_ecs_deploy.core.units import (
    as_text,
    bytes_to_mib,
    cpus_to_units,
    duration_to_whole_seconds,
    parse_bytes,
)

if TYPE_CHECKING:
    from compose_ecs_deploy.core.context import Context

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


Handler = Any
RESOLVED_BY_COMPOSE = frozenset({"env_file", "extends", "name"})
HANDLED_ELSEWHERE = frozenset({"image", "ports", "expose", "build", "secrets"})


def _map_command(ctx: Context, service: str, value: Any, c: dict[str, Any],
                 linux: dict[str, Any]) -> None:
    if value is not None:
        c["command"] = [str(part) for part in value]


def _map_entrypoint(ctx: Context, service: str, value: Any, c: dict[str, Any],
                    linux: dict[str, Any]) -> None:
    if value is not None:
        c["entryPoint"] = [str(part) for part in value]


def _map_environment(ctx: Context, service: str, value: Any, c: dict[str, Any],
                     linux: dict[str, Any]) -> None:
    entries = []
    for name, entry in (value or {}).items():
        if entry is None:
            if ctx.secret_bound(service, str(name)):
                continue  # the secret gives it its value: nothing is lost
            ctx.notice(service, f"environment.{name}", "environment-no-value",
                       f"{name} has no value (it would be taken from the shell that runs "
                       "compose); ignored: give it a value or bind it with --secret")
            continue
        entries.append({"name": str(name), "value": as_text(entry)})
    if entries:
        c["environment"] = entries


def _parsed(ctx: Context, service: str, field_name: str, value: Any,
            parse: Callable[[Any], int], code: str) -> int | None:
    """The parsed value, or None with an error naming the field (never a traceback)."""
    try:
        return parse(value)
    except ValueError as exc:
        ctx.error(service, field_name, code, str(exc))
        return None


def _duration(ctx: Context, service: str, field_name: str, value: Any) -> int | None:
    return _parsed(ctx, service, field_name, value, duration_to_whole_seconds,
                   "duration-invalid")


def _map_healthcheck(ctx: Context, service: str, value: Any, c: dict[str, Any],
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


def _size_mib(ctx: Context, service: str, field_name: str, value: Any) -> int | None:
    return _parsed(ctx, service, field_name, value, lambda v: bytes_to_mib(parse_bytes(v)),
                   "memory-invalid")


def _cpu_units(ctx: Context, service: str, field_name: str, value: Any) -> int | None:
    return _parsed(ctx, service, field_name, value, cpus_to_units, "cpu-invalid")


def _map_deploy(ctx: Context, service: str, value: Any, c: dict[str, Any],
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


def _set_resource(ctx: Context, service: str, c: dict[str, Any], ecs_key: str,
                  compose_key: str, amount: int | None) -> None:
    """Record which compose key set the value, so validation errors can point at it."""
    if amount is not None:
        c[ecs_key] = amount
        ctx.origins[(service, ecs_key)] = compose_key


def _resource(ecs_key: str, compose_key: str, parse: Any) -> Handler:
    def handler(ctx: Context, service: str, value: Any, c: dict[str, Any],
                linux: dict[str, Any]) -> None:
        _set_resource(ctx, service, c, ecs_key, compose_key,
                      parse(ctx, service, compose_key, value))
    return handler


def _map_depends_on(ctx: Context, service: str, value: Any, c: dict[str, Any],
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
        if (spec or {}).get("restart"):
            ctx.notice(service, f"{where}.restart", "depends-on-restart",
                       f"restart: true (restart {service} when {target} restarts) ignored: "
                       "ECS replaces the whole task when an essential container stops")
        dependencies.append(
            {"containerName": target, "condition": _DEPENDS_ON_CONDITIONS[condition]})
    if dependencies:
        c["dependsOn"] = dependencies


def _map_ulimits(ctx: Context, service: str, value: Any, c: dict[str, Any],
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


def _map_capabilities(key: str) -> Handler:
    def handler(ctx: Context, service: str, value: Any, c: dict[str, Any],
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


def _map_tmpfs(ctx: Context, service: str, value: Any, c: dict[str, Any],
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


def _map_init(ctx: Context, service: str, value: Any, c: dict[str, Any],
              linux: dict[str, Any]) -> None:
    if value is not None:
        linux["initProcessEnabled"] = bool(value)


def _map_stop_grace_period(ctx: Context, service: str, value: Any, c: dict[str, Any],
                           linux: dict[str, Any]) -> None:
    seconds = _duration(ctx, service, "stop_grace_period", value)
    if seconds is not None:
        c["stopTimeout"] = seconds


def _copy(ecs_key: str, convert: Any = str) -> Handler:
    def handler(ctx: Context, service: str, value: Any, c: dict[str, Any],
                linux: dict[str, Any]) -> None:
        if value is not None:
            c[ecs_key] = convert(value)
    return handler


def _map_labels(ctx: Context, service: str, value: Any, c: dict[str, Any],
                linux: dict[str, Any]) -> None:
    if value:
        c["dockerLabels"] = {str(k): as_text(v) for k, v in value.items()}


def _map_volumes(ctx: Context, service: str, value: Any, c: dict[str, Any],
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
            _notice_volume_options(ctx, service, where, volume)
        elif kind == "volume":
            ctx.notice(service, where, "volume-anonymous",
                       f"anonymous volume at {target} ignored: the task's own storage is used")
        elif kind == "bind":
            ctx.notice(service, where, "volume-bind",
                       f"bind mount {ctx.project.display_path(str(volume.get('source')))} → "
                       f"{target} ignored: the host's files "
                       "are not there in production (bake them into the image)")
        elif kind == "tmpfs":
            _map_tmpfs(ctx, service, [str(target)], c, linux)
        else:
            ctx.notice(service, where, "volume-unsupported",
                       f"{kind} volume at {target} has no ECS equivalent; ignored")
    if mount_points:
        c["mountPoints"] = mount_points


def _notice_volume_options(ctx: Context, service: str, where: str,
                           volume: Mapping[str, Any]) -> None:
    """ECS mount points have a volume, a path and readOnly; say what else is dropped."""
    options = volume.get("volume") or {}
    if options.get("subpath"):
        ctx.notice(service, f"{where}.volume.subpath", "volume-subpath",
                   f"subpath {options['subpath']} dropped: ECS mounts the whole volume "
                   f"{volume['source']} at {volume.get('target')} (with EFS, point a volume's "
                   "rootDirectory at the subdirectory in x-ecs.volumes)")
    for key in sorted(set(options) - {"subpath"}):
        ctx.notice(service, f"{where}.volume.{key}", "field-ignored",
                   f"volume option {key} has no ECS equivalent; ignored")


def _map_platform(ctx: Context, service: str, value: Any, c: dict[str, Any],
                  linux: dict[str, Any]) -> None:
    architecture = _PLATFORMS.get(str(value).lower())
    if architecture is None:
        ctx.error(service, "platform", "platform-unsupported",
                  f"platform {value!r} is not one ECS runs; use linux/amd64 or linux/arm64")
        return
    ctx.platforms[service] = architecture


def _refused_when(blocked: Callable[[Context], bool], compose_key: str, code: str,
                  message: str, apply: Handler) -> Handler:
    """Map a field with `apply`, unless the task's launch type or network mode forbids it."""
    def handler(ctx: Context, service: str, value: Any, c: dict[str, Any],
                linux: dict[str, Any]) -> None:
        if not value:
            return
        if blocked(ctx):
            ctx.error(service, compose_key, code, message)
            return
        apply(ctx, service, value, c, linux)
    return handler


def _fargate_refuses(compose_key: str, why: str, apply: Handler) -> Handler:
    return _refused_when(
        lambda ctx: ctx.fargate, compose_key, f"fargate-{compose_key.replace('_', '-')}",
        f"{compose_key} is not available on Fargate ({why}); remove it or use the EC2 launch "
        "type (x-ecs.requiresCompatibilities: [EC2])", apply)


def _awsvpc_refuses(compose_key: str, why: str, apply: Handler) -> Handler:
    return _refused_when(
        lambda ctx: ctx.awsvpc, compose_key, f"awsvpc-{compose_key.replace('_', '-')}",
        f"{compose_key} cannot be set under the awsvpc network mode ({why}); remove it", apply)


def _linux(key: str, convert: Any) -> Handler:
    def handler(ctx: Context, service: str, value: Any, c: dict[str, Any],
                linux: dict[str, Any]) -> None:
        linux[key] = convert(ctx, service, value)
    return handler


def _devices(ctx: Context, service: str, value: Any) -> list[dict[str, Any]]:
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


def _map_task_level(compose_key: str, ecs_key: str) -> Handler:
    def handler(ctx: Context, service: str, value: Any, c: dict[str, Any],
                linux: dict[str, Any]) -> None:
        if value:
            ctx.error(service, compose_key, f"{compose_key}-service",
                      f"{compose_key} is a task-level setting in ECS"
                      f"{' and not available on Fargate' if ctx.fargate else ''}; remove it"
                      f"{'' if ctx.fargate else f' and set x-ecs.{ecs_key}'}")
    return handler


def _map_compose_configs(ctx: Context, service: str, value: Any, c: dict[str, Any],
                         linux: dict[str, Any]) -> None:
    if value:
        ctx.error(service, "configs", "compose-configs",
                  "file-mounted configs cannot be used on ECS; bake the file into the image "
                  "or pass its content as a secret (--secret NAME=ARN)")


def _map_sysctls(ctx: Context, service: str, value: Any, c: dict[str, Any],
                 linux: dict[str, Any]) -> None:
    if value:
        c["systemControls"] = [
            {"namespace": str(k), "value": as_text(v)} for k, v in value.items()]


def _shm_size(ctx: Context, service: str, value: Any) -> int | None:
    return _size_mib(ctx, service, "shm_size", value)


HANDLERS: dict[str, Handler] = {
    "command": _map_command,
    "entrypoint": _map_entrypoint,
    "environment": _map_environment,
    "healthcheck": _map_healthcheck,
    "deploy": _map_deploy,
    "cpus": _resource("cpu", "cpus", _cpu_units),
    "mem_limit": _resource("memory", "mem_limit", _size_mib),
    "mem_reservation": _resource("memoryReservation", "mem_reservation", _size_mib),
    "depends_on": _map_depends_on,
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
    "dns": _awsvpc_refuses("dns", "DNS comes from the VPC", _copy(
        "dnsServers", lambda v: [str(x) for x in ([v] if isinstance(v, str) else v)])),
    "pid": _map_task_level("pid", "pidMode"),
    "ipc": _map_task_level("ipc", "ipcMode"),
    "configs": _map_compose_configs,
    **dev_only.HANDLERS,
}
