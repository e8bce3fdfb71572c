"""What a simulated container printed before it stopped, written into moto's CloudWatch Logs.

Why: when a rollout fails, the deploy reads the failed container's last lines with
GetLogEvents. For that read to be tested against a real GetLogEvents (moto implements
CloudWatch Logs), the simulated container must have printed something, where ECS's awslogs
driver would have put it: each line of the container's stdout/stderr is an event in the
stream ``PREFIX/CONTAINER/TASK_ID`` of ``awslogs-group``, in ``awslogs-region`` (ECS
developer guide, "Using the awslogs log driver": awslogs-stream-prefix; and "awslogs-create-
group", which makes the group when it is missing). The ECS simulator calls
``container_stopped`` from its stop path, inside moto's server process, so the events go
straight into moto's Logs backend of the task's account and region.

Which lines
    The service tag ``simulator:output`` names one of ``OUTPUTS``; without it the failing
    container's exit code picks one (``BY_EXIT_CODE``: 137 was killed mid-work, 127 is the
    shell's "not found"; any other code a Python traceback). ``{env:NAME}`` in a line is the
    container's environment value NAME, as an app that prints its configuration would.

Not like real ECS
    Only the container whose failure stops the task prints (its sidecars print nothing);
    the lines are canned, not an app's; with no log group and no ``awslogs-create-group``
    nothing is written (ECS would not start the task: ResourceInitializationError).
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from typing import Any

from moto.logs.models import logs_backends

OUTPUT_TAG = "simulator:output"

OUTPUTS: dict[str, tuple[str, ...]] = {
    "traceback": (
        "starting app",
        "Traceback (most recent call last):",
        '  File "/app/app.py", line 12, in <module>',
        "    DATABASE_URL = os.environ['DATABASE_URL']",
        '  File "<frozen os>", line 679, in __getitem__',
        "KeyError: 'DATABASE_URL'",
    ),
    "killed": ("worker started", "loading the model into memory"),
    "not-found": ("/bin/sh: 1: gunicorn: not found",),
    "listening": ("hello listening on :8080",),
    "prints-its-token": (
        "starting app",
        "config: API_TOKEN={env:API_TOKEN}",
        "using token {env:API_TOKEN} for the upstream API",
        "fatal: the upstream API refused the token",
    ),
}
BY_EXIT_CODE = {137: "killed", 127: "not-found", 0: "listening"}
_ENV = re.compile(r"\{env:([A-Za-z_][A-Za-z0-9_]*)\}")


def output_for(tags: Mapping[str, str], exit_code: int | None) -> tuple[str, ...]:
    """The lines a container printed: the tag's script, else the one its exit code picks."""
    name = tags.get(OUTPUT_TAG) or BY_EXIT_CODE.get(exit_code or 0, "traceback")
    if name not in OUTPUTS:
        raise ValueError(f"{OUTPUT_TAG}={name!r} is not one of {', '.join(OUTPUTS)}")
    return OUTPUTS[name]


def _printed(lines: tuple[str, ...], environment: Mapping[str, str]) -> list[str]:
    return [_ENV.sub(lambda m: environment.get(m.group(1), ""), line) for line in lines]


def container_stopped(
    account_id: str,
    region: str,
    task_id: str,
    definition: Mapping[str, Any],
    tags: Mapping[str, str],
    exit_code: int | None,
) -> None:
    """Write what the container of `definition` printed, if it logs with awslogs."""
    config = definition.get("logConfiguration") or {}
    options = config.get("options") or {}
    prefix = options.get("awslogs-stream-prefix")
    if config.get("logDriver") != "awslogs" or not options.get("awslogs-group") or not prefix:
        return
    backend = logs_backends[account_id][options.get("awslogs-region") or region]
    group = str(options["awslogs-group"])
    if group not in backend.groups:
        if str(options.get("awslogs-create-group", "")).lower() != "true":
            return
        backend.create_log_group(group, tags={})
    stream = f"{prefix}/{definition.get('name')}/{task_id}"
    if stream not in backend.groups[group].streams:
        backend.create_log_stream(group, stream)
    environment = {
        str(e.get("name")): str(e.get("value", "")) for e in definition.get("environment", [])
    }
    lines = _printed(output_for(tags, exit_code), environment)
    now = int(time.time() * 1000)
    events = [{"timestamp": now - len(lines) + i, "message": line} for i, line in enumerate(lines)]
    backend.put_log_events(group, stream, events)


def task_stopped(backend: Any, task: Any, container: str, exit_code: int | None) -> None:
    """The simulator's hook: `task` (a simulated task of `backend`, moto's ECS backend)
    stopped because `container` exited; its tags are its service's and its own."""
    revision = backend.describe_task_definition(task.task_definition_arn)
    definition = next(
        (c for c in revision.container_definitions if c.get("name") == container), None
    )
    if definition is None:
        return
    group = str(task.group or "")
    service = backend.services.get(f"{task.cluster_name}:{group.removeprefix('service:')}")
    tags = {
        t["key"]: t["value"] for t in [*(getattr(service, "tags", None) or []), *(task.tags or [])]
    }
    container_stopped(task.account_id, task.region_name, task.id, definition, tags, exit_code)
