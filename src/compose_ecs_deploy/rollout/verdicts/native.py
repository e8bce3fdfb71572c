"""Verdicts on deployments that ECS runs itself: BLUE_GREEN, LINEAR and CANARY.

For these strategies the progress and the outcome are on the *service deployment*
(DescribeServiceDeployments), not on the service's deployments list: its `status`, its
`lifecycleStage`, the traffic weights of its revisions, its `rollback`, its failure detectors
and its `lifecycleHookDetails`. This module is one pure step, (state, ServiceDeployment payload)
-> (state, what is new), plus the texts a person reads; the loop that polls lives in
`native_watch`. The rules, from the ECS API reference ("ServiceDeployment",
"DeploymentLifecycleHookDetail") and developer guide ("View service history using Amazon ECS
service deployments", "Pause hooks for Amazon ECS service deployments"):
- SUCCESSFUL is success; STOPPED (a detector tripped without rollback, or a stop) and
  ROLLBACK_SUCCESSFUL / ROLLBACK_FAILED are failures; ROLLBACK_REQUESTED and
  ROLLBACK_IN_PROGRESS are reported and waited for, since ECS is reversing the deployment.
- With `wait-until traffic-shifted`, a deployment whose stage is past PRODUCTION_TRAFFIC_SHIFT
  with all production traffic on the new revision is a success: ECS bakes and cleans up alone.
- A PAUSE hook in AWAITING_ACTION holds the deployment until ContinueServiceDeployment or its
  timeout action; each one is reported once, so the loop can gate it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from compose_ecs_deploy.rollout.verdicts.arns import last_part
from compose_ecs_deploy.rollout.verdicts.rolling import Event, Outcome, primary_deployment

NATIVE_STRATEGIES = ("BLUE_GREEN", "LINEAR", "CANARY")
STAGES = (
    "RECONCILE_SERVICE", "PRE_SCALE_UP", "SCALE_UP", "POST_SCALE_UP", "TEST_TRAFFIC_SHIFT",
    "POST_TEST_TRAFFIC_SHIFT", "PRODUCTION_TRAFFIC_SHIFT", "POST_PRODUCTION_TRAFFIC_SHIFT",
    "BAKE_TIME", "CLEAN_UP",
)  # fmt: skip
ROLLING_BACK = ("ROLLBACK_REQUESTED", "ROLLBACK_IN_PROGRESS")
STOPPABLE = ("PENDING", "IN_PROGRESS")


def strategy(service: Mapping[str, Any]) -> str:
    """The service's deployment strategy (ROLLING when unset, as ECS defaults)."""
    return str((service.get("deploymentConfiguration") or {}).get("strategy") or "ROLLING")


def is_native(service: Mapping[str, Any]) -> bool:
    """Whether ECS runs this service's deployments itself (followed by service deployment)."""
    controller = (service.get("deploymentController") or {}).get("type", "ECS")
    return controller == "ECS" and strategy(service) in NATIVE_STRATEGIES


@dataclass(frozen=True)
class Snapshot:
    """What one progress line shows; a new line only when it changes."""

    status: str
    stage: str
    production: float | None
    test: float | None
    running: int
    requested: int


@dataclass(frozen=True)
class Hook:
    """A PAUSE hook waiting for ContinueServiceDeployment."""

    hook_id: str
    stage: str
    expires_at: str
    timeout_action: str


@dataclass(frozen=True)
class NativeState:
    service: str
    task_definition: str
    strategy: str
    wait_until: str  # complete | traffic-shifted
    bake_minutes: int | None
    arn: str = ""
    previous_arn: str = ""  # the service's deployment before our update: never ours
    service_revision: str = ""
    snapshot: Snapshot | None = None
    seen_hooks: frozenset[str] = frozenset()
    seen_events: frozenset[str] = frozenset()
    gate_failure: str | None = None  # our own ROLLBACK at a hook: why, for the outcome
    gated_hooks: frozenset[str] = frozenset()  # hooks we acted on (or showed how to)
    ecs_deployment_id: str = ""  # the service's deployment id UpdateService answered with
    last: Mapping[str, Any] | None = None  # the last DescribeServiceDeployments answer

    @property
    def deployment_id(self) -> str:
        """The last part of the service deployment's ARN, as the console shows it."""
        return last_part(self.arn) if self.arn else "(not yet known)"


