"""CODE_DEPLOY services through the action's face (in-process, as the runner calls it: INPUT_*
variables, the outputs file, the job summary), for the cases of issue #26 that
tests/deploy/test_codedeploy.py shows on the CLI: a user AppSpec whose hooks are kept and whose
placeholders are filled, a failed hook, our timeout, a deployment already active,
`wait-until: traffic-shifted`, and the group found through every page of every list. Each
asserts the calls made (the success and the crashing replacement through the action are in
test_codedeploy.py and tests/action/test_codedeploy_action.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.deploy.conftest import World, run_action
from tests.deploy.test_codedeploy import (
    APP,
    GROUP,
    IMAGE,
    PLACEHOLDERS_AND_HOOKS,
    calls,
    code_deploy_service,
    found_through_every_page,
    paged_world,
    sent_appspec,
    writes,
)

pytestmark = pytest.mark.stack
__all__ = ["calls"]  # a fixture, used by name
Calls = list[tuple[str, dict[str, Any]]]


def step(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any, **given: str
) -> tuple[int, dict[str, str], str, str]:
    """One action step deploying the compose file's app; (exit code, outputs, summary, log)."""
    capsys.readouterr()
    code, outputs, summary = run_action(
        world, tmp_path, monkeypatch, {"images": f"app={IMAGE}", **given}
    )
    log = capsys.readouterr()
    return code, outputs, summary, log.out + log.err


def test_a_users_appspec_keeps_its_hooks_and_a_failed_hook_is_named(
    world: World, aws_client, capsys, calls: Calls, tmp_path: Path, monkeypatch
) -> None:
    first, _ = code_deploy_service(
        world, aws_client, {"simulator:codedeploy-fail-hook": "AfterAllowTestTraffic"}
    )
    appspec = tmp_path / "appspec.yaml"
    appspec.write_text(PLACEHOLDERS_AND_HOOKS)
    code, outputs, summary, log = step(
        world, tmp_path, monkeypatch, capsys, **{"codedeploy-appspec": str(appspec)}
    )
    assert code == 1, log
    assert writes(calls) == ["RegisterTaskDefinition", "CreateDeployment"]
    spec = sent_appspec(calls)
    assert spec["Hooks"] == [{"AfterAllowTestTraffic": "SmokeTest"}, {"BeforeInstall": "Prepare"}]
    properties = spec["Resources"][0]["TargetService"]["Properties"]
    assert properties["LoadBalancerInfo"] == {"ContainerName": "app", "ContainerPort": 8080}
    assert properties["TaskDefinition"] == outputs["task-definition-arn"] != first
    assert outputs["codedeploy-deployment-id"] == outputs["deployment-id"] != ""
    assert "HOOK_EXECUTION_FAILURE" in log and "at lifecycle event AfterAllowTestTraffic" in log
    assert "SmokeTest" in log and "CodeDeploy rolled back with deployment d-" in log
    assert "HOOK_EXECUTION_FAILURE" in summary and "AfterAllowTestTraffic" in summary


def test_our_timeout_stops_the_deployment_with_rollback(
    world: World, aws_client, capsys, calls: Calls, tmp_path: Path, monkeypatch
) -> None:
    code_deploy_service(world, aws_client, {"simulator:codedeploy-event-ticks": "100000"})
    code, outputs, _, log = step(world, tmp_path, monkeypatch, capsys, **{"wait-timeout": "0.02"})
    assert code == 1, log
    assert writes(calls) == ["RegisterTaskDefinition", "CreateDeployment", "StopDeployment"]
    (stop,) = [body for name, body in calls if name == "StopDeployment"]
    assert stop["autoRollbackEnabled"] is True
    assert stop["deploymentId"] == outputs["codedeploy-deployment-id"]
    assert "not done after" in log and "CodeDeploy rolls back with deployment d-" in log


def test_a_deployment_already_active_registers_nothing(
    world: World, aws_client, capsys, calls: Calls, tmp_path: Path, monkeypatch
) -> None:
    first, cd = code_deploy_service(world, aws_client)
    target = {"TaskDefinition": first,
              "LoadBalancerInfo": {"ContainerName": "app", "ContainerPort": 8080}}  # fmt: skip
    content = json.dumps({"version": 0.0, "Resources": [
        {"TargetService": {"Type": "AWS::ECS::Service", "Properties": target}}]})  # fmt: skip
    active = cd.create_deployment(
        applicationName=APP,
        deploymentGroupName=GROUP,
        revision={"revisionType": "AppSpecContent", "appSpecContent": {"content": content}},
    )["deploymentId"]
    code, outputs, _, log = step(world, tmp_path, monkeypatch, capsys)
    assert code == 1 and writes(calls) == [], log
    assert f"CodeDeploy deployment {active} is still InProgress in {APP}/{GROUP}" in log
    assert "nothing was registered" in log and "task-definition-arn" not in outputs


def test_wait_until_traffic_shifted_leaves_the_termination_wait_to_codedeploy(
    world: World, aws_client, capsys, calls: Calls, tmp_path: Path, monkeypatch
) -> None:
    _, cd = code_deploy_service(world, aws_client, termination=120)
    code, outputs, summary, log = step(
        world, tmp_path, monkeypatch, capsys, **{"wait-until": "traffic-shifted"}
    )
    assert code == 0, log
    assert writes(calls) == ["RegisterTaskDefinition", "CreateDeployment"]
    deployment_id = outputs["codedeploy-deployment-id"]
    assert "web: AllowTraffic: Succeeded" in log
    assert "stopped waiting (wait-until traffic-shifted)" in log
    assert cd.get_deployment(deploymentId=deployment_id)["deploymentInfo"]["status"] == "InProgress"
    assert "termination wait (120 min)" in summary, summary


def test_the_group_is_found_through_every_page(
    world: World, aws_client, capsys, calls: Calls, tmp_path: Path, monkeypatch
) -> None:
    paged_world(world, aws_client)
    code, _, _, log = step(world, tmp_path, monkeypatch, capsys)
    assert code == 0, log
    found_through_every_page(calls)


def test_prune_keep_after_a_deploy_reuses_its_session_and_looks_the_group_up_once(
    world: World, aws_client, capsys, calls: Calls, tmp_path: Path, monkeypatch
) -> None:
    """`prune-keep` prunes in the deploy's own session: the deployment group the deploy found
    (ListApplications, BatchGetApplications, ListDeploymentGroups, BatchGetDeploymentGroups)
    is not looked up again to find the rollback target prune keeps."""
    from compose_ecs_deploy.aws import revisions

    monkeypatch.setattr(revisions, "PACE", 0.01)
    code_deploy_service(world, aws_client)
    code, outputs, _, log = step(world, tmp_path, monkeypatch, capsys, **{"prune-keep": "1"})
    assert code == 0, log
    assert "prune-keep 1: the deploy succeeded; pruning" in log and "deregistered" in outputs
    names = [name for name, _ in calls]
    lookups = ("ListApplications", "BatchGetApplications", "ListDeploymentGroups",
               "BatchGetDeploymentGroups")  # fmt: skip
    assert {name: names.count(name) for name in lookups} == dict.fromkeys(lookups, 1), names
    assert names.count("CreateDeployment") == 1
