"""Compose fields that become mounts: volumes (named, bind, tmpfs) and tmpfs.

Named volumes become task volumes and mount points. Bind mounts cannot come along (the
host's files are not there), and the notice says what to use instead, which depends on what
the mount was for: the Docker socket, a directory two containers share, source or data.
tmpfs has no equivalent on Fargate: each becomes an empty task volume (`scratch`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from compose_ecs_deploy.compose.field_context import FieldContext, FieldRule, size_mib
from compose_ecs_deploy.compose.scratch import TMPFS_INIT, ScratchMount, tmpfs_mode, volume_name


def _map_tmpfs(
    ctx: FieldContext,
    service: str,
    value: Any,
    c: dict[str, Any],
    linux: dict[str, Any],
    field: str = "tmpfs",
) -> None:
    if not value:
        return
    entries = [value] if isinstance(value, str) else value
    if ctx.fargate:
        _tmpfs_as_task_volumes(ctx, service, field, entries, c)
        return
    mounts = []
    for entry in entries:
        path, options = _tmpfs_entry(entry)
        if "size" not in options:
            ctx.error(
                service,
                "tmpfs",
                "tmpfs-size",
                f"ECS needs a size for tmpfs {path}: write {path}:size=64m",
            )
            continue
        mib = size_mib(ctx, service, "tmpfs", options["size"])
        if mib is not None:
            mounts.append({"containerPath": path, "size": mib})
    if mounts:
        linux["tmpfs"] = mounts


def _tmpfs_entry(entry: Any) -> tuple[str, dict[str, str]]:
    """`/run:size=64m,mode=1777`, or the long syntax's (target, {size, mode}) pair."""
    if isinstance(entry, tuple):
        return entry
    path, _, option_text = str(entry).partition(":")
    return path, dict(part.partition("=")[::2] for part in option_text.split(",") if part)


def _tmpfs_as_task_volumes(
    ctx: FieldContext, service: str, field: str, entries: list[Any], c: dict[str, Any]
) -> None:
    """Fargate has no tmpfs: each becomes an empty task volume, made writable (`scratch`)."""
    paths = []
    for entry in entries:
        path, options = _tmpfs_entry(entry)
        mode = tmpfs_mode(options)
        if mode is None:
            ctx.error(
                service,
                field,
                "tmpfs-mode",
                f"tmpfs {path}: mode {options.get('mode')!r} is not an octal mode (e.g. 1777)",
            )
            continue
        index = sum(1 for mount in ctx.scratch if mount.service == service)
        mount = ScratchMount(service, path, volume_name(service, index), mode)
        ctx.scratch.append(mount)
        c["mountPoints"] = [
            *c.get("mountPoints", []),
            {"sourceVolume": mount.volume, "containerPath": path, "readOnly": False},
        ]
        paths.append(path)
    if paths:
        ctx.notice(
            service,
            field,
            "tmpfs-task-volume",
            f"tmpfs {', '.join(paths)}: Fargate has no tmpfs, so each becomes an empty task "
            "volume, writable under read_only and gone when the task stops, on the task's "
            "ephemeral storage rather than in memory (size is not applied); the init "
            f"container {TMPFS_INIT} gives it the tmpfs's mode",
        )


def _map_volumes(
    ctx: FieldContext, service: str, value: Any, c: dict[str, Any], linux: dict[str, Any]
) -> None:
    mount_points = []
    for index, volume in enumerate(value or []):
        where = f"volumes[{index}]"
        kind = volume.get("type")
        target = volume.get("target")
        if kind == "volume" and volume.get("source"):
            ctx.used_volumes[str(volume["source"])] = None
            mount_points.append(
                {
                    "sourceVolume": str(volume["source"]),
                    "containerPath": str(target),
                    "readOnly": bool(volume.get("read_only", False)),
                }
            )
            _notice_volume_options(ctx, service, where, volume)
        elif kind == "volume":
            ctx.notice(
                service,
                where,
                "volume-anonymous",
                f"anonymous volume at {target} ignored: the task's own storage is used",
            )
        elif kind == "bind":
            _notice_bind_mount(ctx, service, where, str(volume.get("source")), str(target))
        elif kind == "tmpfs":
            options = {k: str(v) for k, v in (volume.get("tmpfs") or {}).items()}
            _map_tmpfs(ctx, service, [(str(target), options)], c, linux, where)
        else:
            ctx.notice(
                service,
                where,
                "volume-unsupported",
                f"{kind} volume at {target} has no ECS equivalent; ignored",
            )
    if mount_points:
        c["mountPoints"] = [*c.get("mountPoints", []), *mount_points]


