"""run-before through the action's container, run the way the GitHub runner runs it.

The hello app gets a `migrate` service behind the `tools` profile, built from the app's own
build section (so it runs the image the rollout deploys); the simulator's knobs
(SIMULATOR_EXIT_CODE, SIMULATOR_TICKS) come from the workflow's `env:` through compose
interpolation. The `run` verb is not an action input: it is tested through the CLI in
tests/deploy/test_oneoff.py.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.action import test_runner_harness as harness
from tests.action.test_runner_harness import CLUSTER, EXECUTION_ROLE, SERVICE, SHA
from tests.support import runner
from tests.support.terraform import first_revision

pytestmark = pytest.mark.stack
action = harness.action  # the harness's fixtures: the image built once, the checkout
workspace = harness.workspace

MIGRATE = """
  migrate:
    build:
      context: .
      network: none
      args:
        BASE_IMAGE: ${BASE_IMAGE:-compose-ecs-deploy/base-python:local}
    command: ["python3", "-c", "print('migrating')"]
    environment:
      SIMULATOR_EXIT_CODE: ${MIGRATE_EXIT:-0}
      SIMULATOR_TICKS: ${MIGRATE_TICKS:-1}
    profiles: ["tools"]
"""


class World:
    """Terraform's world, with the service in a subnet (one-offs run in its network)."""

    def __init__(self, aws_client: Callable[..., Any]) -> None:
        self.ecs, ec2 = aws_client("ecs"), aws_client("ec2")
        self.ecs.create_cluster(clusterName=CLUSTER)
        vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        self.subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
        group = ec2.create_security_group(GroupName="web", Description="web", VpcId=vpc)["GroupId"]
        self.first_arn = first_revision(self.ecs, SERVICE, EXECUTION_ROLE)
        self.ecs.create_service(
            cluster=CLUSTER,
            serviceName=SERVICE,
            taskDefinition=self.first_arn,
            desiredCount=1,
            launchType="FARGATE",
            networkConfiguration={
                "awsvpcConfiguration": {"subnets": [self.subnet], "securityGroups": [group]}
            },
            tags=[{"key": "simulator:ticks", "value": "1"}],
        )

    def service(self) -> dict[str, Any]:
        return dict(self.ecs.describe_services(cluster=CLUSTER, services=[SERVICE])["services"][0])

    def one_off_tasks(self) -> list[dict[str, Any]]:
        arns = [
            arn
            for status in ("RUNNING", "STOPPED")
            for arn in self.ecs.list_tasks(
                cluster=CLUSTER, family=f"{SERVICE}-migrate", desiredStatus=status
            )["taskArns"]
        ]
        if not arns:
            return []
        return list(self.ecs.describe_tasks(cluster=CLUSTER, tasks=arns)["tasks"])


@pytest.fixture
def world(aws_env, aws_client) -> World:
    return World(aws_client)


@pytest.fixture
def app(workspace: Path) -> Path:
    compose = workspace / "compose.yaml"
    compose.write_text(compose.read_text() + MIGRATE)
    return workspace


def deploy(
    action,
    stack,
    docker_client,
    ecr_repo,
    app: Path,
    env: dict[str, str] | None = None,
    **inputs: str,
) -> runner.RunResult:
    given = {
        "compose-file": "compose.yaml",
        "profiles": "tools",
        "services": "web",
        "ecr-repository": ecr_repo.name,
        "cluster": CLUSTER,
        "ecs-service": SERVICE,
        "aws-region": "us-east-1",
        "run-before": "migrate",
        **inputs,
    }
    return runner.run_action(
        action.tag,
        app,
        given,
        stack=stack,
        client=docker_client,
        github=runner.GitHub(repository="example/hello", sha=SHA),
        env={"BASE_IMAGE": stack.base_image, **(env or {})},
    )


def _line(result: runner.RunResult, text: str) -> int:
    return next(i for i, line in enumerate(result.stdout.splitlines()) if text in line)


