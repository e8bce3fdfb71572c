"""Service deployments for ECS-controller services: every deployment of a rolling service and
the creation of every ECS-controller service; ListServiceDeployments, DescribeService
Deployments, and StopServiceDeployment of a rolling deployment.

Why: ECS records a *service deployment* for every deployment of a service, not only for the
native blue/green, linear and canary ones that ``service_deployments`` simulates: "Amazon ECS
automatically creates a new service deployment when ... a user creates a service ... updates
the service and uses the force new deployment option ... updates one or more service properties
that require a deployment" ("View service history using Amazon ECS service deployments",
https://docs.aws.amazon.com/AmazonECS/latest/developerguide/service-deployment.html). The
day-two verbs (rollback, status) read that history with ListServiceDeployments,
DescribeServiceDeployments and DescribeServiceRevisions, so the simulator must keep it for
rolling services too. ``install()`` after ``service_deployments.install()``
(``tests/support/moto_server.py`` does all three).

Which services: ECS deployment controller. CreateService records one for any strategy (the
page's "a user creates a service"); later deployments of strategy ROLLING (or none) are
recorded here, those of native strategies by ``service_deployments``, whose records this
module lists beside its own. CODE_DEPLOY and EXTERNAL services get none (CodeDeploy keeps
their history).

Statuses (the same page, "Service deployment states"; API reference "ServiceDeployment")
    PENDING at UpdateService; IN_PROGRESS from the first tick of the rollout simulator;
    SUCCESSFUL when the rollout is COMPLETED (``finishedAt``). A rollout that FAILED with
    the rollback option of its circuit breaker or alarms: ROLLBACK_IN_PROGRESS while ECS's
    rollback deployment runs, then ROLLBACK_SUCCESSFUL, with ``rollback`` {reason, startedAt,
    serviceRevisionArn = the revision rolled back to}; the rollback itself is part of the failed
    service deployment, not a service deployment of its own. FAILED without the rollback
    option: STOPPED with ``stoppedAt`` ("The rollback option is not in use for the failure
    detection mechanism ... and the service fails", API reference "ServiceDeployment",
    stoppedAt). CreateService: one deployment, SUCCESSFUL at once since the rollout simulator
    starts services steady (IN_PROGRESS under ``simulator:created=in-progress``).
Revisions (``service_revisions``)
    One per deployment: the target is made when the deployment starts, the sources are the
    revisions of the deployments the service runs then; ECS's rollback deployment runs the
    revision of the last COMPLETED deployment ("Amazon ECS doesn't create a new service
    revision for a rollback operation", developerguide/service-revision.html).
Detectors
    ``deploymentCircuitBreaker`` and ``alarms`` as in ``service_deployments``: DISABLED or
    MONITORING, MONITORING_COMPLETE after success, TRIGGERED when they failed the rollout.
StopServiceDeployment ("Stopping Amazon ECS service deployments",
developerguide/stop-service-deployment.html; API reference "StopServiceDeployment")
    ROLLBACK ("The valid values are ROLLBACK"; ABORT is InvalidParameterException here) from
    PENDING or IN_PROGRESS: ROLLBACK_REQUESTED, and a deployment of the last COMPLETED
    revision starts at once; the next tick makes it ROLLBACK_IN_PROGRESS, its completion
    ROLLBACK_SUCCESSFUL. On STOP_REQUESTED or ROLLBACK_* it changes nothing ("continues"); on
    a finished one it is a ConflictException. With nothing completed to go back to, it is
    ROLLBACK_FAILED at once (not documented).
ListServiceDeployments (API reference)
    ``status`` (each a ServiceDeploymentStatus, else InvalidParameterException) and
    ``createdAt`` {after, before} filters; maxResults 1..100 (default 20), else
    InvalidParameterException, as is a nextToken this server did not give; an unknown cluster
    or service is ClusterNotFoundException / ServiceNotFoundException. The order of the
    results is not documented, so both orders are served: newest first (default) or, with the
    service tag ``simulator:history-order=oldest-first``, oldest first; a client must sort.
Retention
    "You can view the most recent 90-day history" (service-deployment.html): a service
    deployment created more than 90 days ago is neither listed nor described (MISSING). The
    service tag ``simulator:created-days-ago=N`` dates the creation's service deployment and
    revision N days back, so N > 90 gives a service whose creation ECS no longer reports.
Deleted services
    "When you delete a service, Amazon ECS deletes the service deployment" (service-deployment
    .html): a deleted (INACTIVE) service lists none, and its ARNs are MISSING.

Not like real ECS
    A deployment superseded by a newer UpdateService before it finished becomes STOPPED: the
    pages above do not say which completed state ECS gives it. Timestamps are wall-clock (but
    for ``simulator:created-days-ago``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import botocore.session
from moto.core.responses import ActionResult
from moto.core.utils import utcnow
from moto.ecs.exceptions import InvalidParameterException
from moto.ecs.models import EC2ContainerServiceBackend, Service
from moto.ecs.responses import EC2ContainerServiceResponse

from tests.support import ecs_simulator, service_revisions
from tests.support import service_deployments as native

FINISHED = native.FINISHED
BRIEF_KEYS = (
    "serviceDeploymentArn", "serviceArn", "clusterArn", "startedAt", "createdAt",
    "finishedAt", "status", "statusReason",
)  # fmt: skip
STATUSES = tuple(  # API reference, ServiceDeploymentStatus, as botocore's model has it
    botocore.session.get_session()
    .get_service_model("ecs")
    .shape_for("ServiceDeploymentStatus")
    .enum
)
KEPT = timedelta(days=90)  # "the most recent 90-day history" (service-deployment.html)
AGE_TAG = "simulator:created-days-ago"
ORDER_TAG = "simulator:history-order"
ORDERS = ("newest-first", "oldest-first")
_LOCK = threading.RLock()
_ORIGINALS: dict[str, Callable[..., Any]] = {}


@dataclass
class RollingRecord:
    """One rolling service deployment: its payload and the DescribeServices deployment it
    follows (and, once ECS rolls it back, the rollback deployment)."""

    payload: dict[str, Any]
    deployment_id: str
    source_ids: list[str] = field(default_factory=list)  # one per sourceServiceRevisions entry
    rollback_id: str | None = None

    @property
    def status(self) -> str:
        return str(self.payload["status"])


def _records(service: Service) -> list[RollingRecord]:
    """Newest first, kept on moto's Service (reset with it)."""
    found = getattr(service, "rolling_history", None)
    if found is None:
        found = []
        service.rolling_history = found  # type: ignore[attr-defined]
    return found  # type: ignore[no-any-return]


