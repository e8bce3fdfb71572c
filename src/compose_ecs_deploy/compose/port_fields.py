"""`ports` and `expose` → `portMappings`: their table rows beside their handlers.

Both fill one list. A port that `ports` maps (with its name and app protocol) wins over the
same port from `expose`, and `ports`' mappings come first, whichever field the converter
reaches first: so each handler merges into what the other may already have written.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from compose_ecs_deploy.compose.field_context import FieldContext, FieldRule
from compose_ecs_deploy.compose.units import parse_port_range


def _key(mapping: dict[str, Any]) -> tuple[int, str]:
    return int(mapping["containerPort"]), str(mapping["protocol"])


def _port_mapping(
    ctx: FieldContext, service: str, where: str, port: dict[str, Any]
) -> dict[str, Any] | None:
    """One long-syntax `ports` entry (Compose writes every entry so), or None after an error."""
    try:
        target = parse_port_range(port.get("target", ""))
    except ValueError as exc:
        ctx.error(service, where, "port-invalid", str(exc))
        return None
    protocol = str(port.get("protocol") or "tcp")
    if protocol not in ("tcp", "udp"):
        ctx.error(
            service,
            where,
            "port-protocol",
            f"protocol {protocol!r} is not supported by ECS; use tcp or udp",
        )
        return None
    if port.get("host_ip"):
        ctx.notice(
            service,
            where,
            "port-host-ip",
            f"host_ip {port['host_ip']} ignored: ECS binds the task's own network interface",
        )
    host_port = None
    if port.get("published") not in (None, ""):
        try:
            published = parse_port_range(port["published"])
        except ValueError as exc:
            ctx.error(service, where, "port-invalid", str(exc))
            return None
        if ctx.awsvpc and published != range(target.start, target.start + 1):
            ctx.notice(
                service,
                where,
                "port-published-dropped",
                f"published port {port['published']} dropped: under awsvpc the task listens "
                f"on {port['target']} itself (a load balancer's listener maps outside ports)",
            )
        if not ctx.awsvpc:
            host_port = published.start
    mapping: dict[str, Any] = {"containerPort": target.start, "protocol": protocol}
    if host_port is not None:
        mapping["hostPort"] = host_port
    if port.get("name"):
        mapping["name"] = str(port["name"])
    if port.get("app_protocol"):
        mapping["appProtocol"] = str(port["app_protocol"])
    return mapping


def convert_ports(
    ctx: FieldContext,
    service: str,
    value: Sequence[dict[str, Any]],
    container: dict[str, Any],
    linux: dict[str, Any],
) -> None:
    mapped: list[dict[str, Any]] = []
    for index, port in enumerate(value or []):
        mapping = _port_mapping(ctx, service, f"ports[{index}]", port)
        if mapping is not None and _key(mapping) not in {_key(m) for m in mapped}:
            mapped.append(mapping)
    keys = {_key(m) for m in mapped}
    exposed = [m for m in container.get("portMappings", []) if _key(m) not in keys]
    if mapped or exposed:
        container["portMappings"] = mapped + exposed


def convert_expose(
    ctx: FieldContext,
    service: str,
    value: Sequence[Any],
    container: dict[str, Any],
    linux: dict[str, Any],
) -> None:
    mappings: list[dict[str, Any]] = list(container.get("portMappings", []))
    seen = {_key(m) for m in mappings}
    for exposed in value or []:
        number, _, protocol = str(exposed).partition("/")
        try:
            target = parse_port_range(number)
        except ValueError as exc:
            ctx.error(service, "expose", "port-invalid", str(exc))
            continue
        for port_number in target:  # a range maps every port of it, as `expose` does
            key = (port_number, protocol or "tcp")
            if key not in seen:
                seen.add(key)
                mappings.append({"containerPort": port_number, "protocol": protocol or "tcp"})
    if mappings:
        container["portMappings"] = mappings


RULES: tuple[FieldRule, ...] = (
    FieldRule(
        "ports",
        "mapped",
        "portMappings",
        "tcp/udp; `host_ip` ignored; under awsvpc a published port that differs from "
        "the target is dropped with a notice (the task listens on the target)",
        convert_ports,
    ),
    FieldRule(
        "expose", "mapped", "portMappings", "tcp; a range maps every port of it", convert_expose
    ),
)
