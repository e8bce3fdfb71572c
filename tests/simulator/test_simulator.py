"""The rollout simulator seen the way the deploy engine sees it: boto3 over HTTP to moto_server.

One launcher process (``python -m tests.support.moto_server``) serves the module on a free
loopback port; moto's reset API empties it before every test. Each test builds a cluster, two
task definitions and a steady service, deploys the second revision and polls DescribeServices,
asserting what real ECS would report at each poll.
"""

from __future__ import annotations

import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.simulator.conftest import CLUSTER, _post
from tests.support.moto_process import REPO

SERVICE = "web"
DEPLOYMENT_ID = re.compile(r"^ecs-svc/\d{19}$")
DEPLOYMENT_KEYS = {
    "id", "status", "taskDefinition", "desiredCount", "pendingCount", "runningCount",
    "failedTasks", "createdAt", "updatedAt", "launchType", "rolloutState", "rolloutStateReason",
}  # fmt: skip


def _task_definition(ecs: Any, image: str) -> str:
    """A revision with a non-essential sidecar first, so 'the essential container' matters."""
    response = ecs.register_task_definition(
        family=SERVICE,
        containerDefinitions=[
            {"name": "agent", "image": "agent:1", "essential": False, "memory": 64},
            {"name": "app", "image": image, "essential": True, "memory": 256},
        ],
    )
    return str(response["taskDefinition"]["taskDefinitionArn"])


def _create(
    ecs: Any, desired: int = 2, name: str = SERVICE, **tags: str
) -> tuple[str, str, dict[str, Any]]:
    """Two revisions and a steady service on the first; tags are simulator:<key>=value."""
    old = _task_definition(ecs, "app:1")
    new = _task_definition(ecs, "app:2")
    tag_list = [{"key": f"simulator:{k.replace('_', '-')}", "value": v} for k, v in tags.items()]
    kwargs: dict[str, Any] = {"tags": tag_list} if tag_list else {}
    service = ecs.create_service(
        cluster=CLUSTER, serviceName=name, taskDefinition=old, desiredCount=desired, **kwargs
    )["service"]
    return old, new, service


def _deploy(ecs: Any, task_definition: str, **kwargs: Any) -> dict[str, Any]:
    service = ecs.update_service(
        cluster=CLUSTER, service=SERVICE, taskDefinition=task_definition, **kwargs
    )["service"]
    return dict(service)


def _poll(ecs: Any, name: str = SERVICE) -> dict[str, Any]:
    return dict(ecs.describe_services(cluster=CLUSTER, services=[name])["services"][0])


def _primary(service: dict[str, Any]) -> dict[str, Any]:
    (primary,) = [d for d in service["deployments"] if d["status"] == "PRIMARY"]
    return dict(primary)


def _messages(service: dict[str, Any]) -> list[str]:
    return [e["message"] for e in service["events"]]


def _stopped_tasks(ecs: Any, name: str = SERVICE) -> list[dict[str, Any]]:
    arns = ecs.list_tasks(cluster=CLUSTER, serviceName=name, desiredStatus="STOPPED")["taskArns"]
    if not arns:
        return []
    return list(ecs.describe_tasks(cluster=CLUSTER, tasks=arns)["tasks"])


def _container(task: dict[str, Any], name: str) -> dict[str, Any]:
    return dict(next(c for c in task["containers"] if c["name"] == name))


# --------------------------------------------------------------------------- steady start


def test_create_service_starts_steady_with_running_tasks(ecs) -> None:
    old, _, created = _create(ecs, desired=3)
    (deployment,) = created["deployments"]
    assert DEPLOYMENT_ID.match(deployment["id"])
    assert deployment["status"] == "PRIMARY"
    assert deployment["rolloutState"] == "COMPLETED"
    assert deployment["rolloutStateReason"] == f"ECS deployment {deployment['id']} completed."
    assert (deployment["runningCount"], deployment["pendingCount"]) == (3, 0)
    assert deployment["taskDefinition"] == old
    assert deployment.keys() >= DEPLOYMENT_KEYS
    assert created["deploymentConfiguration"]["deploymentCircuitBreaker"] == {
        "enable": False,
        "rollback": False,
    }
    service = _poll(ecs)
    assert (service["runningCount"], service["pendingCount"]) == (3, 0)
    assert _messages(service)[0] == f"(service {SERVICE}) has reached a steady state."
    running = ecs.list_tasks(cluster=CLUSTER, serviceName=SERVICE)["taskArns"]
    tasks = ecs.describe_tasks(cluster=CLUSTER, tasks=running)["tasks"]
    assert len(tasks) == 3
    assert {t["lastStatus"] for t in tasks} == {"RUNNING"}
    assert {t["taskDefinitionArn"] for t in tasks} == {old}
    assert {t["startedBy"] for t in tasks} == {deployment["id"]}
    assert {t["group"] for t in tasks} == {f"service:{SERVICE}"}


