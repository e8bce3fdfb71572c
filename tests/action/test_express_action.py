"""Express Mode through the action's container, as the runner runs it: `express: true` creates
the Express service and sets the output `url`, shown as a link in the job summary; a later
deploy updates it (a canary ECS runs) and an unchanged one writes nothing and gives the URL
again; a worker beside Main depends on it; a failed update is rolled back by ECS and explained;
without `infrastructure-role-arn` nothing is written; then `command: preview up` and
`preview down` (twice) for a pull request. What the action asked of ECS is counted by a
proxy between the container and moto (tests/support/fault_proxy.py, with no fault rules)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.action.test_runner_harness import (  # the harness's fixtures and helpers
    ACCOUNT,
    CLUSTER,
    EXECUTION_ROLE,
    SHA,
    action,
    workspace,
)
from tests.support import runner, terraform
from tests.support.fault_proxy import FaultProxy

pytestmark = pytest.mark.stack
__all__ = ["action", "workspace"]  # fixtures, used by name
ROLE = f"arn:aws:iam::{ACCOUNT}:role/ecsInfrastructureRoleForExpressServices"
WRITES = (
    "RegisterTaskDefinition",
    "CreateExpressGatewayService",
    "UpdateExpressGatewayService",
    "DeleteExpressGatewayService",
    "UpdateService",
    "CreateService",
    "StopServiceDeployment",
    "TagResource",
    "CreateLogGroup",
)


@pytest.fixture
def express_workspace(workspace: Path, aws_client) -> Path:
    """The hello app with its execution role in x-ecs (there is no running revision to take
    it from), in a cluster with no service yet."""
    compose = workspace / "compose.yaml"
    compose.write_text(compose.read_text() + f"x-ecs:\n  executionRoleArn: {EXECUTION_ROLE}\n")
    aws_client("ecs").create_cluster(clusterName=CLUSTER)
    terraform.roles(aws_client("iam"), EXECUTION_ROLE, ROLE)  # a deploy looks them up first
    return workspace


def inputs(**extra: str) -> dict[str, str]:
    return {
        "compose-file": "compose.yaml",
        "images": "web=example/hello:2",
        "cluster": CLUSTER,
        "ecs-service": "hello",
        "aws-region": "us-east-1",
        "infrastructure-role-arn": ROLE,
        "health-check-path": "/health",
        "poll-interval": "5",
        **extra,
    }


@pytest.fixture
def counted(aws_env: dict[str, str]) -> Iterator[FaultProxy]:
    """A proxy with no fault rules between the action and moto: what reached ECS, by action."""
    proxy = FaultProxy(upstream=aws_env["AWS_ENDPOINT_URL"]).start()
    yield proxy
    proxy.stop()


def run_counted(
    action, stack, docker_client, workspace: Path, proxy: FaultProxy, **given: str
) -> runner.RunResult:
    """The action, its AWS calls through `proxy`; the proxy's counts start afresh."""
    proxy.forwarded.clear()
    return runner.run_action(
        action.tag,
        workspace,
        given,
        stack=stack,
        client=docker_client,
        github=runner.GitHub(repository="example/hello", sha=SHA),
        env={"BASE_IMAGE": stack.base_image, "AWS_ENDPOINT_URL": proxy.url},
    )


def writes(proxy: FaultProxy) -> dict[str, int]:
    return {name: n for name, n in proxy.forwarded.items() if name in WRITES}


FIRST_DEPLOY = {  # a first deploy also makes the default log group /ecs/hello
    "CreateLogGroup": 1,
    "RegisterTaskDefinition": 1,
    "CreateExpressGatewayService": 1,
}


def test_express_true_creates_the_service_and_sets_the_url(
    action, stack, docker_client, aws_client, express_workspace, counted
) -> None:
    result = run_counted(
        action, stack, docker_client, express_workspace, counted, **inputs(express="true")
    )
    assert result.exit_code == 0, result.describe()
    assert writes(counted) == FIRST_DEPLOY
    url = result.outputs["url"]
    assert url.startswith("https://") and url.endswith(".on.aws")
    assert f"[{url}]({url})" in result.summary
    (service,) = aws_client("ecs").describe_services(cluster=CLUSTER, services=["hello"])[
        "services"
    ]
    assert service["resourceManagementType"] == "ECS"


def test_a_preview_up_then_down_twice(
    action, stack, docker_client, aws_client, express_workspace, counted
) -> None:
    up = run_counted(
        action,
        stack,
        docker_client,
        express_workspace,
        counted,
        **inputs(command="preview up", **{"preview-name": "pr-3", "pull-request": "3"}),
    )
    assert up.exit_code == 0, up.describe()
    assert writes(counted) == FIRST_DEPLOY  # tagged at Create: no TagResource
    assert up.outputs["url"].startswith("https://")
    ecs = aws_client("ecs")
    (service,) = ecs.describe_services(cluster=CLUSTER, services=["hello-pr-3"], include=["TAGS"])[
        "services"
    ]
    tags = {t["key"]: t["value"] for t in service["tags"]}
    assert tags["compose-ecs-deploy:pull-request"] == "3"
    for deleted in ({"DeleteExpressGatewayService": 1}, {}):  # the second: already draining
        down = run_counted(
            action,
            stack,
            docker_client,
            express_workspace,
            counted,
            **{
                "command": "preview down",
                "preview-name": "pr-3",
                "cluster": CLUSTER,
                "ecs-service": "hello",
                "aws-region": "us-east-1",
            },
        )
        assert down.exit_code == 0, down.describe()
        assert writes(counted) == deleted
    (after,) = ecs.describe_services(cluster=CLUSTER, services=["hello-pr-3"])["services"]
    assert after["status"] in ("DRAINING", "INACTIVE")


