"""Service deployments for rolling (ECS controller) services, and DescribeServiceRevisions.

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

Which services: ECS deployment controller, strategy ROLLING (or none). CODE_DEPLOY and EXTERNAL
services get none here (CodeDeploy keeps their history); native strategies stay with
``service_deployments``, whose records this module lists beside its own.

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
Detectors
    ``deploymentCircuitBreaker`` and ``alarms`` as in ``service_deployments``: DISABLED or
    MONITORING, MONITORING_COMPLETE after success, TRIGGERED when they failed the rollout.
Revisions (API reference "DescribeServiceRevisions", "ServiceRevision")
    One per (service, task definition), shared with ``service_deployments``; DescribeService
    Revisions takes 1 to 20 ARNs, answers an unknown one in ``failures`` (reason MISSING) and
    gives each revision's task definition, launch type, platform, network configuration and
    ``containerImages`` (each container's name and image, from the task definition).

Not like real ECS
    A deployment superseded by a newer UpdateService before it finished becomes STOPPED: the
    pages above do not say which completed state ECS gives it. StopServiceDeployment on a
    rolling deployment is not served (ServiceDeploymentNotFoundException). Revisions are per
    task definition, where ECS makes one per deployment. Timestamps are wall-clock.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from moto.core.responses import ActionResult
from moto.core.utils import utcnow
from moto.ecs.exceptions import InvalidParameterException
from moto.ecs.models import EC2ContainerServiceBackend, Service
from moto.ecs.responses import EC2ContainerServiceResponse
from moto.utilities.utils import get_partition

from tests.support import ecs_simulator
from tests.support import service_deployments as native

FINISHED = native.FINISHED
BRIEF_KEYS = (
    "serviceDeploymentArn", "serviceArn", "clusterArn", "startedAt", "createdAt",
    "finishedAt", "status", "statusReason",
)  # fmt: skip
_LOCK = threading.RLock()
_ORIGINALS: dict[str, Callable[..., Any]] = {}


@dataclass
class RollingRecord:
    """One rolling service deployment: its payload and the DescribeServices deployment it
    follows (and, once ECS rolls it back, the rollback deployment)."""

    payload: dict[str, Any]
    deployment_id: str
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


def _revision_created(service: Service, arn: str) -> Any:
    created: dict[str, Any] = getattr(service, "revision_created", None) or {}
    created.setdefault(arn, utcnow())
    service.revision_created = created  # type: ignore[attr-defined]
    return created[arn]


def _revision(service: Service, task_definition: str | None) -> str:
    arn = native._revision_arn(service, task_definition)
    _revision_created(service, arn)
    return arn


def _rolling(service: Service) -> bool:
    controller = (service.deployment_controller or {}).get("type", "ECS")
    return controller == "ECS" and native._strategy(service) not in native.NATIVE_STRATEGIES


def _touch(record: RollingRecord, **changes: Any) -> None:
    record.payload.update(changes)
    record.payload["updatedAt"] = utcnow()


def _start(service: Service, deployment: dict[str, Any], source: dict[str, Any] | None) -> None:
    """A rolling deployment began: its service deployment, PENDING (an unfinished older one
    is STOPPED, see "Not like real ECS")."""
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
    desired = int(service.desired_count)
    alarms, breaker = native._monitors(config, desired)
    partition = get_partition(service.region_name)
    account = native._account(service)
    now = utcnow()
    arn = (
        f"arn:{partition}:ecs:{service.region_name}:{account}:service-deployment/"
        f"{service.cluster_name}/{service.name}/{uuid.uuid4().hex[:21]}"
    )
    sources = []
    if source is not None:
        running = int(source.get("runningCount", 0))
        sources.append(
            native._summary(_revision(service, source["taskDefinition"]), desired, running, 0, 0)
        )
    payload: dict[str, Any] = {
        "serviceDeploymentArn": arn,
        "serviceArn": service.arn,
        "clusterArn": service.cluster_arn,
        "createdAt": now,
        "updatedAt": now,
        "sourceServiceRevisions": sources,
        "targetServiceRevision": native._summary(
            _revision(service, deployment["taskDefinition"]), desired, 0, 0, 0
        ),
        "status": "PENDING",
        "deploymentConfiguration": config,
        "alarms": alarms,
        "deploymentCircuitBreaker": breaker,
    }
    _records(service).insert(0, RollingRecord(payload=payload, deployment_id=deployment["id"]))
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
    elif "alarm" in reason:
        record.payload["alarms"]["status"] = "TRIGGERED"


def _sync_one(service: Service, record: RollingRecord) -> None:
    """Follow the rollout simulator's deployment into the service deployment's status."""
    deployment = _deployment(service, record.deployment_id)
    target = record.payload["targetServiceRevision"]
    if deployment is not None:
        target.update(
            runningTaskCount=int(deployment["runningCount"]),
            pendingTaskCount=int(deployment["pendingCount"]),
        )
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
        if primary is not None and primary is not deployment and primary["id"] not in known:
            record.rollback_id = primary["id"]
            _touch(
                record,
                status="ROLLBACK_IN_PROGRESS",
                statusReason=reason,
                rollback={
                    "reason": reason,
                    "startedAt": utcnow(),
                    "serviceRevisionArn": _revision(service, primary["taskDefinition"]),
                },
            )
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


def _create_service(self: EC2ContainerServiceResponse) -> ActionResult:
    """CreateService's answer (after the rollout simulator kept its deploymentConfiguration,
    so the strategy is known): a rolling service's first service deployment."""
    result: ActionResult = _ORIGINALS["create_service"](self)
    service = result.result["service"]  # type: ignore[index]
    primary = ecs_simulator._primary(service)
    if primary is not None and _rolling(service):
        with _LOCK:
            _start(service, primary, None)
            _sync(service)
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
            _start(service, after, before)
    return service


