"""ECS rollout simulator: moto's ECS backend, made to roll out the way real ECS reports it.

Why: moto's ECS deployments never progress and never fail, so a deploy engine that watches a
rollout (DescribeServices, ListTasks, DescribeTasks) cannot be tested against it. This module
patches moto's ECS backend in-process (``install()``), inside the same ``moto_server``
process and behind the same HTTP API, so boto3 sees deployments, counts, rollout states,
service events and stopped tasks shaped like real ECS. Start it with
``python -m tests.support.moto_server -H 127.0.0.1 -p PORT``.

Deployments
    CreateService makes one PRIMARY deployment that is already COMPLETED with
    runningCount = desiredCount (and that many RUNNING tasks), so a test starts from a steady
    service (``simulator:created=in-progress`` leaves it IN_PROGRESS, with no COMPLETED
    deployment). UpdateService with a different taskDefinition, with forceNewDeployment, or
    with a changed value of another parameter the API reference marks "This parameter triggers
    a new service deployment" (networkConfiguration, platformVersion, loadBalancers,
    serviceRegistries, serviceConnectConfiguration, volumeConfigurations,
    vpcLatticeConfigurations; API_UpdateService) creates a new PRIMARY deployment
    (``ecs-svc/<19 digits>``, rolloutState IN_PROGRESS) and turns the previous PRIMARY into
    ACTIVE; the service's taskDefinition becomes the new ARN at once. UpdateService with the
    same task definition, nothing else that deploys changed and no force creates no
    deployment (a desiredCount change, which "doesn't trigger a new service deployment", is
    applied to the PRIMARY deployment). When a
    deployment completes it is COMPLETED, the other deployments' tasks are stopped (stopCode
    ServiceSchedulerInitiated, "Scaling activity initiated by (deployment ecs-svc/...)") and
    those deployments stay listed while they drain (``simulator:drain-ticks``, default 1; 0 when
    ticks=1) before they leave (developer guide, "Rolling update": the load balancer's
    deregistration delay). The service's runningCount/pendingCount are the sums over its
    deployments, as in ECS. Simulated tasks have group "service:<name>" and startedBy = the
    deployment id (API_Task startedBy); ListTasks(serviceName=..., startedBy=...,
    desiredStatus=...) pages with maxResults/nextToken (API_ListTasks) and DescribeTasks
    returns them.

Simulated time
    One tick per DescribeServices call that names the service (not wall-clock), so tests are
    fast and deterministic. Only the PRIMARY deployment moves; an ACTIVE one is frozen.

Scenario tags (on the service: CreateService ``tags=[{"key": ..., "value": ...}]`` or
TagResource; read when UpdateService creates the deployment)
    ``simulator:scenario``   one of SCENARIOS below (default succeed). Unknown names are
                             rejected.
    ``simulator:exit-code``  exit code of the failing container (default 1; 137 for
                             never-healthy).
    ``simulator:reason``     the failing container's ``reason`` text (default: none).
    ``simulator:ticks``      succeed/slow/flaky-start: the tick at which the rollout is
                             COMPLETED (defaults 3 and 1000; running reaches desired one tick
                             earlier, everything at tick 1 when ticks=1); capacity: ticks in
                             PROVISIONING (default 3); alarm: the tick the alarm fires (3).
    ``simulator:drain-ticks`` ticks an old deployment stays listed after the new one completes.
    ``simulator:created``    ``in-progress``: the creation deployment never completes.

Scenarios (failedTasks follows API_Deployment: it counts tasks the scheduler could not launch,
that never reached RUNNING, or that failed a health check, and resets to 0 once tasks run)
    succeed             tick 1: pending=desired, running=0, "has started N tasks"; tick 2:
                        running=desired; tick 3: COMPLETED, "deployment completed", "has
                        reached a steady state"; the old deployment drains, then leaves.
    slow                succeed, stretched to ``simulator:ticks`` ticks.
    crash-loop          every tick one task of the new revision stops before it reaches
                        RUNNING: stopCode EssentialContainerExited, "Essential container in
                        task exited", the essential container with the exit code and reason,
                        the others killed with 137; failedTasks += 1.
    crash-after-running tick 1 starts desired tasks, tick 2 runs them (failedTasks stays 0),
                        tick 3 every one exits as in crash-loop and replacements start; and so
                        on every two ticks. No breaker ever trips on this (failedTasks is 0).
    never-healthy       every tick one task starts RUNNING; on the next tick it is stopped with
                        stopCode ServiceSchedulerInitiated, "Task failed container health
                        checks", healthStatus UNHEALTHY, exit code 137; failedTasks += 1.
    flaky-start         tick 1: one task stops with TaskFailedToStart, "ResourceInitialization
                        Error: ... i/o timeout" (failedTasks 1), the others start; then as
                        succeed (failedTasks back to 0 once they run).
    capacity            tasks wait in PROVISIONING (API_Task lastStatus) for ``ticks`` ticks,
                        then PENDING, RUNNING and COMPLETED as in succeed.
    missing-image       every tick a task stops with TaskFailedToStart, "CannotPullContainer
                        Error: ...: not found" (developer guide, "CannotPullContainer task
                        errors"); failedTasks += 1.
    missing-secret      likewise with "ResourceInitializationError: unable to pull secrets or
                        registry auth: ... ResourceNotFoundException" (developer guide,
                        "Troubleshoot Amazon ECS ResourceInitializationError errors").
    circuit-breaker     crash-loop with deploymentCircuitBreaker {enable: true, rollback: true}
                        reported unless the service was created (or updated) with its own.
    alarm               succeed until tick ``ticks``; then, with deploymentConfiguration.alarms
                        enabled, the alarm fires: FAILED, "... alarm ... in ALARM state", and
                        with alarms.rollback a deployment of the last COMPLETED revision.

Circuit breaker (API_ServiceDeploymentCircuitBreaker threshold; developer guide, "How the
Amazon ECS deployment circuit breaker detects failures"), for any scenario when the service's
deploymentCircuitBreaker.enable is true: when failedTasks reaches the threshold, 0.5 * desired
rounded up and clamped to 3..200, the deployment is FAILED ("ECS deployment circuit breaker:
tasks failed to start."). With rollback, a deployment of the last COMPLETED revision starts
and completes two ticks later; with no COMPLETED deployment the FAILED one stays PRIMARY and
nothing more happens (a stall).

    A scenario applies only to deployments of task definitions other than the one the service
    was created with: a deployment back to the creation task definition (the client's own
    rollback, or a forced redeploy of it) always behaves as ``succeed`` (default timing, or the
    service's ``simulator:ticks`` when its scenario is succeed).

Deployment controllers (API_DeploymentController; API_UpdateService): for CODE_DEPLOY and
EXTERNAL services UpdateService refuses a taskDefinition change with InvalidParameterException.

Not like real ECS
    Tasks are never placed on container instances and get no ENI attachments; one failing task
    per tick in crash-loop regardless of desiredCount; ListTasks without serviceName keeps
    moto's no-default desiredStatus; StopTask on a simulated task is not replaced by the
    scheduler; DeleteService does not stop the service's tasks; stopped tasks stay listed for
    the life of the server (ECS drops them after about an hour); an ACTIVE deployment's
    desiredCount is not scaled down step by step; timestamps are wall-clock, only progress is
    in ticks.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, cast

from moto.core.common_models import BaseModel
from moto.core.responses import ActionResult
from moto.core.utils import utcnow
from moto.ecs.exceptions import InvalidParameterException
from moto.ecs.models import EC2ContainerServiceBackend, Service, TaskDefinition
from moto.ecs.responses import EC2ContainerServiceResponse
from moto.moto_api._internal import mock_random
from moto.utilities.utils import get_partition

from tests.support import sim_logs

SCENARIO_TAG = "simulator:scenario"
EXIT_CODE_TAG = "simulator:exit-code"
REASON_TAG = "simulator:reason"
TICKS_TAG = "simulator:ticks"

DRAIN_TICKS_TAG = "simulator:drain-ticks"
CREATED_TAG = "simulator:created"

SUCCEED = "succeed"
CRASH_LOOP = "crash-loop"
CRASH_AFTER_RUNNING = "crash-after-running"
NEVER_HEALTHY = "never-healthy"
CIRCUIT_BREAKER = "circuit-breaker"
SLOW = "slow"
FLAKY_START = "flaky-start"
CAPACITY = "capacity"
MISSING_IMAGE = "missing-image"
MISSING_SECRET = "missing-secret"
ALARM = "alarm"
STUCK = "in-progress"  # internal: the creation deployment under simulator:created=in-progress
SCENARIOS = (
    SUCCEED,
    CRASH_LOOP,
    CRASH_AFTER_RUNNING,
    NEVER_HEALTHY,
    CIRCUIT_BREAKER,
    SLOW,
    FLAKY_START,
    CAPACITY,
    MISSING_IMAGE,
    MISSING_SECRET,
    ALARM,
)

# UpdateService parameters whose documentation says "This parameter triggers a new service
# deployment" (API_UpdateService), besides taskDefinition; moto's attribute names.
DEPLOYING_PROPERTIES = (
    "network_configuration", "platform_version", "load_balancers", "service_registries",
    "service_connect_configuration", "volume_configurations", "vpc_lattice_configurations",
)  # fmt: skip
DEFAULT_TICKS = {SUCCEED: 3, SLOW: 1000, FLAKY_START: 3, CAPACITY: 3, ALARM: 3}
ROLLBACK_TICKS = 2
MAX_EVENTS = 100

# moto_server serves requests on threads; one lock keeps a tick, an UpdateService and a
# ListTasks from seeing each other half-done. Module-level state is only this lock and the
# saved originals: everything else lives on moto's own objects, so /moto-api/reset clears it.
_LOCK = threading.RLock()
_ORIGINALS: dict[str, Callable[..., Any]] = {}


@dataclass(frozen=True)
class Scenario:
    """What a deployment does, read from the service's tags when the deployment is made."""

    name: str = SUCCEED
    exit_code: int = 1
    reason: str | None = None
    ticks: int = DEFAULT_TICKS[SUCCEED]
    drain: int = 1

    @classmethod
    def from_tags(cls, tags: Iterable[dict[str, str]] | None) -> Scenario:
        """Parse the ``simulator:*`` tags; reject typos loudly rather than silently succeed."""
        values = {
            t["key"]: t["value"] for t in tags or [] if t.get("key", "").startswith("simulator:")
        }
        name = values.get(SCENARIO_TAG, SUCCEED)
        if name not in SCENARIOS:
            raise InvalidParameterException(
                f"{SCENARIO_TAG}={name!r} is not a simulator scenario; "
                f"use one of {', '.join(SCENARIOS)}"
            )
        default_exit = 137 if name == NEVER_HEALTHY else 1
        try:
            exit_code = int(values.get(EXIT_CODE_TAG, default_exit))
            ticks = int(values.get(TICKS_TAG, DEFAULT_TICKS.get(name, DEFAULT_TICKS[SUCCEED])))
            drain = int(values.get(DRAIN_TICKS_TAG, 0 if ticks == 1 else 1))
        except ValueError as exc:
            raise InvalidParameterException(f"simulator tag is not an integer: {exc}") from exc
        if ticks < 1 or drain < 0:
            raise InvalidParameterException(
                f"{TICKS_TAG} must be at least 1, {DRAIN_TICKS_TAG} at least 0"
            )
        if values.get(CREATED_TAG, "completed") not in ("completed", STUCK):
            raise InvalidParameterException(f"{CREATED_TAG} is completed or {STUCK}")
        return cls(
            name=name, exit_code=exit_code, reason=values.get(REASON_TAG), ticks=ticks, drain=drain
        )

    @staticmethod
    def created_in_progress(tags: Iterable[dict[str, str]] | None) -> bool:
        return any(t.get("key") == CREATED_TAG and t.get("value") == STUCK for t in tags or [])


