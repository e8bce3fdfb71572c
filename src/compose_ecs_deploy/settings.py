"""Every option once, in one frozen object; the only module that reads the environment.

The CLI and the action both build a `Settings`; everything downstream takes it (or the
smaller options object derived from it) as plain data.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Settings:
    compose_files: tuple[str, ...]
    profiles: tuple[str, ...] = ()
    services: tuple[str, ...] = ()
    images: tuple[str, ...] = ()
    secrets: tuple[str, ...] = ()
    secrets_file: str | None = None
    task_definition: str | None = None
    family: str | None = None
    region: str | None = None
    environment: Mapping[str, str] = field(default_factory=dict, repr=False)


def region_from(explicit: str | None, environ: Mapping[str, str]) -> str | None:
    """`--region` / aws-region, else AWS_REGION, else AWS_DEFAULT_REGION (as the AWS CLI)."""
    return explicit or environ.get("AWS_REGION") or environ.get("AWS_DEFAULT_REGION") or None


def current_environment() -> dict[str, str]:
    return dict(os.environ)
