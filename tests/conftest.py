"""Shared helpers: render compose text through the real loader, in-process and as a CLI."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from compose_ecs_deploy.faces.cli import main

# The local stack's fixtures (stack, aws_env, aws_client, ecr_repo, registry_auth,
# docker_client, hello_app, run_container, unused_port, ...), for every test folder.
pytest_plugins = ["tests.support.pytest_stack"]

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "nextjs-postgres"
EXECUTION_ROLE = "arn:aws:iam::123456789012:role/test-execution"


@dataclass
class CliResult:
    code: int
    out: str
    err: str

    @property
    def request(self) -> dict[str, Any]:
        return json.loads(self.out)

    @property
    def errors(self) -> list[str]:
        return [line for line in self.err.splitlines() if line.startswith("error:")]

    @property
    def notices(self) -> list[str]:
        return [line for line in self.err.splitlines() if line.startswith("notice:")]

    def container(self, name: str) -> dict[str, Any]:
        return next(c for c in self.request["containerDefinitions"] if c["name"] == name)


RunCli = Callable[..., CliResult]


@pytest.fixture
def run_cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> RunCli:
    """Run the CLI in-process in a tmp dir; returns exit code, stdout, stderr."""
    monkeypatch.delenv("AWS_REGION", raising=False)
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)

    def run(*argv: str) -> CliResult:
        capsys.readouterr()
        try:
            code = main(list(argv))
        except SystemExit as exit_:
            code = int(exit_.code or 0)
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return run


@pytest.fixture
def compose(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, run_cli: RunCli
) -> Callable[..., CliResult]:
    """Write compose YAML (dedented) as files in tmp_path and run `render` on them."""
    monkeypatch.chdir(tmp_path)

    def render(
        *documents: str,
        args: tuple[str, ...] = (),
        role: bool = True,
        region: str | None = "us-east-1",
    ) -> CliResult:
        argv = ["render"]
        for index, document in enumerate(documents):
            name = "compose.yaml" if index == 0 else f"compose.{index}.yaml"
            text = textwrap.dedent(document)
            if role and index == 0 and "\nx-ecs:" not in text:
                text += f"\nx-ecs:\n  executionRoleArn: {EXECUTION_ROLE}\n"
            (tmp_path / name).write_text(text)
            argv += ["-f", name]
        if region:
            argv += ["--region", region]
        return run_cli(*argv, *args)

    return render
