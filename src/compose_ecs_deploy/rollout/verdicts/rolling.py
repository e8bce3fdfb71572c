"""Every verdict of a rolling (ECS controller) deployment, as pure functions of ECS's answers.

The loop in `watch.py` only polls and prints; the deploy stage only writes. Each poll hands
`poll` the DescribeServices answer for the service and the DescribeTasks answers for stopped
tasks of our deployment it had not seen before; `poll` returns the next state and what is
new: progress, events, warnings and, when the wait is over, an `Outcome` whose `action` says
what comes next (nothing, fail, roll back ourselves, or leave the rollback to ECS). The rules
are the ECS API reference's and developer guide's, cited beside each. Another deployment
strategy (blue/green through the service-deployment APIs) sits beside this module with its
own state and the same `Outcome`.

Formatting lives in `format_*`, apart from the decisions.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

from compose_ecs_deploy.rollout.verdicts.stopped_tasks import StoppedTask, describe, stopped_task

OutcomeKind = Literal[
    "completed", "failed", "stalled", "rolled-back", "superseded", "timed-out", "cancelled"
]
# done: nothing to do; fail: report the failure; roll-back: report it and point the service
# back at its last COMPLETED revision ourselves; ecs-rolls-back: ECS is doing that already.
Action = Literal["done", "fail", "roll-back", "ecs-rolls-back"]


@dataclass(frozen=True)
class Outcome:
    kind: OutcomeKind
    reason: str
    action: Action = "fail"
    tasks: tuple[StoppedTask, ...] = ()  # the stopped tasks this outcome is explained by

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
class Policy:
    """Who decides that a rollout failed: ECS (a circuit breaker or CloudWatch alarms) or we.

    DeploymentConfiguration.deploymentCircuitBreaker {enable, rollback} and
    DeploymentConfiguration.alarms {enable, rollback} (API_DeploymentConfiguration).
    """

    breaker: bool = False
    breaker_rollback: bool = False
    alarms: bool = False
    alarms_rollback: bool = False

    @property
    def ecs_decides(self) -> bool:
        return self.breaker or self.alarms

    @property
    def ecs_rolls_back(self) -> bool:
        return (self.breaker and self.breaker_rollback) or (self.alarms and self.alarms_rollback)

    @classmethod
    def of(cls, service: Mapping[str, Any]) -> Policy:
        config = service.get("deploymentConfiguration") or {}
        breaker = config.get("deploymentCircuitBreaker") or {}
        alarms = config.get("alarms") or {}
        return cls(
            breaker=bool(breaker.get("enable")),
            breaker_rollback=bool(breaker.get("rollback")),
            alarms=bool(alarms.get("enable")) and bool(alarms.get("alarmNames")),
            alarms_rollback=bool(alarms.get("rollback")),
        )


@dataclass(frozen=True)
class WatchState:
    service: str
    deployment_id: str
    task_definition: str
    essential: frozenset[str] = frozenset()  # essential containers of task_definition
    policy: Policy = Policy()
    rollback_on_failure: bool = False
    seen_events: frozenset[str] = frozenset()
    seen_tasks: frozenset[str] = frozenset()
    failures: tuple[StoppedTask, ...] = ()  # tasks whose essential container failed
    progress: Progress | None = None
    recent_events: tuple[Event, ...] = ()
    polls: int = 0
    # What the last DescribeServices answer said, for `verdict`: our deployment (None once
    # it left the list), the PRIMARY one and how many there were.
    ours: Mapping[str, Any] | None = None
    primary: Mapping[str, Any] | None = None
    deployments: int = 0
    fatal: StoppedTask | None = None  # a stop of a deterministic cause: it fails at once


@dataclass(frozen=True)
class Observation:
    progress: Progress | None = None
    new_events: tuple[Event, ...] = ()
    warnings: tuple[str, ...] = ()
    stopped: tuple[StoppedTask, ...] = ()  # this poll's new stopped tasks of ours
    outcome: Outcome | None = None


# --------------------------------------------------------------------------- the service


def primary_deployment(payload: Mapping[str, Any]) -> Mapping[str, Any]:
    """The service's PRIMARY deployment (the one ECS rolls towards), or {} if none."""
    return next((d for d in payload.get("deployments", []) if d.get("status") == "PRIMARY"), {})


