"""The one-off task simulator seen as the tool sees it: boto3 over HTTP to moto_server.

Every answer is checked against botocore's OUTPUT shape for its operation: each key of the
raw JSON is a member of the shape, required members are present, types and enums match.
"""

from __future__ import annotations

import datetime
import json
import urllib.request
from collections.abc import Iterator
from typing import Any

import boto3
import botocore.session
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from botocore.model import Shape

from tests.support.moto_process import moto_server

CLUSTER = "sim"
NETWORK = {
    "awsvpcConfiguration": {
        "subnets": ["subnet-1"],
        "securityGroups": ["sg-1"],
        "assignPublicIp": "DISABLED",
    }
}
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))
_MODEL = botocore.session.get_session().get_service_model("ecs")


def _shape_problems(value: Any, shape: Shape, path: str) -> list[str]:
    """Where a raw JSON answer leaves botocore's output shape (keys, types, enums)."""
    kind = shape.type_name
    if kind == "structure":
        if not isinstance(value, dict):
            return [f"{path}: {type(value).__name__}, not an object"]
        problems = [
            f"{path}.{key}: not in {shape.name}" for key in value if key not in shape.members
        ]
        problems += [
            f"{path}.{key}: required, missing" for key in shape.required_members if key not in value
        ]
        for key, item in value.items():
            if key in shape.members and item is not None:
                problems += _shape_problems(item, shape.members[key], f"{path}.{key}")
        return problems
    if kind == "list":
        if not isinstance(value, list):
            return [f"{path}: not a list"]
        return [
            p
            for i, item in enumerate(value)
            for p in _shape_problems(item, shape.member, f"{path}[{i}]")
        ]  # type: ignore[attr-defined]
    expected = {
        "string": str,
        "integer": int,
        "long": int,
        "boolean": bool,
        "timestamp": (int, float),
        "map": dict,
    }.get(kind)
    if expected and (
        not isinstance(value, expected) or (kind != "boolean" and isinstance(value, bool))
    ):
        return [f"{path}: {value!r} is not a {kind}"]
    if kind == "string" and shape.enum and value not in shape.enum:
        return [f"{path}: {value!r} not in {shape.name} {shape.enum}"]
    return []


@pytest.fixture(scope="module")
def endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    try:
        with moto_server(tmp_path_factory.mktemp("run-task-sim") / "moto_server.log") as url:
            yield url
    except RuntimeError as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture
def ecs(endpoint: str) -> Any:
    """An ECS client on an emptied moto, with a cluster; every answer checked by its shape."""
    with _OPENER.open(
        urllib.request.Request(f"{endpoint}/moto-api/reset", data=b"", method="POST"), timeout=10
    ):
        pass
    client = boto3.client(
        "ecs",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(proxies={}, retries={"max_attempts": 1}),
    )

    def check(http_response: Any, model: Any, **_: Any) -> None:
        if http_response.status_code == 200 and model.output_shape is not None:
            problems = _shape_problems(
                json.loads(http_response.content or b"{}"), model.output_shape, model.name
            )
            assert not problems, problems

    client.meta.events.register("after-call.ecs.*", check)
    client.create_cluster(clusterName=CLUSTER)
    return client


def _task_definition(
    ecs: Any, *, env: dict[str, str] | None = None, network_mode: str = "awsvpc"
) -> str:
    """A migrate container (essential) and a non-essential sidecar that exits 0."""
    return str(
        ecs.register_task_definition(
            family="app-migrate",
            networkMode=network_mode,
            requiresCompatibilities=["FARGATE"] if network_mode == "awsvpc" else ["EC2"],
            cpu="256",
            memory="512",
            containerDefinitions=[
                {
                    "name": "migrate",
                    "image": "app:1",
                    "essential": True,
                    "environment": [{"name": k, "value": v} for k, v in (env or {}).items()],
                },
                {"name": "sidecar", "image": "agent:1", "essential": False},
            ],
        )["taskDefinition"]["taskDefinitionArn"]
    )


def _run(ecs: Any, task_definition: str, **extra: Any) -> dict[str, Any]:
    extra.setdefault("networkConfiguration", NETWORK)
    extra.setdefault("launchType", "FARGATE")
    answer = ecs.run_task(
        cluster=CLUSTER, taskDefinition=task_definition, startedBy="compose-ecs-deploy/abc", **extra
    )
    assert answer["failures"] == []
    (task,) = answer["tasks"]
    return dict(task)


def _describe(ecs: Any, arn: str) -> dict[str, Any]:
    (task,) = ecs.describe_tasks(cluster=CLUSTER, tasks=[arn])["tasks"]
    return dict(task)


def _exit_codes(task: dict[str, Any]) -> dict[str, Any]:
    return {c["name"]: c.get("exitCode") for c in task["containers"]}