class SimulatedTask(Protocol):
    """What a simulated container needs of its task (the rollout's or a RunTask one)."""

    id: str
    region_name: str
    account_id: str
    cluster_name: str

    @property
    def task_arn(self) -> str: ...


def simulated_task_arn(backend: EC2ContainerServiceBackend, cluster_name: str, task_id: str) -> str:
    """Same ARN format rule as moto's Task (long format unless turned off)."""
    partition = get_partition(backend.region_name)
    prefix = f"arn:{partition}:ecs:{backend.region_name}:{backend.account_id}:task/"
    if backend.enable_long_arn_for_name(name="taskLongArnFormat"):
        return f"{prefix}{cluster_name}/{task_id}"
    return f"{prefix}{task_id}"


class SimContainer(BaseModel):
    """A container of a simulated task, with the attributes of ECS's Container shape."""

    def __init__(self, task: SimulatedTask, definition: Mapping[str, Any]) -> None:
        self.container_arn = (
            f"arn:{get_partition(task.region_name)}:ecs:{task.region_name}:{task.account_id}"
            f":container/{task.cluster_name}/{task.id}/{uuid.uuid4()}"
        )
        self.task_arn = task.task_arn
        self.name: str = definition.get("name", "")
        self.image: str | None = definition.get("image")
        self.runtime_id: str | None = None
        self.last_status = "PENDING"
        self.exitCode: int | None = None  # the serializer looks for the camelCase name first
        self.reason: str | None = None
        self.network_bindings: list[dict[str, Any]] = []
        self.network_interfaces: list[dict[str, Any]] = []
        self.has_health_check = bool(definition.get("healthCheck"))
        self.health_status = "UNKNOWN"
        self.cpu = str(definition.get("cpu", 0))
        self.memory = str(definition["memory"]) if definition.get("memory") else None
        self.memory_reservation = (
            str(definition["memoryReservation"]) if definition.get("memoryReservation") else None
        )
        self.essential: bool = definition.get("essential", True) is not False


