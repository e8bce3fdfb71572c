"""Registry and engine faults: the registry stopped mid-push (then back, or not), the
engine's socket missing. Each ends clearly, and nothing half-done is left in ECS."""

from __future__ import annotations

import secrets
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from compose_ecs_deploy.errors import BuildError
from tests.deploy.conftest import World
from tests.support import procs
from tests.support import stack as stack_mod
from tests.support.memory_log import MemoryLog

pytestmark = pytest.mark.stack


class StopRegistryAt(MemoryLog):
    """A log that stops the stack's registry when a given line appears, and (optionally)
    brings it back a moment later, as an outage mid-push would."""

    def __init__(self, trigger: str, back_after: float | None) -> None:
        super().__init__()
        self.trigger = trigger
        self.back_after = back_after
        self.fired = threading.Event()
        self.restarter: threading.Thread | None = None

    def info(self, line: str) -> None:
        super().info(line)
        if self.trigger in line and not self.fired.is_set():
            self.fired.set()
            settings = stack_mod.Settings.from_env()
            registry = procs.read_pidfile(stack_mod.Paths(settings.state_dir).pidfile("registry"))
            assert registry is not None
            procs.stop([registry])
            if self.back_after is not None:
                self.restarter = threading.Thread(target=self._restart, daemon=True)
                self.restarter.start()

    def _restart(self) -> None:
        assert self.back_after is not None
        time.sleep(self.back_after)
        stack_mod.up(say=lambda _: None)


@pytest.fixture
def restore_registry(stack) -> Any:
    yield
    stack_mod.up(say=lambda _: None)  # whatever a test did, the next one has a registry


def hello(world: World, hello_app: Path, repository: str) -> Any:
    world.service("hello", containers=("web",))
    return world.settings(
        compose_files=(str(hello_app / "compose.yaml"),),
        services=("web",),
        ecs_services=("hello",),
        ecr_repositories=(repository,),
        image_tag=secrets.token_hex(20),
    )


def test_registry_stopped_mid_push_then_back(
    world: World, hello_app, ecr_repo, restore_registry
) -> None:
    log = StopRegistryAt("Preparing", back_after=1.0)
    deployment, _ = world.deploy(hello(world, hello_app, ecr_repo.name), log)
    assert log.fired.is_set()
    assert deployment.result.succeeded
    assert deployment.images["web"].digest.startswith("sha256:")
    assert len(world.revisions("hello")) == 2


def test_registry_down_for_good_fails_clearly_and_registers_nothing(
    world: World, hello_app, ecr_repo, restore_registry
) -> None:
    log = StopRegistryAt("load build definition", back_after=None)
    with pytest.raises(BuildError) as failure:
        world.deploy(hello(world, hello_app, ecr_repo.name), log)
    message = str(failure.value)
    assert message.startswith(f"pushing {ecr_repo.uri}:")
    assert "the registry did not come back" in message
    assert any("retrying in" in line for line in log.lines)
    assert len(world.revisions("hello")) == 1
    assert len(world.running("hello")["deployments"]) == 1


def test_engine_socket_missing_says_how_to_reach_docker(
    world: World, hello_app, ecr_repo, tmp_path, monkeypatch
) -> None:
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-docker.sock")
    with pytest.raises(BuildError) as failure:
        world.deploy(hello(world, hello_app, ecr_repo.name))
    message = str(failure.value)
    assert message.startswith("cannot reach the Docker engine")
    assert "/var/run/docker.sock" in message and "DOCKER_HOST" in message
    assert len(world.revisions("hello")) == 1
