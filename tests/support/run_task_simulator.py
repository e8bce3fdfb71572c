"""One-off task simulator: moto's RunTask and StopTask, made to run tasks the way ECS does.

Why: moto's RunTask makes a task that never stops on its own and whose containers report
exit code 0, so a tool that waits for a one-off task (database migrations before a rollout)
cannot see a failure. This module patches moto's ECS backend in-process, in the same
``moto_server`` as the rollout simulator (``tests/support/ecs_simulator.py``), and follows its
conventions: simulated time in ticks (one per DescribeTasks call that names the task, not
wall-clock), knobs in ``simulator:*`` tags, state on moto's own objects (``/moto-api/reset``
clears it).

Lifecycle (developer guide, "Amazon ECS task lifecycle": PROVISIONING, PENDING, ACTIVATING,
RUNNING, DEACTIVATING, STOPPING, DEPROVISIONING, STOPPED)
    RunTask answers with the task PROVISIONING (awsvpc: "the elastic network interface needs
    to be provisioned") or PENDING (other network modes), desiredStatus RUNNING. Each
    DescribeTasks naming it is one tick: PENDING, then RUNNING (startedAt, containers
    RUNNING), then, when the essential container's process has exited, DEPROVISIONING
    (awsvpc: "the elastic network interface needs to be detached and deleted"; desired
    STOPPED, containers STOPPED with their exit codes), then STOPPED (stoppedAt). Without
    awsvpc there is no PROVISIONING or DEPROVISIONING step. A task with ``ticks`` = 1 is
    STOPPED at the first DescribeTasks, skipping the states between.

What the containers do (chosen per task, so the failure path is real)
    Each container's process exits with ``SIMULATOR_EXIT_CODE`` from its environment (the
    task definition's, with RunTask's ``overrides.containerOverrides[].environment`` laid
    over it, as ECS gives the container), else the task's tag ``simulator:exit-code`` (RunTask
    ``tags``), else 0; ``SIMULATOR_REASON`` / ``simulator:reason`` is its ``reason``.
    ``SIMULATOR_TICKS`` / ``simulator:ticks`` (on the first essential container, else the task)
    is the tick at which the task is STOPPED (default 4: PENDING, RUNNING, DEPROVISIONING,
    STOPPED); ``never`` keeps it RUNNING until StopTask.
    A stopped task has stopCode EssentialContainerExited and stoppedReason "Essential
    container in task exited" (DescribeTasks, Task: stopCode, stoppedReason), as ECS reports a
    batch job that ended on its own, whatever the exit code.

StopTask (API reference, StopTask: "the equivalent of docker stop is issued to the
containers running in the task. This results in a SIGTERM value ...")
    The answer has desiredStatus STOPPED, stopCode UserInitiated and stoppedReason the
    request's ``reason``; at the next tick the task is STOPPED and its running containers
    exit with 143 (128 + SIGTERM). StopTask on a STOPPED task changes nothing.

Not like real ECS
    No ENI attachments, no container instances, no ACTIVATING/DEACTIVATING/STOPPING states; a
    StopTask'd task skips DEPROVISIONING; ``count`` above 1 makes independent tasks with the
    same knobs; timestamps are wall-clock, only progress is in ticks; a ``clientToken`` seen
    before returns the tasks of its first call (RunTask's idempotency) for the life of the
    server.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any

from moto.core.common_models import BaseModel
from moto.core.utils import utcnow
from moto.ecs.exceptions import InvalidParameterException
from moto.ecs.models import Cluster, EC2ContainerServiceBackend, TaskDefinition
from moto.ecs.responses import EC2ContainerServiceResponse

from tests.support import sim_logs
from tests.support.ecs_simulator import SimContainer, simulated_task_arn

EXIT_CODE_TAG = "simulator:exit-code"
REASON_TAG = "simulator:reason"
TICKS_TAG = "simulator:ticks"
EXIT_CODE_ENV = "SIMULATOR_EXIT_CODE"
REASON_ENV = "SIMULATOR_REASON"
TICKS_ENV = "SIMULATOR_TICKS"
DEFAULT_TICKS = 4
NEVER = "never"
SIGTERM_EXIT = 143

_LOCK = threading.RLock()
_ORIGINALS: dict[str, Callable[..., Any]] = {}


def _environment(definition: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, str]:
    """The container's environment: the task definition's, the override's laid over it."""
    env = {str(e.get("name")): str(e.get("value")) for e in definition.get("environment") or []}
    env.update({str(e.get("name")): str(e.get("value")) for e in override.get("environment") or []})
    return env


