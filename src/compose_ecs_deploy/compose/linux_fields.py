"""Compose fields that become linuxParameters, mounts and launch-type-bound settings.

Each row of `RULES` sits beside its handler; a field that Fargate or awsvpc cannot run is
refused here, with the reason, and `validate` refuses the same values from x-ecs or a base.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from compose_ecs_deploy.compose.field_context import (
    FieldContext,
    FieldRule,
    Handler,
    copy,
    size_mib,
)
from compose_ecs_deploy.compose.units import as_text

_PLATFORMS = {
    "linux/amd64": "X86_64",
    "linux/x86_64": "X86_64",
    "amd64": "X86_64",
    "linux/arm64": "ARM64",
    "linux/arm64/v8": "ARM64",
    "arm64": "ARM64",
}


def _linux_of(container: Mapping[str, Any]) -> Mapping[str, Any]:
    return container.get("linuxParameters") or {}


# What Fargate cannot run ("Amazon ECS task definition differences for Fargate" in the ECS
# developer guide): compose field -> what it asks for, and whether a container definition
# asks for it. The converter refuses the compose field with these words; `validate` refuses
# the same in values from x-ecs or a base, so each rule is written once.
FARGATE_UNSUPPORTED: dict[str, tuple[str, Callable[[Mapping[str, Any]], bool]]] = {
    "privileged": ("privileged containers", lambda c: bool(c.get("privileged"))),
    "devices": ("host devices", lambda c: bool(_linux_of(c).get("devices"))),
    "tmpfs": ("tmpfs mounts", lambda c: bool(_linux_of(c).get("tmpfs"))),
    "shm_size": ("a shared memory size", lambda c: bool(_linux_of(c).get("sharedMemorySize"))),
    "security_opt": ("Docker security options", lambda c: bool(c.get("dockerSecurityOptions"))),
    "cap_add": (
        "capabilities other than SYS_PTRACE",
        lambda c: any(
            cap != "SYS_PTRACE" for cap in (_linux_of(c).get("capabilities") or {}).get("add") or []
        ),
    ),
    "deploy.resources.reservations": (
        "GPUs",
        lambda c: any(r.get("type") == "GPU" for r in c.get("resourceRequirements") or []),
    ),
    "ulimits": (
        "ulimits other than nofile",
        lambda c: any(u.get("name") != "nofile" for u in c.get("ulimits") or []),
    ),
}


def _strings(value: Any) -> list[str]:
    return [str(item) for item in ([value] if isinstance(value, str) else value)]


def _map_ulimits(
    ctx: FieldContext, service: str, value: Any, c: dict[str, Any], linux: dict[str, Any]
) -> None:
    ulimits = []
    for name, spec in (value or {}).items():
        if ctx.fargate and name != "nofile":
            ctx.notice(
                service,
                f"ulimits.{name}",
                "fargate-ulimit-dropped",
                f"ulimit {name} dropped: Fargate sets only nofile and leaves every other "
                "limit at the operating system's default (Ulimit, ECS API Reference)",
            )
            continue
        if isinstance(spec, Mapping):
            soft, hard = int(spec.get("soft", 0)), int(spec.get("hard", 0))
        else:
            soft = hard = int(spec)
        ulimits.append({"name": str(name), "softLimit": soft, "hardLimit": hard})
    if ulimits:
        c["ulimits"] = ulimits


def _map_capabilities(key: str) -> Handler:
    def handler(
        ctx: FieldContext, service: str, value: Any, c: dict[str, Any], linux: dict[str, Any]
    ) -> None:
        capabilities = [str(cap).upper().removeprefix("CAP_") for cap in value or []]
        if key == "add" and ctx.fargate:
            refused = [cap for cap in capabilities if cap != "SYS_PTRACE"]
            if refused:
                ctx.error(
                    service,
                    "cap_add",
                    "fargate-capability",
                    f"Fargate can add only SYS_PTRACE, not {', '.join(refused)}; remove "
                    "them or use the EC2 launch type",
                )
                capabilities = [cap for cap in capabilities if cap == "SYS_PTRACE"]
        if capabilities:
            linux.setdefault("capabilities", {})[key] = capabilities

    return handler


def _map_init(
    ctx: FieldContext, service: str, value: Any, c: dict[str, Any], linux: dict[str, Any]
) -> None:
    if value is not None:
        linux["initProcessEnabled"] = bool(value)


def _map_platform(
    ctx: FieldContext, service: str, value: Any, c: dict[str, Any], linux: dict[str, Any]
) -> None:
    architecture = _PLATFORMS.get(str(value).lower())
    if architecture is None:
        ctx.error(
            service,
            "platform",
            "platform-unsupported",
            f"platform {value!r} is not one ECS runs; use linux/amd64 or linux/arm64",
        )
        return
    ctx.platforms[service] = architecture


def _refused_when(
    blocked: Callable[[FieldContext], bool],
    compose_key: str,
    code: str,
    message: str,
    apply: Handler,
) -> Handler:
    """Map a field with `apply`, unless the task's launch type or network mode forbids it."""

    def handler(
        ctx: FieldContext, service: str, value: Any, c: dict[str, Any], linux: dict[str, Any]
    ) -> None:
        if not value:
            return
        if blocked(ctx):
            ctx.error(service, compose_key, code, message)
            return
        apply(ctx, service, value, c, linux)

    return handler


