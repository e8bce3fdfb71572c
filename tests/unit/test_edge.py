"""The one edge of both faces: the catch-all, --debug / RUNNER_DEBUG, signals, outputs.

Faults are planted in a real process (a verb replaced before the CLI or the action is
imported), so a traceback that escaped would be seen on its stderr.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from compose_ecs_deploy.errors import EXIT_OK, ExitCode
from compose_ecs_deploy.faces import action, edge
from compose_ecs_deploy.faces.cli import Terminal, build_parser
from compose_ecs_deploy.settings import Settings

FIELDS = {f.name for f in dataclasses.fields(Settings)}

PLANT = textwrap.dedent("""
    import sys
    from compose_ecs_deploy.verbs import deploy, render
    def boom(settings, face, *session):  # the action passes its session
        raise ValueError("planted bug")
    render.run = deploy.run = boom
""")


def _run(
    code: str, *args: str, env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", PLANT + code, *args],
        capture_output=True,
        text=True,
        check=False,
        cwd=cwd,
        env={**os.environ, "AWS_REGION": "us-east-1", **(env or {})},
    )


CLI = "from compose_ecs_deploy.faces.cli import main\nsys.exit(main(sys.argv[1:]))\n"
ACTION = "from compose_ecs_deploy.faces.action import main\nsys.exit(main())\n"


@pytest.mark.parametrize(
    "debug",
    [(), ("--debug", "render"), ("render", "--debug")],
    ids=["plain", "debug-before-verb", "debug-after-verb"],
)
def test_cli_internal_error_is_one_line_and_a_traceback_only_with_debug(debug) -> None:
    verb = () if debug else ("render",)
    result = _run(CLI, *verb, *debug, "-f", "compose.yaml")
    assert result.returncode == 1, result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert errors == [
        "error: internal error (ValueError: planted bug); please report it "
        "with the output of --debug"
    ]
    assert ("Traceback (most recent call last)" in result.stderr) == bool(debug)


@pytest.mark.parametrize("runner_debug", ["", "1"])
def test_action_internal_error_is_an_annotation_and_a_traceback_only_with_runner_debug(
    runner_debug: str, tmp_path: Path
) -> None:
    summary = tmp_path / "summary.md"
    summary.touch()
    result = _run(
        ACTION,
        env={
            "RUNNER_DEBUG": runner_debug,
            "INPUT_CLUSTER": "c",
            "GITHUB_STEP_SUMMARY": str(summary),
        },
    )
    assert result.returncode == 1, result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and errors[0].startswith(
        "error: internal error (ValueError: planted bug)"
    )
    assert "RUNNER_DEBUG=1" in errors[0]
    assert result.stdout.count("::error") == 1 and "planted bug" in result.stdout
    assert ("Traceback (most recent call last)" in result.stderr) == (runner_debug == "1")
    assert "internal error" in summary.read_text()


def _signalled(face: Terminal, *, started: str | None) -> int:
    """A verb that gets SIGTERM from its own process: no sleep, no race."""

    def body() -> ExitCode:
        if started:
            face.outputs({"deployment-id": started})
        os.kill(os.getpid(), signal.SIGTERM)
        return EXIT_OK

    return edge.run(face, body, debug=False)


def test_sigterm_is_a_cancel_that_names_the_deployment_it_leaves(capsys) -> None:
    before = signal.getsignal(signal.SIGTERM)
    assert _signalled(Terminal({}), started="ecs-svc/123") == 1
    err = capsys.readouterr().err.splitlines()
    assert err[0] == "error: cancelled by SIGTERM"
    assert "deployment ecs-svc/123 was started" in err[1] and len(err) == 2
    assert signal.getsignal(signal.SIGTERM) is before  # the edge puts the handler back


def test_sigterm_before_any_deployment_says_only_cancelled(capsys) -> None:
    assert _signalled(Terminal({}), started=None) == 1
    assert capsys.readouterr().err == "error: cancelled by SIGTERM\n"


def test_terminal_prints_an_output_once_until_it_changes(capsys) -> None:
    face = Terminal({})
    face.outputs({"image-uri": "r/app:1", "image-digest": "sha256:a"})
    face.outputs({"image-uri": "r/app:1", "image-digest": "sha256:a", "changed": "true"})
    assert capsys.readouterr().out == "image-uri=r/app:1\nimage-digest=sha256:a\nchanged=true\n"
    assert face.published()["changed"] == "true"


def _option_dests() -> set[str]:
    parser = build_parser()
    verbs = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    parsers = [parser, *verbs.choices.values()]
    return {action.dest for p in parsers for action in p._actions}


def test_every_cli_option_sets_a_settings_field() -> None:
    """Adding an option is one `add_argument` whose dest names the field; a dest that
    names none would be dropped without a word, so this test refuses it."""
    assert _option_dests() - FIELDS == {"help", "version", "debug", "verb"}


def test_every_action_input_sets_a_settings_field_or_is_derived() -> None:
    derived = {name for name, spec in action.INPUTS.items() if spec.field is None}
    assert derived == {"image-tag", "aws-region", "command"}  # command: which verb runs
    assert {spec.field for spec in action.INPUTS.values() if spec.field} <= FIELDS


def test_an_error_after_the_update_names_the_deployment_left_running(capsys) -> None:
    face = Terminal({})
    face.outputs({"deployment-id": "ecs-svc/42"})

    def crash() -> ExitCode:
        raise OverflowError("math range error")

    assert edge.run(face, crash, debug=False) == 1
    err = capsys.readouterr().err
    assert "internal error (OverflowError" in err
    assert "deployment ecs-svc/42 was started before the error" in err


def test_input_too_deep_for_python_is_an_input_error_not_an_internal_one(capsys) -> None:
    def deep() -> ExitCode:
        raise RecursionError("maximum recursion depth exceeded")

    assert edge.run(Terminal({}), deep, debug=False) == 1
    err = capsys.readouterr().err
    assert "internal error" not in err and "too deeply nested or too large" in err