def _integer(value: str, what: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise InvalidParameterException(f"{what}={value!r} is not an integer") from None


class OneOffContainer(SimContainer):
    """A container of a one-off task, with the attributes of ECS's Container shape."""

    def __init__(
        self,
        task: OneOffTask,
        definition: Mapping[str, Any],
        override: Mapping[str, Any],
        tags: Mapping[str, str],
    ) -> None:
        super().__init__(task, definition)
        env = _environment(definition, override)
        self.planned_exit = _integer(
            env.get(EXIT_CODE_ENV, tags.get(EXIT_CODE_TAG, "0")), EXIT_CODE_ENV
        )
        self.planned_reason = env.get(REASON_ENV, tags.get(REASON_TAG)) or None
        self.planned_ticks = env.get(TICKS_ENV, tags.get(TICKS_TAG))


class OneOffTask(BaseModel):
    """A task started by RunTask; its state moves one step per DescribeTasks (``advance``).

    Not moto's Task (whose status drifts to STOPPED with exit code 0): the knobs alone decide.
    It carries the attributes moto's backend code touches (task_arn, tags, group, started_by,
    desired_status, last_status, stopped_reason, advance) plus ECS's Task shape.
    """

    def __init__(
        self,
        backend: EC2ContainerServiceBackend,
        cluster: Cluster,
        task_definition: TaskDefinition,
        *,
        started_by: str,
        group: str,
        overrides: Mapping[str, Any],
        tags: list[dict[str, str]],
        launch_type: str | None,
        capacity_provider: str | None,
        platform_version: str | None,
    ) -> None:
        self.id = uuid.uuid4().hex
        self._backend = backend
        self.region_name = backend.region_name
        self.account_id = backend.account_id
        self.cluster_name = cluster.name
        self.cluster_arn = cluster.arn
        self.container_instance_arn: str | None = None
        self.resource_requirements: dict[str, str] | None = None
        self.task_definition_arn = task_definition.arn
        self.group = group
        self.started_by = started_by
        fargate = launch_type == "FARGATE" or capacity_provider in ("FARGATE", "FARGATE_SPOT")
        self.launch_type = launch_type or ("FARGATE" if fargate else "EC2")
        self.capacity_provider_name = capacity_provider
        self.platform_version = platform_version or ("1.4.0" if fargate else None)
        self.platform_family = "Linux" if fargate else None
        self.availability_zone = f"{self.region_name}a"
        self.cpu = task_definition.cpu
        self.memory = task_definition.memory
        self.tags = tags
        self.overrides = {
            "containerOverrides": list(overrides.get("containerOverrides") or []),
            "inferenceAcceleratorOverrides": [],
        }
        self.attachments: list[dict[str, Any]] = []
        self.attributes: list[dict[str, Any]] = []
        self.enable_execute_command = False
        self.version = 1
        now = utcnow()
        self.created_at: datetime = now
        self.pull_started_at: datetime | None = None
        self.pull_stopped_at: datetime | None = None
        self.connectivity = "CONNECTED"
        self.connectivity_at: datetime | None = now
        self.started_at: datetime | None = None
        self.stopping_at: datetime | None = None
        self.execution_stopped_at: datetime | None = None
        self.stopped_at: datetime | None = None
        self.stop_code: str | None = None
        self.stopped_reason: str | None = None
        self.awsvpc = task_definition.network_mode == "awsvpc"
        self.last_status = "PROVISIONING" if self.awsvpc else "PENDING"
        self.desired_status = "RUNNING"
        self.health_status = "UNKNOWN"
        by_name = {str(o.get("name")): o for o in self.overrides["containerOverrides"]}
        tag_values = {t.get("key", ""): t.get("value", "") for t in tags}
        self.containers = [
            OneOffContainer(self, c, by_name.get(str(c.get("name")), {}), tag_values)
            for c in task_definition.container_definitions
        ]
        first = self.essential_container
        planned = first.planned_ticks if first.planned_ticks is not None else str(DEFAULT_TICKS)
        self.ticks = None if planned == NEVER else _integer(planned, TICKS_ENV)
        if self.ticks is not None and self.ticks < 1:
            raise InvalidParameterException(f"{TICKS_ENV} must be at least 1 (or {NEVER})")
        self.elapsed = 0
        self.stop_requested = False

    @property
    def task_arn(self) -> str:
        return simulated_task_arn(self._backend, self.cluster_name, self.id)

    @property
    def essential_container(self) -> OneOffContainer:
        return next((c for c in self.containers if c.essential), self.containers[0])

    def advance(self) -> None:
        """One tick: moto's DescribeTasks calls this on every task it returns."""
        with _LOCK:
            if self.last_status == "STOPPED":
                return
            self.elapsed += 1
            if self.stop_requested:
                self._stop(exit_code=SIGTERM_EXIT)
            elif self.ticks is not None and self.elapsed >= self.ticks:
                self._stop()
            elif self.ticks is not None and self.elapsed >= self.ticks - 1 and self.awsvpc:
                self._exit_containers()
                self.last_status = "DEPROVISIONING"
            elif self.elapsed >= 2:
                self._run()
            else:
                self.last_status = "PENDING"
            self.version += 1

    def _run(self) -> None:
        if self.last_status == "RUNNING":
            return
        now = utcnow()
        self.pull_started_at = self.pull_stopped_at = self.started_at = now
        self.last_status = "RUNNING"
        for c in self.containers:
            c.last_status = "RUNNING"
            c.runtime_id = f"{self.id}-{uuid.uuid4().int % 10**10}"

    def _exit_containers(self, exit_code: int | None = None) -> None:
        """The processes end: each with its planned code (or SIGTERM's, after StopTask)."""
        if self.started_at is None:
            self._run()
        now = utcnow()
        self.desired_status = "STOPPED"
        if self.stop_code is None:
            self.stop_code = "EssentialContainerExited"
            self.stopped_reason = "Essential container in task exited"
        self.stopping_at = self.stopping_at or now
        self.execution_stopped_at = now
        for c in self.containers:
            if c.last_status != "STOPPED":
                c.last_status = "STOPPED"
                c.exitCode = c.planned_exit if exit_code is None else exit_code
                c.reason = c.planned_reason if exit_code is None else None

    def _stop(self, exit_code: int | None = None) -> None:
        self._exit_containers(exit_code)
        for c in self.containers:  # what a failed one printed, where awslogs sends it
            if c.exitCode not in (None, 0):
                sim_logs.task_stopped(self._backend, self, c.name, c.exitCode)
        self.last_status = "STOPPED"
        self.stopped_at = utcnow()
        self.connectivity = "DISCONNECTED"

    def request_stop(self, reason: str | None) -> None:
        """StopTask: desired STOPPED now, stopped at the next tick."""
        with _LOCK:
            if self.last_status == "STOPPED":
                return
            self.stop_requested = True
            self.desired_status = "STOPPED"
            self.stop_code = "UserInitiated"
            self.stopped_reason = reason or "Task stopped by user"
            self.stopping_at = utcnow()
            self.version += 1


def _run_task(
    self: EC2ContainerServiceBackend,
    cluster_str: str,
    task_definition_str: str,
    count: int,
    overrides: dict[str, Any] | None,
    started_by: str,
    tags: list[dict[str, str]] | None,
    launch_type: str | None,
    networking_configuration: dict[str, Any] | None = None,
    group: str | None = None,
    platform_version: str | None = None,
    capacity_provider_strategy: list[dict[str, Any]] | None = None,
) -> list[Any]:
    """RunTask: simulated one-off tasks, validated as ECS validates the request."""
    with _LOCK:
        if launch_type and capacity_provider_strategy:  # RunTask: launchType
            raise InvalidParameterException(
                "Specify either Launch Type or Capacity Provider Strategy, but not both."
            )
        cluster = self._get_cluster(cluster_str)
        task_definition = self.describe_task_definition(task_definition_str)
        if task_definition.network_mode == "awsvpc" and not (networking_configuration or {}).get(
            "awsvpcConfiguration"
        ):
            # RunTask: networkConfiguration "is required for task definitions that use the
            # awsvpc network mode"
            raise InvalidParameterException(
                "Network Configuration must be provided when networkMode 'awsvpc' is specified."
            )
        provider = (capacity_provider_strategy or [{}])[0].get("capacityProvider")
        cluster_tasks: dict[str, Any] = self.tasks.setdefault(cluster.name, {})
        tasks = [
            OneOffTask(
                self,
                cluster,
                task_definition,
                started_by=started_by or "",
                group=group or f"family:{task_definition.family}",
                overrides=overrides or {},
                tags=tags or [],
                launch_type=launch_type,
                capacity_provider=provider,
                platform_version=platform_version,
            )
            for _ in range(max(1, count))
        ]
        for task in tasks:
            cluster_tasks[task.task_arn] = task
        return tasks


def _response_run_task(self: EC2ContainerServiceResponse) -> Any:
    """RunTask's clientToken: the same token returns the first call's tasks (idempotency)."""
    token = self._get_param("clientToken")
    backend = self.ecs_backend
    with _LOCK:
        seen: dict[str, Any] = backend.__dict__.setdefault("run_task_tokens", {})
        if token and token in seen:
            return seen[token]
        result = _ORIGINALS["response_run_task"](self)
        if token:
            seen[token] = result
        return result


def _stop_task(
    self: EC2ContainerServiceBackend, cluster_str: str, task_str: str, reason: str
) -> Any:
    """StopTask on a one-off task: SIGTERM, stopped at the next tick; others as moto does."""
    with _LOCK:
        cluster = self._get_cluster(cluster_str)
        task_id = task_str.split("/")[-1]
        for arn, task in self.tasks.get(cluster.name, {}).items():
            if arn.endswith(task_id) and isinstance(task, OneOffTask):
                task.request_stop(reason)
                return task
        return _ORIGINALS["stop_task"](self, cluster_str, task_str, reason)


def one_off_tasks(backend: EC2ContainerServiceBackend) -> Iterable[OneOffTask]:
    """Every simulated one-off task (for tests that look inside the server)."""
    for tasks in backend.tasks.values():
        yield from (t for t in tasks.values() if isinstance(t, OneOffTask))


def install() -> None:
    """Patch moto's RunTask and StopTask in this process; calling it again is a no-op."""
    with _LOCK:
        if _ORIGINALS:
            return
        _ORIGINALS["run_task"] = EC2ContainerServiceBackend.run_task
        _ORIGINALS["stop_task"] = EC2ContainerServiceBackend.stop_task
        _ORIGINALS["response_run_task"] = EC2ContainerServiceResponse.run_task
        EC2ContainerServiceBackend.run_task = _run_task  # type: ignore[method-assign]
        EC2ContainerServiceBackend.stop_task = _stop_task  # type: ignore[method-assign]
        EC2ContainerServiceResponse.run_task = _response_run_task  # type: ignore[method-assign]
