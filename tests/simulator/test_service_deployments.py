"""The simulated service deployments (tests/support/service_deployments.py) over HTTP, on a
moto server of their own: the lifecycle, the weights, hooks, detectors, Stop/Continue, and
every answer checked against botocore's output shape (types, required members, enums)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import botocore.session
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from botocore.validate import ParamValidator

from tests.simulator.test_simulator import _post
from tests.support.moto_process import moto_server

CLUSTER = "sim"
SERVICE = "web"
MODEL = botocore.session.get_session().get_service_model("ecs")
PAUSE = {
    "targetType": "PAUSE",
    "lifecycleStages": ["POST_TEST_TRAFFIC_SHIFT"],
    "timeoutConfiguration": {"timeoutInMinutes": 2, "action": "CONTINUE"},
}


def _enum_errors(shape: Any, value: Any, path: str) -> list[str]:
    """ParamValidator does not check enums; walk the shape for them."""
    if shape.type_name == "structure" and isinstance(value, dict):
        return [
            e
            for key, member in shape.members.items()
            if key in value
            for e in _enum_errors(member, value[key], f"{path}.{key}")
        ]
    if shape.type_name == "list" and isinstance(value, list):
        return [
            e
            for i, item in enumerate(value)
            for e in _enum_errors(shape.member, item, f"{path}[{i}]")
        ]
    if getattr(shape, "enum", None) and value not in shape.enum:
        return [f"{path}: {value!r} not in {shape.enum}"]
    return []


def valid(operation: str, answer: dict[str, Any]) -> dict[str, Any]:
    """The answer without ResponseMetadata, valid against the operation's output shape."""
    body = {k: v for k, v in answer.items() if k != "ResponseMetadata"}
    shape = MODEL.operation_model(operation).output_shape
    report = ParamValidator().validate(body, shape)
    assert not report.has_errors(), report.generate_report()
    assert _enum_errors(shape, body, operation) == []
    return body


@pytest.fixture(scope="module")
def endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with moto_server(tmp_path_factory.mktemp("native") / "moto_server.log") as url:
        yield url


@pytest.fixture
def ecs(endpoint: str) -> Any:
    _post(f"{endpoint}/moto-api/reset")
    client = boto3.client(
        "ecs",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(proxies={}, retries={"max_attempts": 1}),
    )
    client.create_cluster(clusterName=CLUSTER)
    return client


def deploy(ecs: Any, tags: dict[str, str] | None = None, **config: Any) -> tuple[str, str, str]:
    """A steady service on revision 1 with `config`, updated to revision 2: (old, new, ARN)."""
    old, new = (
        ecs.register_task_definition(
            family=SERVICE,
            containerDefinitions=[{"name": "app", "image": f"app:{n}", "memory": 256}],
        )["taskDefinition"]["taskDefinitionArn"]
        for n in (1, 2)
    )
    ecs.create_service(
        cluster=CLUSTER,
        serviceName=SERVICE,
        taskDefinition=old,
        desiredCount=2,
        deploymentConfiguration=config,
        tags=[{"key": k, "value": v} for k, v in (tags or {}).items()],
    )
    service = valid(
        "UpdateService", ecs.update_service(cluster=CLUSTER, service=SERVICE, taskDefinition=new)
    )["service"]
    return old, new, service.get("currentServiceDeployment", "")


