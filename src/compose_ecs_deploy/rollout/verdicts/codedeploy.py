"""Verdicts on CodeDeploy blue/green deployments of ECS services, as pure functions.

A service whose ``deploymentController.type`` is CODE_DEPLOY is deployed by CodeDeploy: its
progress is on the deployment (GetDeployment: ``status``, ``errorInformation``,
``rollbackInfo``, ``instanceTerminationWaitTimeStarted``) and on its one ECS target
(BatchGetDeploymentTargets: ``lifecycleEvents`` and the task sets' ``trafficWeight``). This
module is one pure step, (state, DeploymentInfo, ECSTarget, new stopped tasks) -> (state,
lines), plus the verdict and the texts. The rules (CodeDeploy API reference "DeploymentInfo",
"ECSTarget", "ECSTaskSet", "RollbackInfo"; user guide "What happens during an Amazon ECS
deployment", deployment-steps-ecs.html):
- Succeeded is success. Failed and Stopped are failures, named by ``errorInformation`` (code
  and message), by the lifecycle event that failed (a hook by its event name), by the
  replacement task set's stopped tasks, and by the rollback deployment CodeDeploy started
  (``rollbackInfo.rollbackDeploymentId``), if any. Ready waits for ContinueDeployment.
- With ``wait-until traffic-shifted``, AllowTraffic Succeeded is success: production traffic
  is on the replacement, and CodeDeploy waits out the original's termination time alone
  (``terminationWaitTimeInMinutes``, up to two days).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from compose_ecs_deploy.rollout.verdicts.arns import last_part
from compose_ecs_deploy.rollout.verdicts.rolling import Outcome, controller_type
from compose_ecs_deploy.rollout.verdicts.stopped_tasks import StoppedTask, describe

ACTIVE = ("Created", "Queued", "InProgress", "Ready", "Baking")
FAILED = ("Failed", "Stopped")
LABELS = {"Blue": "original", "Green": "replacement"}


def is_code_deploy(service: Mapping[str, Any]) -> bool:
    """deploymentController.type CODE_DEPLOY (API reference, "DeploymentController")."""
    return controller_type(service) == "CODE_DEPLOY"


def lists_service(group: Mapping[str, Any], cluster: str, service: str) -> bool:
    """A deployment group's ``ecsServices`` names this cluster and service."""
    return any(
        last_part(str(s.get("clusterName", ""))) == last_part(cluster)
        and last_part(str(s.get("serviceName", ""))) == last_part(service)
        for s in group.get("ecsServices") or []
    )


def no_group(service: str, cluster: str, searched: Sequence[str]) -> str:
    apps = ", ".join(searched) if searched else "none"
    return (
        f"ECS service {service}: no CodeDeploy deployment group lists cluster {cluster} and "
        f"service {service} in its ecsServices (ECS applications searched: {apps}); pass "
        "--codedeploy-application and --codedeploy-deployment-group (action inputs "
        "codedeploy-application, codedeploy-deployment-group)"
    )


def several_groups(service: str, found: Sequence[tuple[str, str]]) -> str:
    names = ", ".join(f"{app}/{group}" for app, group in found)
    return (
        f"ECS service {service}: several CodeDeploy deployment groups list it ({names}); "
        "name one with --codedeploy-application and --codedeploy-deployment-group"
    )


def rollback_configuration(group: Mapping[str, Any], rollback_on_failure: bool) -> dict[str, Any]:
    """This deployment's autoRollbackConfiguration (CreateDeployment overrides the group's):
    with rollback-on-failure, the group's events plus DEPLOYMENT_FAILURE, so that CodeDeploy
    puts the original task set back when the deployment fails, as the other kinds do;
    without it (--no-rollback, "leave a failed deployment as it is"), none."""
    if not rollback_on_failure:
        return {"enabled": False}
    events = list(group.get("events") or []) if group.get("enabled") else []
    return {"enabled": True, "events": sorted({*events, "DEPLOYMENT_FAILURE"})}


@dataclass(frozen=True)
class TaskSetView:
    """One ECSTaskSet as a line shows it."""

    label: str
    status: str
    weight: float
    running: int
    desired: int


