"""prune against the stack: what goes and why the rest stays (the newest N, what any service
of the cluster runs, the rollback target), --dry-run writes nothing, --delete, and the pace."""

from __future__ import annotations

import contextlib
import time

import pytest

from compose_ecs_deploy.aws import revisions
from compose_ecs_deploy.faces.cli import main
from tests.deploy.conftest import CLUSTER, World
from tests.deploy.test_rollback import WRITES, deployed
from tests.support.fault_proxy import FaultProxy

pytestmark = pytest.mark.stack


def prune(capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(["prune", "--cluster", CLUSTER, "--ecs-service", "web", *extra])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def family(world: World) -> list[str]:
    """web:1..3 deployed (3 runs, 2 is the rollback target), web:4..7 registered only, and
    another service of the cluster on web:1."""
    arns = deployed(world, "2", "3")
    for n in range(4, 8):
        arns.append(
            world.ecs.register_task_definition(
                family="web", containerDefinitions=[{"name": "app", "image": f"x:{n}", "memory": 8}]
            )["taskDefinition"]["taskDefinitionArn"]
        )
    world.ecs.create_service(cluster=CLUSTER, serviceName="other", taskDefinition=arns[0])
    return arns


@pytest.fixture
def fast(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(revisions, "PACE", 0.01)


def active(world: World) -> list[str]:
    return [a.rsplit("/", 1)[-1] for a in world.revisions("web")]


def test_dry_run_says_what_goes_and_why_the_rest_stays_and_writes_nothing(
    world: World, family: list[str], capsys: pytest.CaptureFixture[str], proxy: FaultProxy
) -> None:
    proxy.forwarded.clear()
    code, out, err = prune(capsys, "--keep", "2", "--dry-run")
    assert code == 0, err
    lines = [line for line in out.splitlines() if line.startswith("web: ")]
    assert lines == [
        "web: keep web:7: one of the newest 2",
        "web: keep web:6: one of the newest 2",
        "web: would deregister web:5: older than the newest 2",
        "web: would deregister web:4: older than the newest 2",
        "web: keep web:3: service web runs it (primary deployment)",
        "web: keep web:2: the rollback target",
        "web: keep web:1: service other runs it (primary deployment)",
    ], out
    assert not WRITES & set(proxy.forwarded) and proxy.forwarded["UpdateService"] == 0
    assert len(active(world)) == 7


def test_prune_deregisters_then_delete_deletes(
    world: World, family: list[str], capsys: pytest.CaptureFixture[str], fast: None,
    proxy: FaultProxy,
) -> None:  # fmt: skip
    code, out, err = prune(capsys, "--keep", "2")
    assert code == 0, err
    assert active(world) == ["web:1", "web:2", "web:3", "web:6", "web:7"]
    assert "deregistered=2" in out and "deleted=0" in out
    inactive = world.ecs.list_task_definitions(familyPrefix="web", status="INACTIVE")
    assert len(inactive["taskDefinitionArns"]) == 2
    proxy.forwarded.clear()
    code, out, err = prune(capsys, "--keep", "2", "--delete")
    assert code == 0, err
    assert "deregistered=0" in out and "deleted=2" in out
    assert proxy.forwarded["DeleteTaskDefinitions"] == 1  # ten a call
    assert (
        world.ecs.list_task_definitions(familyPrefix="web", status="INACTIVE")["taskDefinitionArns"]
        == []
    )


def test_the_writes_are_paced_at_half_the_refill(
    world: World, family: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    started = time.monotonic()
    code, _, err = prune(capsys, "--keep", "2")
    assert code == 0, err
    assert time.monotonic() - started >= revisions.PACE  # two writes, one slot apart


@pytest.mark.parametrize("keep", ["0", "-1", "x", ""])
def test_keep_must_be_one_or_more(
    world: World, capsys: pytest.CaptureFixture[str], keep: str, proxy: FaultProxy
) -> None:
    world.service("web")
    usage = not keep.lstrip("-").isdigit()  # argparse refuses it: exit 2
    with pytest.raises(SystemExit) if usage else contextlib.nullcontext():
        code, _, err = prune(capsys, "--keep", keep)
        assert code == 1 and "keep at least the running revision" in err
    assert proxy.forwarded["DeregisterTaskDefinition"] == 0