class SimTask(BaseModel):
    """A task started by the simulated service scheduler.

    Not moto's Task: that one is a ManagedState whose status drifts towards STOPPED on every
    DescribeTasks, and it needs container instances or ENIs. Here the rollout alone decides the
    state. It carries the attributes moto's backend code touches (task_arn, tags, group,
    started_by, desired_status, last_status, stopped_reason, advance) plus ECS's Task shape.
    """

    def __init__(
        self,
        backend: EC2ContainerServiceBackend,
        service: Service,
        task_definition: TaskDefinition,
        deployment_id: str,
    ) -> None:
        self.id = uuid.uuid4().hex
        self._backend = backend
        self.region_name = backend.region_name
        self.account_id = backend.account_id
        self.cluster_name = service.cluster_name
        self.cluster_arn = service.cluster_arn
        self.container_instance_arn: str | None = None
        self.resource_requirements: dict[str, str] | None = None
        self.task_definition_arn = task_definition.arn
        self.group = f"service:{service.name}"
        self.started_by = deployment_id
        self.launch_type = service.launch_type
        self.capacity_provider_name: str | None = None
        self.platform_version = service.platform_version or (
            "1.4.0" if service.launch_type == "FARGATE" else None
        )
        self.platform_family = "Linux" if service.launch_type == "FARGATE" else None
        self.availability_zone = f"{self.region_name}a"
        self.cpu = task_definition.cpu
        self.memory = task_definition.memory
        self.tags: list[dict[str, str]] = []
        self.overrides: dict[str, list[Any]] = {
            "containerOverrides": [],
            "inferenceAcceleratorOverrides": [],
        }
        self.attachments: list[dict[str, Any]] = []
        self.attributes: list[dict[str, Any]] = []
        self.enable_execute_command = False
        self.version = 1
        now = utcnow()
        self.created_at: datetime = now
        self.pull_started_at: datetime | None = now
        self.pull_stopped_at: datetime | None = now
        self.connectivity: str | None = "CONNECTED"
        self.connectivity_at: datetime | None = now
        self.started_at: datetime | None = None
        self.stopping_at: datetime | None = None
        self.execution_stopped_at: datetime | None = None
        self.stopped_at: datetime | None = None
        self.stop_code: str | None = None
        self.stopped_reason: str | None = None
        self.last_status = "PENDING"
        self.desired_status = "RUNNING"
        self.health_status = "UNKNOWN"
        self.containers = [SimContainer(self, c) for c in task_definition.container_definitions]

    @property
    def task_arn(self) -> str:
        return simulated_task_arn(self._backend, self.cluster_name, self.id)

    @property
    def essential_container(self) -> SimContainer:
        """The container whose exit stops the task: the first essential one."""
        return next((c for c in self.containers if c.essential), self.containers[0])

    def advance(self) -> None:
        """moto's DescribeTasks ticks ManagedState models; simulated tasks ignore it."""

    def run(self) -> None:
        """PENDING -> RUNNING."""
        self.last_status = "RUNNING"
        self.started_at = utcnow()
        self.version += 1
        for c in self.containers:
            c.last_status = "RUNNING"
            c.runtime_id = f"{self.id}-{uuid.uuid4().int % 10**10}"
            c.health_status = "HEALTHY" if c.has_health_check else "UNKNOWN"
        self.health_status = self.essential_container.health_status

    def provision(self) -> None:
        """PENDING -> PROVISIONING: waiting for capacity (API_Task lastStatus; developer
        guide, "Amazon ECS task lifecycle")."""
        self.last_status = "PROVISIONING"
        self.pull_started_at = self.pull_stopped_at = self.connectivity_at = None
        self.connectivity = None
        for c in self.containers:
            c.last_status = "PENDING"

    def stop(
        self,
        stop_code: str,
        reason: str,
        *,
        failed: SimContainer | None = None,
        exit_code: int | None = 0,
        container_reason: str | None = None,
        unhealthy: bool = False,
        started: bool = True,
    ) -> None:
        """-> STOPPED; ``failed`` gets ``exit_code``/``container_reason``. When ``failed``
        stopped the task, the agent kills the other containers (exit 137, as Docker reports a
        SIGKILL); in a scaling stop they exit 0. A task that never ``started`` has no
        startedAt and no exit codes (API_Task startedAt, API_Container exitCode)."""
        if started and self.started_at is None:
            self.run()
        now = utcnow()
        self.last_status = "STOPPED"
        self.desired_status = "STOPPED"
        self.stop_code = stop_code
        self.stopped_reason = reason
        self.stopping_at = self.execution_stopped_at = self.stopped_at = now
        self.connectivity = "DISCONNECTED"
        self.version += 1
        for c in self.containers:
            c.last_status = "STOPPED"
            if c is failed:
                c.exitCode = exit_code
                c.reason = container_reason
                if unhealthy:
                    c.health_status = "UNHEALTHY"
            elif not started:
                c.exitCode = None
            else:
                c.exitCode = 137 if failed is not None else 0
        if unhealthy:
            self.health_status = "UNHEALTHY"
        if failed is not None and exit_code is not None:  # it ran: what it printed
            sim_logs.task_stopped(self._backend, self, failed.name, exit_code)