def poll(ecs: Any, arn: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """One tick (DescribeServices), then the service deployment: both validated."""
    service = valid("DescribeServices", ecs.describe_services(cluster=CLUSTER, services=[SERVICE]))[
        "services"
    ][0]
    (found,) = valid(
        "DescribeServiceDeployments", ecs.describe_service_deployments(serviceDeploymentArns=[arn])
    )["serviceDeployments"]
    return service, found


def run(ecs: Any, arn: str, limit: int = 60) -> list[dict[str, Any]]:
    """Every poll's service deployment until it finishes."""
    seen = []
    for _ in range(limit):
        seen.append(poll(ecs, arn)[1])
        if seen[-1]["status"] in ("SUCCESSFUL", "STOPPED", "ROLLBACK_SUCCESSFUL"):
            return seen
    raise AssertionError(f"not finished after {limit} polls: {seen[-1]}")


def test_blue_green_goes_through_the_stages_in_order_and_completes(ecs) -> None:
    _, new, arn = deploy(ecs, strategy="BLUE_GREEN", bakeTimeInMinutes=2)
    assert arn.startswith(
        f"arn:aws:ecs:us-east-1:123456789012:service-deployment/{CLUSTER}/{SERVICE}/"
    )
    listed, created = valid(
        "ListServiceDeployments", ecs.list_service_deployments(cluster=CLUSTER, service=SERVICE)
    )["serviceDeployments"]
    assert (listed["serviceDeploymentArn"], listed["status"]) == (arn, "PENDING")
    assert created["status"] == "SUCCESSFUL"  # "a user creates a service" is one too
    seen = run(ecs, arn)
    assert list(dict.fromkeys(s["lifecycleStage"] for s in seen)) == [
        "PRE_SCALE_UP",
        "SCALE_UP",
        "POST_SCALE_UP",
        "TEST_TRAFFIC_SHIFT",
        "POST_TEST_TRAFFIC_SHIFT",
        "PRODUCTION_TRAFFIC_SHIFT",
        "POST_PRODUCTION_TRAFFIC_SHIFT",
        "BAKE_TIME",
        "CLEAN_UP",
    ]
    assert [s["lifecycleStage"] for s in seen].count("BAKE_TIME") == 2  # two simulated minutes
    last = seen[-1]
    assert last["status"] == "SUCCESSFUL" and "finishedAt" in last
    assert last["targetServiceRevision"]["requestedProductionTrafficWeight"] == 100.0
    assert last["sourceServiceRevisions"][0]["runningTaskCount"] == 0
    service = poll(ecs, arn)[0]
    assert service["taskDefinition"] == new
    assert [(d["taskDefinition"], d["rolloutState"]) for d in service["deployments"]] == [
        (new, "COMPLETED")
    ]
    with pytest.raises(ClientError, match="ConflictException"):
        ecs.stop_service_deployment(serviceDeploymentArn=arn, stopType="ROLLBACK")


def test_while_it_runs_both_revisions_serve_and_the_service_is_not_rolled(ecs) -> None:
    old, new, arn = deploy(ecs, strategy="BLUE_GREEN", bakeTimeInMinutes=1)
    for _ in range(4):
        service, found = poll(ecs, arn)
    assert found["lifecycleStage"] == "TEST_TRAFFIC_SHIFT"
    assert [
        (d["taskDefinition"], d["status"], d["runningCount"]) for d in service["deployments"]
    ] == [(new, "PRIMARY", 2), (old, "ACTIVE", 2)]
    assert service["runningCount"] == 4


def test_linear_and_canary_weights(ecs) -> None:
    _, _, arn = deploy(
        ecs,
        strategy="LINEAR",
        linearConfiguration={"stepPercent": 30.0, "stepBakeTimeInMinutes": 2},
    )
    weights = [
        s["targetServiceRevision"]["requestedProductionTrafficWeight"]
        for s in run(ecs, arn)
        if s["lifecycleStage"] == "PRODUCTION_TRAFFIC_SHIFT"
    ]
    assert weights == [0.0, 30.0, 30.0, 60.0, 60.0, 90.0, 90.0, 100.0]


def test_canary_weights(ecs) -> None:
    _, _, arn = deploy(
        ecs,
        strategy="CANARY",
        canaryConfiguration={"canaryPercent": 5.0, "canaryBakeTimeInMinutes": 3},
    )
    seen = [s for s in run(ecs, arn) if s["lifecycleStage"] == "PRODUCTION_TRAFFIC_SHIFT"]
    assert [s["targetServiceRevision"]["requestedProductionTrafficWeight"] for s in seen] == [
        0.0,
        5.0,
        5.0,
        5.0,
        100.0,
    ]
    assert [s["sourceServiceRevisions"][0]["requestedProductionTrafficWeight"] for s in seen][
        -2:
    ] == [95.0, 0.0]


def test_alarm_with_rollback_goes_back_to_the_source(ecs) -> None:
    old, _, arn = deploy(
        ecs,
        tags={"simulator:native-scenario": "alarm"},
        strategy="CANARY",
        alarms={"alarmNames": ["web-5xx"], "enable": True, "rollback": True},
    )
    seen = run(ecs, arn)
    assert [s["status"] for s in seen][-3:] == [
        "ROLLBACK_REQUESTED",
        "ROLLBACK_IN_PROGRESS",
        "ROLLBACK_SUCCESSFUL",
    ]
    last = seen[-1]
    assert last["alarms"] == {
        "status": "TRIGGERED",
        "alarmNames": ["web-5xx"],
        "triggeredAlarmNames": ["web-5xx"],
    }
    assert last["rollback"]["serviceRevisionArn"] == last["sourceServiceRevisions"][0]["arn"]
    assert "web-5xx" in last["rollback"]["reason"]
    service = poll(ecs, arn)[0]
    assert service["taskDefinition"] == old
    assert [d["taskDefinition"] for d in service["deployments"]] == [old]


def test_circuit_breaker_without_rollback_stops(ecs) -> None:
    _, _, arn = deploy(
        ecs,
        tags={"simulator:native-scenario": "circuit-breaker"},
        strategy="BLUE_GREEN",
        deploymentCircuitBreaker={"enable": True, "rollback": False},
    )
    last = run(ecs, arn)[-1]
    assert (last["status"], last["lifecycleStage"]) == ("STOPPED", "SCALE_UP")
    assert last["deploymentCircuitBreaker"] == {
        "status": "TRIGGERED",
        "failureCount": 3,
        "threshold": 3,
    }
    assert "stoppedAt" in last and "rollback" not in last


def test_pause_hook_waits_until_continued(ecs) -> None:
    _, _, arn = deploy(
        ecs,
        strategy="BLUE_GREEN",
        lifecycleHooks=[
            {**PAUSE, "timeoutConfiguration": {"timeoutInMinutes": 100, "action": "ROLLBACK"}}
        ],
    )
    for _ in range(8):
        _, found = poll(ecs, arn)
    (hook,) = found["lifecycleHookDetails"]
    assert (found["lifecycleStage"], hook["status"], hook["targetType"], hook["timeoutAction"]) == (
        "POST_TEST_TRAFFIC_SHIFT",
        "AWAITING_ACTION",
        "PAUSE",
        "ROLLBACK",
    )
    assert hook["hookId"].startswith("ecs-pause-") and "expiresAt" in hook
    with pytest.raises(ClientError, match="InvalidParameterException"):
        ecs.continue_service_deployment(serviceDeploymentArn=arn, hookId="ecs-pause-nope")
    valid(
        "ContinueServiceDeployment",
        ecs.continue_service_deployment(
            serviceDeploymentArn=arn, hookId=hook["hookId"], action="CONTINUE"
        ),
    )
    _, found = poll(ecs, arn)
    assert found["lifecycleStage"] == "PRODUCTION_TRAFFIC_SHIFT"
    assert found["lifecycleHookDetails"][0]["status"] == "SUCCEEDED"


def test_pause_hook_timeout_applies_its_action(ecs) -> None:
    _, _, arn = deploy(ecs, strategy="BLUE_GREEN", lifecycleHooks=[PAUSE])
    seen = run(ecs, arn)
    assert seen[-1]["status"] == "SUCCESSFUL"  # the timeout action is CONTINUE
    assert seen[-1]["lifecycleHookDetails"][0]["status"] == "TIMED_OUT"
    assert [s["lifecycleStage"] for s in seen].count("POST_TEST_TRAFFIC_SHIFT") == 2  # minutes


def test_stop_with_rollback_reverses_a_running_deployment(ecs) -> None:
    old, _, arn = deploy(ecs, strategy="BLUE_GREEN", bakeTimeInMinutes=1440)
    for _ in range(10):
        _, found = poll(ecs, arn)
    assert found["lifecycleStage"] == "BAKE_TIME"
    assert valid(
        "StopServiceDeployment",
        ecs.stop_service_deployment(serviceDeploymentArn=arn, stopType="ROLLBACK"),
    ) == {"serviceDeploymentArn": arn}
    again = ecs.stop_service_deployment(serviceDeploymentArn=arn, stopType="ROLLBACK")
    assert again["serviceDeploymentArn"] == arn  # rolling back already: nothing changes
    assert [s["status"] for s in run(ecs, arn)] == ["ROLLBACK_IN_PROGRESS", "ROLLBACK_SUCCESSFUL"]
    assert poll(ecs, arn)[0]["taskDefinition"] == old


def test_unknown_arns_are_failures_and_lists_filter(ecs) -> None:
    _, _, arn = deploy(ecs, strategy="BLUE_GREEN")
    missing = arn[:-3] + "zzz"
    answer = valid(
        "DescribeServiceDeployments",
        ecs.describe_service_deployments(serviceDeploymentArns=[arn, missing]),
    )
    assert [d["serviceDeploymentArn"] for d in answer["serviceDeployments"]] == [arn]
    assert answer["failures"] == [{"arn": missing, "reason": "MISSING"}]
    successful = ecs.list_service_deployments(
        cluster=CLUSTER, service=SERVICE, status=["SUCCESSFUL"]
    )["serviceDeployments"]
    assert [d["status"] for d in successful] == ["SUCCESSFUL"]  # the creation, not the update
    assert successful[0]["serviceDeploymentArn"] != arn
    with pytest.raises(ClientError, match="ServiceDeploymentNotFoundException"):
        ecs.stop_service_deployment(serviceDeploymentArn=missing)


def test_a_rolling_service_gets_its_service_deployments_from_service_history(ecs) -> None:
    _, _, arn = deploy(ecs)
    listed = ecs.list_service_deployments(cluster=CLUSTER, service=SERVICE)["serviceDeployments"]
    assert listed[0]["serviceDeploymentArn"] == arn
    assert [d["status"] for d in listed] == ["PENDING", "SUCCESSFUL"]  # the update, the creation


def test_unknown_scenario_is_rejected(ecs) -> None:
    with pytest.raises(ClientError, match="native-scenario"):
        deploy(ecs, tags={"simulator:native-scenario": "explode"}, strategy="BLUE_GREEN")
