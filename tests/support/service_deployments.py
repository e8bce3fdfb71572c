"""Service deployments for BLUE_GREEN, LINEAR and CANARY services, served by the stack's moto.

Why: since 2025 ECS runs blue/green, linear and canary deployments itself, and reports their
progress on the *service deployment* (ListServiceDeployments, DescribeServiceDeployments),
rolled back with StopServiceDeployment and gated by ContinueServiceDeployment. moto has none
of these APIs. This module adds them to moto's ECS responses in the server's own process, on
top of the rollout simulator (``ecs_simulator``): ``install()`` after ``ecs_simulator.install()``
(``tests/support/moto_server.py`` does both). The two reads serve these records beside the
rolling ones of ``service_history``, which answers them.

Which services: those whose ``deploymentConfiguration.strategy`` (kept by the rollout
simulator, which moto alone would drop) is BLUE_GREEN, LINEAR or CANARY. An UpdateService of
such a service that starts a deployment also starts a service deployment; its ARN is the
service's ``currentServiceDeployment``. While it runs, the rollout simulator's tick leaves the
service alone and this module moves it instead, one tick per DescribeServices naming the
service (the same simulated time as rolling deployments). The service deployment of the
service's creation is ``service_history``'s, as for every ECS-controller service, and each
deployment's source and target revisions are ``service_revisions``' (one per deployment).

Lifecycle (ServiceDeployment.lifecycleStage, API reference "ServiceDeployment"; stages in the
order of "Amazon ECS blue/green service deployments workflow",
https://docs.aws.amazon.com/AmazonECS/latest/developerguide/blue-green-deployment-how-it-works.html)
    status PENDING at UpdateService; IN_PROGRESS from the first tick, through PRE_SCALE_UP,
    SCALE_UP, POST_SCALE_UP, TEST_TRAFFIC_SHIFT, POST_TEST_TRAFFIC_SHIFT,
    PRODUCTION_TRAFFIC_SHIFT, POST_PRODUCTION_TRAFFIC_SHIFT, BAKE_TIME, CLEAN_UP; then
    SUCCESSFUL. RECONCILE_SERVICE is skipped: it "only happens when you start a new service
    deployment with more than 1 service revision in an ACTIVE state", which a simulated
    service never has. Each stage lasts ``simulator:stage-ticks`` ticks (default 1).
    BAKE_TIME lasts ``bakeTimeInMinutes`` ticks (one simulated minute per tick; at least one).
Traffic (ServiceRevisionSummary.requestedProductionTrafficWeight / requestedTestTrafficWeight)
    The source revision starts with 100 % of production traffic, the target with none.
    TEST_TRAFFIC_SHIFT moves test traffic to the target. PRODUCTION_TRAFFIC_SHIFT moves
    production traffic: BLUE_GREEN all at once; LINEAR by ``linearConfiguration.stepPercent``
    (default 10.0) every ``stepBakeTimeInMinutes`` ticks (default 6; "not applied after
    reaching 100 percent", API reference "LinearConfiguration"); CANARY ``canaryPercent``
    (default 5.0), then the rest after ``canaryBakeTimeInMinutes`` ticks (default 10, API
    reference "CanaryConfiguration").
Tasks (ServiceRevisionSummary counts, DescribeServices deployments)
    SCALE_UP requests desiredCount tasks of the target (pending, then running at the end of the
    stage); CLEAN_UP scales the source to zero. SUCCESSFUL makes the target's deployment
    COMPLETED and alone in DescribeServices; a successful rollback makes the source's
    deployment PRIMARY again and the service's taskDefinition the source revision.
Lifecycle hooks (deploymentConfiguration.lifecycleHooks; "Pause hooks for Amazon ECS service
deployments", https://docs.aws.amazon.com/AmazonECS/latest/developerguide/pause-lifecycle-hooks.html)
    On entering a stage named by a hook's ``lifecycleStages``, the hook appears in
    ``lifecycleHookDetails``. A PAUSE hook gets a ``hookId`` ("ecs-pause-..."), status
    AWAITING_ACTION, ``expiresAt`` and ``timeoutAction`` from ``timeoutConfiguration`` (defaults
    1440 minutes and ROLLBACK, API reference "DeploymentLifecycleHookTimeoutConfiguration"),
    and holds the stage until ContinueServiceDeployment with its hookId, or until
    ``timeoutInMinutes`` ticks pass: then it is TIMED_OUT and the timeout action applies. An
    AWS_LAMBDA hook is IN_PROGRESS for one tick, then SUCCEEDED (no Lambda is called).
Failure detection (ServiceDeployment.alarms / deploymentCircuitBreaker; "View service history
using Amazon ECS service deployments", developerguide/service-deployment.html)
    ``alarms.status`` and ``deploymentCircuitBreaker.status`` are MONITORING while the
    deployment runs when enabled (else DISABLED), MONITORING_COMPLETE after it, TRIGGERED when a
    scenario trips them. With the detector's ``rollback`` true, ECS rolls back: status
    ROLLBACK_REQUESTED, then ROLLBACK_IN_PROGRESS (production traffic back on the source), then
    ROLLBACK_SUCCESSFUL, with ``rollback`` {reason, startedAt, serviceRevisionArn = the source}.
    Without it, the deployment is STOPPED (``stoppedAt``: "the rollback option is not in use
    for the failure detection mechanism ... and the service fails", API reference
    "ServiceDeployment").
StopServiceDeployment ("Stopping Amazon ECS service deployments",
developerguide/stop-service-deployment.html)
    ROLLBACK (the default here) from PENDING or IN_PROGRESS moves to ROLLBACK_REQUESTED and
    rolls back as above; on a deployment already rolling back it changes nothing; on a finished
    one it is a ConflictException. ABORT moves to STOP_REQUESTED, then STOPPED.
ContinueServiceDeployment ("Continuing service deployments",
developerguide/continue-service-deployment.html)
    Only for a hook in AWAITING_ACTION of an IN_PROGRESS deployment (else
    InvalidParameterException). CONTINUE (the default) marks the hook SUCCEEDED and the stage
    goes on at the next tick; ROLLBACK marks it FAILED and rolls back.

Scenario tags (on the service, read when UpdateService starts the deployment)
    ``simulator:native-scenario``  succeed (default) | alarm | circuit-breaker.
        alarm: the first ``deploymentConfiguration.alarms.alarmNames`` entry goes to ALARM at
        the end of the first tick of the failing stage (a canary has shifted its percentage by
        then). circuit-breaker: failureCount reaches the threshold (half of desiredCount, at
        least 3, at most 200) then.
    ``simulator:native-fail-at``   the failing stage (default PRODUCTION_TRAFFIC_SHIFT for
        alarm, SCALE_UP for circuit-breaker).
    ``simulator:stage-ticks``      ticks per stage other than the bakes (default 1).

Not like real ECS
    No load balancer or Service Connect is needed (ECS requires one for these strategies);
    no tasks are started or stopped for these deployments (ListTasks does not change; the
    counts in DescribeServices and the service revisions do); rolling deployments get their
    service deployments from ``service_history``; the hook status after a ROLLBACK by
    ContinueServiceDeployment (FAILED here) and every statusReason text are not documented;
    timestamps are wall-clock, progress is in ticks.
"""

