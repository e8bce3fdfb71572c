"""The action's face of the day-two verbs: `command: rollback | status | prune | verify`, the
inputs `to`, `prune-keep`, `prune-delete` and `verify`, and for each its step outputs and job
summary, run the way the runner runs the action (INPUT_* variables, the output and summary
files), against the stack."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from compose_ecs_deploy.aws import revisions
from tests.deploy.conftest import CLUSTER, World, run_action
from tests.deploy.test_rollback import WRITES, deployed, runs
from tests.support.fault_proxy import FaultProxy

pytestmark = pytest.mark.stack


Step = Callable[..., tuple[int, dict[str, str], str, str]]


@pytest.fixture
def step(world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any) -> Step:
    """One step of the action with these inputs: its exit code, outputs, summary and log."""

    def run(**given: str) -> tuple[int, dict[str, str], str, str]:
        capsys.readouterr()
        code, outputs, summary = run_action(world, tmp_path, monkeypatch, given)
        log = capsys.readouterr()
        return code, outputs, summary, log.out + log.err

    return run


def writes(proxy: FaultProxy) -> set[str]:
    return {name for name, count in proxy.forwarded.items() if count} & (
        WRITES | {"UpdateService", "CreateLogGroup"}
    )


def test_command_rollback_goes_back_with_the_deploys_outputs_and_summary(
    world: World, step: Step
) -> None:
    _one, two, three = deployed(world, "2", "3")
    code, outputs, summary, log = step(command="rollback")
    assert code == 0, log
    assert runs(world) == two
    assert outputs["task-definition-arn"] == two and outputs["changed"] == "true"
    assert outputs["deployment-id"].startswith("ecs-svc/")
    assert "### Services" in summary and "✅ completed" in summary
    assert "rolling back from web:3 to web:2" in log

    code, outputs, _summary, log = step(command="rollback", to="3")
    assert code == 0, log
    assert runs(world) == three == outputs["task-definition-arn"]


def test_command_rollback_dry_run_names_the_target_and_writes_nothing(
    world: World, step: Step, proxy: FaultProxy
) -> None:
    _one, two, three = deployed(world, "2", "3")
    proxy.forwarded.clear()
    code, outputs, summary, log = step(command="rollback", **{"dry-run": "true"})
    assert code == 0, log
    assert "web: dry run: would roll back from web:3 to web:2" in log
    assert outputs["task-definition-arn"] == two and "dry run" in summary
    assert runs(world) == three
    assert writes(proxy) == set(), proxy.forwarded


def test_command_status_gives_the_versioned_document_and_a_summary_and_writes_nothing(
    world: World, step: Step, proxy: FaultProxy
) -> None:
    _one, two = deployed(world, "2")
    proxy.forwarded.clear()
    code, outputs, summary, log = step(command="status")
    assert code == 0, log
    document = json.loads(outputs["status"])
    assert document["version"] == 1 and document["service"] == "web"
    assert document["taskDefinition"]["arn"] == two
    assert summary.startswith("## compose-ecs-deploy: status\n")
    assert f"running revision: {two}" in summary and f"running revision: {two}" in log
    assert writes(proxy) == set(), proxy.forwarded


def test_command_prune_dry_run_then_prune_with_delete(
    world: World, step: Step, monkeypatch: pytest.MonkeyPatch, proxy: FaultProxy
) -> None:
    monkeypatch.setattr(revisions, "PACE", 0.01)
    deployed(world, "2", "3", "4")
    proxy.forwarded.clear()
    code, outputs, summary, log = step(
        command="prune",
        **{"prune-keep": "1", "dry-run": "true"},
    )
    assert code == 0, log
    assert outputs["deregistered"] == "0" and writes(proxy) == set()
    assert "would deregister web:1" in summary and "keep web:3: the rollback target" in summary

    code, outputs, summary, log = step(
        command="prune",
        **{"prune-keep": "1", "prune-delete": "true"},
    )
    assert code == 0, log
    assert outputs["deregistered"] == "2" and outputs["deleted"] == "2", outputs
    assert [a.rsplit("/", 1)[-1] for a in world.revisions("web")] == ["web:3", "web:4"]
    assert "deleted 2 INACTIVE revisions of web" in summary


def test_prune_keep_prunes_after_a_successful_deploy_and_not_after_a_failed_one(
    world: World, step: Step, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(revisions, "PACE", 0.01)
    deployed(world, "2", "3")
    code, outputs, _summary, log = step(images="app=example/app:4", **{"prune-keep": "2"})
    assert code == 0, log
    assert outputs["changed"] == "true" and outputs["deregistered"] == "2", outputs
    assert "prune-keep 2: the deploy succeeded; pruning" in log
    assert [a.rsplit("/", 1)[-1] for a in world.revisions("web")] == ["web:3", "web:4"]

    world.ecs.tag_resource(
        resourceArn=world.running("web")["serviceArn"],
        tags=[{"key": "simulator:scenario", "value": "circuit-breaker"}],
    )
    code, outputs, _summary, log = step(images="app=example/app:5", **{"prune-keep": "1"})
    assert code == 1, log
    assert "deregistered" not in outputs and "pruning" not in log
    assert len(world.revisions("web")) == 3  # 3, 4 and the failed 5: nothing pruned


def test_command_verify_gives_each_check_and_verify_false_skips_them_in_a_deploy(
    world: World, step: Step, proxy: FaultProxy
) -> None:
    deployed(world)
    proxy.forwarded.clear()
    code, outputs, summary, log = step(command="verify", images="app=example/app:2")
    assert code == 0, log
    checks = json.loads(outputs["checks"])
    assert {c["outcome"] for c in checks} <= {"OK", "SKIP"}
    assert any(c["what"] == f"cluster {CLUSTER}" and c["outcome"] == "OK" for c in checks), checks
    assert summary.startswith("## compose-ecs-deploy: verify\n") and "SKIP" in summary
    assert writes(proxy) == set(), proxy.forwarded

    proxy.forwarded.clear()
    code, _outputs, _summary, log = step(images="app=example/app:2", verify="false")
    assert code == 0, log
    assert "verify:" not in log
    assert not proxy.forwarded["GetRole"] and not proxy.forwarded["DescribeLogGroups"]


def test_command_verify_that_fails_names_each_problem_in_the_log_and_the_summary(
    world: World, step: Step, proxy: FaultProxy
) -> None:
    deployed(world)
    missing = f"arn:aws:secretsmanager:{world.region}:123456789012:secret:web/never-made-AbCdEf"
    proxy.forwarded.clear()
    code, outputs, summary, log = step(
        command="verify", images="app=example/app:2", secrets=f"DB={missing}"
    )
    assert code == 1, log
    assert f"error: verify: secret {missing}" in log and "::error" in log
    assert "**Stopped on an error:**" in summary and "verify: secret" in summary
    assert "checks" not in outputs
    assert writes(proxy) == set(), proxy.forwarded
