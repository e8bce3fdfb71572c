"""The action's `builder` input, run the way the runner runs the container.

The container's HOME is the runner's `<temp>/_github_home`, so a builder a step before it
defined there (README, "Pointing the fleet at a build farm": `DOCKER_CONFIG` pointed at that
folder) is the one the action finds. Here that step is `docker context create`, for the
engine the container reaches through the runner's socket mount; the image carries no docker
CLI, so the lookup and the build go through its buildx plugin alone.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.action.test_runner_harness import (  # the harness's fixtures and helpers
    CLUSTER,
    SERVICE,
    SHA,
    action,
    registry_digest,
    run,
    workspace,
    world,
)

pytestmark = pytest.mark.stack
__all__ = ["action", "workspace", "world"]  # fixtures


def test_the_action_builds_on_the_builder_a_step_before_it_defined(
    action, stack, docker_client, world, ecr_repo, registry_auth, workspace: Path
) -> None:
    docker_cli = shutil.which("docker")
    if docker_cli is None:
        pytest.skip("the docker CLI (package docker.io) makes the context")
    home = workspace.parent / "_temp" / "_github_home"  # the harness's temp, as a runner's
    home.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [docker_cli, "context", "create", "farm", "--docker", "host=unix:///var/run/docker.sock"],
        env={"DOCKER_CONFIG": str(home / ".docker"), "PATH": "/usr/bin:/bin"},
        check=True,
        capture_output=True,
    )
    inputs = {
        "compose-file": "compose.yaml",
        "ecr-repository": ecr_repo.name,
        "cluster": CLUSTER,
        "ecs-service": SERVICE,
        "aws-region": "us-east-1",
        "secrets": f"API_TOKEN={world.secret_arn}",
        "builder": "farm",
    }
    result = run(action, stack, docker_client, workspace, **inputs)

    assert result.exit_code == 0, result.describe()
    assert "build on buildx builder farm (driver docker)" in result.stdout, result.describe()
    digest = registry_digest(stack, registry_auth, ecr_repo.name, SHA)
    assert f"web: pushed {ecr_repo.uri}:{SHA}@{digest} (by farm)" in result.stdout
    assert result.outputs["image-digest"] == digest
    assert world.service()["taskDefinition"] == result.outputs["task-definition-arn"]

    # A name the step did not define: one error before any write, saying how to list them.
    revisions = world.revisions()
    result = run(action, stack, docker_client, workspace, **{**inputs, "builder": "far-farm"})
    assert result.exit_code == 1, result.describe()
    [error] = result.annotations("error")
    assert "builder far-farm" in error.message and "docker buildx ls" in error.message
    assert world.revisions() == revisions
