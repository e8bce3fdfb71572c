"""tmpfs mounts on Fargate: empty task volumes on the task's ephemeral storage, made writable.

Fargate has no tmpfs ("Amazon ECS task definition differences for the Fargate launch type":
the `devices`, `sharedMemorySize` and `tmpfs` linuxParameters are not supported). What a tmpfs
gives a container, often one with a read-only root file system, is a writable directory that
starts empty and is gone when the task stops; an empty bind-mount volume gives the same on
Fargate ("Use bind mounts with Amazon ECS": "to provide an empty data volume to mount in one
or more containers"), on the task's ephemeral storage rather than in memory. ECS makes such a
volume root's with mode 0755 (aws/containers-roadmap#938), where Docker makes a tmpfs
world-writable (its `tmpfs-mode` default, 1777): a process that is not root could not write
it. So a non-essential init container sets each volume's mode, as the file secrets' init
container does, and each service that mounts one starts after it (dependsOn SUCCESS).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from compose_ecs_deploy.compose.file_secrets import shell_init_container

TMPFS_INIT = "compose-tmpfs-init"
_ROOT = "/compose-tmpfs"
DEFAULT_MODE = "1777"  # Docker's tmpfs-mode default: world-writable, sticky, as /tmp


@dataclass(frozen=True)
class ScratchMount:
    """One tmpfs of one service, as the task volume that replaces it."""

    service: str
    path: str
    volume: str
    mode: str


def volume_name(service: str, index: int) -> str:
    """ECS volume names take letters, digits, `-` and `_`; compose service names also dots."""
    return re.sub(r"[^A-Za-z0-9_-]", "-", f"{service}-tmpfs-{index}")


def tmpfs_mode(options: Mapping[str, str]) -> str | None:
    """The octal mode of `/path:mode=1770` or the long syntax's `mode`, else Docker's default;
    None when it is not an octal mode."""
    mode = str(options.get("mode") or DEFAULT_MODE).lower().removeprefix("0o")
    return mode if re.fullmatch(r"[0-7]{3,4}", mode) else None


def init_container(mounts: Sequence[ScratchMount], image: str) -> dict[str, Any]:
    """Sets each volume's mode, then exits; it holds no secret and needs no logs."""
    volumes = {mount.volume: mount.mode for mount in mounts}
    lines = ["set -eu", *(f"chmod {mode} {_ROOT}/{name}" for name, mode in volumes.items())]
    return shell_init_container(TMPFS_INIT, image, lines, _ROOT, volumes)


def attach(
    containers: list[dict[str, Any]], mounts: Sequence[ScratchMount], image: str
) -> list[dict[str, Any]]:
    """Mount each volume in its service, make it wait for the init container; the volumes."""
    if not mounts:
        return []
    by_name = {container["name"]: container for container in containers}
    for service in dict.fromkeys(mount.service for mount in mounts):
        container = by_name[service]
        container["dependsOn"] = [
            *container.get("dependsOn", []),
            {"containerName": TMPFS_INIT, "condition": "SUCCESS"},
        ]
    containers.append(init_container(mounts, image))
    return [{"name": name} for name in dict.fromkeys(mount.volume for mount in mounts)]
