"""Why a task failed, in the step's own log: the hint for its cause and the last lines its
failed container printed.

Called once a verdict says a deployment (or a one-off task) failed, for the stopped tasks
the verdict is explained by, never before: a deploy that works reads no logs. For each task
it makes at most one GetLogEvents call (the container that explains the stop; a container
that never started wrote nothing, so it costs none). Reading logs never fails the step: a
denial, a missing stream or an empty one is said in one line, with the IAM action to add
when that is the cause.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from compose_ecs_deploy.aws import logs
from compose_ecs_deploy.aws.client import Aws
from compose_ecs_deploy.report.console import Log, RememberingLog
from compose_ecs_deploy.report.redact import mask
from compose_ecs_deploy.report.safe_text import clip, fence, one_line
from compose_ecs_deploy.report.safe_text import markdown as md
from compose_ecs_deploy.rollout.verdicts.container_logs import LogPlace, log_place
from compose_ecs_deploy.rollout.verdicts.hints import Hint, Stop, hint_for, stop_of
from compose_ecs_deploy.rollout.verdicts.stopped_tasks import StoppedTask

POLICY_STATEMENT = "OptionalFailedTaskLogs"
LINE_LIMIT = 1_000  # characters of one log line in the summary (the log shows it whole)


@dataclass(frozen=True)
class ContainerLog:
    """The last lines of one container of one stopped task, or one line saying why none."""

    container: str
    task_id: str
    place: str
    lines: tuple[str, ...] = ()
    note: str = ""


@dataclass(frozen=True)
class Diagnosis:
    task_id: str
    hint: Hint | None
    log: ContainerLog | None


def _account(task_arn: str) -> str:
    parts = task_arn.split(":")
    return parts[4] if len(parts) > 4 and parts[4] else "<ACCOUNT_ID>"


def _read(aws: Aws, stop: Stop, place: LogPlace, limit: int, masked: Sequence[str]) -> ContainerLog:
    task_id = stop.task_arn.rsplit("/", 1)[-1]
    base = ContainerLog(place.container, task_id, place.describe())
    if not place.readable:
        return replace(base, note=f"its logs went to {place.describe()}")
    if stop.exit_code is None:
        return replace(base, note="it never started, so it wrote no log lines")
    read = logs.last_lines(
        aws, group=place.group, stream=place.stream, region=place.region, limit=limit
    )
    if read.problem == "denied":
        resource = (
            f"arn:aws:logs:{place.region}:{_account(stop.task_arn)}:log-group:{place.group}:*"
        )
        note = (
            f"could not read its log lines: {logs.ACTION} was denied; add {logs.ACTION} on "
            f"{resource} to the deploy role's policy (statement {POLICY_STATEMENT} in "
            "docs/iam-policy.json)"
        )
    elif read.problem == "missing":
        note = (
            f"no log lines: {read.detail.rstrip('.')} (group {place.group}, stream {place.stream})"
        )
    elif read.problem == "failed":
        note = f"could not read its log lines: {read.detail}"
    elif not read.lines:
        note = f"no log lines: the stream {place.stream} is empty"
    else:
        return replace(base, lines=tuple(mask(line, masked) for line in read.lines))
    return replace(base, note=note)


def diagnose(
    aws: Aws,
    stops: Iterable[Stop],
    revision: Mapping[str, Any],
    *,
    log_lines: int,
    masked: Sequence[str],
    region: str,
) -> list[Diagnosis]:
    """A hint and (with `log_lines` > 0) the last lines of the container that explains each
    stopped task; `masked` are the values the deploy masks (registry credentials, plain
    environment values under secret-looking names)."""
    diagnoses = []
    for stop in stops:
        task_id = stop.task_arn.rsplit("/", 1)[-1]
        log = None
        if log_lines > 0 and stop.container:
            place = log_place(revision, stop.container, task_id, stop.region or region)
            log = _read(aws, stop, place, log_lines, masked)
        diagnoses.append(Diagnosis(task_id, hint_for(stop, revision), log))
    return diagnoses


def format_diagnosis(service: str, diagnosis: Diagnosis, said: set[str]) -> list[str]:
    """The log lines: the hint (unless `said` has it: several tasks of one cause), then the
    container's last lines, each behind `| ` so that an app's output can never be read as a
    workflow command (`::add-mask::`, `::error::`)."""
    lines = []
    if diagnosis.hint and diagnosis.hint.text not in said:
        said.add(diagnosis.hint.text)
        lines.append(f"{service}: hint: {diagnosis.hint.text}")
    log = diagnosis.log
    if log is None:
        return lines
    if log.note:
        return [*lines, f"{service}: container {log.container} of task {log.task_id}: {log.note}"]
    return [
        *lines,
        f"{service}: last {len(log.lines)} log lines of container {log.container}, "
        f"task {log.task_id} ({log.place}):",
        *(f"  | {line}" for line in log.lines),
    ]


def explain(
    aws: Aws,
    service: str,
    tasks: Sequence[StoppedTask],
    revision: Mapping[str, Any],
    *,
    log_lines: int,
    region: str,
    log: Log,
) -> list[Diagnosis]:
    """Diagnose the stopped tasks a verdict is explained by and print it under the error;
    the lines are masked with every value `log` was asked to mask."""
    masked = log.masked if isinstance(log, RememberingLog) else []
    diagnoses = diagnose(
        aws,
        [stop_of(t) for t in tasks],
        revision,
        log_lines=log_lines,
        masked=masked,
        region=region,
    )
    said: set[str] = set()
    for diagnosis in diagnoses:
        for line in format_diagnosis(service, diagnosis, said):
            log.info(line)
    return diagnoses


def diagnosis_markdown(diagnosis: Diagnosis) -> list[str]:
    """A failed container's last lines as a collapsed block, or the one line saying why none."""
    log = diagnosis.log
    if log is None:
        return []
    if log.note:
        return [f"  - {md(f'container {log.container} of task {log.task_id}: {log.note}')}"]
    lines = [clip(one_line(line), LINE_LIMIT) for line in log.lines]
    return [
        "",
        f"<details><summary>Last {len(log.lines)} log lines of container "
        f"{md(log.container)}, task {md(log.task_id)}</summary>",
        "",
        md(log.place),
        "",
        *fence(lines, "text"),
        "",
        "</details>",
        "",
    ]