@dataclass
class Rollout:
    """Simulator state of one deployment; the deployment dict itself is what ECS returns."""

    deployment: dict[str, Any]
    scenario: Scenario
    elapsed: int = 0
    tasks: list[SimTask] = field(default_factory=list)  # live (PENDING/RUNNING) tasks

    @property
    def id(self) -> str:
        return str(self.deployment["id"])


@dataclass
class ServiceSim:
    """Simulator state of one service, kept on the moto Service object (reset with it)."""

    creation_task_definition: str | None
    rollouts: dict[str, Rollout] = field(default_factory=dict)
    last_completed: tuple[str, str] | None = None  # (deployment id, task definition ARN)
    breaker_given: bool = False
    draining: dict[str, int] = field(default_factory=dict)  # deployment id -> ticks left


# --------------------------------------------------------------------------- helpers


def _sim(service: Service) -> ServiceSim:
    """The service's simulator state (created lazily for services made before install)."""
    sim = getattr(service, "simulator", None)
    if sim is None:
        sim = ServiceSim(creation_task_definition=service.task_definition)
        service.simulator = sim  # type: ignore[attr-defined]
    return sim


def _deployment_id() -> str:
    return f"ecs-svc/{mock_random.randint(10**18, 10**19 - 1)}"


def _new_deployment(service: Service, task_definition: str | None) -> dict[str, Any]:
    """A Deployment with every key real ECS returns for a rolling update (all keys up front,
    so a concurrent serializer never sees the dict change size)."""
    deployment_id = _deployment_id()
    now = utcnow()
    network = getattr(service, "network_configuration", None) or None
    return {
        "id": deployment_id,
        "status": "PRIMARY",
        "taskDefinition": task_definition,
        "desiredCount": service.desired_count,
        "pendingCount": 0,
        "runningCount": 0,
        "failedTasks": 0,
        "createdAt": now,
        "updatedAt": now,
        "launchType": service.launch_type,
        "platformVersion": service.platform_version
        or ("1.4.0" if service.launch_type == "FARGATE" else None),
        "platformFamily": "Linux" if service.launch_type == "FARGATE" else None,
        "networkConfiguration": network,
        "rolloutState": "IN_PROGRESS",
        "rolloutStateReason": f"ECS deployment {deployment_id} in progress.",
    }


def _touch(deployment: dict[str, Any], **changes: Any) -> None:
    deployment.update(changes)
    deployment["updatedAt"] = utcnow()


def _event(service: Service, *messages: str) -> None:
    """Add events, oldest first in ``messages``; the list stays newest first, at most 100."""
    now = utcnow()  # one instant for the batch: a clock tick inside it would invert the order
    new = [
        {"id": str(uuid.uuid4()), "createdAt": now, "message": f"(service {service.name}) {m}"}
        for m in reversed(messages)
    ]
    service.events = (new + list(service.events))[:MAX_EVENTS]


def _task_list(tasks: Iterable[SimTask]) -> str:
    return " ".join(f"(task {t.id})" for t in tasks)


def _deployments(service: Service) -> list[dict[str, Any]]:
    """moto types deployments as dicts of ``object``; ours hold ECS's Deployment fields."""
    return cast(list[dict[str, Any]], service.deployments)


def _primary(service: Service) -> dict[str, Any] | None:
    return next((d for d in _deployments(service) if d["status"] == "PRIMARY"), None)


def _sync_counts(backend: EC2ContainerServiceBackend, service: Service) -> None:
    """Service counts are the sum over its deployments (as in ECS); the cluster follows."""
    running = sum(int(d["runningCount"]) for d in _deployments(service))
    pending = sum(int(d["pendingCount"]) for d in _deployments(service))
    cluster = backend.clusters.get(service.cluster_name)
    if cluster is not None:
        backend.update_cluster_resources(cluster, running - service.running_count, "RUNNING")
        backend.update_cluster_resources(cluster, pending - service.pending_count, "PENDING")
    service.running_count = running
    service.pending_count = pending


def _default_deployment_configuration() -> dict[str, Any]:
    return {
        "deploymentCircuitBreaker": {"enable": False, "rollback": False},
        "maximumPercent": 200,
        "minimumHealthyPercent": 100,
    }


def _merge_configuration(service: Service, given: dict[str, Any] | None) -> None:
    """UpdateService/CreateService deploymentConfiguration: keep what was given, fill ECS's
    defaults, and remember that the circuit breaker was the caller's own."""
    config = dict(
        getattr(service, "deployment_configuration", None) or _default_deployment_configuration()
    )
    if given:
        config.update(given)
        if "deploymentCircuitBreaker" in given:
            _sim(service).breaker_given = True
    service.deployment_configuration = config  # type: ignore[attr-defined]
    _refresh_configuration(service)


def _refresh_configuration(service: Service) -> None:
    """A circuit-breaker service reports the breaker on, as ECS would for such a service."""
    if _sim(service).breaker_given:
        return
    try:
        scenario = Scenario.from_tags(service.tags)
    except InvalidParameterException:
        return
    config = dict(
        getattr(service, "deployment_configuration", None) or _default_deployment_configuration()
    )
    on = scenario.name == CIRCUIT_BREAKER
    config["deploymentCircuitBreaker"] = {"enable": on, "rollback": on}
    service.deployment_configuration = config  # type: ignore[attr-defined]


def _start_tasks(
    backend: EC2ContainerServiceBackend, service: Service, rollout: Rollout, count: int
) -> list[SimTask]:
    td = backend.describe_task_definition(rollout.deployment["taskDefinition"])
    started = [SimTask(backend, service, td, rollout.id) for _ in range(count)]
    cluster_tasks: dict[str, Any] = backend.tasks.setdefault(service.cluster_name, {})
    for task in started:
        cluster_tasks[task.task_arn] = task
    rollout.tasks.extend(started)
    return started


