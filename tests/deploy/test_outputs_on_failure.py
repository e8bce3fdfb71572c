"""Outputs are written as soon as they are known: a register refused after the push still
leaves image-uri and image-digest in `$GITHUB_OUTPUT`, and the step fails with one line."""

from __future__ import annotations

from pathlib import Path

import pytest

from compose_ecs_deploy.faces import action
from tests.deploy.conftest import CLUSTER, World
from tests.deploy.conftest import github_outputs as _github_outputs
from tests.support.fault_proxy import FaultProxy, Rule

pytestmark = pytest.mark.stack
SHA = "5e1f0c2d3b4a59687766554433221100ffeeddcc"


def test_a_failed_register_after_the_push_keeps_the_image_outputs(
    world: World, proxy: FaultProxy, ecr_repo, hello_app: Path, tmp_path: Path, monkeypatch, capsys
) -> None:
    world.service("hello", containers=("web",))
    proxy.rules["RegisterTaskDefinition"] = Rule(kinds=("500",), delay=0.0)
    inputs = {
        "compose-file": str(hello_app / "compose.yaml"),
        "services": "web",
        "cluster": CLUSTER,
        "ecs-service": "hello",
        "ecr-repository": ecr_repo.name,
        "aws-region": world.region,
        "image-tag": SHA,
        "max-retries": "0",
    }
    for name in action.INPUTS:
        monkeypatch.setenv(f"INPUT_{name.upper()}", inputs.get(name, ""))
    output = tmp_path / "github_output"
    output.touch()
    monkeypatch.setenv("GITHUB_OUTPUT", str(output))

    capsys.readouterr()
    code = action.main()
    err = capsys.readouterr().err

    assert code == 1
    assert proxy.forwarded["RegisterTaskDefinition"] == 0
    errors = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "RegisterTaskDefinition" in errors[0], err
    values = _github_outputs(output)
    assert values["image-uri"] == f"{ecr_repo.uri}:{SHA}"
    assert values["image-digest"].startswith("sha256:")
    assert "task-definition-arn" not in values
    assert len(world.revisions("hello")) == 1
