"""What compose's `build` section asks for, as plain data: shared by the build stage, which
decides it, and the engine adapter, which runs it (and imports the docker SDK)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class BuildSpec:
    """What compose's `build` section asks for, resolved to absolute paths by Compose."""

    context: str
    dockerfile: str = "Dockerfile"
    target: str | None = None
    args: Mapping[str, str] = field(default_factory=dict)
    labels: Mapping[str, str] = field(default_factory=dict)
    cache_from: tuple[str, ...] = ()
    platform: str | None = None
    network: str | None = None