@dataclass(frozen=True)
class NativeObservation:
    lines: tuple[str, ...] = ()
    awaiting: tuple[Hook, ...] = ()
    outcome: Outcome | None = None


def start(
    service: str,
    task_definition: str,
    payload: Mapping[str, Any],
    wait_until: str,
    before: Mapping[str, Any] | None = None,
) -> NativeState:
    """The state right after UpdateService, from its answer: its service deployment ARN
    (`currentServiceDeployment`, or later from DescribeServices) and its configuration.

    `before` is the service as read before the update: its `currentServiceDeployment` is an
    older deployment, so an answer that still names it is not taken for ours (watching a
    finished deployment would report its old success as ours)."""
    config = payload.get("deploymentConfiguration") or {}
    bake = config.get("bakeTimeInMinutes")
    state = NativeState(
        service=service,
        task_definition=task_definition,
        strategy=strategy(payload),
        wait_until=wait_until,
        bake_minutes=None if bake is None else int(bake),
        previous_arn=str((before or {}).get("currentServiceDeployment") or ""),
        seen_events=frozenset(str(e.get("id")) for e in payload.get("events", [])),
    )
    state = replace(state, ecs_deployment_id=str(primary_deployment(payload).get("id", "")))
    return with_arn(state, str(payload.get("currentServiceDeployment") or ""))


def with_arn(state: NativeState, candidate: str) -> NativeState:
    """Follow `candidate` unless an ARN is known already or it is the deployment from before
    our update."""
    if state.arn or not candidate or candidate == state.previous_arn:
        return state
    return replace(state, arn=candidate)


def adopt(state: NativeState, service: Mapping[str, Any]) -> tuple[NativeState, tuple[Event, ...]]:
    """Take what a DescribeServices answer adds: the deployment ARN if still unknown, and the
    service events not seen yet (oldest first)."""
    fresh = [e for e in service.get("events", []) if str(e.get("id")) not in state.seen_events]
    events = tuple(
        Event(str(e.get("id")), _clock_time(e.get("createdAt")), str(e.get("message", "")))
        for e in reversed(fresh)
    )
    state = with_arn(state, str(service.get("currentServiceDeployment") or ""))
    return replace(state, seen_events=state.seen_events | {e.id for e in events}), events


def _clock_time(value: Any) -> str:
    if hasattr(value, "strftime"):
        return str(value.strftime("%H:%M:%S"))
    return str(value or "")


def _stage_index(stage: str) -> int:
    return STAGES.index(stage) if stage in STAGES else -1


def traffic_shifted(payload: Mapping[str, Any]) -> bool:
    """Production traffic is all on the new revision: the stage is past
    PRODUCTION_TRAFFIC_SHIFT and the target revision has a weight of 100."""
    past = _stage_index(str(payload.get("lifecycleStage", ""))) > STAGES.index(
        "PRODUCTION_TRAFFIC_SHIFT"
    )
    weight = (payload.get("targetServiceRevision") or {}).get("requestedProductionTrafficWeight")
    return past and payload.get("status") == "IN_PROGRESS" and (weight is None or weight >= 100)


def _snapshot(payload: Mapping[str, Any]) -> Snapshot:
    target = payload.get("targetServiceRevision") or {}
    production = target.get("requestedProductionTrafficWeight")
    test = target.get("requestedTestTrafficWeight")
    return Snapshot(
        status=str(payload.get("status", "")),
        stage=str(payload.get("lifecycleStage", "")),
        production=None if production is None else float(production),
        test=None if test is None else float(test),
        running=int(target.get("runningTaskCount", 0)),
        requested=int(target.get("requestedTaskCount", 0)),
    )


def awaiting_hooks(payload: Mapping[str, Any]) -> tuple[Hook, ...]:
    """PAUSE hooks in AWAITING_ACTION (the only hooks ContinueServiceDeployment acts on)."""
    return tuple(
        Hook(
            hook_id=str(h.get("hookId")),
            stage=str(payload.get("lifecycleStage", "")),
            expires_at=_iso(h.get("expiresAt")),
            timeout_action=str(h.get("timeoutAction", "")),
        )
        for h in payload.get("lifecycleHookDetails", [])
        if h.get("status") == "AWAITING_ACTION" and h.get("targetType", "PAUSE") == "PAUSE"
    )