def _stop_rollout_tasks(rollouts: Iterable[Rollout], by: str) -> list[SimTask]:
    stopped: list[SimTask] = []
    for rollout in rollouts:
        for task in rollout.tasks:
            task.stop(
                "ServiceSchedulerInitiated", f"Scaling activity initiated by (deployment {by})"
            )
            stopped.append(task)
        rollout.tasks = []
        _touch(rollout.deployment, runningCount=0, pendingCount=0)
    return stopped


def _create_rollout(
    backend: EC2ContainerServiceBackend,
    service: Service,
    task_definition: str | None,
    scenario: Scenario,
) -> Rollout:
    """New PRIMARY deployment; the previous PRIMARY becomes ACTIVE (ECS keeps it running)."""
    sim = _sim(service)
    for d in _deployments(service):
        if d["status"] == "PRIMARY":
            _touch(d, status="ACTIVE")
    deployment = _new_deployment(service, task_definition)
    rollout = Rollout(deployment=deployment, scenario=scenario)
    sim.rollouts[rollout.id] = rollout
    service.deployments = [deployment, *service.deployments]
    service.task_definition = task_definition
    return rollout


def _scenario_for(service: Service, task_definition: str | None) -> Scenario:
    """The service's scenario, except that a deployment of the creation task definition
    always succeeds: that is how a client (or ECS) rolls back to a known-good revision."""
    scenario = Scenario.from_tags(service.tags)
    if task_definition == _sim(service).creation_task_definition and scenario.name != SUCCEED:
        return Scenario()
    return scenario


def _complete(backend: EC2ContainerServiceBackend, service: Service, rollout: Rollout) -> None:
    """COMPLETED; the other deployments' tasks stop and those deployments drain, listed with
    no tasks, for ``drain`` ticks before they leave the list (developer guide, "Rolling
    update": the target group's deregistration delay, 300 s by default)."""
    sim = _sim(service)
    others = [r for r in sim.rollouts.values() if r is not rollout]
    stopped = _stop_rollout_tasks(others, rollout.id)
    if stopped:
        _event(service, f"has stopped {len(stopped)} running tasks: {_task_list(stopped)}.")
    sim.rollouts = {rollout.id: rollout}
    for other in others:
        sim.draining[other.id] = rollout.scenario.drain
    _touch(
        rollout.deployment,
        rolloutState="COMPLETED",
        rolloutStateReason=f"ECS deployment {rollout.id} completed.",
    )
    sim.last_completed = (rollout.id, rollout.deployment["taskDefinition"])
    _event(service, f"(deployment {rollout.id}) deployment completed.")
    if _drain(service) or not sim.draining:
        _event(service, "has reached a steady state.")


def _drain(service: Service) -> bool:
    """Drop the deployments whose draining is over; True when the last one left now."""
    sim = _sim(service)
    if not sim.draining:
        return False
    done = {d for d, left in sim.draining.items() if left <= 0}
    sim.draining = {d: left - 1 for d, left in sim.draining.items() if d not in done}
    service.deployments = [
        d for d in _deployments(service) if d["status"] == "PRIMARY" or d["id"] in sim.draining
    ]
    return not sim.draining


def _run_pending(rollout: Rollout) -> None:
    """PENDING/PROVISIONING -> RUNNING; failedTasks resets to 0 once tasks run
    (API_Deployment failedTasks)."""
    for task in rollout.tasks:
        if task.last_status != "RUNNING":
            task.run()
    _touch(rollout.deployment, pendingCount=0, runningCount=len(rollout.tasks), failedTasks=0)


def _step_succeed(backend: EC2ContainerServiceBackend, service: Service, rollout: Rollout) -> None:
    d = rollout.deployment
    desired = int(d["desiredCount"])
    complete_at = rollout.scenario.ticks
    running_at = max(1, complete_at - 1)
    if rollout.elapsed == 1 and not rollout.tasks and desired:
        started = _start_tasks(backend, service, rollout, desired)
        _event(service, f"has started {len(started)} tasks: {_task_list(started)}.")
        _touch(d, pendingCount=desired, runningCount=0)
    if rollout.elapsed >= running_at and d["runningCount"] < desired:
        _run_pending(rollout)
    if rollout.elapsed >= complete_at:
        _complete(backend, service, rollout)


def _step_flaky_start(
    backend: EC2ContainerServiceBackend, service: Service, rollout: Rollout
) -> None:
    """The first task cannot get its secrets in time; ECS retries and the rest start
    (developer guide, ResourceInitializationError: a network timeout is retried)."""
    if rollout.elapsed == 1:
        (task,) = _start_tasks(backend, service, rollout, 1)
        task.stop(
            "TaskFailedToStart",
            "ResourceInitializationError: unable to pull secrets or registry auth: "
            "execution resource retrieval failed: unable to retrieve secret from asm: "
            "service call has been retried 1 time(s): RequestError: send request failed "
            'caused by: Post "https://secretsmanager.us-east-1.amazonaws.com/": dial tcp '
            "52.46.0.10:443: i/o timeout",
            failed=task.essential_container,
            exit_code=None,
            started=False,
        )
        rollout.tasks.remove(task)
        _event(service, f"(task {task.id}) failed to start.")
        _touch(rollout.deployment, failedTasks=1)
    _step_succeed(backend, service, rollout)


def _step_capacity(backend: EC2ContainerServiceBackend, service: Service, rollout: Rollout) -> None:
    """Tasks wait in PROVISIONING while capacity is added, then run as in succeed."""
    d = rollout.deployment
    desired = int(d["desiredCount"])
    if rollout.elapsed == 1 and desired:
        started = _start_tasks(backend, service, rollout, desired)
        for task in started:
            task.provision()
        _event(service, f"has started {len(started)} tasks: {_task_list(started)}.")
    if rollout.elapsed == rollout.scenario.ticks + 1:
        _run_pending(rollout)
    if rollout.elapsed >= rollout.scenario.ticks + 2:
        _complete(backend, service, rollout)


