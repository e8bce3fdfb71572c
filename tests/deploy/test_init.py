"""init against the stack: the file written from a Terraform-shaped running revision renders
back to it, a missing service is one error line, and nothing but the file is written."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from compose_ecs_deploy.compose.taskdef import normalise, strip_read_only
from compose_ecs_deploy.faces.cli import main
from tests.deploy.conftest import CLUSTER, World
from tests.deploy.test_rollback import WRITES
from tests.support.fault_proxy import FaultProxy

pytestmark = pytest.mark.stack
FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "init" / "sidecars.json"


def test_init_writes_what_render_turns_back_into_the_running_revision(
    world: World, capsys: pytest.CaptureFixture[str], proxy: FaultProxy, tmp_path: Path
) -> None:
    described = json.loads(FIXTURE.read_text())
    request = strip_read_only(described)
    arn = world.ecs.register_task_definition(**request)["taskDefinition"]["taskDefinitionArn"]
    world.ecs.create_service(cluster=CLUSTER, serviceName="shop", taskDefinition=arn)
    proxy.forwarded.clear()
    out = tmp_path / "compose.ecs.yaml"
    code = main(["init", "--cluster", CLUSTER, "--ecs-service", "shop", "-o", str(out)])
    assert code == 0
    assert not WRITES & set(proxy.forwarded) and proxy.forwarded["UpdateService"] == 0
    text = out.read_text()
    assert text.startswith("# compose-ecs-deploy init from shop (shop-prod:1)")
    capsys.readouterr()
    services = [a for s in ("app", "migrate", "log_router", "xray") for a in ("--service", s)]
    assert main(["render", "-f", str(out), "--region", "us-east-1", *services]) == 0
    rendered = json.loads(capsys.readouterr().out)
    assert normalise(rendered) == normalise(request)


def test_a_missing_service_is_one_error_line(
    world: World, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    out = tmp_path / "compose.ecs.yaml"
    code = main(["init", "--cluster", CLUSTER, "--ecs-service", "nope", "-o", str(out)])
    err = capsys.readouterr().err
    assert code == 1 and err.startswith("error:") and "nope was not found" in err
    assert not out.exists()


def test_an_external_service_with_no_task_definition_is_one_error_line(
    world: World, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """An EXTERNAL service may have no task definition of its own (CreateService) and, before
    its first task set, none at all: init says so in one line and writes no file."""
    world.ecs.create_service(
        cluster=CLUSTER, serviceName="outside", deploymentController={"type": "EXTERNAL"}
    )
    out = tmp_path / "compose.ecs.yaml"
    code = main(["init", "--cluster", CLUSTER, "--ecs-service", "outside", "-o", str(out)])
    err = capsys.readouterr().err
    assert code == 1 and err.startswith("error: ") and err.count("\n") == 1, err
    assert "ECS service outside names no task definition" in err
    assert not out.exists()