def _rolling(service: Service) -> bool:
    controller = (service.deployment_controller or {}).get("type", "ECS")
    return controller == "ECS" and native._strategy(service) not in native.NATIVE_STRATEGIES


def _touch(record: RollingRecord, **changes: Any) -> None:
    record.payload.update(changes)
    record.payload["updatedAt"] = utcnow()


def _summary(service: Service, deployment: dict[str, Any]) -> dict[str, Any]:
    """A ServiceRevisionSummary of a DescribeServices deployment, with its task counts."""
    summary = native._summary(
        service_revisions.of_deployment(service, deployment["id"], deployment["taskDefinition"]),
        int(deployment.get("desiredCount", 0)),
        int(deployment.get("runningCount", 0)),
        0,
        0,
    )
    summary["pendingTaskCount"] = int(deployment.get("pendingCount", 0))
    return summary


def _start(service: Service, deployment: dict[str, Any]) -> None:
    """A deployment began: its service deployment, PENDING, from the revisions the service
    runs now (an unfinished older one is STOPPED, see "Not like real ECS")."""
    for older in _records(service):
        if older.status not in FINISHED:
            now = utcnow()
            _touch(
                older,
                status="STOPPED",
                statusReason="A newer service deployment started.",
                stoppedAt=now,
                finishedAt=now,
            )
    config = dict(getattr(service, "deployment_configuration", None) or {})
    alarms, breaker = native._monitors(config, int(service.desired_count))
    now = utcnow()
    arn = native.deployment_arn(service)
    running = [
        d
        for d in ecs_simulator._deployments(service)
        if d is not deployment and d["taskDefinition"]
    ]
    target = _summary(service, deployment)
    target.update(runningTaskCount=0, pendingTaskCount=0)
    payload: dict[str, Any] = {
        "serviceDeploymentArn": arn,
        "serviceArn": service.arn,
        "clusterArn": service.cluster_arn,
        "createdAt": now,
        "updatedAt": now,
        "sourceServiceRevisions": [_summary(service, d) for d in running],
        "targetServiceRevision": target,
        "status": "PENDING",
        "deploymentConfiguration": config,
        "alarms": alarms,
        "deploymentCircuitBreaker": breaker,
    }
    record = RollingRecord(payload, deployment["id"], [d["id"] for d in running])
    _records(service).insert(0, record)
    service.current_service_deployment = arn  # type: ignore[attr-defined]


