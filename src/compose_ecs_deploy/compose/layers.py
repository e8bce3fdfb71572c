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
) -> dict[str, Any]:
    """The merged container; `default_logging` is called only when no layer sets logging.

    It is a callable because it can fail (no region): a base that configures its own
    logging must not be refused for want of a region it never uses.
    """
    merged: dict[str, Any] = {"essential": True, **base, **compose, **x_ecs}
    if "logConfiguration" not in merged:
        merged["logConfiguration"] = default_logging()
    _notice_dropped_environment(base, merged, str(merged.get("name")), diagnostics)
    return merged


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
