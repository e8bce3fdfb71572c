"""Compose fields that become the container's own keys: process, environment, health,
resources, dependencies. Each row of `RULES` sits beside its handler (see `field_context`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from compose_ecs_deploy.compose.deploy_fields import map_deploy
from compose_ecs_deploy.compose.field_context import (
    FieldContext,
    FieldRule,
    Handler,
    copy,
    cpu_units,
    duration,
    set_resource,
    size_mib,
)
from compose_ecs_deploy.compose.health_fit import HEALTH_RANGES, fit
from compose_ecs_deploy.compose.units import as_text

_DEPENDS_ON_CONDITIONS = {
    "service_started": "START",
    "service_healthy": "HEALTHY",
    "service_completed_successfully": "SUCCESS",
}


def _map_command(
    ctx: FieldContext, service: str, value: Any, c: dict[str, Any], linux: dict[str, Any]
) -> None:
    if value is not None:
        c["command"] = [str(part) for part in value]


def _map_entrypoint(
    ctx: FieldContext, service: str, value: Any, c: dict[str, Any], linux: dict[str, Any]
) -> None:
    if value is not None:
        c["entryPoint"] = [str(part) for part in value]


def _map_environment(
    ctx: FieldContext, service: str, value: Any, c: dict[str, Any], linux: dict[str, Any]
) -> None:
    entries = []
    for name, entry in (value or {}).items():
        if entry is None:
            if ctx.secret_bound(service, str(name)):
                continue  # the secret gives it its value: nothing is lost
            ctx.notice(
                service,
                f"environment.{name}",
                "environment-no-value",
                f"{name} has no value (it would be taken from the shell that runs "
                "compose); ignored: give it a value or bind it with --secret",
            )
            continue
        entries.append({"name": str(name), "value": as_text(entry)})
    if entries:
        c["environment"] = entries


def _map_healthcheck(
    ctx: FieldContext, service: str, value: Any, c: dict[str, Any], linux: dict[str, Any]
) -> None:
    spec = value or {}
    test = spec.get("test")
    if spec.get("disable") or (test and str(test[0]).upper() == "NONE"):
        return
    if not test:
        ctx.notice(
            service,
            "healthcheck",
            "healthcheck-no-test",
            "healthcheck has no test (the image's HEALTHCHECK is not visible to ECS); ignored",
        )
        return
    if isinstance(test, str):
        command = ["CMD-SHELL", test]
    elif str(test[0]) in ("CMD", "CMD-SHELL"):
        command = [str(part) for part in test]
    else:
        ctx.error(
            service,
            "healthcheck.test",
            "healthcheck-test",
            f"test must start with CMD, CMD-SHELL or NONE, not {test[0]!r}",
        )
        return
    check: dict[str, Any] = {"command": command}
    given: dict[str, int] = {}
    for compose_key, ecs_key in (
        ("interval", "interval"),
        ("timeout", "timeout"),
        ("retries", "retries"),
        ("start_period", "startPeriod"),
    ):
        if spec.get(compose_key) is None:
            continue
        if compose_key == "retries":
            given[ecs_key] = int(spec[compose_key])
            continue
        seconds = duration(ctx, service, f"healthcheck.{compose_key}", spec[compose_key])
        if seconds is not None:
            given[ecs_key] = seconds
    fitted = fit(given)
    if fitted.refusal is not None:
        ctx.error(service, fitted.refused_field, "healthcheck-range", fitted.refusal)
        return
    check.update(fitted.timing)
    if fitted.changes:
        kept = ""
        if fitted.patience is not None:
            kept = (
                f"; a failing container is still given {fitted.patience[1]}s before it is "
                f"unhealthy (interval x retries + start_period; compose gave "
                f"{fitted.patience[0]}s)"
            )
        ctx.notice(
            service,
            "healthcheck",
            "healthcheck-adjusted",
            "health check fitted to ECS's ranges ("
            + ", ".join(f"{compose} {low}-{high}" for _, compose, low, high in HEALTH_RANGES)
            + "): "
            + ", ".join(fitted.changes)
            + kept,
        )
    if spec.get("start_interval") is not None:
        ctx.notice(
            service,
            "healthcheck.start_interval",
            "field-ignored",
            "start_interval has no ECS equivalent; ignored",
        )
    c["healthCheck"] = check


def _resource(ecs_key: str, compose_key: str, parse: Callable[..., int | None]) -> Handler:
    def handler(
        ctx: FieldContext, service: str, value: Any, c: dict[str, Any], linux: dict[str, Any]
    ) -> None:
        set_resource(ctx, service, c, ecs_key, compose_key, parse(ctx, service, compose_key, value))

    return handler


def _map_depends_on(
    ctx: FieldContext, service: str, value: Any, c: dict[str, Any], linux: dict[str, Any]
) -> None:
    dependencies = []
    for target, spec in (value or {}).items():
        condition = (spec or {}).get("condition", "service_started")
        where = f"depends_on.{target}"
        if target not in ctx.services:
            _notice_outside_dependency(ctx, service, target, spec or {})
            continue
        if condition not in _DEPENDS_ON_CONDITIONS:
            ctx.error(
                service,
                where,
                "depends-on-condition",
                f"condition {condition!r} is unknown; use service_started, "
                "service_healthy or service_completed_successfully",
            )
            continue
        written = f"services.{service}.depends_on.{target}.restart" in ctx.project.positions
        if (spec or {}).get("restart") and written:  # not Compose's own, for pid/network
            ctx.notice(
                service,
                f"{where}.restart",
                "depends-on-restart",
                f"restart: true (restart {service} when {target} restarts) ignored: "
                "ECS replaces the whole task when an essential container stops",
            )
        dependencies.append(
            {"containerName": target, "condition": _DEPENDS_ON_CONDITIONS[condition]}
        )
    if dependencies:
        c["dependsOn"] = dependencies


def _notice_outside_dependency(
    ctx: FieldContext, service: str, target: str, spec: Mapping[str, Any]
) -> None:
    """Say why the dependency goes, in the words that fit how compose itself treats it."""
    if spec.get("required") is False:
        profiles = ctx.project.behind_profiles.get(target)
        why = (
            f"only the profile {' or '.join(profiles)} enables it"
            if profiles
            else "it is not a container of this task"
        )
        ctx.notice(
            service,
            f"depends_on.{target}",
            "depends-on-optional",
            f"optional dependency on {target} (required: false) dropped: {why}",
        )
        return
    ctx.notice(
        service,
        f"depends_on.{target}",
        "depends-on-outside-task",
        f"dependency on {target} dropped: it is not a container of this task "
        "(in production it is a managed service or another ECS service)",
    )


def _map_stop_grace_period(
    ctx: FieldContext, service: str, value: Any, c: dict[str, Any], linux: dict[str, Any]
) -> None:
    seconds = duration(ctx, service, "stop_grace_period", value)
    if seconds is not None:
        c["stopTimeout"] = seconds


def _map_labels(
    ctx: FieldContext, service: str, value: Any, c: dict[str, Any], linux: dict[str, Any]
) -> None:
    if value:
        c["dockerLabels"] = {str(k): as_text(v) for k, v in value.items()}


RULES: tuple[FieldRule, ...] = (
    FieldRule("command", "mapped", "command", "", _map_command),
    FieldRule("entrypoint", "mapped", "entryPoint", "", _map_entrypoint),
    FieldRule(
        "environment",
        "mapped",
        "environment",
        "values verbatim; an entry with no value is ignored with a notice; a "
        "`--secret` of the same name replaces it",
        _map_environment,
    ),
    FieldRule(
        "healthcheck",
        "mapped",
        "healthCheck",
        "string → CMD-SHELL; NONE / disable → none; durations rounded up to seconds; "
        "outside ECS's ranges ("
        + ", ".join(f"{compose} {low}-{high}" for _, compose, low, high in HEALTH_RANGES)
        + ") fitted with a notice, never with less patience (interval x retries + "
        "start_period); refused only where no fit keeps it, or a timeout over 60 s",
        _map_healthcheck,
    ),
    FieldRule(
        "deploy",
        "mapped",
        "cpu, memory, memoryReservation, resourceRequirements, essential",
        "resources.limits.cpus x 1024 (rounded up), limits.memory and "
        "reservations.memory in MiB (rounded up); GPU reservations (devices with "
        "capabilities [gpu], generic_resources of kind gpus) → resourceRequirements GPU "
        "(EC2 only); restart_policy.condition is read as `restart`; other deploy keys "
        "ignored with a notice",
        map_deploy,
    ),
    FieldRule("cpus", "mapped", "cpu", "x 1024, rounded up", _resource("cpu", "cpus", cpu_units)),
    FieldRule(
        "mem_limit",
        "mapped",
        "memory",
        "MiB, rounded up",
        _resource("memory", "mem_limit", size_mib),
    ),
    FieldRule(
        "mem_reservation",
        "mapped",
        "memoryReservation",
        "MiB, rounded up",
        _resource("memoryReservation", "mem_reservation", size_mib),
    ),
    FieldRule(
        "depends_on",
        "mapped",
        "dependsOn",
        "service_started → START, service_healthy → HEALTHY (target needs a health "
        "check), service_completed_successfully → SUCCESS (target becomes "
        "non-essential); services outside the task are dropped with a notice (one that "
        "says so for `required: false`); "
        "`restart: true` is ignored with a notice",
        _map_depends_on,
    ),
    FieldRule(
        "stop_grace_period",
        "mapped",
        "stopTimeout",
        "seconds, rounded up; 2-120 on Fargate",
        _map_stop_grace_period,
    ),
    FieldRule("user", "mapped", "user", "", copy("user")),
    FieldRule("working_dir", "mapped", "workingDirectory", "", copy("workingDirectory")),
    FieldRule(
        "read_only", "mapped", "readonlyRootFilesystem", "", copy("readonlyRootFilesystem", bool)
    ),
    FieldRule("labels", "mapped", "dockerLabels", "", _map_labels),
)