def test_a_run_task_goes_through_the_lifecycle_one_state_per_describe(ecs) -> None:
    task = _run(ecs, _task_definition(ecs))
    assert (task["lastStatus"], task["desiredStatus"]) == ("PROVISIONING", "RUNNING")
    assert task["startedBy"] == "compose-ecs-deploy/abc"
    assert task["group"] == "family:app-migrate"
    states = [_describe(ecs, task["taskArn"]) for _ in range(5)]
    assert [t["lastStatus"] for t in states] == [
        "PENDING",
        "RUNNING",
        "DEPROVISIONING",
        "STOPPED",
        "STOPPED",
    ]
    assert "startedAt" not in states[0] and "startedAt" in states[1]
    assert states[2]["desiredStatus"] == "STOPPED"
    stopped = states[3]
    assert isinstance(stopped["stoppedAt"], datetime.datetime)
    assert stopped["stopCode"] == "EssentialContainerExited"
    assert stopped["stoppedReason"] == "Essential container in task exited"
    assert _exit_codes(stopped) == {"migrate": 0, "sidecar": 0}
    assert stopped["version"] > task["version"]


def test_exit_code_and_reason_come_from_the_container_environment(ecs) -> None:
    arn = _task_definition(
        ecs,
        env={
            "SIMULATOR_EXIT_CODE": "2",
            "SIMULATOR_TICKS": "1",
            "SIMULATOR_REASON": "migration failed",
        },
    )
    task = _describe(ecs, _run(ecs, arn)["taskArn"])
    assert task["lastStatus"] == "STOPPED"  # ticks=1: stopped at the first describe
    migrate = next(c for c in task["containers"] if c["name"] == "migrate")
    assert (migrate["exitCode"], migrate["reason"]) == (2, "migration failed")
    assert _exit_codes(task)["sidecar"] == 0


def test_overrides_lay_over_the_environment_and_carry_the_command(ecs) -> None:
    arn = _task_definition(ecs, env={"SIMULATOR_EXIT_CODE": "2", "SIMULATOR_TICKS": "1"})
    overrides = {
        "containerOverrides": [
            {
                "name": "migrate",
                "command": ["npm", "run", "backfill"],
                "environment": [{"name": "SIMULATOR_EXIT_CODE", "value": "5"}],
            }
        ]
    }
    task = _describe(ecs, _run(ecs, arn, overrides=overrides)["taskArn"])
    assert _exit_codes(task)["migrate"] == 5
    assert task["overrides"]["containerOverrides"][0]["command"] == ["npm", "run", "backfill"]


def test_tags_choose_the_exit_code_when_the_environment_does_not(ecs) -> None:
    tags = [{"key": "simulator:exit-code", "value": "3"}, {"key": "simulator:ticks", "value": "2"}]
    task = _run(ecs, _task_definition(ecs), tags=tags)
    assert _describe(ecs, task["taskArn"])["lastStatus"] == "DEPROVISIONING"
    stopped = _describe(ecs, task["taskArn"])
    assert stopped["lastStatus"] == "STOPPED"
    assert _exit_codes(stopped) == {"migrate": 3, "sidecar": 3}  # a task tag: every container


def test_stop_task_stops_a_task_that_never_ends_with_sigterm(ecs) -> None:
    task = _run(ecs, _task_definition(ecs, env={"SIMULATOR_TICKS": "never"}))
    for _ in range(6):
        assert _describe(ecs, task["taskArn"])["lastStatus"] in ("PENDING", "RUNNING")
    answer = ecs.stop_task(cluster=CLUSTER, task=task["taskArn"], reason="run-timeout")["task"]
    assert (answer["lastStatus"], answer["desiredStatus"]) == ("RUNNING", "STOPPED")
    assert answer["stopCode"] == "UserInitiated"
    stopped = _describe(ecs, task["taskArn"])
    assert stopped["lastStatus"] == "STOPPED"
    assert stopped["stoppedReason"] == "run-timeout"
    assert _exit_codes(stopped) == {"migrate": 143, "sidecar": 143}
    again = ecs.stop_task(cluster=CLUSTER, task=task["taskArn"], reason="again")["task"]
    assert again["stoppedReason"] == "run-timeout"


def test_without_awsvpc_there_is_no_provisioning(ecs) -> None:
    arn = _task_definition(ecs, network_mode="bridge")
    task = _run(ecs, arn, networkConfiguration={}, launchType="EC2")
    assert task["lastStatus"] == "PENDING"
    states = [_describe(ecs, task["taskArn"])["lastStatus"] for _ in range(4)]
    assert states == ["PENDING", "RUNNING", "RUNNING", "STOPPED"]


def test_awsvpc_needs_a_network_configuration(ecs) -> None:
    with pytest.raises(ClientError, match="Network Configuration must be provided"):
        _run(ecs, _task_definition(ecs), networkConfiguration={})


def test_a_client_token_makes_run_task_idempotent(ecs) -> None:
    arn = _task_definition(ecs)
    first = _run(ecs, arn, clientToken="token-1")
    second = _run(ecs, arn, clientToken="token-1")
    third = _run(ecs, arn, clientToken="token-2")
    assert first["taskArn"] == second["taskArn"] != third["taskArn"]
    listed = ecs.list_tasks(cluster=CLUSTER, startedBy="compose-ecs-deploy/abc")["taskArns"]
    assert sorted(listed) == sorted({first["taskArn"], third["taskArn"]})


def test_a_bad_knob_is_rejected(ecs) -> None:
    with pytest.raises(ClientError, match="SIMULATOR_EXIT_CODE"):
        _run(ecs, _task_definition(ecs, env={"SIMULATOR_EXIT_CODE": "two"}))
