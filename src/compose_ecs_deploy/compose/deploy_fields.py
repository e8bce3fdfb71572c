"""The compose `deploy` section: resources, GPUs, and a restart policy that means "run once".

Most of `deploy` describes a Swarm service (replicas, update_config, placement), which in ECS
is the service's business, not the task definition's: those keys are ignored with a notice.
What describes the container is mapped: cpu and memory limits and reservations, GPU
reservations (`resourceRequirements` of type GPU, EC2 only), and `restart_policy.condition`,
read exactly as `restart` is (a one-off job becomes non-essential).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from compose_ecs_deploy.compose.dev_only import RESTART_CONDITIONS, restart_policy
from compose_ecs_deploy.compose.field_context import (
    FieldContext,
    cpu_units,
    set_resource,
    size_mib,
)

_RESERVATIONS = "deploy.resources.reservations"


def map_deploy(
    ctx: FieldContext, service: str, value: Any, c: dict[str, Any], linux: dict[str, Any]
) -> None:
    deploy = value or {}
    resources = deploy.get("resources") or {}
    limits = resources.get("limits") or {}
    reservations = resources.get("reservations") or {}
    for ecs_key, compose_key, amount, parse in (
        ("cpu", "deploy.resources.limits.cpus", limits.get("cpus"), cpu_units),
        ("memory", "deploy.resources.limits.memory", limits.get("memory"), size_mib),
        ("memoryReservation", f"{_RESERVATIONS}.memory", reservations.get("memory"), size_mib),
    ):
        if amount is not None:
            set_resource(
                ctx, service, c, ecs_key, compose_key, parse(ctx, service, compose_key, amount)
            )
    _map_gpus(ctx, service, reservations, c)
    _map_restart_policy(ctx, service, deploy.get("restart_policy") or {}, c)
    for key in sorted(set(deploy) - {"resources", "restart_policy"}):
        ctx.notice(
            service,
            f"deploy.{key}",
            "field-ignored",
            f"deploy.{key} is a service setting in ECS (desired count, deployment "
            "configuration); ignored",
        )
    for key in sorted(set(resources) - {"limits", "reservations"}):
        ctx.notice(
            service,
            f"deploy.resources.{key}",
            "field-ignored",
            f"deploy.resources.{key} has no ECS equivalent; ignored",
        )
    for key in sorted(set(limits) - {"cpus", "memory"}):
        ctx.notice(
            service,
            f"deploy.resources.limits.{key}",
            "field-ignored",
            f"limits.{key} has no ECS equivalent; ignored",
        )
    for key in sorted(set(reservations) - {"memory", "devices", "generic_resources"}):
        ctx.notice(
            service,
            f"{_RESERVATIONS}.{key}",
            "field-ignored",
            f"reservations.{key} has no ECS equivalent (ECS reserves cpu from the "
            "container's cpu); ignored",
        )


def _map_gpus(
    ctx: FieldContext, service: str, reservations: Mapping[str, Any], c: dict[str, Any]
) -> None:
    """GPUs as Compose documents them (devices with capabilities [gpu]) or as Swarm wrote
    them (generic_resources of kind gpus) -> one GPU resourceRequirement, as Docker's ECS
    integration did. ECS reserves GPUs by count, on EC2 only ("Amazon ECS task definition
    differences for the Fargate launch type": gpu is not valid on Fargate)."""
    count = 0
    for index, device in enumerate(reservations.get("devices") or []):
        where = f"{_RESERVATIONS}.devices[{index}]"
        if "gpu" not in [str(cap) for cap in device.get("capabilities") or []]:
            ctx.notice(
                service,
                where,
                "field-ignored",
                f"device reservation with capabilities {device.get('capabilities')} has "
                "no ECS equivalent (ECS reserves GPUs only); ignored",
            )
            continue
        if device.get("device_ids"):
            ctx.notice(
                service,
                f"{where}.device_ids",
                "field-ignored",
                "device_ids ignored: ECS reserves a number of GPUs, not given ones",
            )
        wanted = int(device.get("count") if device.get("count") is not None else 1)
        if wanted < 0 or (device.get("device_ids") and device.get("count") is None):
            wanted = len(device.get("device_ids") or [])
        if wanted <= 0:
            ctx.error(
                service,
                f"{where}.count",
                "gpu-count",
                "count: all cannot be reserved on ECS, which reserves a number of GPUs; "
                "write the number (count: 1)",
            )
            continue
        count += wanted
    for index, resource in enumerate(reservations.get("generic_resources") or []):
        spec = resource.get("discrete_resource_spec") or {}
        if spec.get("kind") == "gpus":
            count += int(spec.get("value") or 0)
            continue
        ctx.notice(
            service,
            f"{_RESERVATIONS}.generic_resources[{index}]",
            "field-ignored",
            f"generic resource {spec.get('kind')!r} has no ECS equivalent (ECS reserves "
            "GPUs only); ignored",
        )
    if not count:
        return
    if ctx.fargate:
        ctx.error(
            service,
            _RESERVATIONS,
            "fargate-gpu",
            f"{count} GPU(s) reserved, and Fargate has no GPUs; use the EC2 launch type "
            "with GPU instances (x-ecs.requiresCompatibilities: [EC2])",
        )
        return
    c["resourceRequirements"] = [{"type": "GPU", "value": str(count)}]
    ctx.origins[(service, "resourceRequirements")] = _RESERVATIONS


def _map_restart_policy(
    ctx: FieldContext, service: str, policy: Mapping[str, Any], c: dict[str, Any]
) -> None:
    condition = policy.get("condition")
    if condition is not None:
        field = "deploy.restart_policy.condition"
        restart_policy(
            ctx, service, c, field, RESTART_CONDITIONS.get(str(condition), ""), condition
        )
    for key in sorted(set(policy) - {"condition"}):
        ctx.notice(
            service,
            f"deploy.restart_policy.{key}",
            "field-ignored",
            f"restart_policy.{key} ignored: the ECS service scheduler replaces stopped tasks",
        )
