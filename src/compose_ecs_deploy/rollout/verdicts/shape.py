"""What a deployment kind needs of the task definition beyond what compose gives.

Most kinds need nothing: the revision registered is the one compose renders. Express runs a
task only when its primary container is named `Main` with one named TCP port, and takes its
own settings (scaling, network, health check) from the compose file's top-level `x-ecs`
(`verdicts/express.py`). The plan asks the service's controller for its shape and applies
it, before any write; the shape is pure data and pure functions.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from compose_ecs_deploy.diagnostics import Diagnostic


@dataclass(frozen=True)
class TaskShape:
    """The default: the task is what compose renders, and the service takes nothing more."""

    def service_keys(self) -> tuple[str, ...]:
        """Top-level `x-ecs` keys that configure the service rather than the task."""
        return ()

    def base(self, running: Mapping[str, Any]) -> dict[str, Any]:
        """The running revision as the conversion's base."""
        return dict(running)

    def registered(self, request: Mapping[str, Any]) -> dict[str, Any]:
        """The rendered request as it is diffed and registered."""
        return dict(request)

    def problems(self, request: Mapping[str, Any]) -> list[Diagnostic]:
        """What this kind cannot run in the rendered request, each naming its field."""
        return []

    def options(self) -> dict[str, Any]:
        """The service's own settings for the controller's start (none by default)."""
        return {}