def _service_of(backend: EC2ContainerServiceBackend, arn: str, kind: str) -> Service | None:
    """The service named by .../<kind>/<cluster>/<service>/<id>."""
    parts = arn.split(f":{kind}/")[-1].split("/")
    if len(parts) != 3:
        return None
    return backend.services.get(f"{parts[0]}:{parts[1]}")  # type: ignore[no-any-return]


def _payloads(service: Service) -> list[dict[str, Any]]:
    """Every service deployment of the service, rolling and native, newest first (statuses
    move at ticks, as the rollout does)."""
    found = [r.payload for r in _records(service)] + [n.payload for n in native._state(service)]
    return sorted(found, key=lambda p: p["createdAt"], reverse=True)


def _list_service_deployments(self: EC2ContainerServiceResponse) -> ActionResult:
    """ListServiceDeployments (API reference): newest first, filtered by status and createdAt,
    maxResults 1..100 (default 20), nextToken."""
    backend = self.ecs_backend
    service = backend._get_service(
        self._get_param("cluster", "default"), str(self._get_param("service", "")).split("/")[-1]
    )
    statuses = self._get_param("status") or []
    created = self._get_param("createdAt") or {}
    limit = int(self._get_param("maxResults") or 20)
    if not 1 <= limit <= 100:
        raise InvalidParameterException("maxResults must be between 1 and 100.")
    start = int(self._get_param("nextToken") or 0)
    with _LOCK, native._LOCK:
        found = [
            {k: p[k] for k in BRIEF_KEYS if k in p}
            | {"targetServiceRevisionArn": p["targetServiceRevision"]["arn"]}
            for p in _payloads(service)
            if (not statuses or p["status"] in statuses)
            and native._created_within(p["createdAt"], created)
        ]
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
            service = _service_of(self.ecs_backend, arn, "service-deployment")
            payload = next(
                (p for p in _payloads(service) if p["serviceDeploymentArn"] == arn), None
            ) if service is not None else None  # fmt: skip
            if payload is None:
                failures.append({"arn": arn, "reason": "MISSING"})
            else:
                found.append(payload)
    return ActionResult({"serviceDeployments": found, "failures": failures})


def _service_revision(
    backend: EC2ContainerServiceBackend, service: Service, arn: str
) -> dict[str, Any] | None:
    revisions: dict[str | None, str] = getattr(service, "native_revisions", None) or {}
    task_definition = next((td for td, a in revisions.items() if a == arn), None)
    if task_definition is None:
        return None
    images = [
        {"containerName": c["name"], "image": c["image"]}
        for c in backend.describe_task_definition(task_definition).container_definitions
        if c.get("image")
    ]
    revision: dict[str, Any] = {
        "serviceRevisionArn": arn,
        "serviceArn": service.arn,
        "clusterArn": service.cluster_arn,
        "taskDefinition": task_definition,
        "containerImages": images,
        "guardDutyEnabled": False,
        "createdAt": _revision_created(service, arn),
    }
    if service.launch_type:
        revision["launchType"] = service.launch_type
    if service.launch_type == "FARGATE":
        revision.update(platformVersion=service.platform_version or "1.4.0", platformFamily="Linux")
    network = getattr(service, "network_configuration", None)
    if network:
        revision["networkConfiguration"] = network
    return revision


def _describe_service_revisions(self: EC2ContainerServiceResponse) -> ActionResult:
    """DescribeServiceRevisions: 1 to 20 ARNs; unknown ones are failures (MISSING)."""
    arns = list(self._get_param("serviceRevisionArns") or [])
    if not arns or len(arns) > 20:
        raise InvalidParameterException("serviceRevisionArns must have 1 to 20 entries.")
    found, failures = [], []
    with _LOCK, native._LOCK:
        for arn in arns:
            service = _service_of(self.ecs_backend, arn, "service-revision")
            revision = (
                _service_revision(self.ecs_backend, service, arn) if service is not None else None
            )
            if revision is None:
                failures.append({"arn": arn, "reason": "MISSING"})
            else:
                found.append(revision)
    return ActionResult({"serviceRevisions": found, "failures": failures})


def install() -> None:
    """Record rolling deployments and serve the history APIs; needs ``ecs_simulator`` and
    ``service_deployments`` installed first; calling it again is a no-op."""
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
        EC2ContainerServiceResponse.list_service_deployments = _list_service_deployments  # type: ignore[attr-defined]
        EC2ContainerServiceResponse.describe_service_deployments = _describe_service_deployments  # type: ignore[attr-defined]
        EC2ContainerServiceResponse.describe_service_revisions = _describe_service_revisions  # type: ignore[attr-defined]
