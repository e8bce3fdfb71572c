"""The scenarios added for the rollout watch, and every payload against botocore's output shapes.

Each scenario is played through boto3 over HTTP to the simulator, as the deploy engine sees
it; what each poll shows is asserted against the ECS rule (cited in the simulator) it follows.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError
from botocore.model import Shape
from botocore.validate import ParamValidator

from tests.simulator.conftest import CLUSTER
from tests.simulator.test_simulator import (
    SERVICE,
    _container,
    _create,
    _deploy,
    _poll,
    _primary,
    _stopped_tasks,
)
from tests.support.ecs_simulator import SCENARIOS


def test_crash_after_running_keeps_failed_tasks_at_zero(ecs) -> None:
    _, new, _ = _create(ecs, scenario="crash-after-running", exit_code="3")
    deployment_id = _primary(_deploy(ecs, new))["id"]
    first, second, third = _poll(ecs), _poll(ecs), _poll(ecs)
    assert (_primary(first)["pendingCount"], _primary(second)["runningCount"]) == (2, 2)
    assert [_primary(s)["failedTasks"] for s in (first, second, third)] == [0, 0, 0]
    stopped = ecs.list_tasks(cluster=CLUSTER, startedBy=deployment_id, desiredStatus="STOPPED")[
        "taskArns"
    ]
    tasks = ecs.describe_tasks(cluster=CLUSTER, tasks=stopped)["tasks"]
    assert len(tasks) == 2
    for task in tasks:
        assert task["startedAt"] and task["stopCode"] == "EssentialContainerExited"
        assert _container(task, "app")["exitCode"] == 3
        assert _container(task, "agent")["exitCode"] == 137  # killed as the task stopped


def test_crash_after_running_never_trips_the_breaker(ecs) -> None:
    old = ecs.describe_task_definition(taskDefinition=_create(ecs)[0])  # a steady service
    ecs.delete_service(cluster=CLUSTER, service=SERVICE, force=True)
    ecs.create_service(
        cluster=CLUSTER, serviceName="breaker", taskDefinition=old["taskDefinition"]
        ["taskDefinitionArn"], desiredCount=2,
        deploymentConfiguration={"deploymentCircuitBreaker": {"enable": True, "rollback": True}},
        tags=[{"key": "simulator:scenario", "value": "crash-after-running"}])  # fmt: skip
    new = ecs.register_task_definition(
        family="web", containerDefinitions=[{"name": "app", "image": "app:3", "memory": 64}]
    )["taskDefinition"]["taskDefinitionArn"]
    ecs.update_service(cluster=CLUSTER, service="breaker", taskDefinition=new)
    for _ in range(12):
        service = _poll(ecs, "breaker")
    assert _primary(service)["rolloutState"] == "IN_PROGRESS"
    assert len(_stopped_tasks(ecs, "breaker")) >= 10


def test_flaky_start_fails_one_task_then_completes(ecs) -> None:
    _, new, _ = _create(ecs, scenario="flaky-start")
    _deploy(ecs, new)
    first = _poll(ecs)
    assert _primary(first)["failedTasks"] == 1
    (failed,) = _stopped_tasks(ecs)
    assert failed["stopCode"] == "TaskFailedToStart" and "startedAt" not in failed
    assert "i/o timeout" in failed["stoppedReason"]
    second = _poll(ecs)
    assert (_primary(second)["runningCount"], _primary(second)["failedTasks"]) == (2, 0)
    third, fourth = _poll(ecs), _poll(ecs)
    assert _primary(third)["rolloutState"] == "COMPLETED" and len(fourth["deployments"]) == 1


def test_capacity_keeps_tasks_provisioning(ecs) -> None:
    _, new, _ = _create(ecs, scenario="capacity", ticks="2")
    deployment_id = _primary(_deploy(ecs, new))["id"]
    for _ in range(2):
        p = _primary(_poll(ecs))
        assert (p["runningCount"], p["pendingCount"], p["failedTasks"]) == (0, 0, 0)
    arns = ecs.list_tasks(cluster=CLUSTER, startedBy=deployment_id)["taskArns"]
    assert {t["lastStatus"] for t in ecs.describe_tasks(cluster=CLUSTER, tasks=arns)["tasks"]} == {
        "PROVISIONING"
    }
    assert _primary(_poll(ecs))["runningCount"] == 2
    assert _primary(_poll(ecs))["rolloutState"] == "COMPLETED"


@pytest.mark.parametrize(
    ("scenario", "text"),
    [
        ("missing-image", "CannotPullContainerError"),
        ("missing-secret", "ResourceNotFoundException"),
    ],
)
def test_tasks_that_cannot_start_count_as_failed(ecs, scenario, text) -> None:
    _, new, _ = _create(ecs, scenario=scenario)
    _deploy(ecs, new)
    service = _poll(ecs)
    (task,) = _stopped_tasks(ecs)
    assert _primary(service)["failedTasks"] == 1
    assert task["stopCode"] == "TaskFailedToStart" and text in task["stoppedReason"]
    assert "exitCode" not in _container(task, "app") and text in _container(task, "app")["reason"]


def test_a_breaker_without_a_completed_deployment_stalls(ecs) -> None:
    _, new, _ = _create(ecs, scenario="circuit-breaker", created="in-progress")
    assert _primary(_poll(ecs))["rolloutState"] == "IN_PROGRESS"  # never steady
    failed_id = _primary(_deploy(ecs, new))["id"]
    for _ in range(3):
        service = _poll(ecs)
    primary = _primary(service)
    assert (primary["id"], primary["rolloutState"]) == (failed_id, "FAILED")
    assert _poll(ecs)["deployments"] == service["deployments"]  # nothing more happens


def test_alarm_fails_and_rolls_back(ecs) -> None:
    old = ecs.register_task_definition(
        family="web", containerDefinitions=[{"name": "app", "image": "app:1", "memory": 64}]
    )["taskDefinition"]["taskDefinitionArn"]
    new = ecs.register_task_definition(
        family="web", containerDefinitions=[{"name": "app", "image": "app:2", "memory": 64}]
    )["taskDefinition"]["taskDefinitionArn"]
    alarms = {"alarmNames": ["web-5xx"], "enable": True, "rollback": True}
    ecs.create_service(
        cluster=CLUSTER,
        serviceName=SERVICE,
        taskDefinition=old,
        desiredCount=2,
        deploymentConfiguration={"alarms": alarms},
        tags=[{"key": "simulator:scenario", "value": "alarm"}],
    )
    failed_id = _primary(_deploy(ecs, new))["id"]
    _poll(ecs), _poll(ecs)
    fired = _poll(ecs)
    failed = next(d for d in fired["deployments"] if d["id"] == failed_id)
    assert failed["rolloutState"] == "FAILED" and "web-5xx" in failed["rolloutStateReason"]
    assert _primary(fired)["taskDefinition"] == old
    assert fired["deploymentConfiguration"]["alarms"] == alarms


@pytest.mark.parametrize("controller", ["CODE_DEPLOY", "EXTERNAL"])
def test_other_controllers_refuse_a_task_definition_change(ecs, controller) -> None:
    old, new, _ = (*_create_with_controller(ecs, controller), None)
    with pytest.raises(ClientError) as caught:
        ecs.update_service(cluster=CLUSTER, service=SERVICE, taskDefinition=new)
    assert caught.value.response["Error"]["Code"] == "InvalidParameterException"
    assert f"{controller} deployment controller" in str(caught.value)
    assert _poll(ecs)["taskDefinition"] == old


def _create_with_controller(ecs: Any, controller: str) -> tuple[str, str]:
    arns = [
        ecs.register_task_definition(
            family="web", containerDefinitions=[{"name": "app", "image": f"app:{n}", "memory": 64}]
        )["taskDefinition"]["taskDefinitionArn"]
        for n in (1, 2)
    ]
    ecs.create_service(
        cluster=CLUSTER,
        serviceName=SERVICE,
        taskDefinition=arns[0],
        desiredCount=1,
        deploymentController={"type": controller},
    )
    return arns[0], arns[1]


def test_list_tasks_pages(ecs) -> None:
    _, new, _ = _create(ecs, scenario="crash-loop")
    deployment_id = _primary(_deploy(ecs, new))["id"]
    for _ in range(5):
        _poll(ecs)
    pages, token = [], None
    while True:
        page = ecs.list_tasks(
            cluster=CLUSTER,
            startedBy=deployment_id,
            desiredStatus="STOPPED",
            maxResults=2,
            **({"nextToken": token} if token else {}),
        )
        pages.append(page["taskArns"])
        token = page.get("nextToken")
        if not token:
            break
    assert [len(p) for p in pages] == [2, 2, 1]


# --------------------------------------------------------------------------- output shapes


def _problems(value: Any, shape: Shape, path: str = "") -> list[str]:
    """ParamValidator's type, required and unknown-key checks, plus the enums it skips."""
    report = ParamValidator().validate(value, shape)
    problems = [report.generate_report()] if report.has_errors() else []
    return problems + _enum_problems(value, shape, path)


