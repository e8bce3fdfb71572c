"""One pure step of watching a rollout: (state, DescribeServices payload) → (state, what's new).

The loop that polls lives in the deploy stage; this module only decides, from ECS's own
answer, what changed since the last poll (deployment counts, rollout state, new service
events) and whether the rollout has ended. Formatting lives in `format_*`, apart from both.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

from compose_ecs_deploy.core.arns import last_part

OutcomeKind = Literal["completed", "failed", "rolled-back", "superseded", "timed-out",
                      "cancelled"]


@dataclass(frozen=True)
class Outcome:
    kind: OutcomeKind
    reason: str

    @property
    def succeeded(self) -> bool:
        return self.kind == "completed"


@dataclass(frozen=True)
class Progress:
    """The numbers one poll line shows; a new line is printed only when they change."""

    running: int
    pending: int
    desired: int
    rollout_state: str
    deployments: int


@dataclass(frozen=True)
class Event:
    id: str
    created_at: str
    message: str


@dataclass(frozen=True)
class WatchState:
    service: str
    deployment_id: str
    task_definition: str
    seen_events: frozenset[str] = frozenset()
    progress: Progress | None = None
    failed_tasks: int = 0
    recent_events: tuple[Event, ...] = ()
    circuit_breaker: bool = False


@dataclass(frozen=True)
class Observation:
    progress: Progress | None = None
    new_events: tuple[Event, ...] = ()
    outcome: Outcome | None = None
    tasks_stopped: bool = False


def start(service: str, task_definition: str, payload: Mapping[str, Any]) -> WatchState:
    """The state right after UpdateService, from its answer: events there are not news.

    With a deployment circuit breaker, ECS itself decides when stopped tasks mean failure,
    so the watch then waits for the rollout state instead of failing on the first one.
    """
    primary = primary_deployment(payload)
    breaker = (payload.get("deploymentConfiguration") or {}).get("deploymentCircuitBreaker")
    return WatchState(
        service=service,
        deployment_id=str(primary.get("id", "")),
        task_definition=task_definition,
        seen_events=frozenset(str(e.get("id")) for e in payload.get("events", [])),
        circuit_breaker=bool((breaker or {}).get("enable")),
    )


def primary_deployment(payload: Mapping[str, Any]) -> Mapping[str, Any]:
    """The service's PRIMARY deployment (the one ECS rolls towards), or {} if none."""
    return next(
        (d for d in payload.get("deployments", []) if d.get("status") == "PRIMARY"), {})


def _events(payload: Mapping[str, Any], seen: frozenset[str]) -> tuple[Event, ...]:
    fresh = [e for e in payload.get("events", []) if str(e.get("id")) not in seen]
    return tuple(
        Event(str(e.get("id")), _clock_time(e.get("createdAt")), str(e.get("message", "")))
        for e in reversed(fresh)
    )


def _clock_time(value: Any) -> str:
    """boto3 gives datetimes; a poll line needs only the time of day."""
    if hasattr(value, "strftime"):
        return str(value.strftime("%H:%M:%S"))
    return str(value or "")