def _fail_tasks(rollout: Rollout, tasks: Iterable[SimTask], *, started: bool) -> None:
    scenario = rollout.scenario
    for task in tasks:
        task.stop(
            "EssentialContainerExited",
            "Essential container in task exited",
            failed=task.essential_container,
            exit_code=scenario.exit_code,
            container_reason=scenario.reason,
            started=started,
        )
        rollout.tasks.remove(task)


def _step_crash_loop(
    backend: EC2ContainerServiceBackend, service: Service, rollout: Rollout
) -> None:
    """One task a tick whose essential container exits before the task is RUNNING: it counts
    in failedTasks (API_Deployment)."""
    (task,) = _start_tasks(backend, service, rollout, 1)
    _event(service, f"has started 1 tasks: (task {task.id}).")
    _fail_tasks(rollout, [task], started=False)
    d = rollout.deployment
    _touch(d, pendingCount=0, runningCount=0, failedTasks=int(d["failedTasks"]) + 1)


def _step_crash_after_running(
    backend: EC2ContainerServiceBackend, service: Service, rollout: Rollout
) -> None:
    """Tasks reach RUNNING, then their essential container exits (a missing variable, a bad
    migration): without a health check they are not failed tasks, so failedTasks stays 0
    (API_Deployment) and the circuit breaker never counts them."""
    d = rollout.deployment
    desired = int(d["desiredCount"])
    if rollout.elapsed % 2 == 1:
        if rollout.tasks:
            gone = list(rollout.tasks)
            _fail_tasks(rollout, gone, started=True)
            for task in gone:
                _event(service, f"(task {task.id}) stopped: Essential container in task exited.")
        started = _start_tasks(backend, service, rollout, desired)
        _event(service, f"has started {len(started)} tasks: {_task_list(started)}.")
        _touch(d, pendingCount=desired, runningCount=0)
    else:
        _run_pending(rollout)


def _step_never_healthy(
    backend: EC2ContainerServiceBackend, service: Service, rollout: Rollout
) -> None:
    """A task that fails its container health check is a failed task (API_Deployment)."""
    d = rollout.deployment
    failed_now = 0
    for task in list(rollout.tasks):
        container = task.essential_container
        task.stop(
            "ServiceSchedulerInitiated",
            "Task failed container health checks",
            failed=container,
            exit_code=rollout.scenario.exit_code,
            container_reason=rollout.scenario.reason,
            unhealthy=True,
        )
        rollout.tasks.remove(task)
        failed_now += 1
        _event(service, f"(task {task.id}) failed container health checks.")
    (task,) = _start_tasks(backend, service, rollout, 1)
    task.run()
    for container in task.containers:  # still in its health check start period
        container.health_status = "UNKNOWN"
    task.health_status = "UNKNOWN"
    _event(service, f"has started 1 tasks: (task {task.id}).")
    _touch(d, pendingCount=0, runningCount=1, failedTasks=int(d["failedTasks"]) + failed_now)


_START_ERRORS = {
    MISSING_IMAGE: "CannotPullContainerError: pull image manifest has been retried 5 time(s):"
    " failed to resolve ref {image}: {image}: not found",
    MISSING_SECRET: "ResourceInitializationError: unable to pull secrets or registry auth: "
    "execution resource retrieval failed: unable to retrieve secret from asm: "
    "service call has been retried 1 time(s): failed to fetch secret "
    "arn:aws:secretsmanager:us-east-1:123456789012:secret:app/db from secrets "
    "manager: ResourceNotFoundException: Secrets Manager can't find the "
    "specified secret.",
}


def _step_failed_to_start(
    backend: EC2ContainerServiceBackend, service: Service, rollout: Rollout
) -> None:
    """A task a tick that cannot start (stopCode TaskFailedToStart): counted in failedTasks."""
    (task,) = _start_tasks(backend, service, rollout, 1)
    container = task.essential_container
    reason = _START_ERRORS[rollout.scenario.name].format(image=container.image)
    task.stop(
        "TaskFailedToStart",
        reason,
        failed=container,
        exit_code=None,
        container_reason=reason,
        started=False,
    )
    rollout.tasks.remove(task)
    _event(service, f"has started 1 tasks: (task {task.id}).")
    d = rollout.deployment
    _touch(d, pendingCount=0, runningCount=0, failedTasks=int(d["failedTasks"]) + 1)


def _step_alarm(backend: EC2ContainerServiceBackend, service: Service, rollout: Rollout) -> None:
    """Runs as succeed; at tick ``ticks`` a deployment alarm fires, when alarms are enabled
    (API_DeploymentAlarms; developer guide, "How CloudWatch alarms detect Amazon ECS
    deployment failures"): FAILED, and with rollback the last COMPLETED revision returns."""
    alarms = dict(getattr(service, "deployment_configuration", {}) or {}).get("alarms") or {}
    if rollout.elapsed < rollout.scenario.ticks or not alarms.get("enable"):
        _step_succeed(backend, service, rollout)  # completes at ``ticks`` only without alarms
        return
    names = ", ".join(alarms.get("alarmNames") or [])
    _fail_deployment(
        backend,
        service,
        rollout,
        f"ECS deployment {rollout.id} failed: alarm(s) {names} in ALARM state.",
        "alarm detected",
        rollback=bool(alarms.get("rollback")),
    )


