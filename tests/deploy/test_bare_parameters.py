"""A bare SSM parameter name in `secrets` (issue #22): taken only when the parameter exists,
looked up with GetParameters before any write, never printed; otherwise refused without
repeating it. Against moto's SSM, through the CLI."""

from __future__ import annotations

from typing import Any

import pytest

from compose_ecs_deploy.faces.cli import main
from tests.deploy.conftest import CLUSTER, World
from tests.deploy.test_rollback import WRITES
from tests.support.fault_proxy import FaultProxy, Rule

pytestmark = pytest.mark.stack
NAME = "shop-db-password"  # a parameter Terraform made, named without a path
PASTED = "hunter2-Zq81-pasted"  # a password pasted where a reference belongs


def run(
    capsys: pytest.CaptureFixture[str], world: World, verb: str, *extra: str
) -> tuple[int, str]:
    capsys.readouterr()
    args = [verb, "-f", str(world.workdir / "compose.yaml"), "--service", "app"]
    args += ["--cluster", CLUSTER, "--ecs-service", "web"]
    if verb == "deploy":
        args += ["--poll-interval", "0.01"]
    code = main([*args, "--region", world.region, *extra])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


@pytest.fixture
def parameter(world: World, aws_client: Any) -> None:
    aws_client("ssm").put_parameter(Name=NAME, Value="s3cr3t-value", Type="SecureString")
    world.service("web")


def test_an_existing_bare_name_is_deployed_and_never_printed(
    world: World, parameter: None, capsys: pytest.CaptureFixture[str], proxy: FaultProxy
) -> None:
    code, printed = run(capsys, world, "deploy", "--secret", f"DB={NAME}", "--no-verify")
    assert code == 0, printed
    assert NAME not in printed and "s3cr3t-value" not in printed
    assert proxy.forwarded["GetParameters"] == 1  # not verify's (off): the bare name's own
    definition = world.ecs.describe_task_definition(taskDefinition="web")["taskDefinition"]
    app = next(c for c in definition["containerDefinitions"] if c["name"] == "app")
    assert app["secrets"] == [{"name": "DB", "valueFrom": NAME}]


def test_a_bare_name_ssm_does_not_know_is_refused_before_any_write(
    world: World, parameter: None, capsys: pytest.CaptureFixture[str], proxy: FaultProxy
) -> None:
    code, printed = run(
        capsys, world, "deploy", "--secret", f"DB={NAME}", "--secret", f"API_TOKEN={PASTED}"
    )
    assert code == 1
    errors = [line for line in printed.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "--secret: API_TOKEN:" in errors[0], printed
    assert "Secrets Manager" in errors[0] and "SSM has no parameter" in errors[0]
    assert PASTED not in printed and NAME not in printed
    assert not WRITES & set(proxy.forwarded) and proxy.forwarded["UpdateService"] == 0
    assert proxy.forwarded["GetParameters"] == 1  # both names in one call


def test_a_bare_name_that_cannot_be_looked_up_is_refused(
    world: World, parameter: None, capsys: pytest.CaptureFixture[str], proxy: FaultProxy
) -> None:
    proxy.rules["GetParameters"] = Rule(("503",))
    code, printed = run(capsys, world, "deploy", "--secret", f"DB={NAME}", "--max-retries", "0")
    assert code == 1
    assert "DB:" in printed and "lookup failed (ServiceUnavailableException)" in printed
    assert NAME not in printed
    assert not WRITES & set(proxy.forwarded) and proxy.forwarded["UpdateService"] == 0


def test_the_diff_shows_a_bare_name_masked(
    world: World, parameter: None, capsys: pytest.CaptureFixture[str]
) -> None:
    code, printed = run(capsys, world, "diff", "--secret", f"DB={NAME}")
    assert code == 0, printed
    assert '"DB"' in printed or "DB" in printed
    assert NAME not in printed


def test_verify_reads_a_bare_name_and_prints_it_masked(
    world: World, parameter: None, capsys: pytest.CaptureFixture[str]
) -> None:
    code, printed = run(capsys, world, "verify", "--secret", f"DB={NAME}")
    assert code == 0, printed
    assert "verify: OK     SSM parameter ***" in printed and NAME not in printed
