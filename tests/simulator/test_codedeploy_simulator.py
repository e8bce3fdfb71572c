"""The CodeDeploy simulator (tests/support/codedeploy_simulator.py) over HTTP, on a moto server
of its own: lifecycle order, task sets, weights, hooks, crashes, rollbacks, Stop/Continue, the
termination and ready waits, paging, and every answer checked against botocore's output shape
(types, required members, enums) as botocore parses it off the JSON 1.1 wire."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import botocore.session
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.simulator.test_service_deployments import _enum_errors
from tests.simulator.test_simulator import _post
from tests.support.codedeploy_lambda import invocations
from tests.support.moto_process import moto_server

CLUSTER = "sim"
SERVICE = "web"
APP = "AppECS-sim-web"
GROUP = "DgpECS-sim-web"
MODEL = botocore.session.get_session().get_service_model("codedeploy")
# The order of "What happens during an Amazon ECS deployment" (CodeDeploy user guide).
EVENTS = [
    "BeforeInstall",
    "Install",
    "AfterInstall",
    "AllowTestTraffic",
    "AfterAllowTestTraffic",
    "BeforeAllowTraffic",
    "AllowTraffic",
    "AfterAllowTraffic",
]
ROLE = "arn:aws:iam::123456789012:role/codedeploy"


@pytest.fixture(scope="module")
def endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with moto_server(tmp_path_factory.mktemp("codedeploy") / "moto_server.log") as url:
        yield url


def _client(service: str, endpoint: str) -> Any:
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(proxies={}, retries={"max_attempts": 1}),
    )


@pytest.fixture
def bodies() -> list[tuple[Any, dict[str, Any]]]:
    return []


@pytest.fixture
def clients(endpoint: str, bodies: list[tuple[Any, dict[str, Any]]]) -> tuple[Any, Any]:
    """(ecs, codedeploy) on an emptied moto; every 200 answer's raw body is recorded."""
    _post(f"{endpoint}/moto-api/reset")
    ecs, cd = _client("ecs", endpoint), _client("codedeploy", endpoint)

    def record(operation_model: Any, response_dict: dict[str, Any], **_: Any) -> None:
        if response_dict["status_code"] == 200 and operation_model.output_shape is not None:
            bodies.append((operation_model, json.loads(response_dict["body"] or b"{}")))

    for client in (ecs, cd):
        client.meta.events.register("before-parse.*.*", record)
    ecs.create_cluster(clusterName=CLUSTER)
    return ecs, cd


def _problems(bodies: list[tuple[Any, dict[str, Any]]]) -> list[str]:
    from botocore.validate import ParamValidator

    problems = []
    for model, body in bodies:
        report = ParamValidator().validate(body, model.output_shape)
        if report.has_errors():
            problems.append(f"{model.name}: {report.generate_report()}")
        problems += [f"{model.name}: {e}" for e in _enum_errors(model.output_shape, body, "")]
    return problems


def _setup(
    ecs: Any,
    cd: Any,
    tags: dict[str, str] | None = None,
    *,
    config: str = "CodeDeployDefault.ECSAllAtOnce",
    termination: int = 0,
    rollback: bool = True,
    ready: dict[str, Any] | None = None,
) -> tuple[str, str]:
    """A CODE_DEPLOY service on revision 1 and its application and group: (old, new) ARNs."""
    old, new = (
        ecs.register_task_definition(
            family=SERVICE,
            containerDefinitions=[
                {
                    "name": "app",
                    "image": f"app:{n}",
                    "memory": 256,
                    "portMappings": [{"containerPort": 8000}],
                }
            ],
        )["taskDefinition"]["taskDefinitionArn"]
        for n in (1, 2)
    )
    ecs.create_service(
        cluster=CLUSTER,
        serviceName=SERVICE,
        taskDefinition=old,
        desiredCount=2,
        deploymentController={"type": "CODE_DEPLOY"},
        loadBalancers=[
            {
                "targetGroupArn": "arn:aws:elasticloadbalancing:us-east-1:123456789012:"
                "targetgroup/blue/1",
                "containerName": "app",
                "containerPort": 8000,
            }
        ],
        tags=[{"key": k, "value": v} for k, v in (tags or {}).items()],
    )
    cd.create_application(applicationName=APP, computePlatform="ECS")
    blue_green: dict[str, Any] = {
        "terminateBlueInstancesOnDeploymentSuccess": {
            "action": "TERMINATE",
            "terminationWaitTimeInMinutes": termination,
        },
        "deploymentReadyOption": ready or {"actionOnTimeout": "CONTINUE_DEPLOYMENT"},
    }
    cd.create_deployment_group(
        applicationName=APP,
        deploymentGroupName=GROUP,
        deploymentConfigName=config,
        serviceRoleArn=ROLE,
        deploymentStyle={
            "deploymentType": "BLUE_GREEN",
            "deploymentOption": "WITH_TRAFFIC_CONTROL",
        },
        blueGreenDeploymentConfiguration=blue_green,
        autoRollbackConfiguration={"enabled": rollback, "events": ["DEPLOYMENT_FAILURE"]},
        ecsServices=[{"serviceName": SERVICE, "clusterName": CLUSTER}],
        loadBalancerInfo={
            "targetGroupPairInfoList": [
                {
                    "targetGroups": [{"name": "blue"}, {"name": "green"}],
                    "prodTrafficRoute": {
                        "listenerArns": ["arn:aws:elasticloadbalancing:listener/1"]
                    },
                }
            ]
        },
    )
    return old, new


