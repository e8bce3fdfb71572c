"""A CODE_DEPLOY service's rollback target from CodeDeploy's deployments of its group
(rollout/verdicts/codedeploy_history.py), through the shared history rules."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from compose_ecs_deploy.rollout.verdicts.codedeploy_history import pasts, status_of
from compose_ecs_deploy.rollout.verdicts.history import rollback_candidates

TD = "arn:aws:ecs:us-east-1:123456789012:task-definition/web:{}"


def info(n: int, status: str, minute: int, **extra: Any) -> tuple[dict[str, Any], str]:
    created = datetime(2026, 12, 6, 8, minute, tzinfo=UTC)
    return {"deploymentId": f"d-{n}{minute}", "status": status, "createTime": created, **extra}, (
        TD.format(n)
    )


def test_statuses_map_onto_the_shared_history() -> None:
    assert status_of({"status": "Succeeded"}) == "SUCCESSFUL"
    rolled = {"status": "Failed", "rollbackInfo": {"rollbackDeploymentId": "d-X"}}
    assert status_of(rolled) == "ROLLBACK_SUCCESSFUL"
    assert status_of({"status": "Stopped", "rollbackInfo": {"rollbackDeploymentId": "d-Y"}}) == (
        "ROLLBACK_SUCCESSFUL"
    )
    assert status_of({"status": "Failed"}) == "FAILED"  # never completed; names no target


def test_the_newest_completed_revision_before_the_current_one_in_any_listed_order() -> None:
    found = pasts(
        [
            info(2, "Succeeded", 1),
            info(4, "Failed", 3, rollbackInfo={"rollbackDeploymentId": "d-rb"}),
            info(3, "Succeeded", 4),  # CodeDeploy's rollback deployment, back onto 3
            info(3, "Succeeded", 2),
        ]
    )
    assert [p.task_definition[-1] for p in found] == ["3", "4", "3", "2"]  # newest first
    assert rollback_candidates(TD.format(3), found) == [TD.format(2)]


def test_a_revision_codedeploy_rolled_back_is_never_a_target() -> None:
    found = pasts(
        [
            info(2, "Succeeded", 1),
            info(3, "Succeeded", 2),
            info(3, "Stopped", 3, rollbackInfo={"rollbackDeploymentId": "d-rb"}),
            info(5, "Succeeded", 4),
        ]
    )
    assert rollback_candidates(TD.format(5), found) == [TD.format(2)]


def test_a_deployment_whose_appspec_names_no_revision_is_passed_over() -> None:
    found = pasts([({"status": "Succeeded", "createTime": 4e9}, ""), info(2, "Succeeded", 1)])
    assert rollback_candidates(TD.format(4), found) == [TD.format(2)]
