"""A BLUE_GREEN deployment through the action's container, as the runner runs it: the
deployment waits at a PAUSE hook after test traffic shifted, the step's `verify-command`
runs in the workspace with the deployment's environment and continues it."""

from __future__ import annotations

import pytest

from tests.action.test_runner_harness import (  # the harness's fixtures and helpers
    CLUSTER,
    SERVICE,
    World,
    action,
    run,
    workspace,
    world,
)

pytestmark = pytest.mark.stack
__all__ = ["action", "workspace", "world"]  # fixtures, used by name
VERIFY = (
    'test "$ECS_LIFECYCLE_STAGE" = POST_TEST_TRAFFIC_SHIFT && test -f compose.yaml '
    '&& echo "smoke test on $ECS_SERVICE passed"'
)


def test_the_action_gates_a_pause_hook_with_verify_command(
    action, stack, docker_client, world: World, workspace
) -> None:
    world.ecs.update_service(
        cluster=CLUSTER,
        service=SERVICE,
        deploymentConfiguration={
            "strategy": "BLUE_GREEN",
            "bakeTimeInMinutes": 1,
            "lifecycleHooks": [
                {
                    "targetType": "PAUSE",
                    "lifecycleStages": ["POST_TEST_TRAFFIC_SHIFT"],
                    "timeoutConfiguration": {"timeoutInMinutes": 60, "action": "ROLLBACK"},
                }
            ],
        },
    )
    before = {  # ECS lists the rolling deployments before the switch too
        d["serviceDeploymentArn"]
        for d in world.ecs.list_service_deployments(cluster=CLUSTER, service=SERVICE)[
            "serviceDeployments"
        ]
    }
    result = run(
        action,
        stack,
        docker_client,
        workspace,
        **{
            "compose-file": "compose.yaml",
            "images": "web=example/hello:2",
            "cluster": CLUSTER,
            "ecs-service": SERVICE,
            "aws-region": "us-east-1",
            "verify-command": VERIFY,
            "poll-interval": "5",
        },
    )
    assert result.exit_code == 0, result.describe()
    assert f"{SERVICE}: verify: smoke test on {SERVICE} passed" in result.stdout
    assert "(ContinueServiceDeployment CONTINUE)" in result.stdout
    assert f"{SERVICE}: BLUE_GREEN " in result.stdout and "SUCCESSFUL at CLEAN_UP" in result.stdout

    # The writes, as ECS saw them: one revision registered, one deployment started (one
    # UpdateService that deployed), its hook continued rather than timed out.
    assert len(world.revisions()) == 2
    (listed,) = [
        d
        for d in world.ecs.list_service_deployments(cluster=CLUSTER, service=SERVICE)[
            "serviceDeployments"
        ]
        if d["serviceDeploymentArn"] not in before
    ]
    (found,) = world.ecs.describe_service_deployments(
        serviceDeploymentArns=[listed["serviceDeploymentArn"]]
    )["serviceDeployments"]
    assert found["status"] == "SUCCESSFUL"
    assert [h["status"] for h in found["lifecycleHookDetails"]] == ["SUCCEEDED"]
    assert result.outputs["task-definition-arn"] == world.service()["taskDefinition"]
