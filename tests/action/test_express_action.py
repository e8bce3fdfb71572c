"""Express Mode through the action's container, as the runner runs it: `express: true` creates
the Express service and sets the output `url`, shown as a link in the job summary; then
`command: preview up` and `preview down` (twice) for a pull request."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.action.test_runner_harness import (  # the harness's fixtures and helpers
    ACCOUNT,
    CLUSTER,
    EXECUTION_ROLE,
    action,
    run,
    workspace,
)
from tests.support import terraform

pytestmark = pytest.mark.stack
__all__ = ["action", "workspace"]  # fixtures, used by name
ROLE = f"arn:aws:iam::{ACCOUNT}:role/ecsInfrastructureRoleForExpressServices"


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
        "poll-interval": "0.05",
        **extra,
    }


def test_express_true_creates_the_service_and_sets_the_url(
    action, stack, docker_client, aws_client, express_workspace
) -> None:
    result = run(action, stack, docker_client, express_workspace, **inputs(express="true"))
    assert result.exit_code == 0, result.describe()
    url = result.outputs["url"]
    assert url.startswith("https://") and url.endswith(".on.aws")
    assert f"[{url}]({url})" in result.summary
    (service,) = aws_client("ecs").describe_services(cluster=CLUSTER, services=["hello"])[
        "services"
    ]
    assert service["resourceManagementType"] == "ECS"


def test_a_preview_up_then_down_twice(
    action, stack, docker_client, aws_client, express_workspace
) -> None:
    up = run(
        action,
        stack,
        docker_client,
        express_workspace,
        **inputs(command="preview up", **{"preview-name": "pr-3", "pull-request": "3"}),
    )
    assert up.exit_code == 0, up.describe()
    assert up.outputs["url"].startswith("https://")
    ecs = aws_client("ecs")
    (service,) = ecs.describe_services(cluster=CLUSTER, services=["hello-pr-3"], include=["TAGS"])[
        "services"
    ]
    tags = {t["key"]: t["value"] for t in service["tags"]}
    assert tags["compose-ecs-deploy:pull-request"] == "3"
    for _ in range(2):
        down = run(
            action,
            stack,
            docker_client,
            express_workspace,
            **{
                "command": "preview down",
                "preview-name": "pr-3",
                "cluster": CLUSTER,
                "ecs-service": "hello",
                "aws-region": "us-east-1",
            },
        )
        assert down.exit_code == 0, down.describe()
    (after,) = ecs.describe_services(cluster=CLUSTER, services=["hello-pr-3"])["services"]
    assert after["status"] in ("DRAINING", "INACTIVE")