def _notice_bind_mount(
    ctx: FieldContext, service: str, where: str, source: str, target: str
) -> None:
    """A bind mount is ignored; what to do instead depends on what it was for."""
    shown = f"bind mount {ctx.project.display_path(source)} → {target} ignored"
    if source.endswith("/docker.sock"):
        ctx.notice(
            service,
            where,
            "volume-docker-socket",
            f"{shown}: a Fargate task cannot reach a Docker engine (on EC2 the host's "
            "engine is ECS's); what the socket was for is ECS's job: logs through the log driver "
            "(awslogs or awsfirelens), service discovery through Service Connect or Cloud "
            "Map, tasks through the ECS API with the task role",
        )
        return
    sharing = [
        other
        for other in ctx.services
        if other != service
        and any(
            isinstance(volume, dict)
            and volume.get("type") == "bind"
            and str(volume.get("source")) == source
            for volume in ctx.project.services[other].get("volumes") or []
        )
    ]
    if sharing:
        ctx.notice(
            service,
            where,
            "volume-bind-shared",
            f"{shown}: {', '.join(sharing)} also mount{'s' if len(sharing) == 1 else ''} "
            "it; to share files in the task, use a named volume (a task volume every "
            "container mounts), or EFS for data that must outlive the task (x-ecs.volumes)",
        )
        return
    looks_like_file = "." in source.rstrip("/").rpartition("/")[2].lstrip(".")
    ctx.notice(
        service,
        where,
        "volume-bind",
        f"{shown}: the host's files are not there in production (bake them into the image"
        + (
            ")"
            if looks_like_file
            else "; for data the app writes, use a named volume, or EFS to keep it: x-ecs.volumes)"
        ),
    )


def _notice_volume_options(
    ctx: FieldContext, service: str, where: str, volume: Mapping[str, Any]
) -> None:
    """ECS mount points have a volume, a path and readOnly; say what else is dropped."""
    options = volume.get("volume") or {}
    if options.get("subpath"):
        ctx.notice(
            service,
            f"{where}.volume.subpath",
            "volume-subpath",
            f"subpath {options['subpath']} dropped: ECS mounts the whole volume "
            f"{volume['source']} at {volume.get('target')} (with EFS, point a volume's "
            "rootDirectory at the subdirectory in x-ecs.volumes)",
        )
    for key in sorted(set(options) - {"subpath"}):
        ctx.notice(
            service,
            f"{where}.volume.{key}",
            "field-ignored",
            f"volume option {key} has no ECS equivalent; ignored",
        )


RULES: tuple[FieldRule, ...] = (
    FieldRule(
        "tmpfs",
        "mapped",
        "linuxParameters.tmpfs / task volumes",
        "EC2: with a size (`/path:size=64m`); Fargate (no tmpfs): an empty task volume "
        "per path, given tmpfs's mode (1777 unless `mode=`) by an init container, with a "
        "notice",
        _map_tmpfs,
    ),
    FieldRule(
        "volumes",
        "mapped",
        "mountPoints + task volumes",
        "named volumes only (`:ro` → readOnly); x-ecs.volumes or the volume's own "
        "x-ecs gives its ECS configuration, else it is task storage (a notice says "
        "so); `subpath` dropped with a notice; anonymous volumes ignored; bind mounts "
        "ignored with a notice that says what fits instead (the image, a named volume "
        "or EFS; never the Docker socket on Fargate)",
        _map_volumes,
    ),
)