def _deployment(service: Service, deployment_id: str | None) -> dict[str, Any] | None:
    return next((d for d in ecs_simulator._deployments(service) if d["id"] == deployment_id), None)


def _monitors_done(record: RollingRecord) -> None:
    for key in ("alarms", "deploymentCircuitBreaker"):
        if record.payload[key]["status"] == "MONITORING":
            record.payload[key]["status"] = "MONITORING_COMPLETE"


def _trigger(record: RollingRecord, deployment: dict[str, Any]) -> None:
    """Which detector failed the rollout: the rollout simulator's own reason says."""
    reason = str(deployment.get("rolloutStateReason", ""))
    if "circuit breaker" in reason:
        breaker = record.payload["deploymentCircuitBreaker"]
        breaker.update(status="TRIGGERED", failureCount=int(deployment.get("failedTasks", 0)))
    elif "alarm" in reason:  # the rollout simulator fires every alarm it names
        alarms = record.payload["alarms"]
        alarms.update(status="TRIGGERED", triggeredAlarmNames=list(alarms.get("alarmNames", [])))


def _rolling_back(
    service: Service, record: RollingRecord, rollback_id: str, reason: str, last: tuple[str, str]
) -> None:
    """ECS's rollback deployment (`rollback_id`) runs the revision of the last COMPLETED
    deployment (`last`: its id and task definition), as part of this record."""
    good = service_revisions.of_deployment(service, *last)
    service_revisions.share(service, rollback_id, good)
    record.rollback_id = rollback_id
    _touch(
        record,
        status="ROLLBACK_IN_PROGRESS",
        statusReason=reason,
        rollback={"reason": reason, "startedAt": utcnow(), "serviceRevisionArn": good},
    )


def _sync_one(service: Service, record: RollingRecord) -> None:
    """Follow the rollout simulator's deployment into the service deployment's status."""
    deployment = _deployment(service, record.deployment_id)
    target = record.payload["targetServiceRevision"]
    if deployment is not None and record.status in ("PENDING", "IN_PROGRESS"):
        target.update(
            runningTaskCount=int(deployment["runningCount"]),
            pendingTaskCount=int(deployment["pendingCount"]),
        )
    sources = zip(record.payload["sourceServiceRevisions"], record.source_ids, strict=True)
    for source, source_id in sources:  # the old deployments drain while the rollout runs
        running = _deployment(service, source_id) or {"runningCount": 0, "pendingCount": 0}
        source.update(
            runningTaskCount=int(running["runningCount"]),
            pendingTaskCount=int(running["pendingCount"]),
        )
    if record.status == "ROLLBACK_REQUESTED":
        _touch(record, status="ROLLBACK_IN_PROGRESS")
        return
    if record.status == "ROLLBACK_IN_PROGRESS":
        rollback = _deployment(service, record.rollback_id)
        if rollback is None or rollback["rolloutState"] == "COMPLETED":
            _touch(record, status="ROLLBACK_SUCCESSFUL", finishedAt=utcnow())
        return
    if deployment is None:
        return
    state = deployment["rolloutState"]
    if state == "IN_PROGRESS" and record.status == "PENDING":
        _touch(record, status="IN_PROGRESS", startedAt=utcnow())
    elif state == "COMPLETED":
        now = utcnow()
        record.payload.setdefault("startedAt", now)
        _touch(record, status="SUCCESSFUL", finishedAt=now)
        _monitors_done(record)
    elif state == "FAILED":
        _trigger(record, deployment)
        record.payload.setdefault("startedAt", utcnow())
        primary = ecs_simulator._primary(service)
        known = {r.deployment_id for r in _records(service)}
        reason = str(deployment.get("rolloutStateReason", ""))
        last = ecs_simulator._sim(service).last_completed
        if primary is not None and primary is not deployment and primary["id"] not in known:
            assert last is not None  # the rollout simulator rolls back only to a completed one
            _rolling_back(service, record, primary["id"], reason, last)
        else:
            now = utcnow()
            _touch(record, status="STOPPED", statusReason=reason, stoppedAt=now, finishedAt=now)


def _sync(service: Service) -> None:
    with _LOCK:
        for record in _records(service):
            if record.status not in FINISHED:
                _sync_one(service, record)


# --------------------------------------------------------------------------- patches


def _tick(backend: EC2ContainerServiceBackend, service: Service) -> None:
    _ORIGINALS["tick"](backend, service)
    _sync(service)