def test_a_later_deploy_updates_the_service_with_a_canary(
    action, stack, docker_client, aws_client, express_workspace, counted
) -> None:
    first = run_counted(
        action, stack, docker_client, express_workspace, counted, **inputs(express="true")
    )
    assert first.exit_code == 0, first.describe()
    assert writes(counted)["CreateExpressGatewayService"] == 1
    ecs = aws_client("ecs")
    before = ecs.list_service_deployments(cluster=CLUSTER, service="hello")["serviceDeployments"]

    result = run_counted(
        action,
        stack,
        docker_client,
        express_workspace,
        counted,
        **inputs(express="true", images="web=example/hello:3"),
    )
    assert result.exit_code == 0, result.describe()
    assert writes(counted) == {"RegisterTaskDefinition": 1, "UpdateExpressGatewayService": 1}
    outputs = result.outputs
    assert outputs["changed"] == "true"
    assert outputs["url"] == first.outputs["url"]  # the same service, the same address
    assert f"[{outputs['url']}]({outputs['url']})" in result.summary
    assert "production traffic 5%" in result.stdout and "SUCCESSFUL" in result.stdout
    (service,) = ecs.describe_services(cluster=CLUSTER, services=["hello"])["services"]
    assert service["taskDefinition"] == outputs["task-definition-arn"]
    after = ecs.list_service_deployments(cluster=CLUSTER, service="hello")["serviceDeployments"]
    assert len(after) == len(before) + 1
    registered = ecs.describe_task_definition(taskDefinition=outputs["task-definition-arn"])
    (main,) = registered["taskDefinition"]["containerDefinitions"]
    assert main["name"] == "Main" and main["image"] == "example/hello:3"

    again = run_counted(
        action,
        stack,
        docker_client,
        express_workspace,
        counted,
        **inputs(express="true", images="web=example/hello:3"),
    )
    assert again.exit_code == 0, again.describe()
    assert writes(counted) == {}  # unchanged: nothing written
    assert again.outputs["changed"] == "false"
    assert again.outputs["url"] == outputs["url"]  # the address, on every run
    assert f"[{outputs['url']}]({outputs['url']})" in again.summary


def test_a_failed_update_is_rolled_back_by_ecs_and_explained(
    action, stack, docker_client, aws_client, express_workspace, counted
) -> None:
    first = run_counted(
        action, stack, docker_client, express_workspace, counted, **inputs(express="true")
    )
    assert first.exit_code == 0, first.describe()
    ecs = aws_client("ecs")
    (service,) = ecs.describe_services(cluster=CLUSTER, services=["hello"])["services"]
    ecs.tag_resource(
        resourceArn=service["serviceArn"],
        tags=[
            {"key": "simulator:native-scenario", "value": "alarm"},
            {"key": "simulator:express-canary", "value": "crash"},
            {"key": "simulator:exit-code", "value": "3"},
        ],
    )

    result = run_counted(
        action,
        stack,
        docker_client,
        express_workspace,
        counted,
        **inputs(express="true", images="web=example/hello:3"),
    )
    assert result.exit_code == 1, result.describe()
    # ECS rolled it back on its own: one update, no StopServiceDeployment of ours
    assert writes(counted) == {"RegisterTaskDefinition": 1, "UpdateExpressGatewayService": 1}
    errors = [e.message for e in result.annotations("error")]
    assert any("rolled-back" in e and "alarm in ALARM: hello-4xx-5xx" in e for e in errors), (
        result.describe()
    )
    assert "container Main exited with code 3 by itself" in result.stdout
    assert "KeyError: 'DATABASE_URL'" in result.stdout  # the crashed canary's last line
    assert "rolled-back" in result.summary
    (after,) = ecs.describe_services(cluster=CLUSTER, services=["hello"])["services"]
    assert after["taskDefinition"] == service["taskDefinition"]  # ECS kept the old revision


def test_without_the_infrastructure_role_nothing_is_written(
    action, stack, docker_client, aws_client, express_workspace, counted
) -> None:
    given = inputs(express="true")
    del given["infrastructure-role-arn"]
    result = run_counted(action, stack, docker_client, express_workspace, counted, **given)
    assert result.exit_code == 1, result.describe()
    errors = [e.message for e in result.annotations("error")]
    assert any("infrastructure-role-arn" in e for e in errors), result.describe()
    assert writes(counted) == {}
    assert "url" not in result.outputs
    ecs = aws_client("ecs")
    assert ecs.list_services(cluster=CLUSTER)["serviceArns"] == []
    assert ecs.list_task_definitions()["taskDefinitionArns"] == []


def test_a_worker_beside_main_depends_on_it(
    action, stack, docker_client, aws_client, express_workspace, counted
) -> None:
    compose = express_workspace / "compose.yaml"
    text = compose.read_text()
    head, tail = text.split("\nx-ecs:", 1)
    compose.write_text(
        head
        + "\n  worker:\n    image: example/worker:1\n    depends_on: [web]\n"
        + "\nx-ecs:"
        + tail
    )
    result = run_counted(
        action,
        stack,
        docker_client,
        express_workspace,
        counted,
        **inputs(express="true", services="web\nworker"),
    )
    assert result.exit_code == 0, result.describe()
    assert writes(counted) == FIRST_DEPLOY
    registered = aws_client("ecs").describe_task_definition(
        taskDefinition=result.outputs["task-definition-arn"]
    )["taskDefinition"]
    containers = {c["name"]: c for c in registered["containerDefinitions"]}
    assert set(containers) == {"Main", "worker"}
    assert containers["worker"]["dependsOn"] == [{"containerName": "Main", "condition": "START"}]
    assert result.outputs["url"].startswith("https://")