# --------------------------------------------------------------------------- succeed


def test_succeed_rolls_out_in_three_polls(ecs) -> None:
    old, new, created = _create(ecs)
    old_id = created["deployments"][0]["id"]
    updated = _deploy(ecs, new, forceNewDeployment=True)
    assert updated["taskDefinition"] == new
    primary = _primary(updated)
    assert DEPLOYMENT_ID.match(primary["id"]) and primary["id"] != old_id
    assert primary.keys() >= DEPLOYMENT_KEYS
    assert primary["taskDefinition"] == new
    assert primary["rolloutState"] == "IN_PROGRESS"
    assert primary["rolloutStateReason"] == f"ECS deployment {primary['id']} in progress."
    (active,) = [d for d in updated["deployments"] if d["status"] == "ACTIVE"]
    assert (active["id"], active["taskDefinition"], active["runningCount"]) == (old_id, old, 2)

    first = _poll(ecs)
    p = _primary(first)
    assert (p["desiredCount"], p["pendingCount"], p["runningCount"]) == (2, 2, 0)
    assert p["rolloutState"] == "IN_PROGRESS"
    task = r"\(task [0-9a-f]{32}\)"
    assert re.fullmatch(
        rf"\(service {SERVICE}\) has started 2 tasks: {task} {task}\.", _messages(first)[0]
    )

    second = _poll(ecs)
    p = _primary(second)
    assert (p["pendingCount"], p["runningCount"], p["rolloutState"]) == (0, 2, "IN_PROGRESS")
    assert len(second["deployments"]) == 2
    assert second["runningCount"] == 4  # old and new tasks both run mid-rollout, as in ECS

    third = _poll(ecs)
    completed, draining = third["deployments"]
    assert (completed["id"], completed["status"]) == (p["id"], "PRIMARY")
    assert completed["rolloutState"] == "COMPLETED"
    assert completed["rolloutStateReason"] == f"ECS deployment {p['id']} completed."
    # The old deployment drains (deregistration delay) before it leaves the list.
    assert (draining["id"], draining["status"], draining["runningCount"]) == (old_id, "ACTIVE", 0)
    assert _messages(third)[0] == (
        f"(service {SERVICE}) (deployment {p['id']}) deployment completed."
    )

    fourth = _poll(ecs)
    (only,) = fourth["deployments"]
    assert (only["id"], only["status"], only["taskDefinition"]) == (p["id"], "PRIMARY", new)
    assert fourth["taskDefinition"] == new
    assert fourth["runningCount"] == 2
    assert _messages(fourth)[0] == f"(service {SERVICE}) has reached a steady state."
    third = fourth
    running = ecs.list_tasks(cluster=CLUSTER, serviceName=SERVICE)["taskArns"]
    tasks = ecs.describe_tasks(cluster=CLUSTER, tasks=running)["tasks"]
    assert {t["taskDefinitionArn"] for t in tasks} == {new}
    # The old revision's tasks were drained by the scheduler, not failed.
    drained = _stopped_tasks(ecs)
    assert len(drained) == 2
    assert {t["taskDefinitionArn"] for t in drained} == {old}
    assert {t["stopCode"] for t in drained} == {"ServiceSchedulerInitiated"}
    assert _poll(ecs)["deployments"] == third["deployments"]  # steady: nothing moves


def test_events_are_newest_first_with_ids(ecs) -> None:
    _, new, _ = _create(ecs)
    _deploy(ecs, new)
    for _ in range(3):
        service = _poll(ecs)
    events = service["events"]
    stamps = [e["createdAt"] for e in events]
    assert stamps == sorted(stamps, reverse=True)
    assert len({e["id"] for e in events}) == len(events)
    assert all(re.fullmatch(r"[0-9a-f-]{36}", e["id"]) for e in events)


