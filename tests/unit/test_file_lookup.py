"""With no -f, the files `docker compose` itself would read: checked against the binary."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from compose_ecs_deploy.loading.compose_cli import default_files, find_compose

ROLE = "arn:aws:iam::123456789012:role/exec"


def _write(directory: Path, name: str) -> None:
    """Each file marks the service with its own name, so the merged output tells which won."""
    key = "image" if "override" not in name else "environment"
    value = name if key == "image" else f"{{FROM: {name}}}"
    (directory / name).write_text(f"services:\n  app:\n    {key}: {value}\n")


def _config(cwd: Path, files: list[str]) -> str:
    argv = [*find_compose().argv]
    for file in files:
        argv += ["-f", file]
    completed = subprocess.run(
        [*argv, "config", "--format", "yaml"],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
        env={"PATH": "/usr/bin:/bin"},
    )
    return completed.stdout


@pytest.mark.parametrize(
    "names",
    [
        ["docker-compose.yml"],
        ["docker-compose.yaml"],
        ["docker-compose.yml", "docker-compose.yaml"],
        ["compose.yml", "docker-compose.yml"],
        ["compose.yaml", "compose.yml", "docker-compose.override.yaml"],
        ["docker-compose.yml", "docker-compose.override.yml"],
        ["compose.yaml", "compose.override.yml", "compose.override.yaml"],
        ["compose.yml", "compose.override.yaml", "docker-compose.override.yml"],
    ],
)
@pytest.mark.parametrize("from_subdirectory", [False, True])
def test_lookup_reads_what_docker_compose_reads(
    tmp_path: Path, names: list[str], from_subdirectory: bool
) -> None:
    project = tmp_path / "shop"
    project.mkdir()
    for name in names:
        _write(project, name)
    cwd = project / "src" if from_subdirectory else project
    cwd.mkdir(exist_ok=True)
    files, notices = default_files(cwd, {})
    assert _config(cwd, files) == _config(cwd, [])
    several = [n for n in notices if "several" in n.message]
    bases = [n for n in names if "override" not in n]
    overrides = [n for n in names if "override" in n]
    assert len(several) == (len(bases) > 1) + (len(overrides) > 1)


def test_compose_file_variable_is_honoured(tmp_path: Path) -> None:
    _write(tmp_path, "compose.yaml")
    files, _ = default_files(
        tmp_path, {"COMPOSE_FILE": "a.yaml;b.yaml", "COMPOSE_PATH_SEPARATOR": ";"}
    )
    assert files == ["a.yaml", "b.yaml"]


def test_render_without_f_uses_the_override_file(tmp_path: Path, run_cli, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "compose.yaml").write_text(
        f"services:\n  app: {{image: app}}\nx-ecs: {{executionRoleArn: '{ROLE}'}}\n"
    )
    (tmp_path / "compose.override.yaml").write_text(
        "services:\n  app: {environment: {FROM_OVERRIDE: '1'}}\n"
    )
    result = run_cli("render", "--service", "app", "--region", "us-east-1")
    assert result.code == 0, result.err
    assert result.container("app")["environment"] == [{"name": "FROM_OVERRIDE", "value": "1"}]


def test_render_without_f_and_without_files_says_what_it_looked_for(
    tmp_path: Path, run_cli, monkeypatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("COMPOSE_FILE", raising=False)
    result = run_cli("render", "--service", "app", "--region", "us-east-1")
    assert result.code == 1
    assert len(result.errors) == 1
    assert "compose.yaml" in result.errors[0] and "-f FILE" in result.errors[0]