def _appspec(task_definition: str, hooks: dict[str, str] | None = None) -> str:
    spec: dict[str, Any] = {
        "version": 0.0,
        "Resources": [
            {
                "TargetService": {
                    "Type": "AWS::ECS::Service",
                    "Properties": {
                        "TaskDefinition": task_definition,
                        "LoadBalancerInfo": {"ContainerName": "app", "ContainerPort": 8000},
                    },
                }
            }
        ],
    }
    if hooks:
        spec["Hooks"] = [{event: function} for event, function in hooks.items()]
    return json.dumps(spec)


def _deploy(cd: Any, new: str, hooks: dict[str, str] | None = None) -> str:
    content = _appspec(new, hooks)
    return str(
        cd.create_deployment(
            applicationName=APP,
            deploymentGroupName=GROUP,
            revision={"revisionType": "AppSpecContent", "appSpecContent": {"content": content}},
        )["deploymentId"]
    )


def _poll(cd: Any, deployment_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """One tick (GetDeployment), then the ECS target through the list and the batch read."""
    info = cd.get_deployment(deploymentId=deployment_id)["deploymentInfo"]
    (target_id,) = cd.list_deployment_targets(deploymentId=deployment_id)["targetIds"]
    (target,) = cd.batch_get_deployment_targets(deploymentId=deployment_id, targetIds=[target_id])[
        "deploymentTargets"
    ]
    return info, target["ecsTarget"]


def _run(
    cd: Any, deployment_id: str, limit: int = 40
) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    seen = []
    for _ in range(limit):
        seen.append(_poll(cd, deployment_id))
        if seen[-1][0]["status"] in ("Succeeded", "Failed", "Stopped"):
            return seen
    raise AssertionError(f"not finished after {limit} polls: {seen[-1][0]['status']}")


def _events(target: dict[str, Any]) -> dict[str, str]:
    return {e["lifecycleEventName"]: e["status"] for e in target["lifecycleEvents"]}


def _task_sets(ecs: Any) -> list[dict[str, Any]]:
    return list(
        ecs.describe_services(cluster=CLUSTER, services=[SERVICE])["services"][0]["taskSets"]
    )


def test_a_code_deploy_service_starts_with_one_primary_task_set(clients, bodies) -> None:
    ecs, cd = clients
    old, new = _setup(ecs, cd)
    service = ecs.describe_services(cluster=CLUSTER, services=[SERVICE])["services"][0]
    assert service["deployments"] == []
    (task_set,) = service["taskSets"]
    assert (task_set["status"], task_set["taskDefinition"], task_set["runningCount"]) == (
        "PRIMARY",
        old,
        2,
    )
    assert task_set["stabilityStatus"] == "STEADY_STATE"
    assert service["runningCount"] == 2
    with pytest.raises(ClientError, match="CodeDeploy"):
        ecs.update_service(cluster=CLUSTER, service=SERVICE, taskDefinition=new)
    assert _problems(bodies) == []


def test_success_goes_through_every_event_in_order_and_swaps_the_task_sets(clients, bodies) -> None:
    ecs, cd = clients
    old, new = _setup(ecs, cd)
    deployment_id = _deploy(cd, new)
    assert len(deployment_id) == 11 and deployment_id.startswith("d-")
    first = cd.get_deployment(deploymentId=deployment_id)["deploymentInfo"]
    seen = _run(cd, deployment_id)
    info, target = seen[-1]
    assert first["status"] == "InProgress" and info["status"] == "Succeeded"
    assert list(_events(target)) == EVENTS and set(_events(target).values()) == {"Succeeded"}
    starts = [e["startTime"] for e in target["lifecycleEvents"]]
    assert starts == sorted(starts)
    assert target["targetId"] == f"{CLUSTER}:{SERVICE}" and target["status"] == "Succeeded"
    weights = [{s["taskSetLabel"]: s["trafficWeight"] for s in t["taskSetsInfo"]} for _, t in seen]
    assert weights[0] == {"Blue": 100.0, "Green": 0.0} and weights[-1]["Green"] == 100.0
    (task_set,) = _task_sets(ecs)
    assert (task_set["status"], task_set["taskDefinition"]) == ("PRIMARY", new)
    assert task_set["externalId"] == deployment_id and task_set["startedBy"] == "CODE_DEPLOY"
    service = ecs.describe_services(cluster=CLUSTER, services=[SERVICE])["services"][0]
    assert service["taskDefinition"] == new and service["runningCount"] == 2
    assert old != new
    assert _problems(bodies) == []


def test_the_termination_wait_holds_the_original_until_continue(clients, bodies) -> None:
    ecs, cd = clients
    _, new = _setup(ecs, cd, termination=60)
    deployment_id = _deploy(cd, new)
    for _ in range(10):
        info, target = _poll(cd, deployment_id)
        if _events(target)["AfterAllowTraffic"] == "Succeeded":
            break
    assert info["status"] == "InProgress" and info["instanceTerminationWaitTimeStarted"] is True
    assert {s["status"] for s in _task_sets(ecs)} == {"PRIMARY", "ACTIVE"}
    cd.continue_deployment(deploymentId=deployment_id, deploymentWaitType="TERMINATION_WAIT")
    info, _ = _poll(cd, deployment_id)
    assert info["status"] == "Succeeded" and len(_task_sets(ecs)) == 1
    assert _problems(bodies) == []


def test_a_failed_hook_fails_the_deployment_and_codedeploy_rolls_back(clients, bodies) -> None:
    ecs, cd = clients
    old, new = _setup(ecs, cd, {"simulator:codedeploy-fail-hook": "AfterAllowTestTraffic"})
    deployment_id = _deploy(cd, new, {"AfterAllowTestTraffic": "CheckTest", "AfterInstall": "Ok"})
    info, target = _run(cd, deployment_id)[-1]
    assert info["status"] == "Failed"
    assert info["errorInformation"]["code"] == "HOOK_EXECUTION_FAILURE"
    assert "CheckTest" in info["errorInformation"]["message"]
    assert _events(target)["AfterAllowTestTraffic"] == "Failed"
    assert _events(target)["AfterInstall"] == "Succeeded"
    rollback_id = info["rollbackInfo"]["rollbackDeploymentId"]
    rollback = cd.get_deployment(deploymentId=rollback_id)["deploymentInfo"]
    assert rollback["creator"] == "codeDeployRollback"
    assert rollback["rollbackInfo"]["rollbackTriggeringDeploymentId"] == deployment_id
    for _ in range(3):
        rollback = cd.get_deployment(deploymentId=rollback_id)["deploymentInfo"]
    assert rollback["status"] == "Succeeded"
    (task_set,) = _task_sets(ecs)
    assert (task_set["status"], task_set["taskDefinition"]) == ("PRIMARY", old)
    assert _problems(bodies) == []


def test_replacement_tasks_that_crash_fail_install(clients, bodies) -> None:
    ecs, cd = clients
    _, new = _setup(
        ecs, cd, {"simulator:scenario": "crash-loop", "simulator:exit-code": "3"}, rollback=False
    )
    deployment_id = _deploy(cd, new)
    info, target = _run(cd, deployment_id)[-1]
    assert info["status"] == "Failed" and info["errorInformation"]["code"] == "ECS_UPDATE_ERROR"
    assert _events(target)["Install"] == "Failed" and "rollbackInfo" not in info
    green = next(s for s in _task_sets(ecs) if s.get("externalId") == deployment_id)
    stopped = ecs.list_tasks(cluster=CLUSTER, startedBy=green["id"], desiredStatus="STOPPED")
    tasks = ecs.describe_tasks(cluster=CLUSTER, tasks=stopped["taskArns"])["tasks"]
    assert len(tasks) == 3 and {t["taskDefinitionArn"] for t in tasks} == {new}
    assert {t["containers"][0]["exitCode"] for t in tasks} == {3}
    assert _problems(bodies) == []


def test_stop_with_rollback_and_a_second_deployment_while_one_is_active(clients, bodies) -> None:
    ecs, cd = clients
    old, new = _setup(ecs, cd)
    deployment_id = _deploy(cd, new)
    _poll(cd, deployment_id)
    with pytest.raises(ClientError) as caught:
        _deploy(cd, new)
    assert caught.value.response["Error"]["Code"] == "DeploymentLimitExceededException"
    assert deployment_id in caught.value.response["Error"]["Message"]
    active = cd.list_deployments(
        applicationName=APP,
        deploymentGroupName=GROUP,
        includeOnlyStatuses=["Created", "InProgress", "Ready"],
    )
    assert active["deployments"] == [deployment_id]
    answer = cd.stop_deployment(deploymentId=deployment_id, autoRollbackEnabled=True)
    assert answer["status"] == "Pending"
    info, _ = _poll(cd, deployment_id)
    assert info["status"] == "Stopped" and info["errorInformation"]["code"] == "MANUAL_STOP"
    assert info["rollbackInfo"]["rollbackDeploymentId"]
    _poll(cd, deployment_id)
    (task_set,) = _task_sets(ecs)
    assert task_set["taskDefinition"] == old
    with pytest.raises(ClientError, match="DeploymentAlreadyCompletedException"):
        cd.stop_deployment(deploymentId=deployment_id, autoRollbackEnabled=True)
    assert _problems(bodies) == []


def test_canary_shifts_its_percentage_first(clients, bodies) -> None:
    ecs, cd = clients
    _, new = _setup(ecs, cd, config="CodeDeployDefault.ECSCanary10Percent5Minutes")
    weights = [
        {s["taskSetLabel"]: s["trafficWeight"] for s in target["taskSetsInfo"]}["Green"]
        for _, target in _run(cd, _deploy(cd, new))
    ]
    assert 10.0 in weights and weights[-1] == 100.0
    assert weights.count(10.0) == 5
    assert _problems(bodies) == []


def test_ready_wait_holds_until_continue_and_stops_at_its_end(clients, bodies) -> None:
    ecs, cd = clients
    _, new = _setup(ecs, cd, ready={"actionOnTimeout": "STOP_DEPLOYMENT", "waitTimeInMinutes": 3})
    deployment_id = _deploy(cd, new)
    statuses = [_poll(cd, deployment_id)[0]["status"] for _ in range(4)]
    assert "Ready" in statuses
    cd.continue_deployment(deploymentId=deployment_id, deploymentWaitType="READY_WAIT")
    assert _run(cd, deployment_id)[-1][0]["status"] == "Succeeded"
    with pytest.raises(ClientError, match="DeploymentAlreadyCompletedException"):
        cd.continue_deployment(deploymentId=deployment_id, deploymentWaitType="READY_WAIT")
    assert _problems(bodies) == []


def test_every_list_pages_and_groups_come_back_by_batch(clients, bodies) -> None:
    ecs, cd = clients
    _setup(ecs, cd)
    for n in range(4):
        cd.create_application(applicationName=f"other-{n}", computePlatform="ECS")
        cd.create_deployment_group(
            applicationName=APP, deploymentGroupName=f"g{n}", serviceRoleArn=ROLE
        )
    pages = list(cd.get_paginator("list_applications").paginate())
    assert len(pages) > 1 and sum(len(p["applications"]) for p in pages) == 5
    groups = [
        g
        for p in cd.get_paginator("list_deployment_groups").paginate(applicationName=APP)
        for g in p["deploymentGroups"]
    ]
    assert sorted(groups) == sorted([GROUP, "g0", "g1", "g2", "g3"])
    found = cd.batch_get_deployment_groups(
        applicationName=APP, deploymentGroupNames=[GROUP, "nope"]
    )
    assert [g["ecsServices"] for g in found["deploymentGroupsInfo"]] == [
        [{"serviceName": SERVICE, "clusterName": CLUSTER}]
    ]
    assert "nope" in found["errorMessage"]
    assert _problems(bodies) == []


def test_hook_functions_report_through_put_lifecycle_event_hook_execution_status(
    endpoint, clients, bodies
) -> None:
    """CodeDeploy invokes each hook's function with the deployment id and an execution id;
    the function's Succeeded ends the event, its Failed fails the deployment (and CodeDeploy
    rolls back); every documented error of PutLifecycleEventHookExecutionStatus."""
    ecs, cd = clients
    _, new = _setup(ecs, cd, {"simulator:codedeploy-hooks": "lambda"})  # only reports end hooks
    deployment_id = _deploy(cd, new, {"AfterInstall": "Ok", "BeforeAllowTraffic": "Gate"})
    called = _until_invoked(cd, endpoint, deployment_id, "Ok")
    execution = called["Payload"]["LifecycleEventHookExecutionId"]
    assert called["Payload"]["DeploymentId"] == deployment_id
    assert called["LifecycleEventName"] == "AfterInstall"
    for status in ("Pending", "Unknown"):
        with pytest.raises(ClientError, match="InvalidLifecycleEventHookExecutionStatusException"):
            cd.put_lifecycle_event_hook_execution_status(
                deploymentId=deployment_id, lifecycleEventHookExecutionId=execution, status=status
            )
    for kwargs, code in (
        ({}, "DeploymentIdRequiredException"),
        ({"deploymentId": "nope"}, "InvalidDeploymentIdException"),
        ({"deploymentId": "d-AAAAAAAAA"}, "DeploymentDoesNotExistException"),
        ({"deploymentId": deployment_id, "lifecycleEventHookExecutionId": "x"},
         "InvalidLifecycleEventHookExecutionIdException"),
    ):  # fmt: skip
        with pytest.raises(ClientError, match=code):
            cd.put_lifecycle_event_hook_execution_status(**kwargs, status="Succeeded")
    answer = cd.put_lifecycle_event_hook_execution_status(
        deploymentId=deployment_id, lifecycleEventHookExecutionId=execution, status="Succeeded"
    )
    assert answer["lifecycleEventHookExecutionId"] == execution
    with pytest.raises(ClientError, match="LifecycleEventAlreadyCompletedException"):
        cd.put_lifecycle_event_hook_execution_status(
            deploymentId=deployment_id, lifecycleEventHookExecutionId=execution, status="Failed"
        )
    gate = _until_invoked(cd, endpoint, deployment_id, "Gate")
    info, target = _poll(cd, deployment_id)
    assert _events(target)["AfterInstall"] == "Succeeded"
    assert _events(target)["BeforeAllowTraffic"] == "InProgress" and info["status"] == "InProgress"
    cd.put_lifecycle_event_hook_execution_status(
        deploymentId=deployment_id,
        lifecycleEventHookExecutionId=gate["Payload"]["LifecycleEventHookExecutionId"],
        status="Failed",
    )
    info, target = _poll(cd, deployment_id)
    assert info["status"] == "Failed" and _events(target)["BeforeAllowTraffic"] == "Failed"
    assert info["errorInformation"]["code"] == "HOOK_EXECUTION_FAILURE"
    assert "Gate" in info["errorInformation"]["message"]
    assert info["rollbackInfo"]["rollbackDeploymentId"]
    assert _problems(bodies) == []


def _until_invoked(cd: Any, endpoint: str, deployment_id: str, function: str) -> dict[str, Any]:
    """Tick the deployment until CodeDeploy has invoked `function` for it."""
    for _ in range(40):
        found = [
            c
            for c in invocations(endpoint)
            if c["FunctionName"] == function and c["Payload"]["DeploymentId"] == deployment_id
        ]
        if found:
            return found[-1]
        cd.get_deployment(deploymentId=deployment_id)
    raise AssertionError(f"{function} was never invoked")