def _iso(value: Any) -> str:
    """boto3 gives aware datetimes in the local zone; a log line says UTC."""
    if hasattr(value, "strftime"):
        offset = value.utcoffset() if hasattr(value, "utcoffset") else None
        return str((value - offset if offset else value).strftime("%Y-%m-%dT%H:%M:%SZ"))
    return str(value or "unknown")


def failure_details(payload: Mapping[str, Any]) -> str:
    """The detectors' side of a failure: circuit-breaker counts and alarms in ALARM."""
    parts = []
    breaker = payload.get("deploymentCircuitBreaker") or {}
    if breaker.get("status") == "TRIGGERED" or int(breaker.get("failureCount") or 0):
        parts.append(
            f"circuit breaker {breaker.get('status', '').lower()}: "
            f"{breaker.get('failureCount', 0)} failed tasks (threshold "
            f"{breaker.get('threshold', '?')})"
        )
    triggered = (payload.get("alarms") or {}).get("triggeredAlarmNames") or []
    if triggered:
        parts.append(f"alarm{'s' if len(triggered) > 1 else ''} in ALARM: {', '.join(triggered)}")
    return "; ".join(parts)


def _reason(payload: Mapping[str, Any]) -> str:
    rollback = payload.get("rollback") or {}
    text = str(rollback.get("reason") or payload.get("statusReason") or "").strip()
    details = failure_details(payload)
    return "; ".join(p for p in (text.rstrip("."), details) if p)


def step(state: NativeState, payload: Mapping[str, Any]) -> tuple[NativeState, NativeObservation]:
    """Advance by one DescribeServiceDeployments answer for this service's deployment."""
    snapshot = _snapshot(payload)
    lines = []
    if snapshot != state.snapshot:
        lines.append(format_progress(state, snapshot))
    hooks = tuple(h for h in awaiting_hooks(payload) if h.hook_id not in state.seen_hooks)
    revision = str((payload.get("targetServiceRevision") or {}).get("arn", ""))
    next_state = replace(
        state,
        snapshot=snapshot,
        service_revision=revision,
        seen_hooks=state.seen_hooks | {h.hook_id for h in hooks},
        last=payload,
    )
    return next_state, NativeObservation(
        lines=tuple(lines), awaiting=hooks, outcome=verdict(next_state)
    )


def verdict(state: NativeState) -> Outcome | None:
    """The outcome the last service-deployment answer gives, or None while it goes on (and
    before the first one)."""
    return None if state.last is None else _verdict(state, state.last)


def _verdict(state: NativeState, payload: Mapping[str, Any]) -> Outcome | None:
    status = str(payload.get("status", ""))
    name = f"service deployment {state.deployment_id}"
    reason = _reason(payload)
    gate = f"{state.gate_failure}; " if state.gate_failure else ""
    if status == "SUCCESSFUL":
        return Outcome(
            "completed", f"{name} succeeded: {state.task_definition} serves all production traffic"
        )
    if status == "STOPPED":
        return Outcome("failed", f"{gate}{name} stopped" + (f": {reason}" if reason else ""))
    if status == "ROLLBACK_SUCCESSFUL":
        target = (payload.get("rollback") or {}).get("serviceRevisionArn")
        back = f" to {target}" if target else ""
        return Outcome(
            "rolled-back", f"{gate}ECS rolled {name} back{back}" + (f": {reason}" if reason else "")
        )
    if status == "ROLLBACK_FAILED":
        return Outcome(
            "failed",
            f"{gate}{name} failed and so did its rollback"
            + (f": {reason}" if reason else "")
            + "; check the service "
            "in the console before deploying again",
        )
    if state.wait_until == "traffic-shifted" and traffic_shifted(payload):
        return Outcome(
            "completed",
            f"{name}: production traffic is all on {state.task_definition}; {bake_notice(state)}",
        )
    return None


def bake_notice(state: NativeState) -> str:
    """What is left to ECS after `wait-until traffic-shifted` ends the wait."""
    bake = (
        f"the bake time ({state.bake_minutes} minutes)"
        if state.bake_minutes is not None
        else "the bake time"
    )
    return f"ECS finishes {bake} and the clean-up on its own (wait-until traffic-shifted)"


