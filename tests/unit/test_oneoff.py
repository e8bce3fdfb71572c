"""The pure parts of one-off tasks: the RunTask request, progress lines, the verdict."""

from __future__ import annotations

from typing import Any

from compose_ecs_deploy.rollout.verdicts import oneoff

NETWORK = {"awsvpcConfiguration": {"subnets": ["subnet-1"], "securityGroups": ["sg-1"]}}
ARN = "arn:aws:ecs:us-east-1:123456789012:task/prod/0123456789abcdef"


def _stopped(
    *containers: dict[str, Any],
    stop_code: str = "EssentialContainerExited",
    reason: str = "Essential container in task exited",
) -> dict[str, Any]:
    return {
        "taskArn": ARN,
        "lastStatus": "STOPPED",
        "desiredStatus": "STOPPED",
        "stopCode": stop_code,
        "stoppedReason": reason,
        "containers": list(containers),
    }


def test_started_by_names_the_tool_and_the_commit_within_ecs_limits() -> None:
    assert oneoff.started_by("5e1f0c3a") == "compose-ecs-deploy/5e1f0c3a"
    assert oneoff.started_by(None) == "compose-ecs-deploy"
    odd = oneoff.started_by("feature/login.v2 " + "x" * 200)
    assert odd.startswith("compose-ecs-deploy/feature/login-v2-") and len(odd) == 128


def test_one_off_family_is_family_dash_service() -> None:
    assert oneoff.one_off_family("example-project", "migrate") == "example-project-migrate"
    assert oneoff.one_off_family("app", "db.migrate") == "app-db-migrate"


def test_run_task_request_copies_the_service_network_and_launch_type() -> None:
    service = {
        "networkConfiguration": NETWORK,
        "launchType": "FARGATE",
        "platformVersion": "1.4.0",
        "capacityProviderStrategy": [],
    }
    request = oneoff.run_task_request(
        cluster="prod",
        task_definition="app-migrate:3",
        service=service,
        started="compose-ecs-deploy/abc",
        client_token="t" * 80,
        container="migrate",
    )
    assert request == {
        "cluster": "prod",
        "taskDefinition": "app-migrate:3",
        "count": 1,
        "startedBy": "compose-ecs-deploy/abc",
        "clientToken": "t" * 64,
        "networkConfiguration": NETWORK,
        "launchType": "FARGATE",
        "platformVersion": "1.4.0",
    }


def test_a_capacity_provider_strategy_replaces_the_launch_type() -> None:
    strategy = [{"capacityProvider": "FARGATE_SPOT", "weight": 1}]
    service = {
        "networkConfiguration": NETWORK,
        "launchType": "FARGATE",
        "capacityProviderStrategy": strategy,
    }
    request = oneoff.run_task_request(
        cluster="c",
        task_definition="td",
        service=service,
        started="s",
        client_token="t",
        container="migrate",
        command=["npm", "run", "backfill"],
    )
    assert request["capacityProviderStrategy"] == strategy and "launchType" not in request
    assert request["overrides"] == {
        "containerOverrides": [{"name": "migrate", "command": ["npm", "run", "backfill"]}]
    }


def test_exit_zero_of_every_essential_container_succeeds() -> None:
    task = _stopped({"name": "migrate", "exitCode": 0}, {"name": "agent", "exitCode": 1})
    verdict = oneoff.verdict(task, essential=("migrate",))
    assert verdict.succeeded
    assert (verdict.container, verdict.exit_code, verdict.task_id) == (
        "migrate",
        0,
        "0123456789abcdef",
    )


def test_a_non_zero_essential_container_fails_and_is_named() -> None:
    task = _stopped(
        {"name": "agent", "exitCode": 0},
        {"name": "migrate", "exitCode": 2, "reason": "migration 0042 failed"},
    )
    verdict = oneoff.verdict(task, essential=("agent", "migrate"))
    assert not verdict.succeeded
    assert (verdict.container, verdict.exit_code) == ("migrate", 2)
    assert verdict.describe() == (
        "task 0123456789abcdef: container migrate exited with code 2 (migration 0042 "
        "failed); ECS stopped the task (EssentialContainerExited): Essential container in "
        "task exited"
    )


def test_a_container_that_never_ran_fails_with_the_reason() -> None:
    task = _stopped(
        {"name": "migrate", "reason": "CannotPullContainerError: not found"},
        stop_code="TaskFailedToStart",
        reason="CannotPullContainerError",
    )
    verdict = oneoff.verdict(task, essential=("migrate",))
    assert not verdict.succeeded and verdict.exit_code is None
    assert "did not run to an exit code (CannotPullContainerError: not found)" in (
        verdict.describe()
    )
    assert "(TaskFailedToStart): CannotPullContainerError" in verdict.describe()


def test_an_answer_listing_no_essential_container_is_a_failure_not_a_vacuous_success() -> None:
    """all() over nothing is True: a success needs an exit code 0 of each essential one."""
    for task in (
        _stopped(),
        _stopped({"name": "agent", "exitCode": 0}),
    ):
        verdict = oneoff.verdict(task, essential=("migrate",))
        assert not verdict.succeeded and verdict.missing == ("migrate",)
        assert "does not list essential container migrate, so nothing shows that the task " in (
            verdict.describe()
        )


def test_an_essential_container_missing_beside_a_listed_one_fails() -> None:
    task = _stopped({"name": "migrate", "exitCode": 0})
    verdict = oneoff.verdict(task, essential=("migrate", "seed"))
    assert not verdict.succeeded and verdict.missing == ("seed",)
    assert "essential container seed" in verdict.describe()


def test_essential_containers_default_to_true() -> None:
    request = {
        "containerDefinitions": [
            {"name": "a"},
            {"name": "b", "essential": False},
            {"name": "c", "essential": True},
        ]
    }
    assert oneoff.essential_containers(request) == ("a", "c")


def test_state_shows_a_task_being_stopped() -> None:
    assert oneoff.state_of({"lastStatus": "PENDING", "desiredStatus": "RUNNING"}) == "PENDING"
    assert oneoff.state_of({"lastStatus": "RUNNING", "desiredStatus": "STOPPED"}) == (
        "RUNNING (stopping)"
    )
    assert oneoff.state_of({"lastStatus": "DEPROVISIONING", "desiredStatus": "STOPPED"}) == (
        "DEPROVISIONING"
    )
    assert oneoff.state_of(_stopped()) == "STOPPED"
    assert oneoff.is_stopped(_stopped()) and not oneoff.is_stopped({"lastStatus": "RUNNING"})
    assert oneoff.format_state("migrate", ARN, "RUNNING") == (
        "migrate: one-off task 0123456789abcdef RUNNING"
    )


def test_the_reusable_workflow_passes_run_before_on() -> None:
    import pathlib

    import yaml

    root = pathlib.Path(__file__).resolve().parents[2]
    workflow = yaml.safe_load((root / ".github" / "workflows" / "deploy.yml").read_text())
    call = workflow[True]["workflow_call"]  # PyYAML reads the key `on` as True
    assert {"run-before", "run-timeout"} <= set(call["inputs"])
    assert {"run-task-arns", "run-exit-codes"} <= set(call["outputs"])
    (step,) = [s for s in workflow["jobs"]["deploy"]["steps"] if s.get("id") == "deploy"]
    assert step["with"]["run-before"] == "${{ inputs.run-before }}"
    assert step["with"]["run-timeout"] == "${{ inputs.run-timeout }}"