def _fargate_refuses(compose_key: str, apply: Handler) -> Handler:
    what = FARGATE_UNSUPPORTED[compose_key][0]
    return _refused_when(
        lambda ctx: ctx.fargate,
        compose_key,
        f"fargate-{compose_key.replace('_', '-')}",
        f"Fargate does not support {what}; remove it or use the EC2 launch "
        "type (x-ecs.requiresCompatibilities: [EC2])",
        apply,
    )


def _awsvpc_refuses(compose_key: str, why: str, apply: Handler) -> Handler:
    return _refused_when(
        lambda ctx: ctx.awsvpc,
        compose_key,
        f"awsvpc-{compose_key.replace('_', '-')}",
        f"{compose_key} cannot be set under the awsvpc network mode ({why}); remove it",
        apply,
    )


def _linux(key: str, convert: Callable[[FieldContext, str, Any], Any]) -> Handler:
    def handler(
        ctx: FieldContext, service: str, value: Any, c: dict[str, Any], linux: dict[str, Any]
    ) -> None:
        linux[key] = convert(ctx, service, value)

    return handler


def _devices(ctx: FieldContext, service: str, value: Any) -> list[dict[str, Any]]:
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
    def handler(
        ctx: FieldContext, service: str, value: Any, c: dict[str, Any], linux: dict[str, Any]
    ) -> None:
        if value:
            ctx.error(
                service,
                compose_key,
                f"{compose_key}-service",
                f"{compose_key} is a task-level setting in ECS"
                f"{' and not available on Fargate' if ctx.fargate else ''}; remove it"
                f"{'' if ctx.fargate else f' and set x-ecs.{ecs_key}'}",
            )

    return handler


# On Fargate no dockerSecurityOptions can be set ("Amazon ECS task definition differences for
# the Fargate launch type"). These ask for nothing a task could miss: SELinux relabelling of
# host mounts (a task has none), and no-new-privileges, a hardening the task runs without.
_DROPPED_ON_FARGATE = ("label", "no-new-privileges")


def _map_security_opt(
    ctx: FieldContext, service: str, value: Any, c: dict[str, Any], linux: dict[str, Any]
) -> None:
    options = _strings(value or [])
    if not options:
        return
    if not ctx.fargate:
        c["dockerSecurityOptions"] = options
        return
    dropped = [o for o in options if re.split("[=:]", o, maxsplit=1)[0] in _DROPPED_ON_FARGATE]
    refused = [option for option in options if option not in dropped]
    if dropped:
        why = []
        if any(option.startswith("label") for option in dropped):
            why.append("label only relabels host mounts for SELinux, and a task has none")
        if any(option.startswith("no-new-privileges") for option in dropped):
            why.append(
                "the container runs without no-new-privileges (harden it with cap_drop "
                "and a non-root user instead)"
            )
        ctx.notice(
            service,
            "security_opt",
            "fargate-security-opt-dropped",
            f"security_opt {', '.join(dropped)} dropped: Fargate takes no Docker security "
            f"options; {'; '.join(why)}",
        )
    if refused:
        ctx.error(
            service,
            "security_opt",
            "fargate-security-opt",
            f"Fargate does not support Docker security options ({', '.join(refused)}); "
            "remove them or use the EC2 launch type (x-ecs.requiresCompatibilities: [EC2])",
        )


