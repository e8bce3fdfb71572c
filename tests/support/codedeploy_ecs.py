"""The ECS side of a CodeDeploy blue/green deployment: task sets, their tasks and weights.

Why: a service whose deploymentController is CODE_DEPLOY runs its tasks in *task sets*, not
in the rolling ``deployments`` the rollout simulator (``ecs_simulator``) moves; moto keeps task
sets as bare records with no tasks or counts. The CodeDeploy simulator
(``codedeploy_simulator``) drives this module; its rules, each from the page cited beside it:

- CreateService with the CODE_DEPLOY controller starts one PRIMARY task set that runs
  desiredCount tasks at 100 % scale, and the service lists it in ``taskSets`` with an empty
  ``deployments`` list (API reference, "Service": taskSets are "Information about a set of
  Amazon ECS tasks in either an CodeDeploy or an EXTERNAL deployment"; developer guide,
  "CodeDeploy blue/green deployments for Amazon ECS", deployment-type-bluegreen.html: the
  service's tasks are the original task set).
- CodeDeploy's Install event creates the replacement task set: status ACTIVE, ``externalId``
  the CodeDeploy deployment id and ``startedBy`` CODE_DEPLOY (API reference, "TaskSet":
  "If an CodeDeploy deployment created a task set, the externalId parameter contains the
  CodeDeploy deployment ID"; "If CodeDeploy created the task set, startedBy is CODE_DEPLOY").
- A task set's counts: computedDesiredCount = desiredCount x scale, runningCount and
  pendingCount of its tasks, stabilityStatus STEADY_STATE when running = computed desired,
  else STABILIZING (API reference, "TaskSet").
- Rerouting production traffic makes the replacement PRIMARY and the original ACTIVE, and the
  service's taskDefinition the replacement's (API reference, UpdateServicePrimaryTaskSet).
- Deleting a task set stops its tasks: DRAINING first, then gone (API reference,
  DeleteTaskSet; "TaskSet" status "DRAINING: The tasks in the task set are being stopped").

Not like real ECS: tasks of a task set carry ``startedBy`` = the task set id (real ECS sets
the task set id too, but no page says so); there is no load balancer; timestamps are wall-clock.
"""

from __future__ import annotations

from typing import Any

from moto.core.utils import utcnow
from moto.ecs.models import EC2ContainerServiceBackend, Service, TaskSet

from tests.support.ecs_simulator import SimTask, _event, _task_list


def _tasks(task_set: TaskSet) -> list[SimTask]:
    tasks: list[SimTask] = getattr(task_set, "sim_tasks", None) or []
    task_set.sim_tasks = tasks  # type: ignore[attr-defined]
    return tasks


def refresh(backend: EC2ContainerServiceBackend, service: Service) -> None:
    """Counts and stability of every task set, then the service's sums (as in ECS)."""
    running_total = pending_total = 0
    for task_set in service.task_sets:
        live = _tasks(task_set)
        running = sum(1 for t in live if t.last_status == "RUNNING")
        pending = len(live) - running
        scale = float(task_set.scale.get("value", 100.0))
        desired = round(service.desired_count * scale / 100.0)
        steady = running == desired and pending == 0
        if steady != (task_set.stabilityStatus == "STEADY_STATE"):
            task_set.stabilityStatusAt = utcnow()
        task_set.computedDesiredCount = desired  # type: ignore[attr-defined]
        task_set.runningCount = running  # type: ignore[attr-defined]
        task_set.pendingCount = pending  # type: ignore[attr-defined]
        task_set.stabilityStatus = "STEADY_STATE" if steady else "STABILIZING"
        task_set.updatedAt = utcnow()
        running_total += running
        pending_total += pending
    cluster = backend.clusters.get(service.cluster_name)
    if cluster is not None:
        backend.update_cluster_resources(cluster, running_total - service.running_count, "RUNNING")
        backend.update_cluster_resources(cluster, pending_total - service.pending_count, "PENDING")
    service.running_count = running_total
    service.pending_count = pending_total