from __future__ import annotations

import math
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from moto.core.exceptions import ServiceException
from moto.core.responses import ActionResult
from moto.core.utils import utcnow
from moto.ecs.exceptions import InvalidParameterException
from moto.ecs.models import EC2ContainerServiceBackend, Service
from moto.ecs.responses import EC2ContainerServiceResponse

from tests.support import ecs_simulator, service_revisions

NATIVE_STRATEGIES = ("BLUE_GREEN", "LINEAR", "CANARY")
STAGES = (
    "PRE_SCALE_UP", "SCALE_UP", "POST_SCALE_UP", "TEST_TRAFFIC_SHIFT", "POST_TEST_TRAFFIC_SHIFT",
    "PRODUCTION_TRAFFIC_SHIFT", "POST_PRODUCTION_TRAFFIC_SHIFT", "BAKE_TIME", "CLEAN_UP",
)  # fmt: skip
SCENARIO_TAG = "simulator:native-scenario"
FAIL_AT_TAG = "simulator:native-fail-at"
STAGE_TICKS_TAG = "simulator:stage-ticks"
SCENARIOS = ("succeed", "alarm", "circuit-breaker")
DEFAULT_FAIL_AT = {"alarm": "PRODUCTION_TRAFFIC_SHIFT", "circuit-breaker": "SCALE_UP"}
FINISHED = ("SUCCESSFUL", "STOPPED", "ROLLBACK_SUCCESSFUL", "ROLLBACK_FAILED")