def test_ticks_one_completes_at_the_first_poll(ecs) -> None:
    _, new, _ = _create(ecs, ticks="1")
    _deploy(ecs, new)
    (only,) = _poll(ecs)["deployments"]
    assert (only["taskDefinition"], only["rolloutState"], only["runningCount"]) == (
        new,
        "COMPLETED",
        2,
    )


def test_same_task_definition_without_force_makes_no_deployment(ecs) -> None:
    old, _, created = _create(ecs)
    updated = _deploy(ecs, old)
    assert updated["deployments"] == created["deployments"]
    assert _poll(ecs)["deployments"] == created["deployments"]
    forced = _deploy(ecs, old, forceNewDeployment=True)
    assert len(forced["deployments"]) == 2
    assert _primary(forced)["taskDefinition"] == old
    assert _primary(forced)["id"] != created["deployments"][0]["id"]


def test_desired_count_change_scales_the_steady_deployment(ecs) -> None:
    _create(ecs, desired=2)
    updated = ecs.update_service(cluster=CLUSTER, service=SERVICE, desiredCount=4)["service"]
    (only,) = updated["deployments"]
    assert (only["desiredCount"], only["runningCount"], only["rolloutState"]) == (4, 4, "COMPLETED")
    assert len(ecs.list_tasks(cluster=CLUSTER, serviceName=SERVICE)["taskArns"]) == 4


def test_family_name_resolves_to_the_latest_revision_arn(ecs) -> None:
    _, new, _ = _create(ecs)
    updated = ecs.update_service(cluster=CLUSTER, service=SERVICE, taskDefinition=SERVICE)[
        "service"
    ]
    assert updated["taskDefinition"] == new
    assert _primary(updated)["taskDefinition"] == new


# --------------------------------------------------------------------------- slow


def test_slow_stays_in_progress(ecs) -> None:
    _, new, _ = _create(ecs, scenario="slow")
    _deploy(ecs, new)
    for _ in range(50):
        service = _poll(ecs)
        p = _primary(service)
        assert p["rolloutState"] == "IN_PROGRESS"
        assert (p["pendingCount"], p["runningCount"]) == (2, 0)
        assert len(service["deployments"]) == 2


def test_slow_with_ticks_completes_at_that_tick(ecs) -> None:
    _, new, _ = _create(ecs, scenario="slow", ticks="6")
    _deploy(ecs, new)
    states = [_primary(_poll(ecs))["rolloutState"] for _ in range(6)]
    assert states == ["IN_PROGRESS"] * 5 + ["COMPLETED"]


# --------------------------------------------------------------------------- crash loop


def test_crash_loop_stops_a_task_per_poll_with_exit_code_and_reason(ecs) -> None:
    _, new, _ = _create(ecs, scenario="crash-loop", exit_code="3", reason="boom: no DATABASE_URL")
    deployment_id = _primary(_deploy(ecs, new))["id"]
    for poll in range(1, 4):
        service = _poll(ecs)
        p = _primary(service)
        assert (p["failedTasks"], p["runningCount"], p["rolloutState"]) == (poll, 0, "IN_PROGRESS")
        stopped = _stopped_tasks(ecs)
        assert len(stopped) == poll
        newest = max(stopped, key=lambda t: t["stoppedAt"])
        assert _messages(service)[0] == (
            f"(service {SERVICE}) has started 1 tasks: (task {newest['taskArn'].split('/')[-1]})."
        )
    for task in stopped:
        assert task["lastStatus"] == task["desiredStatus"] == "STOPPED"
        assert task["stopCode"] == "EssentialContainerExited"
        assert task["stoppedReason"] == "Essential container in task exited"
        assert task["taskDefinitionArn"] == new
        assert task["group"] == f"service:{SERVICE}"
        assert task["startedBy"] == deployment_id
        assert task["stoppedAt"] and "startedAt" not in task  # it never reached RUNNING
        app = _container(task, "app")
        assert (app["lastStatus"], app["exitCode"], app["reason"]) == (
            "STOPPED",
            3,
            "boom: no DATABASE_URL",
        )
        assert "exitCode" not in _container(task, "agent")
    # No circuit breaker: it never ends, and the old revision keeps serving.
    for _ in range(20):
        service = _poll(ecs)
    assert _primary(service)["rolloutState"] == "IN_PROGRESS"
    assert _primary(service)["failedTasks"] == 23
    (active,) = [d for d in service["deployments"] if d["status"] == "ACTIVE"]
    assert active["runningCount"] == 2
    assert (
        ecs.list_tasks(cluster=CLUSTER, serviceName=SERVICE, startedBy=deployment_id)["taskArns"]
        == []
    )  # RUNNING by default with serviceName: none of the new revision run


