"""One container from its four layers, lowest first: our defaults, the base, compose, x-ecs.

The platform team's settings live in the base (the running revision, or `--task-definition`):
a firelens log router, an awslogs group Terraform made, dependsOn on a sidecar. Our defaults
only fill what the base leaves unset, so those survive wherever compose is silent. Each key
compose gives replaces the base's key whole, as `docker compose` overrides do; for the
environment that is worth a notice, since a base entry that disappears is easy to miss.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from compose_ecs_deploy.diagnostics import Diagnostics

PRECEDENCE = "our defaults, then the base revision, then compose, then the service's x-ecs"


def layered_container(
    base: Mapping[str, Any],
    compose: Mapping[str, Any],
    x_ecs: Mapping[str, Any],
    default_logging: Callable[[], dict[str, Any]],
    diagnostics: Diagnostics,
    logging_gaps: tuple[str, ...] = (),
    *,
    driverless: bool = False,
) -> dict[str, Any]:
    """The merged container; `default_logging` is called only when no layer sets logging.

    It is a callable because it can fail (no region): a base that configures its own
    logging must not be refused for want of a region it never uses. Compose's `driver:
    none` is a None logConfiguration: the container keeps no logs. `logging_gaps` are the
    awslogs options compose's logging left out that ECS needs: they come from the base's
    awslogs configuration where it has them, else from ours. A `driverless` block's
    awslogs options are for the driver the container gets anyway: when that is the base's
    and not awslogs (firelens, splunk), they are dropped and the base's logging stays.
    """
    merged: dict[str, Any] = {"essential": True, **base, **compose, **x_ecs}
    if "logConfiguration" not in merged:
        merged["logConfiguration"] = default_logging()
    elif merged["logConfiguration"] is None:
        del merged["logConfiguration"]
    elif driverless and "logConfiguration" not in x_ecs and _other_base_driver(base):
        _keep_base_logging(merged, base, diagnostics)
    elif logging_gaps and "logConfiguration" not in x_ecs:
        _fill_awslogs(merged, base, logging_gaps, default_logging, diagnostics)
    _notice_dropped_environment(base, merged, str(merged.get("name")), diagnostics)
    return merged


def _other_base_driver(base: Mapping[str, Any]) -> bool:
    driver = (base.get("logConfiguration") or {}).get("logDriver")
    return driver is not None and driver != "awslogs"


def _keep_base_logging(
    merged: dict[str, Any], base: Mapping[str, Any], diagnostics: Diagnostics
) -> None:
    dropped = ", ".join(merged["logConfiguration"].get("options") or {})
    merged["logConfiguration"] = base["logConfiguration"]
    diagnostics.notice(
        "logging-options-dropped",
        f"logging options {dropped} dropped: with no driver they go to the driver the "
        f"container logs with, the base revision's {base['logConfiguration']['logDriver']}, "
        "which does not take awslogs options",
        service=str(merged.get("name")),
        field="logging.options",
    )


def _fill_awslogs(
    merged: dict[str, Any],
    base: Mapping[str, Any],
    gaps: tuple[str, ...],
    default_logging: Callable[[], dict[str, Any]],
    diagnostics: Diagnostics,
) -> None:
    base_logging = base.get("logConfiguration") or {}
    from_base: Mapping[str, Any] = {}
    if base_logging.get("logDriver") == "awslogs":
        from_base = base_logging.get("options") or {}
    filled = {name: str(from_base[name]) for name in gaps if name in from_base}
    sources = ["the base revision's awslogs configuration"] if filled else []
    if len(filled) < len(gaps):
        ours = default_logging()["options"]
        filled.update({name: str(ours[name]) for name in gaps if name not in filled})
        sources.append("the defaults")
    options = {**(merged["logConfiguration"].get("options") or {}), **filled}
    merged["logConfiguration"] = {**merged["logConfiguration"], "options": options}
    diagnostics.notice(
        "logging-awslogs-filled",
        "awslogs needs "
        + ", ".join(f"{name} (here {value})" for name, value in filled.items())
        + f", which the logging block leaves out: taken from {' and '.join(sources)}",
        service=str(merged.get("name")),
        field="logging",
    )


def _notice_dropped_environment(
    base: Mapping[str, Any], merged: Mapping[str, Any], service: str, diagnostics: Diagnostics
) -> None:
    """Name (never the value of) each base entry that the new environment no longer has."""
    before = [str(entry.get("name")) for entry in base.get("environment") or []]
    after = {str(entry.get("name")) for entry in merged.get("environment") or []}
    for name in before:
        if name not in after:
            diagnostics.notice(
                "base-environment-dropped",
                f"{name} of the base revision is not deployed: the compose environment "
                "replaces the base's whole; add it to the compose environment to keep it",
                service=service,
                field="environment",
            )
