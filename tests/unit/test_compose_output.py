"""Pins what the loader reads from Compose: `config --format yaml`'s output for one file with
every shape we use, against the output recorded in compose_config/expected.yaml.

A Compose release that changes it (a key renamed, a duration or size written another way,
x-* keys dropped as `--format json` drops them) fails here before it changes a task
definition. Runs the binary the loader finds (COMPOSE_ECS_DEPLOY_COMPOSE picks another one:
that is how Compose 5.0.0-rc.2 was checked).
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import yaml

from compose_ecs_deploy.loading.compose_cli import find_compose

HERE = Path(__file__).resolve().parent / "compose_config"


def test_config_format_yaml_prints_what_the_loader_expects() -> None:
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("COMPOSE_") or key == "COMPOSE_ECS_DEPLOY_COMPOSE"
    }
    completed = subprocess.run(
        [*find_compose().argv, "--profile", "local", "config", "--format", "yaml"],
        cwd=HERE,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    expected = (HERE / "expected.yaml").read_text().replace("{root}", str(HERE))
    assert yaml.safe_load(completed.stdout) == yaml.safe_load(expected)