def breaker_threshold(desired: int) -> int:
    """0.5 * desired, rounded up, clamped to 3..200 (API_ServiceDeploymentCircuitBreaker)."""
    return min(200, max(3, -(-desired // 2)))


def _check_breaker(backend: EC2ContainerServiceBackend, service: Service, rollout: Rollout) -> None:
    """Trip the circuit breaker when failedTasks reaches its threshold."""
    breaker = (
        dict(getattr(service, "deployment_configuration", {}) or {}).get("deploymentCircuitBreaker")
        or {}
    )
    d = rollout.deployment
    if not breaker.get("enable") or d["rolloutState"] != "IN_PROGRESS":
        return
    if int(d["failedTasks"]) < breaker_threshold(int(d["desiredCount"])):
        return
    _fail_deployment(
        backend,
        service,
        rollout,
        "ECS deployment circuit breaker: tasks failed to start.",
        "tasks failed to start",
        rollback=bool(breaker.get("rollback")),
    )


def _fail_deployment(
    backend: EC2ContainerServiceBackend,
    service: Service,
    rollout: Rollout,
    reason: str,
    event: str,
    *,
    rollback: bool,
) -> None:
    """FAILED; with rollback, a deployment of the last COMPLETED revision (none: it stays)."""
    sim = _sim(service)
    _touch(rollout.deployment, rolloutState="FAILED", rolloutStateReason=reason)
    _event(service, f"(deployment {rollout.id}) deployment failed: {event}.")
    if not rollback or sim.last_completed is None:
        return
    target_id, target_td = sim.last_completed
    _event(service, f"rolling back to deployment {target_id}.")
    _create_rollout(backend, service, target_td, Scenario(ticks=ROLLBACK_TICKS, drain=0))


def _step_stuck(backend: EC2ContainerServiceBackend, service: Service, rollout: Rollout) -> None:
    """The creation deployment of a service tagged simulator:created=in-progress."""


_STEPS: dict[str, Callable[[EC2ContainerServiceBackend, Service, Rollout], None]] = {
    SUCCEED: _step_succeed,
    SLOW: _step_succeed,
    CRASH_LOOP: _step_crash_loop,
    CRASH_AFTER_RUNNING: _step_crash_after_running,
    NEVER_HEALTHY: _step_never_healthy,
    CIRCUIT_BREAKER: _step_crash_loop,
    FLAKY_START: _step_flaky_start,
    CAPACITY: _step_capacity,
    MISSING_IMAGE: _step_failed_to_start,
    MISSING_SECRET: _step_failed_to_start,
    ALARM: _step_alarm,
    STUCK: _step_stuck,
}


def tick(backend: EC2ContainerServiceBackend, service: Service) -> None:
    """Advance one service by one tick of simulated time (its PRIMARY deployment only)."""
    if service.status != "ACTIVE":
        return
    _refresh_configuration(service)
    sim = _sim(service)
    primary = _primary(service)
    if primary is None:
        return
    if primary["rolloutState"] == "COMPLETED" and _drain(service):
        _event(service, "has reached a steady state.")
    if primary["rolloutState"] != "IN_PROGRESS":
        return
    if primary["taskDefinition"] is None:  # moto allows a service without one; ECS does not
        return
    rollout = sim.rollouts.get(primary["id"])
    if rollout is None:
        return
    rollout.elapsed += 1
    _STEPS[rollout.scenario.name](backend, service, rollout)
    _check_breaker(backend, service, rollout)
    _sync_counts(backend, service)


# --------------------------------------------------------------------------- patches


def _create_service(self: EC2ContainerServiceBackend, *args: Any, **kwargs: Any) -> Service:
    """moto's CreateService, then a steady deployment with running tasks, as ECS ends up."""
    with _LOCK:
        service: Service = _ORIGINALS["create_service"](self, *args, **kwargs)
        try:
            Scenario.from_tags(service.tags)
        except InvalidParameterException:
            _sync_counts_after_removal(self, service)
            raise
        sim = ServiceSim(creation_task_definition=service.task_definition)
        service.simulator = sim  # type: ignore[attr-defined]
        service.events = []
        if service.deployment_controller.get("type", "ECS") != "ECS":
            return service
        _merge_configuration(service, None)
        service.deployments = []
        rollout = _create_rollout(self, service, service.task_definition, Scenario())
        desired = service.desired_count
        messages = []
        if desired and service.task_definition:
            started = _start_tasks(self, service, rollout, desired)
            for task in started:
                task.run()
            messages.append(f"has started {len(started)} tasks: {_task_list(started)}.")
        _touch(rollout.deployment, runningCount=len(rollout.tasks), pendingCount=0)
        if Scenario.created_in_progress(service.tags):
            rollout.scenario = Scenario(name=STUCK)
        else:
            _touch(
                rollout.deployment,
                rolloutState="COMPLETED",
                rolloutStateReason=f"ECS deployment {rollout.id} completed.",
            )
            sim.last_completed = (rollout.id, service.task_definition or "")
            messages.append("has reached a steady state.")
        _event(service, *messages)
        _sync_counts(self, service)
        return service


def _sync_counts_after_removal(backend: EC2ContainerServiceBackend, service: Service) -> None:
    """Undo a CreateService whose simulator tags were invalid."""
    backend.services.pop(f"{service.cluster_name}:{service.name}", None)
    cluster = backend.clusters.get(service.cluster_name)
    if cluster is not None:
        backend.update_cluster_resources(cluster, -service.running_count, "RUNNING")
        backend.update_cluster_resources(cluster, -service.pending_count, "PENDING")


def _update_service(
    self: EC2ContainerServiceBackend, service_properties: dict[str, Any]
) -> Service:
    """moto's UpdateService for the plain attributes; deployments are the simulator's.

    moto's own forceNewDeployment handling (renaming the one deployment) and its cluster task
    bookkeeping are kept out: force and deploymentConfiguration are taken from the request
    before moto sees it, and the counts are restored and recomputed from the deployments.
    """
    with _LOCK:
        props = dict(service_properties)
        cluster_str = props.get("cluster", "default")
        service = self._get_service(cluster_str, str(props.get("service", "")).split("/")[-1])
        cluster = self._get_cluster(cluster_str)
        td_str = props.get("task_definition")
        new_td = self.describe_task_definition(td_str).arn if td_str else None
        kind = service.deployment_controller.get("type", "ECS")
        if kind != "ECS" and new_td is not None and new_td != service.task_definition:
            # API_UpdateService: with CODE_DEPLOY only desiredCount, deploymentConfiguration,
            # healthCheckGracePeriodSeconds and the like can change (CodeDeploy deploys a new
            # task definition); with EXTERNAL, task sets carry the task definition.
            how = (
                "Use AWS CodeDeploy to trigger a new deployment."
                if kind == "CODE_DEPLOY"
                else "Use the task set APIs to deploy a new task definition."
            )
            raise InvalidParameterException(
                f"Unable to update task definition on services with a {kind} deployment "
                f"controller. {how}"
            )
        force = bool(props.pop("force_new_deployment", False)) or any(
            props.get(key) is not None and props[key] != getattr(service, key, None)
            for key in DEPLOYING_PROPERTIES
        )
        given_config = props.pop("deployment_configuration", None)
        if new_td is not None:
            props["task_definition"] = new_td
        saved_cluster = (cluster.running_tasks_count, cluster.pending_tasks_count)
        saved_service = (service.running_count, service.pending_count)
        _ORIGINALS["update_service"](self, props)
        cluster.running_tasks_count, cluster.pending_tasks_count = saved_cluster
        service.running_count, service.pending_count = saved_service
        _merge_configuration(service, given_config)

        primary = _primary(service)
        current_td = primary["taskDefinition"] if primary else service.task_definition
        target_td = new_td or current_td
        service.task_definition = current_td
        if primary is not None and primary["desiredCount"] != service.desired_count:
            _scale_primary(self, service, primary)
        if service.deployment_controller.get("type", "ECS") == "ECS" and (
            force or (new_td is not None and new_td != current_td)
        ):
            _create_rollout(self, service, target_td, _scenario_for(service, target_td))
        _sync_counts(self, service)
        return service


def _scale_primary(
    backend: EC2ContainerServiceBackend, service: Service, primary: dict[str, Any]
) -> None:
    """A desiredCount change: a steady deployment scales at once; a rollout uses it as it goes."""
    _touch(primary, desiredCount=service.desired_count)
    rollout = _sim(service).rollouts.get(primary["id"])
    if rollout is None or primary["rolloutState"] != "COMPLETED":
        return
    extra = service.desired_count - len(rollout.tasks)
    if extra > 0:
        started = _start_tasks(backend, service, rollout, extra)
        for task in started:
            task.run()
        _event(service, f"has started {len(started)} tasks: {_task_list(started)}.")
    elif extra < 0:
        gone = rollout.tasks[extra:]
        rollout.tasks = rollout.tasks[:extra]
        for task in gone:
            task.stop("ServiceSchedulerInitiated", "Service scaling activity")
        _event(service, f"has stopped {len(gone)} running tasks: {_task_list(gone)}.")
    _touch(primary, runningCount=len(rollout.tasks), pendingCount=0)


def _list_tasks(
    self: EC2ContainerServiceBackend,
    cluster_str: str | None = None,
    container_instance: str | None = None,
    family: str | None = None,
    started_by: str | None = None,
    service_name: str | None = None,
    desiredStatus: str | None = None,  # moto's parameter name
) -> list[Any]:
    """moto ignores serviceName; ECS filters on the service's tasks, RUNNING by default."""
    with _LOCK:
        if service_name and not desiredStatus:
            desiredStatus = "RUNNING"
        tasks: list[Any] = _ORIGINALS["list_tasks"](
            self, cluster_str, container_instance, family, started_by, None, desiredStatus
        )
        if service_name:
            group = f"service:{service_name.split('/')[-1]}"
            tasks = [t for t in tasks if getattr(t, "group", None) == group]
        return tasks


def _describe_tasks(
    self: EC2ContainerServiceBackend, cluster_str: str, tasks: list[str]
) -> list[Any]:
    """Under the lock, so a tick adding tasks cannot race moto's iteration over them."""
    with _LOCK:
        result: list[Any] = _ORIGINALS["describe_tasks"](self, cluster_str, tasks)
        return result


def _response_describe_services(self: EC2ContainerServiceResponse) -> ActionResult:
    """One tick per DescribeServices call for each service it names, then moto's answer.

    Ticking here, not in the backend method, because moto calls describe_services internally
    (TagResource on a task set) and that must not move simulated time.
    """
    cluster_str = self._get_param("cluster", "default")
    names = self._get_param("services", [])
    backend = self.ecs_backend
    with _LOCK:
        services, _ = backend.describe_services(cluster_str, names)
        seen: set[int] = set()
        for service in services:
            if id(service) not in seen:
                seen.add(id(service))
                tick(backend, service)
        result: ActionResult = _ORIGINALS["response_describe_services"](self)
        return result


def _response_list_tasks(self: EC2ContainerServiceResponse) -> ActionResult:
    """ListTasks pages: at most maxResults ARNs (1..100, default 100) and a nextToken while
    more remain (API_ListTasks); moto returns every ARN at once."""
    with _LOCK:
        result: ActionResult = _ORIGINALS["response_list_tasks"](self)
        arns = list(result.result["taskArns"])  # type: ignore[index]
        size = int(self._get_param("maxResults") or 100)
        if not 1 <= size <= 100:
            raise InvalidParameterException("maxResults must be between 1 and 100")
        token = self._get_param("nextToken")
        offset = int(token) if token and str(token).isdigit() else 0
        page: dict[str, Any] = {"taskArns": arns[offset : offset + size]}
        if offset + size < len(arns):
            page["nextToken"] = str(offset + size)
        return ActionResult(page)


def _response_create_service(self: EC2ContainerServiceResponse) -> ActionResult:
    """moto drops CreateService's deploymentConfiguration; keep it, as ECS returns it."""
    with _LOCK:
        result: ActionResult = _ORIGINALS["response_create_service"](self)
        given = self._get_param("deploymentConfiguration")
        if given:
            service = result.result["service"]  # type: ignore[index]
            _merge_configuration(service, given)
        return result


def install() -> None:
    """Patch moto's ECS backend and responses in this process; calling it again is a no-op.

    The moto classes themselves are patched (not subclassed) because moto's server finds a
    backend's URL routes from the backend class's module, and because every backend instance,
    including those rebuilt by /moto-api/reset, must behave the same.
    """
    with _LOCK:
        if _ORIGINALS:
            return
        backend_patches: dict[str, Callable[..., Any]] = {
            "create_service": _create_service,
            "update_service": _update_service,
            "list_tasks": _list_tasks,
            "describe_tasks": _describe_tasks,
        }
        response_patches: dict[str, Callable[..., Any]] = {
            "describe_services": _response_describe_services,
            "create_service": _response_create_service,
            "list_tasks": _response_list_tasks,
        }
        for name, func in backend_patches.items():
            _ORIGINALS[name] = getattr(EC2ContainerServiceBackend, name)
            setattr(EC2ContainerServiceBackend, name, func)
        for name, func in response_patches.items():
            _ORIGINALS[f"response_{name}"] = getattr(EC2ContainerServiceResponse, name)
            setattr(EC2ContainerServiceResponse, name, func)


def installed() -> bool:
    """Whether install() has run in this process."""
    return bool(_ORIGINALS)