def completion_note(state: NativeState) -> str:
    """For the summary: what ECS still does after a success that `traffic-shifted` called
    before the deployment itself finished, else ''."""
    unfinished = state.snapshot is not None and state.snapshot.status == "IN_PROGRESS"
    return bake_notice(state) if unfinished else ""


def gated(state: NativeState, hook: Hook) -> NativeState:
    """A hook acted on (or shown) once: later polls that still see it leave it alone."""
    return replace(state, gated_hooks=state.gated_hooks | {hook.hook_id})


def gate_failed(
    state: NativeState, hook: Hook, command: str, exit_code: int | None, tail: Sequence[str]
) -> NativeState:
    """Our verify-command failed at a hook: remember why for the outcome of the rollback."""
    how = "timed out" if exit_code is None else f"exited with {exit_code}"
    last = " | ".join(tail[-5:]) if tail else "no output"
    return replace(
        state,
        gate_failure=(
            f"verify-command {command!r} {how} at {hook.stage} (hook {hook.hook_id}); rolled back "
            f"with ContinueServiceDeployment ROLLBACK; its last output: {last}"
        ),
    )


def left_to_ecs(state: NativeState) -> str:
    """What ECS is doing when we stop watching (a timeout or a cancel)."""
    snap = state.snapshot
    if snap is None:
        return f"service deployment {state.deployment_id} has not been seen yet"
    at = f" at {snap.stage}" if snap.stage else ""
    traffic = (
        f", {snap.production:g}% of production traffic on the new revision"
        if snap.production is not None
        else ""
    )
    return f"service deployment {state.deployment_id} is {snap.status}{at}{traffic}"


def timed_out(state: NativeState, minutes: float, rolling_back: bool) -> Outcome:
    tail = (
        "; asked ECS to roll it back (StopServiceDeployment ROLLBACK), ECS carries on with "
        "the rollback"
        if rolling_back
        else "; ECS carries on with it"
    )
    return Outcome(
        "timed-out", f"did not finish within {minutes:g} minutes: {left_to_ecs(state)}{tail}"
    )


def should_stop(state: NativeState) -> bool:
    """StopServiceDeployment(ROLLBACK) applies only to a deployment still PENDING or
    IN_PROGRESS ("Stopping Amazon ECS service deployments"); one rolling back goes on alone."""
    return state.snapshot is None or state.snapshot.status in STOPPABLE


def format_progress(state: NativeState, snap: Snapshot) -> str:
    at = f" at {snap.stage}" if snap.stage else ""
    parts = []
    if snap.production is not None:
        parts.append(f"production traffic {snap.production:g}%")
    if snap.test is not None:
        parts.append(f"test traffic {snap.test:g}%")
    parts.append(f"{snap.running} of {snap.requested} new tasks running")
    return (
        f"{state.service}: {state.strategy} {state.deployment_id} {snap.status}{at}: "
        f"{', '.join(parts)}"
    )


def format_hook(state: NativeState, hook: Hook, region: str | None) -> tuple[str, ...]:
    """An awaiting PAUSE hook, and the exact command that continues it."""
    region_option = f" --region {region}" if region else ""
    return (
        f"{state.service}: lifecycle hook {hook.hook_id} (PAUSE) is waiting at {hook.stage} "
        f"until {hook.expires_at}; then ECS will {hook.timeout_action or 'ROLLBACK'}",
        f"{state.service}: to continue it: aws ecs continue-service-deployment"
        f"{region_option} --service-deployment-arn {state.arn} --hook-id {hook.hook_id} "
        "--action CONTINUE (or --action ROLLBACK)",
    )


def verify_environment(state: NativeState, hook: Hook, cluster: str) -> dict[str, str]:
    """What a verify-command learns about the deployment it gates, as environment variables."""
    return {
        "ECS_LIFECYCLE_STAGE": hook.stage,
        "ECS_HOOK_ID": hook.hook_id,
        "ECS_SERVICE_DEPLOYMENT_ARN": state.arn,
        "ECS_TASK_DEFINITION_ARN": state.task_definition,
        "ECS_SERVICE_REVISION_ARN": state.service_revision,
        "ECS_CLUSTER": cluster,
        "ECS_SERVICE": state.service,
    }
