"""`--builder NAME` (action input `builder`): the build runs on a buildx builder of the user's,
which pushes the images to the registry itself, so they never enter the runner's engine.

The builder is the one this machine can start: a second dockerd of our own (stopped by PID
after the test), made a buildx builder the way buildx makes one of every docker context
(`docker context create`). Its BuildKit pulls the base, builds and pushes to the stack's
registry; the deploy pins the digest the registry serves.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import docker
import pytest

from compose_ecs_deploy.errors import BuildError
from tests.deploy.conftest import World, registry_contents, registry_get
from tests.deploy.test_build import SHA, hello_settings
from tests.support import stack as stack_mod
from tests.support.memory_log import MemoryLog

pytestmark = pytest.mark.stack
FARM = "build-farm"


@pytest.fixture
def farm(stack: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A second engine with the base image, known to buildx as the builder `build-farm` (a
    docker context) in the DOCKER_CONFIG of the test; its client. The runner's engine
    (DOCKER_HOST) stays the stack's."""
    docker_cli = shutil.which("docker")
    if docker_cli is None:
        pytest.skip("the docker CLI (package docker.io) makes the context")
    config = tmp_path / "docker-config"
    config.mkdir()
    monkeypatch.setenv("DOCKER_CONFIG", str(config))
    with stack_mod.extra_engine("farm") as host:
        client = docker.DockerClient(base_url=host, timeout=300)
        stack_mod.import_base_image(stack_mod.Settings.from_env(), client)
        subprocess.run(
            [docker_cli, "context", "create", FARM, "--docker", f"host={host}"],
            check=True,
            capture_output=True,
        )
        try:
            yield client
        finally:
            client.close()


def test_a_named_builder_builds_and_pushes(
    world: World, stack, docker_client, farm, ecr_repo, registry_auth, hello_app
) -> None:
    world.service("hello", containers=("web",))
    log = MemoryLog()
    settings = hello_settings(
        world, hello_app, (ecr_repo.name,), builder=FARM, additional_tags=("latest",)
    )
    deployment, _ = world.deploy(settings, log)

    assert deployment.result.succeeded
    image = deployment.images["web"]
    headers, _ = registry_get(stack, registry_auth, f"{ecr_repo.name}/manifests/{SHA}")
    assert headers["Docker-Content-Digest"] == image.digest
    latest, _ = registry_get(stack, registry_auth, f"{ecr_repo.name}/manifests/latest")
    assert latest["Docker-Content-Digest"] == image.digest
    arn = deployment.result.services[0].task_definition_arn
    containers = world.ecs.describe_task_definition(taskDefinition=arn)["taskDefinition"][
        "containerDefinitions"
    ]
    container = next(c for c in containers if c["name"] == "web")
    assert container["image"] == f"{ecr_repo.uri}:{SHA}@{image.digest}"
    # Built by the farm's BuildKit (its build cache was empty), never in the runner's engine.
    assert farm.df()["BuildCache"]
    assert not docker_client.images.list(name=ecr_repo.uri)
    assert f"build on buildx builder {FARM} (driver docker)" in log.lines


def test_a_builder_buildx_does_not_know_stops_before_any_write(
    world: World, stack, ecr_repo, registry_auth, hello_app, tmp_path, monkeypatch
) -> None:
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path))
    world.service("hello", containers=("web",))
    revisions, running = world.revisions("hello"), world.running("hello")["taskDefinition"]
    with pytest.raises(BuildError) as raised:
        world.deploy(hello_settings(world, hello_app, (ecr_repo.name,), builder="no-such-farm"))
    message = str(raised.value)
    assert message.startswith("builder no-such-farm (--builder, action input builder): no such")
    assert "docker buildx ls" in message
    assert world.revisions("hello") == revisions
    assert world.running("hello")["taskDefinition"] == running
    assert ecr_repo.name not in registry_contents(stack, registry_auth)
