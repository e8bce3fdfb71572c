"""A build on an engine whose disk is full: a clear error, not a stack of engine output.

A second dockerd of our own runs with its data-root on a 64 MiB tmpfs, so that a build
context of 96 MiB really fills it; it is stopped by PID and the tmpfs unmounted after.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import docker
import pytest

from compose_ecs_deploy.adapters import compose_build
from compose_ecs_deploy.adapters.ecr import RegistryLogin
from compose_ecs_deploy.errors import BuildError
from tests.support import procs
from tests.support import stack as stack_mod
from tests.support.memory_log import MemoryLog

pytestmark = pytest.mark.stack


@pytest.fixture
def small_engine(stack: Any) -> Iterator[str]:
    """A dockerd of our own whose data-root is a 64 MiB tmpfs; its DOCKER_HOST."""
    state = Path(f"/run/ced-diskfull-{os.getpid()}")
    paths = stack_mod.Paths(state)
    paths.data_root.mkdir(parents=True, exist_ok=True)
    paths.pids.mkdir(parents=True, exist_ok=True)
    paths.logs.mkdir(parents=True, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", str(paths.data_root)],
                   check=True)
    dockerd = stack_mod._start_dockerd(paths, "vfs")
    try:
        deadline = time.monotonic() + 30
        while True:
            try:  # the client asks the engine's API version as it is made
                client = docker.DockerClient(base_url=f"unix://{paths.docker_sock}",
                                             timeout=120)
                break
            except docker.errors.DockerException:
                if time.monotonic() > deadline:
                    pytest.fail(f"the small dockerd did not start:\n"
                                f"{(paths.logs / 'dockerd.log').read_text()[-2000:]}")
                time.sleep(0.2)
        client.close()
        yield f"unix://{paths.docker_sock}"
    finally:
        procs.stop([dockerd])
        procs.stop(stack_mod.leftovers(paths))
        stack_mod._unmount_under(state)  # lazily: the engine's last handles may linger
        subprocess.run(["rm", "-rf", str(state)], check=True)


def test_disk_full_during_build_says_so(small_engine: str, tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "big.bin").write_bytes(os.urandom(96 * 1024 * 1024))
    (tmp_path / "Dockerfile").write_text("FROM scratch\nCOPY big.bin /big.bin\n")
    monkeypatch.setenv("DOCKER_HOST", small_engine)
    document = {"name": "diskfull", "services": {"web": {
        "image": "diskfull:test", "build": {"context": str(tmp_path), "network": "none"}}}}
    with pytest.raises(BuildError) as failure:
        # No registry is reached: nothing is pulled or pushed, and there is no cache source.
        compose_build.build(document, RegistryLogin("localhost", "AWS", "unused", "unused"),
                            MemoryLog())
    message = str(failure.value)
    assert message.startswith(f"building web ({tmp_path}, Dockerfile) failed at [web")
    assert "no space left on device" in message.lower()
    assert "ran out of disk space" in message and "bigger disk" in message