def _days_ago(tags: list[dict[str, str]] | None) -> int:
    """The service's ``simulator:created-days-ago`` (0 when untagged); a typo is an error."""
    value = next((t["value"] for t in tags or [] if t.get("key") == AGE_TAG), "0")
    if not value.isdigit():
        raise InvalidParameterException(f"{AGE_TAG}={value!r} is not a number of days")
    return int(value)


def _create_service(self: EC2ContainerServiceResponse) -> ActionResult:
    """CreateService's answer (after the rollout simulator kept its deploymentConfiguration,
    so the strategy is known): an ECS-controller service's first service deployment, dated
    ``simulator:created-days-ago`` days back."""
    age = timedelta(days=_days_ago(self._get_param("tags")))
    result: ActionResult = _ORIGINALS["create_service"](self)
    service = result.result["service"]  # type: ignore[index]
    primary = ecs_simulator._primary(service)
    if primary is not None and service.deployment_controller.get("type", "ECS") == "ECS":
        with _LOCK:
            _start(service, primary)
            _sync(service)
            payload = _records(service)[0].payload
            for key in ("createdAt", "startedAt", "finishedAt", "updatedAt"):
                if key in payload:
                    payload[key] -= age
            service_revisions.backdate(service, payload["targetServiceRevision"]["arn"], age)
    return result


def _update_service(
    self: EC2ContainerServiceBackend, service_properties: dict[str, Any]
) -> Service:
    cluster = service_properties.get("cluster", "default")
    name = str(service_properties.get("service", "")).split("/")[-1]
    before = ecs_simulator._primary(self._get_service(cluster, name))
    service: Service = _ORIGINALS["update_service"](self, service_properties)
    after = ecs_simulator._primary(service)
    if after is not None and after is not before and _rolling(service):
        with _LOCK:
            _start(service, after)
    return service


def _payloads(service: Service) -> list[dict[str, Any]]:
    """Every service deployment of the service, rolling and native, newest first (statuses
    move at ticks, as the rollout does) of the last 90 days; none once the service is deleted."""
    if service.status != "ACTIVE":
        return []
    found = [r.payload for r in _records(service)] + [n.payload for n in native._state(service)]
    kept = utcnow() - KEPT
    return sorted(
        (p for p in found if p["createdAt"] >= kept), key=lambda p: p["createdAt"], reverse=True
    )


def _order(service: Service) -> str:
    """The service's ``simulator:history-order`` (the API documents no order)."""
    order = next((t["value"] for t in service.tags or [] if t.get("key") == ORDER_TAG), ORDERS[0])
    if order not in ORDERS:
        raise InvalidParameterException(f"{ORDER_TAG}={order!r}: use one of {', '.join(ORDERS)}")
    return str(order)


def _list_service_deployments(self: EC2ContainerServiceResponse) -> ActionResult:
    """ListServiceDeployments (API reference): filtered by status and createdAt, maxResults
    1..100 (default 20), nextToken; in the service's ``simulator:history-order``."""
    backend = self.ecs_backend
    service = backend._get_service(
        self._get_param("cluster", "default"), str(self._get_param("service", "")).split("/")[-1]
    )
    statuses = self._get_param("status") or []
    unknown = sorted(set(statuses) - set(STATUSES))
    if unknown:
        raise InvalidParameterException(f"status {unknown[0]!r} is not one of {STATUSES}.")
    created = self._get_param("createdAt") or {}
    limit = int(self._get_param("maxResults") or 20)
    if not 1 <= limit <= 100:
        raise InvalidParameterException("maxResults must be between 1 and 100.")
    token = str(self._get_param("nextToken") or "0")
    if not token.isdigit():
        raise InvalidParameterException("The nextToken is not valid.")
    start = int(token)
    with _LOCK, native._LOCK:
        found = [
            {k: p[k] for k in BRIEF_KEYS if k in p}
            | {"targetServiceRevisionArn": p["targetServiceRevision"]["arn"]}
            for p in _payloads(service)
            if (not statuses or p["status"] in statuses)
            and native._created_within(p["createdAt"], created)
        ]
    if _order(service) == "oldest-first":
        found.reverse()
    page: dict[str, Any] = {"serviceDeployments": found[start : start + limit]}
    if start + limit < len(found):
        page["nextToken"] = str(start + limit)
    return ActionResult(page)