def _map_pid(
    ctx: FieldContext, service: str, value: Any, c: dict[str, Any], linux: dict[str, Any]
) -> None:
    """ECS shares process namespaces per task (pidMode, a task-level key), not per container;
    on Fargate only `task` (TaskDefinition.pidMode, ECS API Reference; platform 1.4.0+)."""
    text = str(value or "")
    kind, _, target = text.partition(":")
    if not text:
        return
    if kind in ("service", "container") and target in ctx.services:
        ctx.task_settings["pidMode"] = ("task", service)
        ctx.notice(
            service,
            "pid",
            "pid-task",
            f"pid {text} becomes the task's pidMode task: ECS shares one process namespace "
            f"among all the task's containers, not only between {service} and {target}",
        )
    elif kind in ("service", "container"):
        ctx.notice(
            service,
            "pid",
            "pid-dropped",
            f"pid {text} dropped: {target} is not a container of this task, so there is "
            "no process namespace to share",
        )
    elif text == "host" and not ctx.fargate:
        ctx.task_settings["pidMode"] = ("host", service)
        ctx.notice(
            service,
            "pid",
            "pid-task",
            "pid host becomes the task's pidMode host: it applies to all the task's containers",
        )
    else:
        ctx.error(
            service,
            "pid",
            "pid-service",
            f"pid {text!r} cannot run on {'Fargate' if ctx.fargate else 'ECS'}, where a task "
            "shares one process namespace among its containers (pidMode task) or, on EC2, "
            "the host's; remove it, or use service:NAME of a container of this task",
        )


def _map_compose_configs(
    ctx: FieldContext, service: str, value: Any, c: dict[str, Any], linux: dict[str, Any]
) -> None:
    if value:
        ctx.error(
            service,
            "configs",
            "compose-configs",
            "file-mounted configs cannot be used on ECS; bake the file into the image "
            "or pass its content as a secret (--secret NAME=ARN)",
        )


def _map_sysctls(
    ctx: FieldContext, service: str, value: Any, c: dict[str, Any], linux: dict[str, Any]
) -> None:
    if value:
        c["systemControls"] = [{"namespace": str(k), "value": as_text(v)} for k, v in value.items()]


def _shm_size(ctx: FieldContext, service: str, value: Any) -> int | None:
    return size_mib(ctx, service, "shm_size", value)


RULES: tuple[FieldRule, ...] = (
    FieldRule(
        "ulimits",
        "mapped",
        "ulimits",
        "on Fargate only nofile; the others are dropped with a notice (Fargate leaves them "
        "at the system's defaults)",
        _map_ulimits,
    ),
    FieldRule(
        "cap_add",
        "mapped",
        "linuxParameters.capabilities.add",
        "only SYS_PTRACE on Fargate",
        _map_capabilities("add"),
    ),
    FieldRule(
        "cap_drop", "mapped", "linuxParameters.capabilities.drop", "", _map_capabilities("drop")
    ),
    FieldRule("init", "mapped", "linuxParameters.initProcessEnabled", "", _map_init),
    FieldRule("platform", "mapped", "runtimePlatform", "linux/amd64 or linux/arm64", _map_platform),
    FieldRule(
        "privileged",
        "mapped",
        "privileged",
        "rejected on Fargate",
        _fargate_refuses("privileged", copy("privileged", bool)),
    ),
    FieldRule(
        "devices",
        "mapped",
        "linuxParameters.devices",
        "rejected on Fargate",
        _fargate_refuses("devices", _linux("devices", _devices)),
    ),
    FieldRule(
        "shm_size",
        "mapped",
        "linuxParameters.sharedMemorySize",
        "rejected on Fargate",
        _fargate_refuses("shm_size", _linux("sharedMemorySize", _shm_size)),
    ),
    FieldRule(
        "security_opt",
        "mapped",
        "dockerSecurityOptions",
        "on Fargate, `label` and `no-new-privileges` are dropped with a notice, others rejected",
        _map_security_opt,
    ),
    FieldRule("sysctls", "mapped", "systemControls", "", _map_sysctls),
    FieldRule(
        "dns",
        "mapped",
        "dnsServers",
        "rejected under awsvpc",
        _awsvpc_refuses("dns", "DNS comes from the VPC", copy("dnsServers", _strings)),
    ),
    FieldRule(
        "pid",
        "mapped",
        "pidMode (task level)",
        "`service:X` with X in the task → pidMode task (all the task's containers share it), "
        "with a notice; X outside the task dropped with a notice; `host` → pidMode host on "
        "EC2, rejected on Fargate",
        _map_pid,
    ),
    FieldRule(
        "ipc",
        "rejected",
        "ipcMode",
        "task-level in ECS: set x-ecs.ipcMode",
        _map_task_level("ipc", "ipcMode"),
    ),
    FieldRule(
        "configs",
        "rejected",
        "-",
        "ECS has no file-mounted configs: use --secret or bake the file into the image",
        _map_compose_configs,
    ),
)
