"""The action tests' shared fixtures, `action` (the image, built once per session) and
`workspace` (a checkout of the test app), defined with the harness that runs the container
(tests/action/test_runner_harness.py): here, every test module of this folder has them
without importing them by name."""

from tests.action.test_runner_harness import action, workspace

__all__ = ["action", "workspace"]