# Taken after (never while holding) the rollout simulator's lock in the UpdateService path and
# inside it in the DescribeServices tick, so the two never wait on each other in opposite orders.
_LOCK = threading.RLock()
_ORIGINALS: dict[str, Callable[..., Any]] = {}


class ConflictException(ServiceException):
    """StopServiceDeployment on a finished deployment (API reference, Errors)."""

    def __init__(self, message: str) -> None:
        super().__init__("ConflictException", message)


class ServiceDeploymentNotFoundException(ServiceException):
    def __init__(self, arn: str) -> None:
        super().__init__(
            "ServiceDeploymentNotFoundException", f"The service deployment {arn} does not exist."
        )


@dataclass(frozen=True)
class NativeScenario:
    name: str = "succeed"
    fail_at: str = ""
    stage_ticks: int = 1

    @classmethod
    def from_tags(cls, tags: list[dict[str, str]] | None) -> NativeScenario:
        """Parse the tags; a typo is an error, never a silent success."""
        values = {t["key"]: t["value"] for t in tags or []}
        name = values.get(SCENARIO_TAG, "succeed")
        if name not in SCENARIOS:
            raise InvalidParameterException(
                f"{SCENARIO_TAG}={name!r} is not a scenario; use one of {', '.join(SCENARIOS)}"
            )
        fail_at = values.get(FAIL_AT_TAG, DEFAULT_FAIL_AT.get(name, ""))
        if name != "succeed" and fail_at not in STAGES:
            raise InvalidParameterException(f"{FAIL_AT_TAG}={fail_at!r} is not a stage")
        try:
            ticks = int(values.get(STAGE_TICKS_TAG, "1"))
        except ValueError as exc:
            raise InvalidParameterException(f"{STAGE_TICKS_TAG} is not an integer") from exc
        return cls(name=name, fail_at=fail_at, stage_ticks=max(1, ticks))


@dataclass
class PendingHook:
    """A hook execution that holds its stage; ``detail`` is its DeploymentLifecycleHookDetail."""

    detail: dict[str, Any]
    ticks_left: int


@dataclass
class NativeDeployment:
    """Simulator state of one service deployment; ``payload`` is what ECS returns for it."""

    payload: dict[str, Any]
    config: dict[str, Any]
    scenario: NativeScenario
    deployment_id: str  # the DescribeServices deployment that mirrors it
    source_deployment_id: str | None
    source_task_definition: str | None
    desired: int
    stage_index: int = -1
    ticks_in_stage: int = 0
    hooks: list[PendingHook] = field(default_factory=list)
    hook_stages: set[str] = field(default_factory=set)

    @property
    def arn(self) -> str:
        return str(self.payload["serviceDeploymentArn"])

    @property
    def status(self) -> str:
        return str(self.payload["status"])

    @property
    def stage(self) -> str:
        return STAGES[self.stage_index] if self.stage_index >= 0 else ""


# --------------------------------------------------------------------------- helpers


def _state(service: Service) -> list[NativeDeployment]:
    """The service's service deployments, newest first, kept on moto's Service (reset with it)."""
    found = getattr(service, "native_deployments", None)
    if found is None:
        found = []
        service.native_deployments = found  # type: ignore[attr-defined]
    return found  # type: ignore[no-any-return]


def _strategy(service: Service) -> str:
    config = getattr(service, "deployment_configuration", None) or {}
    return str(config.get("strategy") or "ROLLING")


def _in_flight(service: Service) -> NativeDeployment | None:
    deployments = _state(service)
    if deployments and deployments[0].status not in FINISHED:
        return deployments[0]
    return None


