"""The seed's example must render exactly to the task definition the seed runs."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import EXAMPLE

IMAGE = (
    "123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/example-project:"
    "3f2c1a9b8e7d6c5b4a39281706f5e4d3c2b1a098"
)
ARGS = [
    "render",
    "-f",
    "docker-compose.yml",
    "-f",
    "docker-compose.prod.yml",
    "--service",
    "app",
    "--image",
    f"app={IMAGE}",
    "--secrets-file",
    "secrets.txt",
    "--region",
    "ap-northeast-1",
]


def _without_equal_host_ports(request: dict) -> dict:
    for container in request["containerDefinitions"]:
        for mapping in container.get("portMappings", []):
            if mapping.get("hostPort") == mapping["containerPort"]:
                del mapping["hostPort"]
    return request


@pytest.fixture
def example(tmp_path: Path) -> Path:
    copy = tmp_path / "nextjs-postgres"
    shutil.copytree(EXAMPLE, copy)
    for path in copy.iterdir():
        path.chmod(0o644)
    return copy


def _run(example: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "compose_ecs_deploy", *ARGS],
        cwd=example,
        capture_output=True,
        text=True,
        check=False,
        env={"PATH": "/usr/bin:/bin"},
    )


def test_example_renders_the_expected_task_definition(example: Path) -> None:
    result = _run(example)
    assert result.returncode == 0, result.stderr
    expected = json.loads((example / "expected-task-definition.json").read_text())
    assert _without_equal_host_ports(json.loads(result.stdout)) == expected
    assert "Traceback" not in result.stderr


def test_example_output_is_byte_for_byte_repeatable(example: Path) -> None:
    first, second = _run(example), _run(example)
    assert first.stdout == second.stdout
    assert first.stdout.endswith("}\n")


def test_example_tells_what_it_dropped(example: Path) -> None:
    notices = [line for line in _run(example).stderr.splitlines() if line.startswith("notice:")]
    assert any("depends_on.db" in line and "docker-compose.yml:25" in line for line in notices)
    assert any("restart" in line and "docker-compose.prod.yml" in line for line in notices)
    assert any("`version` is obsolete" in line for line in notices)
