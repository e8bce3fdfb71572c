"""The verify-command runner: exit code, output (stdout and stderr in order), a command that
runs past its time, one that cannot start."""

from __future__ import annotations

import os
from pathlib import Path

from compose_ecs_deploy.rollout.verify_command import TAIL_LINES, run_verify


def test_exit_code_and_output_in_order_in_the_given_directory(tmp_path: Path) -> None:
    (tmp_path / "marker").write_text("here\n")
    result = run_verify(
        'cat marker; echo "to stderr $STAGE" >&2; exit 3',
        {**os.environ, "STAGE": "POST_TEST_TRAFFIC_SHIFT"},
        str(tmp_path),
        30,
    )
    assert (result.exit_code, result.passed) == (3, False)
    assert result.output == ("here", "to stderr POST_TEST_TRAFFIC_SHIFT")


def test_the_tail_is_the_last_lines() -> None:
    result = run_verify("seq 1 50", dict(os.environ), None, 30)
    assert result.passed
    assert result.tail == tuple(str(n) for n in range(51 - TAIL_LINES, 51))


def test_a_command_past_its_time_is_killed_and_has_no_exit_code() -> None:
    result = run_verify("echo started; sleep 30", dict(os.environ), None, 1)
    assert (result.exit_code, result.passed) == (None, False)
    assert result.output == ("started",)


def test_a_missing_directory_is_a_failure_that_says_why(tmp_path: Path) -> None:
    result = run_verify("true", dict(os.environ), str(tmp_path / "gone"), 30)
    assert result.exit_code == 127 and "could not run it" in result.output[0]
