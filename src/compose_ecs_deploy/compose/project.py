"""The loaded compose project as plain data, with no ECS types in it.

It is what `docker compose config` printed, plus what that output loses and we need:
the files it came from and where each key was written, so that diagnostics can point at a
line of the user's file rather than at Compose's merged result.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

Position = tuple[str, int]


@dataclass(frozen=True)
class Project:
    name: str
    services: Mapping[str, Mapping[str, Any]]
    volumes: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    secrets: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    extensions: Mapping[str, Any] = field(default_factory=dict)
    positions: Mapping[str, Position] = field(default_factory=dict)
    behind_profiles: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Services written in the files but not loaded: the profiles that would enable them."""
    directory: str = ""
    """The project directory (absolute), against which Compose resolved relative paths."""

    def display_path(self, path: str) -> str:
        """A path Compose made absolute, shown relative to the project as the user wrote it."""
        if self.directory and (
            path == self.directory or path.startswith(self.directory.rstrip("/") + "/")
        ):
            return path[len(self.directory) :].lstrip("/") or "."
        return path

    def position_of(self, path: str) -> Position | None:
        """The file and line of the most specific written key on `path` (a dotted path)."""
        parts = path.split(".")
        while parts:
            found = self.positions.get(".".join(parts))
            if found:
                return found
            parts.pop()
        return None

    @property
    def built_services(self) -> list[str]:
        return sorted(name for name, service in self.services.items() if "build" in service)

    @property
    def x_ecs(self) -> Mapping[str, Any]:
        value = self.extensions.get("x-ecs") or {}
        return value if isinstance(value, Mapping) else {}
