"""Fixtures of the action's tests: the action image (built once per session), a workspace."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.support import action_image


@pytest.fixture(scope="session")
def action(stack, docker_client) -> action_image.ActionImage:
    """The action image, built once per session (reused across sessions by its hash)."""
    try:
        return action_image.for_stack(stack, client=docker_client)
    except action_image.ActionImageError as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture
def workspace(hello_app: Path, tmp_path: Path) -> Path:
    """A checkout of the app where the runner puts it: <work>/<repo>/<repo>."""
    path = tmp_path / "work" / "hello" / "hello"
    shutil.copytree(hello_app, path)
    return path