def create_task_set(
    backend: EC2ContainerServiceBackend,
    service: Service,
    task_definition: str,
    *,
    external_id: str | None,
    primary: bool,
) -> TaskSet:
    """A task set of ``task_definition`` at 100 % scale with its tasks started (PENDING)."""
    task_set = backend.create_task_set(
        service.name,
        service.cluster_name,
        task_definition,
        external_id=external_id,
        network_configuration=getattr(service, "network_configuration", None) or None,
        load_balancers=service.load_balancers,
        launch_type=service.launch_type or "FARGATE",
        platform_version=service.platform_version,
        scale=None,  # moto would start tasks of its own for a PERCENT scale
    )
    task_set.startedBy = "CODE_DEPLOY" if external_id else None  # type: ignore[attr-defined]
    task_set.status = "PRIMARY" if primary else "ACTIVE"
    start_tasks(backend, service, task_set, service.desired_count)
    return task_set


def start_tasks(
    backend: EC2ContainerServiceBackend, service: Service, task_set: TaskSet, count: int
) -> list[SimTask]:
    td = backend.describe_task_definition(task_set.task_definition)
    started = [SimTask(backend, service, td, task_set.id) for _ in range(count)]
    cluster_tasks: dict[str, Any] = backend.tasks.setdefault(service.cluster_name, {})
    for task in started:
        cluster_tasks[task.task_arn] = task
    _tasks(task_set).extend(started)
    if started:
        _event(service, f"has started {len(started)} tasks: {_task_list(started)}.")
    refresh(backend, service)
    return started


def run_pending(backend: EC2ContainerServiceBackend, service: Service, task_set: TaskSet) -> None:
    for task in _tasks(task_set):
        if task.last_status != "RUNNING":
            task.run()
    refresh(backend, service)


def crash_one(
    backend: EC2ContainerServiceBackend,
    service: Service,
    task_set: TaskSet,
    exit_code: int,
    reason: str | None,
) -> SimTask:
    """One task of the set whose essential container exits before RUNNING, and its
    replacement started by the scheduler (developer guide, "Amazon ECS task lifecycle")."""
    live = _tasks(task_set)
    task = next((t for t in live if t.last_status != "RUNNING"), None)
    if task is None:
        (task,) = start_tasks(backend, service, task_set, 1)
    task.stop(
        "EssentialContainerExited",
        "Essential container in task exited",
        failed=task.essential_container,
        exit_code=exit_code,
        container_reason=reason,
        started=False,
    )
    live.remove(task)
    _event(service, f"(task {task.id}) stopped: Essential container in task exited.")
    start_tasks(backend, service, task_set, 1)
    return task


def make_primary(backend: EC2ContainerServiceBackend, service: Service, task_set: TaskSet) -> None:
    """UpdateServicePrimaryTaskSet: this set PRIMARY, the others ACTIVE."""
    for other in service.task_sets:
        if other.status in ("PRIMARY", "ACTIVE"):
            other.status = "PRIMARY" if other is task_set else "ACTIVE"
            other.updatedAt = utcnow()
    service.task_definition = task_set.task_definition
    refresh(backend, service)


def drain(backend: EC2ContainerServiceBackend, service: Service, task_set: TaskSet) -> None:
    """DeleteTaskSet: DRAINING with its tasks stopped; ``remove`` drops it from the list."""
    live = _tasks(task_set)
    for task in live:
        task.stop(
            "ServiceSchedulerInitiated", f"Scaling activity initiated by (deployment {task_set.id})"
        )
    if live:
        _event(service, f"has stopped {len(live)} running tasks: {_task_list(live)}.")
    live.clear()
    task_set.status = "DRAINING"
    task_set.scale = {"value": 0.0, "unit": "PERCENT"}
    refresh(backend, service)


def remove(backend: EC2ContainerServiceBackend, service: Service, task_set: TaskSet) -> None:
    service.task_sets = [t for t in service.task_sets if t is not task_set]
    refresh(backend, service)


def primary(service: Service) -> TaskSet | None:
    return next((t for t in service.task_sets if t.status == "PRIMARY"), None)


def on_create_service(backend: EC2ContainerServiceBackend, service: Service) -> None:
    """A new CODE_DEPLOY service: its original task set, steady, serving all traffic."""
    if service.deployment_controller.get("type") != "CODE_DEPLOY" or not service.task_definition:
        return
    service.deployments = []
    task_set = create_task_set(
        backend, service, service.task_definition, external_id=None, primary=True
    )
    run_pending(backend, service, task_set)
    _event(service, "has reached a steady state.")