def deployment_arn(service: Service) -> str:
    """A new service deployment's ARN (`service-deployment/cluster/service/id`), for the
    native (here) and the rolling (service_history) deployments alike."""
    return service_revisions.ecs_arn(
        service, f"service-deployment/{service.cluster_name}/{service.name}/{uuid.uuid4().hex[:21]}"
    )


def _revision_arn(service: Service, task_definition: str | None) -> str:
    """The revision the service's next deployment of `task_definition` takes (an Express
    configuration names it before the deployment starts; ``service_revisions``)."""
    return service_revisions.prepare(service, task_definition)


def _summary(
    arn: str, requested: int, running: int, production: float, test: float
) -> dict[str, Any]:
    return {
        "arn": arn,
        "requestedTaskCount": requested,
        "runningTaskCount": running,
        "pendingTaskCount": max(0, requested - running),
        "requestedTestTrafficWeight": test,
        "requestedProductionTrafficWeight": production,
    }


def _monitors(config: dict[str, Any], desired: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """ServiceDeploymentAlarms and ServiceDeploymentCircuitBreaker at the start."""
    alarms_config = config.get("alarms") or {}
    alarms: dict[str, Any] = {"status": "DISABLED"}
    if alarms_config.get("enable"):
        alarms = {
            "status": "MONITORING",
            "alarmNames": list(alarms_config.get("alarmNames", [])),
            "triggeredAlarmNames": [],
        }
    breaker_config = config.get("deploymentCircuitBreaker") or {}
    breaker: dict[str, Any] = {"status": "DISABLED", "failureCount": 0, "threshold": 0}
    if breaker_config.get("enable"):
        # "the threshold is 50% of the desired count, at least 3 and at most 200"
        # (developerguide/deployment-circuit-breaker.html)
        breaker = {
            "status": "MONITORING",
            "failureCount": 0,
            "threshold": max(3, min(200, math.ceil(desired / 2))),
        }
    return alarms, breaker


def _production_weights(config: dict[str, Any]) -> list[tuple[float, int]]:
    """(weight, ticks to hold it) for PRODUCTION_TRAFFIC_SHIFT, by strategy."""
    strategy = config.get("strategy")
    if strategy == "LINEAR":
        linear = config.get("linearConfiguration") or {}
        step = float(linear.get("stepPercent", 10.0))
        bake = int(linear.get("stepBakeTimeInMinutes", 6))
        weights = [min(100.0, round(step * n, 1)) for n in range(1, math.ceil(100 / step) + 1)]
        return [(w, max(1, bake) if w < 100 else 1) for w in weights]
    if strategy == "CANARY":
        canary = config.get("canaryConfiguration") or {}
        percent = float(canary.get("canaryPercent", 5.0))
        return [(percent, max(1, int(canary.get("canaryBakeTimeInMinutes", 10)))), (100.0, 1)]
    return [(100.0, 1)]


def _check_configuration(config: dict[str, Any]) -> None:
    """The ranges the API reference gives (DeploymentConfiguration, Linear/CanaryConfiguration)."""
    bake = config.get("bakeTimeInMinutes")
    if bake is not None and not 0 <= int(bake) <= 1440:
        raise InvalidParameterException("bakeTimeInMinutes must be between 0 and 1440.")
    step = (config.get("linearConfiguration") or {}).get("stepPercent")
    if step is not None and not 3.0 <= float(step) <= 100.0:
        raise InvalidParameterException("stepPercent must be between 3.0 and 100.0.")
    canary = (config.get("canaryConfiguration") or {}).get("canaryPercent")
    if canary is not None and not 0.1 <= float(canary) <= 100.0:
        raise InvalidParameterException("canaryPercent must be between 0.1 and 100.0.")


def _touch(native: NativeDeployment, **changes: Any) -> None:
    native.payload.update(changes)
    native.payload["updatedAt"] = utcnow()


def _target(native: NativeDeployment) -> dict[str, Any]:
    return native.payload["targetServiceRevision"]  # type: ignore[no-any-return]


def _sources(native: NativeDeployment) -> list[dict[str, Any]]:
    return native.payload["sourceServiceRevisions"]  # type: ignore[no-any-return]


def _set_production(native: NativeDeployment, weight: float) -> None:
    _target(native)["requestedProductionTrafficWeight"] = weight
    for source in _sources(native):
        source["requestedProductionTrafficWeight"] = round(100.0 - weight, 1)


def _deployment_dict(service: Service, deployment_id: str | None) -> dict[str, Any] | None:
    return next((d for d in ecs_simulator._deployments(service) if d["id"] == deployment_id), None)


def _sync_service(service: Service, native: NativeDeployment) -> None:
    """DescribeServices' deployments follow the revisions' task counts."""
    target = _deployment_dict(service, native.deployment_id)
    if target is not None:
        ecs_simulator._touch(
            target,
            runningCount=_target(native)["runningTaskCount"],
            pendingCount=_target(native)["pendingTaskCount"],
        )
    source = _deployment_dict(service, native.source_deployment_id)
    if source is not None and _sources(native):
        ecs_simulator._touch(
            source, runningCount=_sources(native)[0]["runningTaskCount"], pendingCount=0
        )
    deployments = ecs_simulator._deployments(service)
    service.running_count = sum(int(d["runningCount"]) for d in deployments)
    service.pending_count = sum(int(d["pendingCount"]) for d in deployments)


# --------------------------------------------------------------------------- lifecycle


def _start(service: Service, deployment: dict[str, Any], source: dict[str, Any] | None) -> None:
    """UpdateService started `deployment` on a native-strategy service: a service deployment."""
    config = dict(getattr(service, "deployment_configuration", None) or {})
    _check_configuration(config)
    scenario = NativeScenario.from_tags(service.tags)
    desired = int(service.desired_count)
    now = utcnow()
    arn = deployment_arn(service)
    alarms, breaker = _monitors(config, desired)
    source_td = source["taskDefinition"] if source else None
    sources = (
        [
            _summary(
                service_revisions.of_deployment(service, source["id"], source_td),
                desired,
                int(source.get("runningCount", 0)),
                100.0,
                100.0,
            )
        ]
        if source
        else []
    )
    payload: dict[str, Any] = {
        "serviceDeploymentArn": arn,
        "serviceArn": service.arn,
        "clusterArn": service.cluster_arn,
        "createdAt": now,
        "updatedAt": now,
        "sourceServiceRevisions": sources,
        "targetServiceRevision": _summary(
            service_revisions.of_deployment(
                service, deployment["id"], deployment["taskDefinition"]
            ),
            0,
            0,
            0.0,
            0.0,
        ),
        "status": "PENDING",
        "deploymentConfiguration": config,
        "alarms": alarms,
        "deploymentCircuitBreaker": breaker,
    }
    native = NativeDeployment(
        payload=payload,
        config=config,
        scenario=scenario,
        deployment_id=deployment["id"],
        source_deployment_id=source["id"] if source else None,
        source_task_definition=source_td,
        desired=desired,
    )
    with _LOCK:
        _state(service).insert(0, native)
        service.current_service_deployment = arn  # type: ignore[attr-defined]


def _enter(native: NativeDeployment, index: int) -> None:
    native.stage_index = index
    native.ticks_in_stage = 0
    _touch(native, lifecycleStage=STAGES[index])
    stage = STAGES[index]
    for hook in native.config.get("lifecycleHooks") or []:
        if stage not in hook.get("lifecycleStages", []):
            continue
        timeout = hook.get("timeoutConfiguration") or {}
        minutes = int(timeout.get("timeoutInMinutes", 1440))
        detail: dict[str, Any] = {"targetType": hook.get("targetType", "AWS_LAMBDA")}
        if detail["targetType"] == "PAUSE":
            detail.update(
                hookId=f"ecs-pause-{uuid.uuid4().hex}",
                status="AWAITING_ACTION",
                expiresAt=utcnow() + timedelta(minutes=minutes),
                timeoutAction=timeout.get("action", "ROLLBACK"),
            )
        else:
            detail.update(
                hookId=f"ecs-hook-{uuid.uuid4().hex}",
                status="IN_PROGRESS",
                targetArn=hook.get("hookTargetArn", ""),
                expiresAt=utcnow() + timedelta(minutes=minutes),
                timeoutAction=timeout.get("action", "ROLLBACK"),
            )
        native.hooks.append(PendingHook(detail=detail, ticks_left=minutes))
        native.payload.setdefault("lifecycleHookDetails", []).append(detail)


def _stage_work(native: NativeDeployment) -> bool:
    """One tick of the current stage's own work; True when the stage is done."""
    stage = native.stage
    native.ticks_in_stage += 1
    ticks = native.scenario.stage_ticks
    target = _target(native)
    if stage == "SCALE_UP":
        target["requestedTaskCount"] = native.desired
        done = native.ticks_in_stage >= ticks
        target["runningTaskCount"] = native.desired if done else 0
        target["pendingTaskCount"] = 0 if done else native.desired
        return done
    if stage == "TEST_TRAFFIC_SHIFT":
        target["requestedTestTrafficWeight"] = 100.0
        for source in _sources(native):
            source["requestedTestTrafficWeight"] = 0.0
        return native.ticks_in_stage >= ticks
    if stage == "PRODUCTION_TRAFFIC_SHIFT":
        plan = _production_weights(native.config)
        elapsed = native.ticks_in_stage
        for weight, hold in plan:  # the weight whose hold covers this tick
            if elapsed <= hold:
                _set_production(native, weight)
                return False
            elapsed -= hold
        return True  # the tick after the last weight (100) was set
    if stage == "BAKE_TIME":
        return native.ticks_in_stage >= max(1, int(native.config.get("bakeTimeInMinutes") or 0))
    if stage == "CLEAN_UP":
        for source in _sources(native):
            source.update(requestedTaskCount=0, runningTaskCount=0, pendingTaskCount=0)
        return native.ticks_in_stage >= ticks
    return native.ticks_in_stage >= ticks


def _hooks_hold(native: NativeDeployment) -> bool:
    """Advance the current stage's hooks by one tick; True while one still holds the stage."""
    holding = False
    for pending in list(native.hooks):
        detail = pending.detail
        if detail["status"] == "IN_PROGRESS":  # a Lambda hook: done after one tick
            detail["status"] = "SUCCEEDED"
        elif detail["status"] == "AWAITING_ACTION":
            pending.ticks_left -= 1
            if pending.ticks_left > 0:
                holding = True
                continue
            detail["status"] = "TIMED_OUT"
            if detail.get("timeoutAction") == "ROLLBACK":
                native.hooks.remove(pending)
                _roll_back(
                    native,
                    f"lifecycle hook {detail['hookId']} timed out at "
                    f"{native.stage}; its timeout action is ROLLBACK",
                )
                return True
        native.hooks.remove(pending)
    return holding


def _fail(native: NativeDeployment) -> bool:
    """The scenario's failure, at its stage; True when it ended or reversed the deployment."""
    scenario = native.scenario
    if scenario.name == "succeed" or native.stage != scenario.fail_at:
        return False
    if scenario.name == "alarm":
        alarms = native.payload["alarms"]
        names = list(alarms.get("alarmNames") or ["simulator-alarm"])
        alarms.update(status="TRIGGERED", alarmNames=names, triggeredAlarmNames=names[:1])
        rollback = bool((native.config.get("alarms") or {}).get("rollback"))
        reason = f"CloudWatch alarm {names[0]} went into ALARM during {native.stage}."
    else:
        breaker = native.payload["deploymentCircuitBreaker"]
        threshold = int(breaker.get("threshold") or 3)
        breaker.update(status="TRIGGERED", failureCount=threshold, threshold=threshold)
        rollback = bool((native.config.get("deploymentCircuitBreaker") or {}).get("rollback"))
        reason = "ECS deployment circuit breaker: tasks failed to start."
    if rollback:
        _roll_back(native, reason)
    else:
        now = utcnow()
        _touch(native, status="STOPPED", statusReason=reason, stoppedAt=now, finishedAt=now)
    return True


def _roll_back(native: NativeDeployment, reason: str) -> None:
    """ROLLBACK_REQUESTED; the next ticks take it to ROLLBACK_SUCCESSFUL."""
    source = _sources(native)[0]["arn"] if _sources(native) else _target(native)["arn"]
    _touch(
        native,
        status="ROLLBACK_REQUESTED",
        statusReason=reason,
        rollback={"reason": reason, "startedAt": utcnow(), "serviceRevisionArn": source},
    )


def _finish(service: Service, native: NativeDeployment) -> None:
    """SUCCESSFUL: the target's deployment is COMPLETED and alone in DescribeServices."""
    now = utcnow()
    _touch(
        native,
        status="SUCCESSFUL",
        finishedAt=now,
        statusReason="Service deployment completed successfully.",
    )
    for monitor in ("alarms", "deploymentCircuitBreaker"):
        if native.payload[monitor]["status"] == "MONITORING":
            native.payload[monitor]["status"] = "MONITORING_COMPLETE"
    target = _deployment_dict(service, native.deployment_id)
    if target is not None:
        service.deployments = [target]
        ecs_simulator._touch(
            target,
            rolloutState="COMPLETED",
            rolloutStateReason=f"ECS deployment {target['id']} completed.",
        )
        ecs_simulator._event(
            service,
            f"(deployment {target['id']}) deployment completed.",
            "has reached a steady state.",
        )


def _finish_rollback(service: Service, native: NativeDeployment) -> None:
    """ROLLBACK_SUCCESSFUL: the source's deployment is PRIMARY again, the target's gone."""
    _target(native).update(runningTaskCount=0, pendingTaskCount=0)
    for source in _sources(native):
        source.update(
            requestedTaskCount=native.desired, runningTaskCount=native.desired, pendingTaskCount=0
        )
    now = utcnow()
    _touch(native, status="ROLLBACK_SUCCESSFUL", finishedAt=now)
    source = _deployment_dict(service, native.source_deployment_id)
    if source is not None:
        service.deployments = [source]
        ecs_simulator._touch(source, status="PRIMARY", rolloutState="COMPLETED")
        service.task_definition = native.source_task_definition
        ecs_simulator._event(
            service,
            f"(service-deployment {native.arn}) rolled back to {native.source_task_definition}.",
        )


def _advance(service: Service, native: NativeDeployment) -> None:
    """One tick of simulated time for the service's running service deployment."""
    status = native.status
    if status == "ROLLBACK_REQUESTED":
        _touch(native, status="ROLLBACK_IN_PROGRESS")
        _set_production(native, 0.0)
    elif status == "ROLLBACK_IN_PROGRESS":
        _finish_rollback(service, native)
    elif status == "STOP_REQUESTED":
        now = utcnow()
        _touch(native, status="STOPPED", stoppedAt=now, finishedAt=now)
    elif status == "PENDING":
        _touch(native, status="IN_PROGRESS", startedAt=utcnow())
        _enter(native, 0)
    elif status == "IN_PROGRESS" and not _hooks_hold(native) and native.status == "IN_PROGRESS":
        done = _stage_work(native)
        if _fail(native):
            _sync_service(service, native)
            return
        if done:
            if native.stage_index + 1 < len(STAGES):
                _enter(native, native.stage_index + 1)
            else:
                _finish(service, native)
    _sync_service(service, native)


# --------------------------------------------------------------------------- patches


def _tick(backend: EC2ContainerServiceBackend, service: Service) -> None:
    """The rollout simulator's tick, except for a service whose service deployment runs."""
    with _LOCK:
        native = _in_flight(service)
        if native is not None:
            _advance(service, native)
            return
    _ORIGINALS["tick"](backend, service)


def _update_service(
    self: EC2ContainerServiceBackend, service_properties: dict[str, Any]
) -> Service:
    """The rollout simulator's UpdateService; on a native-strategy service, a deployment it
    starts is also a service deployment."""
    cluster = service_properties.get("cluster", "default")
    name = str(service_properties.get("service", "")).split("/")[-1]
    before = self._get_service(cluster, name)
    primary = ecs_simulator._primary(before)
    service: Service = _ORIGINALS["update_service"](self, service_properties)
    new_primary = ecs_simulator._primary(service)
    if (
        new_primary is not None
        and new_primary is not primary
        and _strategy(service) in NATIVE_STRATEGIES
    ):
        _start(service, new_primary, primary)
    return service


def _find(backend: EC2ContainerServiceBackend, arn: str) -> tuple[Service, NativeDeployment]:
    """A service deployment by ARN: .../service-deployment/<cluster>/<service>/<id>."""
    parts = arn.split(":service-deployment/")[-1].split("/")
    if len(parts) == 3:
        service = backend.services.get(f"{parts[0]}:{parts[1]}")
        if service is not None:
            for native in _state(service):
                if native.arn == arn:
                    return service, native
    raise ServiceDeploymentNotFoundException(arn)


def _created_within(created_at: datetime, bounds: dict[str, Any]) -> bool:
    after, before = bounds.get("after"), bounds.get("before")
    stamp = created_at.timestamp()
    return (after is None or stamp >= float(after)) and (before is None or stamp <= float(before))


def _stop_service_deployment(self: EC2ContainerServiceResponse) -> ActionResult:
    arn = str(self._get_param("serviceDeploymentArn"))
    stop_type = self._get_param("stopType") or "ROLLBACK"
    with _LOCK:
        _, native = _find(self.ecs_backend, arn)
        if native.status in FINISHED:
            raise ConflictException(
                f"The service deployment is {native.status}; only a "
                "deployment in progress can be stopped."
            )
        if native.status in ("PENDING", "IN_PROGRESS"):
            if stop_type == "ROLLBACK":
                _roll_back(native, "Service deployment rolled back by StopServiceDeployment.")
            else:
                _touch(
                    native,
                    status="STOP_REQUESTED",
                    statusReason="Service deployment stopped by StopServiceDeployment.",
                )
    return ActionResult({"serviceDeploymentArn": arn})


def _continue_service_deployment(self: EC2ContainerServiceResponse) -> ActionResult:
    arn = str(self._get_param("serviceDeploymentArn"))
    hook_id = str(self._get_param("hookId"))
    action = self._get_param("action") or "CONTINUE"
    with _LOCK:
        _, native = _find(self.ecs_backend, arn)
        pending = next((p for p in native.hooks if p.detail["hookId"] == hook_id), None)
        if (
            native.status != "IN_PROGRESS"
            or pending is None
            or pending.detail["status"] != "AWAITING_ACTION"
        ):
            raise InvalidParameterException(
                f"Hook {hook_id} is not awaiting action on an IN_PROGRESS service deployment."
            )
        native.hooks.remove(pending)
        if action == "ROLLBACK":
            pending.detail["status"] = "FAILED"
            _roll_back(native, f"Rolled back by ContinueServiceDeployment on hook {hook_id}.")
        else:
            pending.detail["status"] = "SUCCEEDED"
        native.payload["updatedAt"] = utcnow()
    return ActionResult({"serviceDeploymentArn": arn})


_RESPONSES: dict[str, Callable[[EC2ContainerServiceResponse], ActionResult]] = {
    "stop_service_deployment": _stop_service_deployment,
    "continue_service_deployment": _continue_service_deployment,
}


def install() -> None:
    """Add StopServiceDeployment and ContinueServiceDeployment to moto's ECS responses (the
    reads, ListServiceDeployments and DescribeServiceDeployments, are ``service_history``'s)
    and take over the tick of native-strategy services; needs ``ecs_simulator.install()``
    first; calling it again is a no-op."""
    with _LOCK:
        if _ORIGINALS:
            return
        if not ecs_simulator.installed():
            raise RuntimeError("install the rollout simulator (ecs_simulator) first")
        _ORIGINALS["tick"] = ecs_simulator.tick
        ecs_simulator.tick = _tick  # the name its DescribeServices response calls per service
        _ORIGINALS["update_service"] = EC2ContainerServiceBackend.update_service
        EC2ContainerServiceBackend.update_service = _update_service  # type: ignore[method-assign]
        for name, func in _RESPONSES.items():
            setattr(EC2ContainerServiceResponse, name, func)