def _enum_problems(value: Any, shape: Shape, path: str) -> list[str]:
    if shape.type_name == "structure" and isinstance(value, dict):
        return [
            p
            for key, item in value.items()
            if key in shape.members
            for p in _enum_problems(item, shape.members[key], f"{path}.{key}")
        ]
    if shape.type_name == "list" and isinstance(value, list):
        return [
            p
            for i, item in enumerate(value)
            for p in _enum_problems(item, shape.member, f"{path}[{i}]")
        ]
    if shape.type_name == "string" and shape.enum and value not in shape.enum:
        return [f"{path}: {value!r} is not one of {shape.enum}"]
    return []


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_every_payload_matches_botocores_output_shape(ecs, scenario) -> None:
    bodies: list[tuple[Any, dict[str, Any]]] = []

    def record(operation_model: Any, response_dict: dict[str, Any], **_: Any) -> None:
        if response_dict["status_code"] == 200:
            bodies.append((operation_model, json.loads(response_dict["body"] or b"{}")))

    ecs.meta.events.register("before-parse.ecs.*", record)
    old, new, _ = _create(ecs, scenario=scenario, ticks="2")
    deployment_id = _primary(_deploy(ecs, new))["id"]
    for _ in range(6):
        _poll(ecs)
        for status in ("STOPPED", "RUNNING"):
            arns = ecs.list_tasks(
                cluster=CLUSTER, startedBy=deployment_id, desiredStatus=status, maxResults=3
            )["taskArns"]
            if arns:
                ecs.describe_tasks(cluster=CLUSTER, tasks=arns)
    _deploy(ecs, old)
    _poll(ecs)
    operations = {model.name for model, _ in bodies}
    assert {"CreateService", "UpdateService", "DescribeServices", "ListTasks"} <= operations
    problems = [
        f"{model.name}: {p}" for model, body in bodies for p in _problems(body, model.output_shape)
    ]
    assert problems == []