def step(state: WatchState, payload: Mapping[str, Any]) -> tuple[WatchState, Observation]:
    """Advance by one DescribeServices answer for this service."""
    new_events = _events(payload, state.seen_events)
    deployments: Sequence[Mapping[str, Any]] = payload.get("deployments", [])
    ours = next((d for d in deployments if d.get("id") == state.deployment_id), None)
    primary = next((d for d in deployments if d.get("status") == "PRIMARY"), None)
    recent = (state.recent_events + new_events)[-10:]
    next_state = replace(
        state,
        seen_events=state.seen_events | {e.id for e in new_events},
        recent_events=recent,
    )
    if ours is None:
        other = primary.get("id") if primary else "none"
        if primary and primary.get("taskDefinition") != state.task_definition:
            gone = Outcome("superseded",
                              f"deployment {state.deployment_id} is gone; the service now runs "
                              f"deployment {other} of {primary.get('taskDefinition')} (another "
                              "deploy or a rollback replaced it)")
        else:
            gone = Outcome("superseded",
                              f"deployment {state.deployment_id} is gone; deployment {other} "
                              "replaced it")
        return next_state, Observation(new_events=new_events, outcome=gone)

    progress = Progress(
        running=int(ours.get("runningCount", 0)),
        pending=int(ours.get("pendingCount", 0)),
        desired=int(ours.get("desiredCount", 0)),
        rollout_state=str(ours.get("rolloutState", "")),
        deployments=len(deployments),
    )
    failed = int(ours.get("failedTasks", 0))
    tasks_stopped = failed > state.failed_tasks
    next_state = replace(next_state, progress=progress, failed_tasks=failed)
    changed = progress if progress != state.progress else None

    outcome: Outcome | None = None
    rollout_state = progress.rollout_state
    if rollout_state == "FAILED":
        reason = str(ours.get("rolloutStateReason") or "the rollout failed")
        if primary is not None and primary.get("id") != state.deployment_id:
            outcome = Outcome("rolled-back",
                              f"{reason} ECS rolled the service back to "
                              f"{primary.get('taskDefinition')} (deployment {primary.get('id')})")
        else:
            outcome = Outcome("failed", reason)
    elif ours.get("status") != "PRIMARY":
        outcome = Outcome("superseded",
                          f"deployment {state.deployment_id} is no longer the primary one; "
                          f"deployment {primary.get('id') if primary else 'none'} replaced it")
    elif _completed(ours, rollout_state, len(deployments)):
        outcome = Outcome("completed",
                          f"deployment {state.deployment_id} completed: {progress.running} of "
                          f"{progress.desired} tasks running {state.task_definition}")
    return next_state, Observation(progress=changed, new_events=new_events, outcome=outcome,
                                   tasks_stopped=tasks_stopped and outcome is None)


def _completed(deployment: Mapping[str, Any], rollout_state: str, count: int) -> bool:
    """COMPLETED and alone; services without rollout state count running tasks instead."""
    alone = count == 1
    if rollout_state:
        return rollout_state == "COMPLETED" and alone
    running = int(deployment.get("runningCount", 0))
    return alone and running == int(deployment.get("desiredCount", 0))


def explain_stopped_tasks(tasks: Sequence[Mapping[str, Any]],
                          task_definition: str) -> str | None:
    """Why tasks of the new revision stopped: task, stop code, reason, each container's exit."""
    ours = [t for t in tasks if t.get("taskDefinitionArn") == task_definition]
    if not ours:
        return None
    task = max(ours, key=lambda t: str(t.get("stoppedAt", "")))
    task_id = last_part(str(task.get("taskArn", "")))
    parts = [f"task {task_id} stopped"]
    if task.get("stopCode"):
        parts.append(f"({task['stopCode']})")
    detail = [" ".join(parts) + f": {task.get('stoppedReason', 'no reason given')}"]
    for container in task.get("containers", []):
        if container.get("exitCode") in (None, 0) and not container.get("reason"):
            continue
        line = f"container {container.get('name')}"
        if container.get("exitCode") is not None:
            line += f" exited with code {container['exitCode']}"
        if container.get("reason"):
            line += f" ({container['reason']})"
        if container.get("healthStatus") == "UNHEALTHY":
            line += ", health check UNHEALTHY"
        detail.append(line)
    if len(ours) > 1:
        detail.append(f"{len(ours)} tasks of this revision stopped")
    return "; ".join(detail)


def format_progress(service: str, deployment_id: str, progress: Progress) -> str:
    state = progress.rollout_state or "no rollout state"
    others = progress.deployments - 1
    tail = f", {others} older deployment{'s' if others != 1 else ''} draining" if others else ""
    return (f"{service}: {deployment_id} {state}: running {progress.running}, pending "
            f"{progress.pending}, desired {progress.desired}{tail}")


def format_event(service: str, event: Event) -> str:
    return f"{service}: event {event.created_at}: {event.message}"