def _describe_service_deployments(self: EC2ContainerServiceResponse) -> ActionResult:
    """DescribeServiceDeployments: 1 to 20 ARNs; unknown ones are failures (MISSING)."""
    arns = list(self._get_param("serviceDeploymentArns") or [])
    if not arns or len(arns) > 20:
        raise InvalidParameterException("serviceDeploymentArns must have 1 to 20 entries.")
    found, failures = [], []
    with _LOCK, native._LOCK:
        for arn in arns:
            service = service_revisions.service_of(self.ecs_backend, arn, "service-deployment")
            payload = next(
                (p for p in _payloads(service) if p["serviceDeploymentArn"] == arn), None
            ) if service is not None else None  # fmt: skip
            if payload is None:
                failures.append({"arn": arn, "reason": "MISSING"})
            else:
                found.append(payload)
    return ActionResult({"serviceDeployments": found, "failures": failures})


def _describe_service_revisions(self: EC2ContainerServiceResponse) -> ActionResult:
    """DescribeServiceRevisions (``service_revisions``)."""
    arns = list(self._get_param("serviceRevisionArns") or [])
    with _LOCK, native._LOCK:
        found, failures = service_revisions.describe(self.ecs_backend, arns)
    return ActionResult({"serviceRevisions": found, "failures": failures})


def _stop_service_deployment(self: EC2ContainerServiceResponse) -> ActionResult:
    """StopServiceDeployment of a rolling service deployment (module docstring); a native
    one's is ``service_deployments``'."""
    arn = str(self._get_param("serviceDeploymentArn"))
    backend = self.ecs_backend
    service = service_revisions.service_of(backend, arn, "service-deployment")
    with ecs_simulator._LOCK, _LOCK:
        record = next(
            (r for r in _records(service) if r.payload["serviceDeploymentArn"] == arn), None
        ) if service is not None else None  # fmt: skip
        if service is None or record is None:
            return _ORIGINALS["stop_service_deployment"](self)  # type: ignore[no-any-return]
        if (self._get_param("stopType") or "ROLLBACK") != "ROLLBACK":
            raise InvalidParameterException("stopType: the valid values are ROLLBACK.")
        if record.status in FINISHED:
            raise native.ConflictException(
                f"The service deployment is {record.status}; only a "
                "deployment in progress can be stopped."
            )
        if record.status in ("PENDING", "IN_PROGRESS"):
            _stop_with_rollback(backend, service, record)
    return ActionResult({"serviceDeploymentArn": arn})


def _stop_with_rollback(
    backend: EC2ContainerServiceBackend, service: Service, record: RollingRecord
) -> None:
    """ROLLBACK_REQUESTED, and a deployment of the last COMPLETED revision starts now."""
    reason = "Service deployment rolled back by StopServiceDeployment."
    last = ecs_simulator._sim(service).last_completed
    if last is None:
        _touch(record, status="ROLLBACK_FAILED", statusReason=reason, finishedAt=utcnow())
        return
    rollout = ecs_simulator._create_rollout(
        backend,
        service,
        last[1],
        ecs_simulator.Scenario(ticks=ecs_simulator.ROLLBACK_TICKS, drain=0),
    )
    ecs_simulator._event(service, f"rolling back to deployment {last[0]}.")
    _rolling_back(service, record, rollout.id, reason, last)
    _touch(record, status="ROLLBACK_REQUESTED")
    ecs_simulator._sync_counts(backend, service)


def install() -> None:
    """Record ECS-controller deployments and serve the history APIs; needs ``ecs_simulator``
    and ``service_deployments`` installed first; calling it again is a no-op."""
    with _LOCK:
        if _ORIGINALS:
            return
        if not ecs_simulator.installed():
            raise RuntimeError("install the rollout simulator (ecs_simulator) first")
        native.install()
        _ORIGINALS["tick"] = ecs_simulator.tick
        ecs_simulator.tick = _tick
        _ORIGINALS["update_service"] = EC2ContainerServiceBackend.update_service
        EC2ContainerServiceBackend.update_service = _update_service  # type: ignore[method-assign]
        _ORIGINALS["create_service"] = EC2ContainerServiceResponse.create_service
        EC2ContainerServiceResponse.create_service = _create_service  # type: ignore[method-assign]
        _ORIGINALS["stop_service_deployment"] = EC2ContainerServiceResponse.stop_service_deployment  # type: ignore[attr-defined]
        EC2ContainerServiceResponse.stop_service_deployment = _stop_service_deployment  # type: ignore[attr-defined]
        EC2ContainerServiceResponse.list_service_deployments = _list_service_deployments  # type: ignore[attr-defined]
        EC2ContainerServiceResponse.describe_service_deployments = _describe_service_deployments  # type: ignore[attr-defined]
        EC2ContainerServiceResponse.describe_service_revisions = _describe_service_revisions  # type: ignore[attr-defined]