def test_crash_loop_default_exit_code_is_one_without_reason(ecs) -> None:
    _, new, _ = _create(ecs, scenario="crash-loop")
    _deploy(ecs, new)
    _poll(ecs)
    (task,) = _stopped_tasks(ecs)
    app = _container(task, "app")
    assert app["exitCode"] == 1
    assert "reason" not in app


def test_events_are_capped_at_100(ecs) -> None:
    _, new, _ = _create(ecs, scenario="crash-loop")
    _deploy(ecs, new)
    for _ in range(110):
        service = _poll(ecs)
    assert len(service["events"]) == 100
    assert _primary(service)["failedTasks"] == 110


# --------------------------------------------------------------------------- never healthy


def test_never_healthy_tasks_run_then_fail_health_checks(ecs) -> None:
    _, new, _ = _create(ecs, scenario="never-healthy")
    _deploy(ecs, new)
    first = _poll(ecs)
    p = _primary(first)
    assert (p["runningCount"], p["failedTasks"]) == (1, 0)
    assert _stopped_tasks(ecs) == []
    running = ecs.list_tasks(cluster=CLUSTER, serviceName=SERVICE, startedBy=p["id"])["taskArns"]
    (starting,) = ecs.describe_tasks(cluster=CLUSTER, tasks=running)["tasks"]
    assert (starting["lastStatus"], starting["healthStatus"]) == ("RUNNING", "UNKNOWN")

    second = _poll(ecs)
    p = _primary(second)
    assert (p["runningCount"], p["failedTasks"], p["rolloutState"]) == (1, 1, "IN_PROGRESS")
    (task,) = _stopped_tasks(ecs)
    task_id = task["taskArn"].split("/")[-1]
    assert f"(service {SERVICE}) (task {task_id}) failed container health checks." in _messages(
        second
    )
    assert task["stopCode"] == "ServiceSchedulerInitiated"
    assert task["stoppedReason"] == "Task failed container health checks"
    assert task["healthStatus"] == "UNHEALTHY"
    assert task["taskDefinitionArn"] == new
    app = _container(task, "app")
    assert (app["exitCode"], app["healthStatus"], app["lastStatus"]) == (
        137,
        "UNHEALTHY",
        "STOPPED",
    )

    for _ in range(10):
        service = _poll(ecs)
    assert _primary(service)["rolloutState"] == "IN_PROGRESS"
    assert _primary(service)["failedTasks"] == 11


# --------------------------------------------------------------------------- circuit breaker


def test_circuit_breaker_fails_and_rolls_back(ecs) -> None:
    old, new, created = _create(ecs, scenario="circuit-breaker")
    old_id = created["deployments"][0]["id"]
    assert created["deploymentConfiguration"]["deploymentCircuitBreaker"] == {
        "enable": True,
        "rollback": True,
    }
    failed_id = _primary(_deploy(ecs, new))["id"]

    seen: list[str] = []
    for _ in range(2):
        p = _primary(_poll(ecs))
        assert p["id"] == failed_id
        seen.append(p["rolloutState"])
    assert seen == ["IN_PROGRESS"] * 2
    assert len(_stopped_tasks(ecs)) == 2

    tripped = _poll(ecs)  # failedTasks reaches the threshold: max(3, 0.5 * 2)
    (failed,) = [d for d in tripped["deployments"] if d["id"] == failed_id]
    assert failed["status"] == "ACTIVE"
    assert failed["rolloutState"] == "FAILED"
    assert failed["rolloutStateReason"] == "ECS deployment circuit breaker: tasks failed to start."
    assert failed["failedTasks"] == 3
    rollback = _primary(tripped)
    assert rollback["id"] not in (failed_id, old_id)
    assert (rollback["taskDefinition"], rollback["rolloutState"]) == (old, "IN_PROGRESS")
    assert tripped["taskDefinition"] == old
    assert _messages(tripped)[:2] == [
        f"(service {SERVICE}) rolling back to deployment {old_id}.",
        f"(service {SERVICE}) (deployment {failed_id}) deployment failed: tasks failed to start.",
    ]

    _poll(ecs)
    done = _poll(ecs)
    (only,) = done["deployments"]
    assert (only["id"], only["taskDefinition"], only["rolloutState"]) == (
        rollback["id"],
        old,
        "COMPLETED",
    )
    assert done["taskDefinition"] == old
    assert done["runningCount"] == 2


