"""A build on an engine whose disk is full: a clear error, not a stack of engine output.

A second dockerd of our own runs with its data-root on a 64 MiB tmpfs, so that a build
context of 96 MiB really fills it; it is stopped by PID and the tmpfs unmounted after.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from compose_ecs_deploy.aws.ecr import RegistryLogin
from compose_ecs_deploy.errors import BuildError
from compose_ecs_deploy.images import compose_build
from tests.support import stack as stack_mod
from tests.support.memory_log import MemoryLog

pytestmark = pytest.mark.stack


@pytest.fixture
def small_engine(stack: Any) -> Iterator[str]:
    """A dockerd of our own whose data-root is a 64 MiB tmpfs; its DOCKER_HOST."""
    with stack_mod.extra_engine("diskfull", tmpfs_size="64m") as host:
        yield host


def test_disk_full_during_build_says_so(
    small_engine: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "big.bin").write_bytes(os.urandom(96 * 1024 * 1024))
    (tmp_path / "Dockerfile").write_text("FROM scratch\nCOPY big.bin /big.bin\n")
    monkeypatch.setenv("DOCKER_HOST", small_engine)
    document = {
        "name": "diskfull",
        "services": {
            "web": {
                "image": "diskfull:test",
                "build": {"context": str(tmp_path), "network": "none"},
            }
        },
    }
    with pytest.raises(BuildError) as failure:
        # No registry is reached: nothing is pulled or pushed, and there is no cache source.
        compose_build.build(
            document, RegistryLogin("localhost", "AWS", "unused", "unused"), MemoryLog()
        )
    message = str(failure.value)
    # Bake sends the whole context to BuildKit first, so the disk fills while it arrives;
    # without buildx, Compose's own builder fills it in the COPY step.
    step = "[internal] load build context" if stack_mod.BUILDX_PLUGIN.exists() else "[web"
    assert message.startswith(f"building web ({tmp_path}, Dockerfile) failed at {step}")
    assert "no space left on device" in message.lower()
    assert "ran out of disk space" in message and "bigger disk" in message