@dataclass(frozen=True)
class CodeDeployState:
    service: str
    deployment_id: str
    revision: str
    wait_until: str = "complete"
    essential: frozenset[str] = frozenset()
    status: str = "Created"
    events: tuple[tuple[str, str], ...] = ()  # (lifecycleEventName, status), in order
    task_sets: tuple[TaskSetView, ...] = ()
    replacement: str = ""  # the Green task set's id: its tasks are ours
    target_ids: tuple[str, ...] = ()  # ListDeploymentTargets, read once
    termination_wait: bool = False
    termination_minutes: int = 0
    error: tuple[str, str] | None = None  # errorInformation (code, message)
    rollback_id: str = ""
    rollback_message: str = ""
    seen_tasks: frozenset[str] = frozenset()
    stopped: tuple[StoppedTask, ...] = ()  # the replacement's stopped tasks, oldest first
    polls: int = 0


def start(
    service: str, deployment_id: str, revision: str, wait_until: str, essential: frozenset[str]
) -> CodeDeployState:
    return CodeDeployState(service, deployment_id, revision, wait_until, essential)


def new_task_arns(state: CodeDeployState, arns: Iterable[str]) -> list[str]:
    return [a for a in arns if a not in state.seen_tasks]


def _task_sets(target: Mapping[str, Any]) -> tuple[TaskSetView, ...]:
    return tuple(
        TaskSetView(
            label=LABELS.get(str(s.get("taskSetLabel", "")), str(s.get("taskSetLabel", ""))),
            status=str(s.get("status", "")),
            weight=float(s.get("trafficWeight") or 0.0),
            running=int(s.get("runningCount") or 0),
            desired=int(s.get("desiredCount") or 0),
        )
        for s in target.get("taskSetsInfo") or []
    )


def replacement_of(target: Mapping[str, Any]) -> str:
    return next(
        (
            str(s.get("identifer", ""))
            for s in target.get("taskSetsInfo") or []
            if s.get("taskSetLabel") == "Green"
        ),
        "",
    )


def step(
    state: CodeDeployState,
    info: Mapping[str, Any],
    target: Mapping[str, Any] | None,
    stopped: Sequence[StoppedTask] = (),
) -> tuple[CodeDeployState, tuple[str, ...]]:
    """The next state and the lines that say what changed (one per change)."""
    name = state.service
    lines: list[str] = []
    status = str(info.get("status", ""))
    if status != state.status:
        lines.append(f"{name}: CodeDeploy deployment {state.deployment_id}: {status}")
        if status == "Ready":
            lines.append(
                f"{name}: the replacement is ready; CodeDeploy waits for traffic to be "
                f"rerouted (aws deploy continue-deployment --deployment-id "
                f"{state.deployment_id} --deployment-wait-type READY_WAIT)"
            )
    events = state.events
    sets = state.task_sets
    replacement = state.replacement
    if target is not None:
        events = tuple(
            (str(e.get("lifecycleEventName", "")), str(e.get("status", "")))
            for e in target.get("lifecycleEvents") or []
        )
        before = dict(state.events)
        for event, now in events:
            if before.get(event, "Pending") != now and now != "Pending":
                lines.append(f"{name}: {event}: {now}{_meaning(event, now)}")
        sets = _task_sets(target)
        if [(s.label, s.weight) for s in sets] != [(s.label, s.weight) for s in state.task_sets]:
            lines.append(format_weights(name, sets))
        replacement = replacement_of(target) or replacement
    termination = bool(info.get("instanceTerminationWaitTimeStarted"))
    minutes = termination_minutes(info)
    if termination and not state.termination_wait and status in ACTIVE:
        lines.append(
            f"{name}: production traffic is on the replacement; CodeDeploy waits "
            f"{minutes} min before it deletes the original task set"
        )
    for task in stopped:
        lines.append(f"{name}: replacement {describe(task)}")
    error = info.get("errorInformation") or {}
    rollback = info.get("rollbackInfo") or {}
    state = replace(
        state,
        status=status,
        events=events,
        task_sets=sets,
        replacement=replacement,
        termination_wait=termination,
        termination_minutes=minutes,
        error=(str(error.get("code", "")), str(error.get("message", ""))) if error else None,
        rollback_id=str(rollback.get("rollbackDeploymentId") or ""),
        rollback_message=str(rollback.get("rollbackMessage") or ""),
        seen_tasks=state.seen_tasks | {t.task_arn for t in stopped},
        stopped=state.stopped + tuple(stopped),
        polls=state.polls + 1,
    )
    return state, tuple(lines)


def _meaning(event: str, status: str) -> str:
    if status != "Succeeded":
        return ""
    return {
        "Install": " (the replacement task set runs)",
        "AllowTestTraffic": " (test traffic goes to the replacement)",
        "AllowTraffic": " (production traffic is on the replacement)",
    }.get(event, "")