def test_circuit_breaker_threshold_is_half_desired_clamped_to_3_and_200() -> None:
    from tests.support.ecs_simulator import breaker_threshold

    assert [breaker_threshold(n) for n in (1, 2, 6, 7, 10, 399, 400, 1000)] == [
        3, 3, 3, 4, 5, 200, 200, 200]  # fmt: skip


def test_circuit_breaker_trips_at_the_threshold_of_a_larger_service(ecs) -> None:
    _, new, _ = _create(ecs, desired=10, scenario="circuit-breaker")
    _deploy(ecs, new)
    states = [_primary(_poll(ecs))["rolloutState"] for _ in range(4)]
    tripped = _poll(ecs)
    failed = next(d for d in tripped["deployments"] if d["rolloutState"] == "FAILED")
    assert states == ["IN_PROGRESS"] * 4 and failed["failedTasks"] == 5


def test_a_breaker_that_is_off_never_trips(ecs) -> None:
    old = _task_definition(ecs, "app:1")
    new = _task_definition(ecs, "app:2")
    ecs.create_service(
        cluster=CLUSTER, serviceName=SERVICE, taskDefinition=old, desiredCount=1,
        deploymentConfiguration={"deploymentCircuitBreaker": {"enable": False, "rollback": False}},
        tags=[{"key": "simulator:scenario", "value": "circuit-breaker"}])  # fmt: skip
    _deploy(ecs, new)
    for _ in range(6):
        service = _poll(ecs)
    assert _primary(service)["rolloutState"] == "IN_PROGRESS"


def test_circuit_breaker_given_configuration_without_rollback(ecs) -> None:
    old = _task_definition(ecs, "app:1")
    new = _task_definition(ecs, "app:2")
    config = {
        "deploymentCircuitBreaker": {"enable": True, "rollback": False},
        "maximumPercent": 150,
        "minimumHealthyPercent": 50,
    }
    created = ecs.create_service(
        cluster=CLUSTER,
        serviceName=SERVICE,
        taskDefinition=old,
        desiredCount=1,
        deploymentConfiguration=config,
        tags=[{"key": "simulator:scenario", "value": "circuit-breaker"}],
    )["service"]
    assert created["deploymentConfiguration"] == config
    failed_id = _primary(_deploy(ecs, new))["id"]
    assert _primary(_poll(ecs))["rolloutState"] == "IN_PROGRESS"
    assert _primary(_poll(ecs))["rolloutState"] == "IN_PROGRESS"
    tripped = _poll(ecs)
    assert _primary(tripped)["id"] == failed_id
    assert _primary(tripped)["rolloutState"] == "FAILED"
    assert tripped["deploymentConfiguration"] == config
    # rollback=false: ECS gives up without rolling back, and nothing moves after that.
    later = _poll(ecs)
    assert later["taskDefinition"] == new
    assert later["deployments"] == tripped["deployments"]


# --------------------------------------------------------------------------- client rollback


@pytest.mark.parametrize("scenario", ["crash-loop", "never-healthy", "circuit-breaker", "slow"])
def test_client_rollback_to_the_creation_revision_succeeds(ecs, scenario) -> None:
    old, new, _ = _create(ecs, scenario=scenario)
    bad_id = _primary(_deploy(ecs, new))["id"]
    _poll(ecs)
    _poll(ecs)
    rolled = _deploy(ecs, old)
    primary = _primary(rolled)
    assert (primary["taskDefinition"], primary["rolloutState"]) == (old, "IN_PROGRESS")
    assert {d["id"]: d["status"] for d in rolled["deployments"]}[bad_id] == "ACTIVE"
    for _ in range(4):
        service = _poll(ecs)
    (only,) = service["deployments"]
    assert (only["id"], only["taskDefinition"], only["rolloutState"]) == (
        primary["id"],
        old,
        "COMPLETED",
    )
    assert service["taskDefinition"] == old
    assert only["failedTasks"] == 0
    # The old revision's tasks only ever stop by being drained, never by failing.
    old_stopped = [t for t in _stopped_tasks(ecs) if t["taskDefinitionArn"] == old]
    assert {t["stopCode"] for t in old_stopped} <= {"ServiceSchedulerInitiated"}


# --------------------------------------------------------------------------- tags, reset, calls


