"""Fixtures for the tests against the local stack: see tests/support/pytest_stack.py."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

# `tests.support` lives at the repository root, which pytest's rootdir-based sys.path
# insertion does not add for this folder (it has no __init__.py).
_ROOT = str(Path(__file__).resolve().parents[2])
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

from tests.support.pytest_stack import (  # noqa: E402
    aws_client,
    aws_env,
    docker_client,
    ecr_repo,
    hello_app,
    hello_image,
    registry_auth,
    run_container,
    stack,
    unused_port,
)

__all__ = [
    "aws_client",
    "aws_env",
    "docker_client",
    "ecr_repo",
    "hello_app",
    "hello_image",
    "registry_auth",
    "run_container",
    "stack",
    "unused_port",
]

LIFECYCLE = "stack_lifecycle"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", f"{LIFECYCLE}: stops and restarts the session's stack; runs last"
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests that take the stack down and up again run after every other test."""
    del config
    items.sort(key=lambda item: item.get_closest_marker(LIFECYCLE) is not None)