def controller_type(payload: Mapping[str, Any]) -> str:
    """Service.deploymentController.type; ECS when absent (API_DeploymentController)."""
    return str((payload.get("deploymentController") or {}).get("type") or "ECS")


def strategy(payload: Mapping[str, Any]) -> str:
    """The service's deployment strategy (ROLLING when unset, as ECS defaults;
    API_DeploymentConfiguration strategy)."""
    return str((payload.get("deploymentConfiguration") or {}).get("strategy") or "ROLLING")


def is_rolling(payload: Mapping[str, Any]) -> bool:
    """The ECS controller's rolling update: what UpdateService starts and DescribeServices'
    deployments list follows."""
    return controller_type(payload) == "ECS" and strategy(payload) == "ROLLING"


def refusal_reason(name: str, payload: Mapping[str, Any]) -> str:
    """Why no controller of this tool rolls the service out.

    UpdateService cannot change the task definition of a CODE_DEPLOY service (a CodeDeploy
    deployment does that) nor of an EXTERNAL one (task sets do): API_UpdateService. Under the
    ECS controller, a strategy this tool does not know is not followed blindly.
    """
    kind = controller_type(payload)
    if kind == "ECS":
        return (
            f"ECS service {name} uses the ECS deployment controller with the "
            f"{strategy(payload)} strategy (deploymentConfiguration.strategy), which "
            "compose-ecs-deploy does not know how to follow; deploy it with ROLLING, "
            "BLUE_GREEN, LINEAR or CANARY"
        )
    how = (
        "start a CodeDeploy deployment (or recreate the service with the ECS controller)"
        if kind == "CODE_DEPLOY"
        else "create a task set for it (or recreate the service with the ECS controller)"
    )
    return (
        f"ECS service {name} uses the {kind} deployment controller "
        f"(deploymentController.type); compose-ecs-deploy deploys only services with the "
        f"ECS controller (rolling update); {how}"
    )


def completed(deployment: Mapping[str, Any], deployments: int) -> bool:
    """COMPLETED and alone: the old deployment drains (the target group's deregistration
    delay) before it leaves the list (API_Deployment rolloutState; developer guide, "Rolling
    update"). Without rollout state (older services), running = desired and alone."""
    alone = deployments == 1
    state = str(deployment.get("rolloutState") or "")
    if state:
        return state == "COMPLETED" and alone
    return alone and int(deployment.get("runningCount", 0)) == int(
        deployment.get("desiredCount", 0)
    )


