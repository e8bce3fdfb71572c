"""A bare SSM parameter name (issue #22), wherever the revision about to be registered got it
(`secrets`, a service's x-ecs, the running revision, a run-before or `run` one-off): taken
only when the parameter exists, looked up with GetParameters before any write (also with
--no-verify), never printed; otherwise refused without repeating it. Against moto's SSM,
through the CLI and the action's face."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from compose_ecs_deploy.faces.cli import main
from tests.deploy.conftest import CLUSTER, World, run_action
from tests.deploy.test_rollback import WRITES
from tests.support.fault_proxy import FaultProxy, Rule
from tests.support.runner_commands import shown

pytestmark = pytest.mark.stack
NAME = "shop-db-password"  # a parameter Terraform made, named without a path
PASTED = "hunter2-Zq81-pasted"  # a password pasted where a reference belongs


def run(
    capsys: pytest.CaptureFixture[str], world: World, verb: str, *extra: str, compose: str = ""
) -> tuple[int, str]:
    capsys.readouterr()
    path = world.workdir / "compose.yaml"
    if compose:
        path = world.workdir / "x-ecs.yaml"
        path.write_text(compose)
    args = [verb, "-f", str(path), "--service", "app"]
    args += ["--cluster", CLUSTER, "--ecs-service", "web"]
    if verb in ("deploy", "run"):
        args += ["--poll-interval", "1"]
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


def x_ecs(value_from: str, *, service: str = "app") -> str:
    """The test's compose file with `service` given a secret by its own x-ecs block, and a
    `migrate` one-off beside it."""
    lines = [
        "services:",
        "  app:",
        "    image: example/app:1",
        "  migrate:",
        "    image: example/app:1",
        "    command: [migrate]",
    ]
    at = lines.index(f"  {service}:") + 2
    lines[at:at] = [
        "    x-ecs:",
        "      secrets:",
        f"        - {{name: DB_PASSWORD, valueFrom: {value_from}}}",
    ]
    return "\n".join(lines) + "\n"


def _refused_before_any_write(code: int, printed: str, proxy: FaultProxy, *words: str) -> None:
    assert code == 1, printed
    errors = [line for line in printed.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and all(w in errors[0] for w in words), printed
    assert "SSM has no parameter" in errors[0] and "Secrets Manager" in errors[0]
    assert PASTED not in printed
    assert proxy.forwarded["GetParameters"] == 1
    assert not WRITES & set(proxy.forwarded), proxy.forwarded
    assert proxy.forwarded["UpdateService"] == 0 and proxy.forwarded["RunTask"] == 0


@pytest.mark.parametrize("verify", [True, False], ids=["verify", "no-verify"])
def test_a_bare_x_ecs_name_ssm_does_not_know_stops_the_deploy_before_any_write(
    world: World,
    parameter: None,
    capsys: pytest.CaptureFixture[str],
    proxy: FaultProxy,
    verify: bool,
) -> None:
    extra = () if verify else ("--no-verify",)
    code, printed = run(capsys, world, "deploy", *extra, compose=x_ecs(PASTED))
    where = "x-ecs.yaml:5: service app, field x-ecs.secrets.DB_PASSWORD:"
    _refused_before_any_write(code, printed, proxy, where)
    assert proxy.forwarded["GetParameter"] == 0  # names only: no value is ever read


def test_an_existing_bare_x_ecs_name_deploys_and_is_never_printed(
    world: World,
    parameter: None,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    proxy: FaultProxy,
) -> None:
    compose = world.workdir / "x-ecs.yaml"
    compose.write_text(x_ecs(NAME))
    capsys.readouterr()
    code, outputs, summary = run_action(
        world, tmp_path, monkeypatch, {"compose-file": str(compose), "verify": "false"}
    )
    captured = capsys.readouterr()
    assert code == 0, captured.err
    # what the runner shows: `::add-mask::` lines are commands it takes, and then it masks
    # the name in whatever follows
    assert f"::add-mask::{NAME}" in captured.out
    for text in (shown(captured.out), shown(captured.err), summary, *outputs.values()):
        assert NAME not in text and "s3cr3t-value" not in text
    assert proxy.forwarded["GetParameters"] == 1
    definition = world.ecs.describe_task_definition(taskDefinition="web")["taskDefinition"]
    app = next(c for c in definition["containerDefinitions"] if c["name"] == "app")
    assert app["secrets"] == [{"name": "DB_PASSWORD", "valueFrom": NAME}]


def test_a_bare_name_of_the_running_revision_is_looked_up_too(
    world: World, parameter: None, capsys: pytest.CaptureFixture[str], proxy: FaultProxy
) -> None:
    """Terraform's revision carries a bare name SSM no longer has: the new revision would
    carry it on (compose says nothing of `secrets`), so the deploy stops before its writes."""
    current = world.ecs.describe_task_definition(taskDefinition="web")["taskDefinition"]
    containers = [
        {**c, "secrets": [{"name": "DB", "valueFrom": PASTED}]} if c["name"] == "app" else c
        for c in current["containerDefinitions"]
    ]
    keep = ("family", "requiresCompatibilities", "networkMode", "cpu", "memory")
    arn = world.ecs.register_task_definition(
        **{k: current[k] for k in keep},
        executionRoleArn=current["executionRoleArn"],
        containerDefinitions=containers,
    )["taskDefinition"]["taskDefinitionArn"]
    world.ecs.update_service(cluster=CLUSTER, service="web", taskDefinition=arn)
    code, printed = run(capsys, world, "deploy", "--no-verify", "--image", "app=example/app:2")
    where = "container app (from the base task definition): secrets.DB:"
    _refused_before_any_write(code, printed, proxy, where)


def test_a_bare_x_ecs_name_of_a_run_before_one_off_stops_it_before_it_runs(
    world: World, parameter: None, capsys: pytest.CaptureFixture[str], proxy: FaultProxy
) -> None:
    compose = x_ecs(PASTED, service="migrate")
    code, printed = run(
        capsys, world, "deploy", "--no-verify", "--run-before", "migrate", compose=compose
    )
    where = "x-ecs.yaml:7: service migrate, field x-ecs.secrets.DB_PASSWORD:"
    _refused_before_any_write(code, printed, proxy, where)


def test_run_looks_up_its_one_offs_bare_x_ecs_name_before_any_write(
    world: World, parameter: None, capsys: pytest.CaptureFixture[str], proxy: FaultProxy
) -> None:
    capsys.readouterr()
    path = world.workdir / "x-ecs.yaml"
    path.write_text(x_ecs(PASTED, service="migrate"))
    code = main(
        ["run", "-f", str(path), "--cluster", CLUSTER, "--ecs-service", "web", "--region",
         world.region, "--no-verify", "migrate"]
    )  # fmt: skip
    captured = capsys.readouterr()
    where = "x-ecs.yaml:7: service migrate, field x-ecs.secrets.DB_PASSWORD:"
    _refused_before_any_write(code, captured.out + captured.err, proxy, where)


def test_the_diff_looks_up_a_bare_x_ecs_name_and_shows_it_masked(
    world: World, parameter: None, capsys: pytest.CaptureFixture[str], proxy: FaultProxy
) -> None:
    code, printed = run(capsys, world, "diff", compose=x_ecs(NAME))
    assert code == 0, printed
    assert "DB_PASSWORD" in printed and "***" in printed and NAME not in printed
    assert proxy.forwarded["GetParameters"] == 1
    code, printed = run(capsys, world, "diff", compose=x_ecs(PASTED))
    assert code == 1 and "field x-ecs.secrets.DB_PASSWORD:" in printed
    assert PASTED not in printed