def test_scenario_can_be_set_later_with_tag_resource(ecs) -> None:
    _, new, created = _create(ecs)
    ecs.tag_resource(
        resourceArn=created["serviceArn"],
        tags=[
            {"key": "simulator:scenario", "value": "crash-loop"},
            {"key": "simulator:exit-code", "value": "42"},
        ],
    )
    _deploy(ecs, new)
    _poll(ecs)
    (task,) = _stopped_tasks(ecs)
    assert _container(task, "app")["exitCode"] == 42


def test_unknown_scenario_is_rejected(ecs) -> None:
    old = _task_definition(ecs, "app:1")
    with pytest.raises(ClientError) as raised:
        ecs.create_service(
            cluster=CLUSTER,
            serviceName=SERVICE,
            taskDefinition=old,
            desiredCount=1,
            tags=[{"key": "simulator:scenario", "value": "crashloop"}],
        )
    assert raised.value.response["Error"]["Code"] == "InvalidParameterException"
    assert "crash-loop" in raised.value.response["Error"]["Message"]
    assert ecs.list_services(cluster=CLUSTER)["serviceArns"] == []


def test_one_tick_per_call_per_service(ecs) -> None:
    _, new, _ = _create(ecs)
    ecs.create_service(cluster=CLUSTER, serviceName="worker", taskDefinition=new, desiredCount=1)
    _deploy(ecs, new, forceNewDeployment=True)
    ecs.update_service(cluster=CLUSTER, service="worker", forceNewDeployment=True)
    # Both named once, web twice: each service still moves one tick.
    both = ecs.describe_services(cluster=CLUSTER, services=[SERVICE, "worker", SERVICE])
    assert [_primary(s)["pendingCount"] for s in both["services"]] == [2, 1, 2]
    # DescribeTasks/ListTasks do not move time; only DescribeServices of that service does.
    ecs.list_tasks(cluster=CLUSTER, serviceName=SERVICE)
    assert _primary(_poll(ecs, "worker"))["runningCount"] == 1
    assert _primary(_poll(ecs))["runningCount"] == 2
    assert _primary(_poll(ecs))["rolloutState"] == "COMPLETED"
    assert _primary(_poll(ecs, "worker"))["rolloutState"] == "COMPLETED"


def test_concurrent_watchers_see_consistent_rollouts(ecs) -> None:
    """The engine watches several services at once; moto_server answers on threads."""
    names = [f"svc{i}" for i in range(4)]
    new = ""
    for name in names:
        _, new, _ = _create(ecs, desired=2, name=name, scenario="crash-loop")
        ecs.update_service(cluster=CLUSTER, service=name, taskDefinition=new)

    def watch(name: str) -> int:
        failed = 0
        for _ in range(25):
            failed = _primary(_poll(ecs, name))["failedTasks"]
            ecs.list_tasks(cluster=CLUSTER, serviceName=name, desiredStatus="STOPPED")
        return int(failed)

    with ThreadPoolExecutor(max_workers=len(names)) as pool:
        assert list(pool.map(watch, names)) == [25] * len(names)
    for name in names:
        stopped = _stopped_tasks(ecs, name)
        assert len(stopped) == 25
        assert {t["group"] for t in stopped} == {f"service:{name}"}


def test_reset_clears_simulator_state(ecs, endpoint) -> None:
    _, new, _ = _create(ecs, scenario="crash-loop")
    _deploy(ecs, new)
    _poll(ecs)
    _post(f"{endpoint}/moto-api/reset")
    with pytest.raises(ClientError):
        _poll(ecs)
    ecs.create_cluster(clusterName=CLUSTER)
    old, new, created = _create(ecs)
    assert old.endswith(f"{SERVICE}:1")
    assert len(created["deployments"]) == 1
    assert _stopped_tasks(ecs) == []
    _deploy(ecs, new)
    for _ in range(3):
        service = _poll(ecs)
    assert _primary(service)["rolloutState"] == "COMPLETED"


def test_install_is_idempotent() -> None:
    """In a child process: installing in pytest's own process would change moto for others."""
    code = (
        "from moto.ecs.models import EC2ContainerServiceBackend as B\n"
        "from tests.support import ecs_simulator as s\n"
        "s.install(); first = B.update_service; s.install()\n"
        "assert B.update_service is first and s.installed()\n"
        "assert s._ORIGINALS['update_service'] is not first\n"
    )
    subprocess.run([sys.executable, "-c", code], cwd=REPO, check=True, timeout=60)