def test_migrate_succeeds_then_the_service_rolls_out(
    action, stack, docker_client, world, ecr_repo, app
) -> None:
    result = deploy(action, stack, docker_client, ecr_repo, app)
    assert result.exit_code == 0, result.describe()
    (task,) = world.one_off_tasks()
    assert task["lastStatus"] == "STOPPED" and task["containers"][0]["exitCode"] == 0
    assert task["startedBy"] == f"compose-ecs-deploy/{SHA}"
    service = world.service()
    deployment = next(d for d in service["deployments"] if d["status"] == "PRIMARY")
    assert task["stoppedAt"] <= deployment["createdAt"]  # the rollout began after it stopped
    assert (
        _line(result, "migrate: one-off task")
        < _line(result, "migrate: succeeded")
        < (_line(result, f"{SERVICE}: deployment {deployment['id']} started"))
    )
    # The one-off ran the image the rollout deployed, in its own family.
    registered = world.ecs.describe_task_definition(taskDefinition=task["taskDefinitionArn"])[
        "taskDefinition"
    ]
    assert registered["family"] == f"{SERVICE}-migrate"
    app_revision = world.ecs.describe_task_definition(taskDefinition=service["taskDefinition"])
    web = app_revision["taskDefinition"]["containerDefinitions"][0]
    assert registered["containerDefinitions"][0]["image"] == web["image"]
    assert registered["executionRoleArn"] == EXECUTION_ROLE
    assert json.loads(result.outputs["run-task-arns"]) == {"migrate": task["taskArn"]}
    assert json.loads(result.outputs["run-exit-codes"]) == {"migrate": 0}
    assert "### One-off task: migrate" in result.summary
    assert "| ✅ succeeded | 0 |" in result.summary


def test_migrate_exits_2_and_nothing_is_rolled_out(
    action, stack, docker_client, world, ecr_repo, app
) -> None:
    result = deploy(action, stack, docker_client, ecr_repo, app, env={"MIGRATE_EXIT": "2"})
    assert result.exit_code == 1, result.describe()
    assert world.service()["taskDefinition"] == world.first_arn
    assert len(world.service()["deployments"]) == 1
    (task,) = world.one_off_tasks()
    task_id = task["taskArn"].rsplit("/", 1)[1]
    (error,) = [a for a in result.annotations("error") if "one-off" in a.message]
    assert error.message == (
        f"one-off migrate: failed: task {task_id}: container migrate exited with code 2; ECS "
        "stopped the task (EssentialContainerExited): Essential container in task exited"
    )
    assert json.loads(result.outputs["run-exit-codes"]) == {"migrate": 2}
    assert "not rolled out (a run-before one-off failed)" in result.summary


def test_a_timeout_stops_the_task_and_fails(
    action, stack, docker_client, world, ecr_repo, app
) -> None:
    result = deploy(
        action,
        stack,
        docker_client,
        ecr_repo,
        app,
        env={"MIGRATE_TICKS": "never"},
        **{"run-timeout": "0.05"},
    )
    assert result.exit_code == 1, result.describe()
    assert "did not stop within 0.05 minutes (run-timeout)" in result.stderr
    (task,) = world.one_off_tasks()
    assert (task["desiredStatus"], task["stopCode"]) == ("STOPPED", "UserInitiated")
    assert world.service()["taskDefinition"] == world.first_arn


def test_a_no_op_deploy_skips_the_one_off(
    action, stack, docker_client, world, ecr_repo, app
) -> None:
    first = deploy(action, stack, docker_client, ecr_repo, app)
    assert first.exit_code == 0, first.describe()
    again = deploy(action, stack, docker_client, ecr_repo, app)
    assert again.exit_code == 0, again.describe()
    assert (
        "migrate: one-off skipped: the deploy is a no-op (nothing changed, no "
        "force-new-deployment), so it was not run"
    ) in again.stdout
    assert len(world.one_off_tasks()) == 1  # only the first deploy's
    assert again.outputs["changed"] == "false"
    assert json.loads(again.outputs["run-task-arns"]) == {}


@pytest.mark.parametrize(
    ("inputs", "message"),
    [
        (
            {"run-before": "migrat"},
            "run-before migrat: the compose project has no such service "
            "(it has: migrate, web); check the name",
        ),
        (
            {"profiles": ""},
            "the compose service is in profile tools, which is not enabled; add "
            "--profile tools (action input profiles)",
        ),
    ],
)
def test_a_bad_run_before_is_one_error_and_nothing_is_written(
    action, stack, docker_client, world, ecr_repo, app, inputs, message
) -> None:
    result = deploy(action, stack, docker_client, ecr_repo, app, **inputs)
    assert result.exit_code == 1, result.describe()
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and message in errors[0], result.describe()
    assert world.ecs.list_task_definitions(familyPrefix=SERVICE)["taskDefinitionArns"] == [
        world.first_arn
    ]
    assert world.one_off_tasks() == []
    assert not [c for c in result.commands if c.name == "group"], "it started to build"