def termination_minutes(info: Mapping[str, Any]) -> int:
    option = (info.get("blueGreenDeploymentConfiguration") or {}).get(
        "terminateBlueInstancesOnDeploymentSuccess"
    ) or {}
    return int(option.get("terminationWaitTimeInMinutes") or 0)


def format_weights(service: str, sets: Sequence[TaskSetView]) -> str:
    parts = [f"{s.label} {s.weight:g}% ({s.running}/{s.desired} running)" for s in sets]
    return f"{service}: production traffic: {', '.join(parts) or 'no task sets'}"


def traffic_shifted(state: CodeDeployState) -> bool:
    return dict(state.events).get("AllowTraffic") == "Succeeded"


def failed_event(state: CodeDeployState) -> str:
    return next((event for event, status in state.events if status == "Failed"), "")


def verdict(state: CodeDeployState) -> Outcome | None:
    if state.status == "Succeeded":
        return Outcome(
            "completed", f"CodeDeploy deployment {state.deployment_id} succeeded", "done"
        )
    if state.status in FAILED:
        return Outcome("failed", failure_reason(state), "fail", _culprits(state))
    if state.wait_until == "traffic-shifted" and traffic_shifted(state):
        return Outcome(
            "completed",
            f"production traffic is on the replacement ({state.deployment_id}); "
            "stopped waiting (wait-until traffic-shifted)",
            "done",
        )
    return None


def _culprits(state: CodeDeployState) -> tuple[StoppedTask, ...]:
    """The replacement's stopped tasks that say why, newest first (at most three)."""
    failing = [t for t in state.stopped if t.cause in ("deterministic", "failed", "exited")]
    return tuple(reversed(failing))[:3]


def failure_reason(state: CodeDeployState) -> str:
    what = "was stopped" if state.status == "Stopped" else "failed"
    parts = [f"CodeDeploy deployment {state.deployment_id} {what}"]
    if state.error:
        code, message = state.error
        message = message.strip().rstrip(".")
        parts.append(f"{code}: {message}" if message else code)
    event = failed_event(state)
    if event:
        parts.append(f"at lifecycle event {event}")
    culprits = _culprits(state)
    if culprits:
        parts.append(f"replacement {describe(culprits[0])}")
    if state.rollback_id:
        parts.append(f"CodeDeploy rolled back with deployment {state.rollback_id}")
    else:
        parts.append("CodeDeploy did not roll back (no rollback deployment)")
    return "; ".join(parts)


def timed_out(state: CodeDeployState, minutes: float, stopped: bool) -> Outcome:
    """Our timeout; `stopped`: our StopDeployment with autoRollbackEnabled went through, and
    `state` is what GetDeployment said after it."""
    where = f" at {current_event(state) or 'no event'}" if state.events else ""
    if not stopped:
        left = f"CodeDeploy carries on with {state.deployment_id}"
    elif state.rollback_id:
        left = (
            f"stopped it (StopDeployment, autoRollbackEnabled); CodeDeploy rolls back with "
            f"deployment {state.rollback_id}, which puts production traffic back on the "
            "original task set"
        )
    else:
        left = (
            "stopped it (StopDeployment, autoRollbackEnabled); CodeDeploy named no rollback "
            f"deployment, so {left_in(state)}"
        )
    return Outcome(
        "timed-out", f"not done after {minutes:g} min (status {state.status}{where}); {left}"
    )


def left_in(state: CodeDeployState) -> str:
    """Where production traffic is, by the last weights read."""
    on = [s.label for s in state.task_sets if s.weight > 0]
    return f"production traffic stays on the {' and '.join(on) or 'original'} task set"


def current_event(state: CodeDeployState) -> str:
    return next((e for e, s in state.events if s == "InProgress"), "")


def completion_note(state: CodeDeployState) -> str:
    if state.status == "Succeeded" or (not state.termination_wait and not traffic_shifted(state)):
        return ""
    return (
        f"CodeDeploy deletes the original task set after its termination wait "
        f"({state.termination_minutes} min); deployment {state.deployment_id} succeeds then"
    )


def cancelled(state: CodeDeployState, why: str) -> Outcome:
    """A cancel ends our wait, never CodeDeploy's deployment (DESIGN.md)."""
    return Outcome(
        "cancelled",
        f"{why}: stopped waiting; CodeDeploy carries on with deployment {state.deployment_id} "
        f"(status {state.status}); to stop it: aws deploy stop-deployment --deployment-id "
        f"{state.deployment_id} --auto-rollback-enabled",
    )