def unfinished_deployment(payload: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The PRIMARY deployment when it has not COMPLETED (still IN_PROGRESS, or FAILED), else
    None: UpdateService sets the service's taskDefinition at once, so a revision that is the
    service's may still be rolling out, or failing (API_UpdateService, API_Deployment)."""
    primary = primary_deployment(payload)
    if not primary:
        return None
    state = str(primary.get("rolloutState") or "")
    if state == "COMPLETED" or (
        not state and completed(primary, len(payload.get("deployments", [])))
    ):
        return None
    return primary


def last_completed_revision(payload: Mapping[str, Any]) -> str | None:
    """The task definition of the service's COMPLETED deployment, the one a rollback returns
    to (as the circuit breaker does: "rolled back to the last deployment that completed
    successfully", API_DeploymentCircuitBreaker)."""
    for deployment in payload.get("deployments", []):
        if deployment.get("rolloutState") == "COMPLETED":
            return str(deployment.get("taskDefinition"))
    return None


# --------------------------------------------------------------------------- stopped tasks


def new_task_arns(state: WatchState, arns: Iterable[str]) -> list[str]:
    """The ListTasks ARNs not described before: DescribeTasks is asked only about these."""
    return [arn for arn in dict.fromkeys(arns) if arn not in state.seen_tasks]


def failure_threshold(desired: int) -> int:
    """Our own rule without a breaker: essential containers failed in 2 tasks, 1 when the
    service runs a single task (README, "When a rollout fails")."""
    return 1 if desired <= 1 else 2


# --------------------------------------------------------------------------- the verdicts


def start(
    service: str,
    task_definition: str,
    payload: Mapping[str, Any],
    *,
    essential: Iterable[str] = (),
    rollback_on_failure: bool = False,
    deployment_id: str | None = None,
) -> WatchState:
    """The state right after UpdateService (its answer: events there are not news), or, with
    `deployment_id`, of an unfinished deployment an earlier run started (watched to its end).
    """
    primary = primary_deployment(payload)
    return WatchState(
        service=service,
        deployment_id=deployment_id or str(primary.get("id", "")),
        task_definition=task_definition,
        essential=frozenset(essential),
        policy=Policy.of(payload),
        rollback_on_failure=rollback_on_failure,
        seen_events=frozenset(str(e.get("id")) for e in payload.get("events", [])),
    )


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


def _failure_action(state: WatchState) -> Action:
    return "roll-back" if state.rollback_on_failure else "fail"


def advance(
    state: WatchState, payload: Mapping[str, Any], new_tasks: Sequence[Mapping[str, Any]] = ()
) -> tuple[WatchState, Observation]:
    """Take one DescribeServices answer and the new stopped tasks of our deployment into the
    state; the observation says what is new (the outcome is `verdict`'s)."""
    new_events = _events(payload, state.seen_events)
    deployments: Sequence[Mapping[str, Any]] = payload.get("deployments", [])
    ours = next((d for d in deployments if d.get("id") == state.deployment_id), None)
    primary = next((d for d in deployments if d.get("status") == "PRIMARY"), None)
    stopped = tuple(
        stopped_task(t, state.essential)
        for t in new_tasks
        if t.get("taskDefinitionArn") in (None, state.task_definition)
    )
    state = replace(
        state,
        policy=Policy.of(payload) if payload.get("deploymentConfiguration") else state.policy,
        seen_events=state.seen_events | {e.id for e in new_events},
        seen_tasks=state.seen_tasks | {str(t.get("taskArn")) for t in new_tasks},
        recent_events=(state.recent_events + new_events)[-10:],
        polls=state.polls + 1,
        ours=ours,
        primary=primary,
        deployments=len(deployments),
    )
    changed = None
    if ours is not None:
        progress = Progress(
            running=int(ours.get("runningCount", 0)),
            pending=int(ours.get("pendingCount", 0)),
            desired=int(ours.get("desiredCount", 0)),
            rollout_state=str(ours.get("rolloutState", "")),
            deployments=len(deployments),
        )
        changed = progress if progress != state.progress else None
        state = replace(state, progress=progress)
    state, warnings = _take_stopped(state, stopped)
    return state, Observation(
        progress=changed, new_events=new_events, warnings=warnings, stopped=stopped
    )


def verdict(state: WatchState) -> Outcome | None:
    """The rollout's outcome from what the state holds (None until the first answer, and
    while it goes on): ECS's own answer first, then our rule for stopped tasks."""
    if state.polls == 0:
        return None
    if state.ours is None:
        return _gone(state, state.primary)
    outcome = _ecs_verdict(state, state.ours, state.primary, state.deployments)
    if outcome is not None or state.policy.ecs_decides:
        return outcome
    if state.fatal is not None:
        return Outcome("failed", describe(state.fatal), _failure_action(state), (state.fatal,))
    desired = state.progress.desired if state.progress else 0
    if len(state.failures) >= failure_threshold(desired):
        text = describe(state.failures[-1])
        if len(state.failures) > 1:
            text += f"; {len(state.failures)} tasks of this revision failed"
        return Outcome("failed", text, _failure_action(state), state.failures)
    return None


def poll(
    state: WatchState, payload: Mapping[str, Any], new_tasks: Sequence[Mapping[str, Any]] = ()
) -> tuple[WatchState, Observation]:
    """Advance by one DescribeServices answer and the new stopped tasks of our deployment,
    with the verdict on the result in the observation."""
    state, observation = advance(state, payload, new_tasks)
    return state, replace(observation, outcome=verdict(state))


def _gone(state: WatchState, primary: Mapping[str, Any] | None) -> Outcome:
    other = primary.get("id") if primary else "none"
    if primary and primary.get("taskDefinition") != state.task_definition:
        return Outcome(
            "superseded",
            f"deployment {state.deployment_id} is gone; the service now runs "
            f"deployment {other} of {primary.get('taskDefinition')} (another "
            "deploy or a rollback replaced it)",
            "fail",
            state.failures,
        )
    return Outcome(
        "superseded",
        f"deployment {state.deployment_id} is gone; deployment {other} replaced it",
        "fail",
        state.failures,
    )


def _ecs_verdict(
    state: WatchState, ours: Mapping[str, Any], primary: Mapping[str, Any] | None, count: int
) -> Outcome | None:
    """What ECS's own answer says: FAILED (by the circuit breaker or an alarm), replaced,
    or COMPLETED and alone (API_Deployment rolloutState, status)."""
    rollout_state = str(ours.get("rolloutState", ""))
    if rollout_state == "FAILED":
        reason = str(ours.get("rolloutStateReason") or "the rollout failed")
        if primary is not None and primary.get("id") != state.deployment_id:
            # With rollback on, ECS starts a deployment of the last COMPLETED revision
            # (API_DeploymentCircuitBreaker rollback, API_DeploymentAlarms rollback).
            return Outcome(
                "rolled-back",
                f"{reason} ECS rolled the service back to "
                f"{primary.get('taskDefinition')} (deployment {primary.get('id')})",
                "ecs-rolls-back",
                state.failures,
            )
        if state.policy.ecs_rolls_back:
            return Outcome(
                "stalled",
                f"{reason} ECS did not roll back: the service has no COMPLETED "
                "deployment to return to, so the failed deployment stays",
                _failure_action(state),
                state.failures,
            )
        return Outcome("failed", reason, _failure_action(state), state.failures)
    if ours.get("status") != "PRIMARY":
        return Outcome(
            "superseded",
            f"deployment {state.deployment_id} is no longer the primary one; "
            f"deployment {primary.get('id') if primary else 'none'} replaced it",
            "fail",
            state.failures,
        )
    if completed(ours, count):
        return Outcome(
            "completed",
            f"deployment {state.deployment_id} completed: "
            f"{int(ours.get('runningCount', 0))} of {int(ours.get('desiredCount', 0))}"
            f" tasks running {state.task_definition}",
            "done",
        )
    return None


def _take_stopped(
    state: WatchState, stopped: Sequence[StoppedTask]
) -> tuple[WatchState, tuple[str, ...]]:
    """Our rule for stopped tasks, as state: a deterministic cause is fatal, an essential
    container's failure counts, the rest are warnings. With a breaker or alarms, ECS decides
    and these are only reported. failedTasks cannot be the signal: it counts only tasks that
    never launched, never reached RUNNING or failed a health check, and resets once tasks run
    (API_Deployment failedTasks), so a container that starts and then exits is not in it."""
    warnings: list[str] = []
    failures = state.failures
    for task in stopped:
        if state.fatal is not None:
            break
        if task.cause in ("scheduler",):
            continue
        if state.policy.ecs_decides:
            who = "the circuit breaker" if state.policy.breaker else "the deployment alarms"
            warnings.append(f"{describe(task)} ({who} decides whether the rollout fails)")
            continue
        if task.cause == "deterministic":
            state = replace(state, fatal=task)
            failures = (*failures, task)
        elif task.cause == "failed":
            failures = (*failures, task)
        elif task.cause == "transient":
            warnings.append(f"{describe(task)} (transient; ECS starts another task, still waiting)")
        else:
            warnings.append(f"{describe(task)} (ECS starts another task, still waiting)")
    return replace(state, failures=failures), tuple(warnings)


def timed_out(state: WatchState, minutes: float) -> Outcome:
    """The wait ran out: ECS has not decided, so with rollback-on-failure we roll back."""
    last = "; ".join(e.message for e in state.recent_events[-3:])
    return Outcome(
        "timed-out",
        f"deployment {state.deployment_id} did not finish within "
        f"{minutes:g} minutes" + (f"; last events: {last}" if last else ""),
        _failure_action(state),
        state.failures,
    )


def cancelled(state: WatchState, why: str) -> Outcome:
    """A cancel stops our wait, not ECS's rollout: nothing is rolled back."""
    return Outcome(
        "cancelled",
        f"{why}: stopped waiting for deployment "
        f"{state.deployment_id} of {state.service}; ECS carries on with it",
        "fail",
    )


def format_progress(service: str, deployment_id: str, progress: Progress) -> str:
    state = progress.rollout_state or "no rollout state"
    others = progress.deployments - 1
    tail = f", {others} older deployment{'s' if others != 1 else ''} draining" if others else ""
    return (
        f"{service}: {deployment_id} {state}: running {progress.running}, pending "
        f"{progress.pending}, desired {progress.desired}{tail}"
    )


def format_event(service: str, event: Event) -> str:
    return f"{service}: event {event.created_at}: {event.message}"
