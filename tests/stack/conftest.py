"""Fixtures for the tests against the local stack: see tests/support/pytest_stack.py."""

from __future__ import annotations

import pytest

LIFECYCLE = "stack_lifecycle"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", f"{LIFECYCLE}: stops and restarts the session's stack; runs last"
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests that take the stack down and up again run after every other test."""
    del config
    items.sort(key=lambda item: item.get_closest_marker(LIFECYCLE) is not None)
