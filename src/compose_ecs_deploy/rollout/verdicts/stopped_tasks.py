"""Stopped tasks as DescribeTasks reports them, classified: why each one stopped, and which
container explains it. The rollout verdicts (`core.rollout`) count these; failure messages,
hints and log readers take the container a `StoppedTask` names.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from compose_ecs_deploy.rollout.verdicts.arns import last_part

Cause = Literal["deterministic", "failed", "transient", "exited", "scheduler"]


@dataclass(frozen=True)
class StoppedContainer:
    """One container of a stopped task, as DescribeTasks reports it (API_Container)."""

    name: str
    essential: bool
    exit_code: int | None
    reason: str
    health_status: str


@dataclass(frozen=True)
class StoppedTask:
    """A stopped task of our deployment, with why it matters (its `cause`) and the container
    that explains it (`culprit`): what a failure message, a hint or a log reader needs."""

    task_arn: str
    task_definition: str
    stop_code: str
    stopped_reason: str
    reached_running: bool
    containers: tuple[StoppedContainer, ...]
    cause: Cause
    culprit: StoppedContainer | None

    @property
    def task_id(self) -> str:
        return last_part(self.task_arn)


# Stopped-task error messages (developer guide, "Amazon ECS stopped task error messages",
# "CannotPullContainer task errors", "ResourceInitializationError"). Deterministic: running
# the same task again gives the same error. Transient: capacity and network timeouts that
# ECS retries and that usually pass.
_DETERMINISTIC = re.compile(
    r"CannotPullContainerError.*(not found|manifest unknown|repository does not exist|"
    r"pull access denied|denied|unauthorized|invalid reference)"
    r"|ResourceInitializationError.*(ResourceNotFoundException|ParameterNotFound|"
    r"AccessDeniedException|not authorized|InvalidParameter|does not exist|can't find)"
    r"|unable to retrieve secret.*(ResourceNotFoundException|AccessDenied)",
    re.IGNORECASE | re.DOTALL,
)
_TRANSIENT = re.compile(
    r"i/o timeout|context deadline exceeded|timed? ?out|RequestCanceled|connection reset|"
    r"TLS handshake timeout|Capacity is unavailable|RESOURCE:|insufficient capacity|"
    r"Timeout waiting for network interface",
    re.IGNORECASE,
)
_HEALTH = re.compile(r"failed (container|ELB) health checks", re.IGNORECASE)
# Docker's exit codes of a container killed by the agent when its task stops (SIGKILL,
# SIGTERM): a sidecar's 137/143 is a result of the stop, not its reason.
_KILLED = (137, 143)


def stopped_task(payload: Mapping[str, Any], essential: frozenset[str]) -> StoppedTask:
    """One DescribeTasks task (API_Task: stopCode, stoppedReason, containers[].exitCode,
    reason, healthStatus) classified. DescribeTasks does not say which containers are
    essential; that comes from the task definition (`essential`: empty means all)."""
    containers = tuple(
        StoppedContainer(
            name=str(c.get("name", "")),
            essential=not essential or str(c.get("name", "")) in essential,
            exit_code=c.get("exitCode") if isinstance(c.get("exitCode"), int) else None,
            reason=str(c.get("reason") or ""),
            health_status=str(c.get("healthStatus") or ""),
        )
        for c in payload.get("containers", [])
    )
    stop_code = str(payload.get("stopCode") or "")
    reason = str(payload.get("stoppedReason") or "")
    text = " ".join([reason, *(c.reason for c in containers)])
    culprit = _culprit(containers)
    cause = _cause(stop_code, reason, text, culprit)
    return StoppedTask(
        task_arn=str(payload.get("taskArn", "")),
        task_definition=str(payload.get("taskDefinitionArn", "")),
        stop_code=stop_code,
        stopped_reason=reason,
        reached_running=payload.get("startedAt") is not None,
        containers=containers,
        cause=cause,
        culprit=culprit,
    )


def _culprit(containers: Sequence[StoppedContainer]) -> StoppedContainer | None:
    """The container that explains the stop: an essential one that failed, before a sidecar
    killed with 137/143 as the task stopped, before anything else that says something."""

    def failed(c: StoppedContainer) -> bool:
        return (c.exit_code not in (None, 0)) or bool(c.reason) or c.health_status == "UNHEALTHY"

    ranked = (
        [c for c in containers if c.essential and failed(c) and c.exit_code not in _KILLED],
        [c for c in containers if c.essential and failed(c)],
        [c for c in containers if failed(c) and c.exit_code not in _KILLED],
        [c for c in containers if failed(c)],
    )
    return next((group[0] for group in ranked if group), None)


def _cause(stop_code: str, reason: str, text: str, culprit: StoppedContainer | None) -> Cause:
    """Task.stopCode (API_Task): TaskFailedToStart | EssentialContainerExited |
    UserInitiated | ServiceSchedulerInitiated | SpotInterruption | TerminationNotice."""
    if _DETERMINISTIC.search(text):
        return "deterministic"
    if _TRANSIENT.search(text) or stop_code in ("SpotInterruption", "TerminationNotice"):
        return "transient"
    if stop_code == "ServiceSchedulerInitiated" and not _HEALTH.search(reason):
        return "scheduler"  # scaling, or replaced by a newer deployment
    if stop_code == "UserInitiated":
        return "scheduler"
    if _HEALTH.search(reason) or stop_code == "TaskFailedToStart":
        return "failed"
    if culprit is not None and culprit.essential and culprit.exit_code not in (None, 0):
        return "failed"
    if culprit is not None and culprit.exit_code is None and culprit.reason:
        return "failed"  # CannotStartContainerError and the like: no exit code at all
    return "exited"


def describe(task: StoppedTask) -> str:
    """`task ID stopped (CODE): REASON; container NAME exited with code N (REASON)`."""
    head = f"task {task.task_id} stopped"
    if task.stop_code:
        head += f" ({task.stop_code})"
    parts = [f"{head}: {task.stopped_reason or 'no reason given'}"]
    shown = [task.culprit] if task.culprit else []
    shown += [
        c
        for c in task.containers
        if c is not task.culprit
        and c.essential
        and (c.exit_code not in (None, 0) or c.reason)
        and not (task.culprit and task.culprit.essential and c.exit_code in _KILLED)
    ]
    for container in shown:
        line = f"container {container.name}"
        if container.exit_code is not None:
            line += f" exited with code {container.exit_code}"
        if container.reason:
            line += f" ({container.reason})"
        if container.health_status == "UNHEALTHY":
            line += ", health check UNHEALTHY"
        parts.append(line)
    return "; ".join(parts)
