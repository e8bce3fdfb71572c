"""The deploy engine against moto with the rollout simulator (images given: no build)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from compose_ecs_deploy.cli import main
from compose_ecs_deploy.report import failure_lines, outputs
from tests.deploy.conftest import CLUSTER, World, outputs_from

pytestmark = pytest.mark.stack
IMAGE = "example/app:2"


def _cli(world: World, capsys, *extra: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(["deploy", "-f", str(world.workdir / "compose.yaml"), "--service", "app",
                 "--cluster", CLUSTER, "--ecs-service", "web", "--image", f"app={IMAGE}",
                 "--poll-interval", "0.01", *extra])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_success_registers_one_revision_and_completes(world: World, capsys) -> None:
    first = world.service("web")
    code, out, err = _cli(world, capsys)
    assert code == 0, out + err
    revisions = world.revisions("web")
    assert len(revisions) == 2
    service = world.running("web")
    assert service["taskDefinition"] == revisions[-1] != first
    assert [d["rolloutState"] for d in service["deployments"]] == ["COMPLETED"]
    values = outputs_from(out)
    assert values["changed"] == "true"
    assert values["task-definition-arn"] == revisions[-1]
    assert values["task-definition-revision"] == "2"
    assert values["deployment-id"] == service["deployments"][0]["id"]
    assert "completed" in out
    registered = world.ecs.describe_task_definition(taskDefinition=revisions[-1])
    containers = {c["name"]: c for c in registered["taskDefinition"]["containerDefinitions"]}
    assert containers["app"]["image"] == IMAGE
    assert containers["agent"]["image"] == "example/agent:7"  # the platform's sidecar kept
    assert registered["taskDefinition"]["executionRoleArn"].endswith(":role/exec")


def test_api_calls_of_a_changed_and_an_unchanged_deploy(world: World) -> None:
    world.service("web", tags={"simulator:ticks": "1"})
    deployment, aws = world.deploy(world.settings(images=(f"app={IMAGE}",)))
    assert deployment.result.succeeded
    assert aws.calls["ecs:RegisterTaskDefinition"] == 1
    assert aws.calls["ecs:UpdateService"] == 1
    before_wait = sum(aws.calls.values()) - aws.calls["ecs:DescribeServices"] + 1
    assert before_wait <= 4
    assert aws.calls["ecs:DescribeServices"] == 2  # the read, then one poll that completes
    assert aws.calls["ecs:DescribeTasks"] == 0

    again, aws = world.deploy(world.settings(images=(f"app={IMAGE}",)))
    assert again.result.services[0].changed is False
    assert dict(aws.calls) == {"ecs:DescribeServices": 1, "ecs:DescribeTaskDefinition": 1}
    assert len(world.revisions("web")) == 2
    assert outputs(again.result, {})["changed"] == "false"


def test_unchanged_with_force_rolls_the_same_revision(world: World) -> None:
    world.service("web")
    first, _ = world.deploy(world.settings(images=(f"app={IMAGE}",)))
    current = first.result.services[0].task_definition_arn
    deployment, aws = world.deploy(world.settings(images=(f"app={IMAGE}",),
                                                  force_new_deployment=True))
    assert aws.calls["ecs:RegisterTaskDefinition"] == 0
    assert aws.calls["ecs:UpdateService"] == 1
    result = deployment.result.services[0]
    assert result.changed is False and result.task_definition_arn == current
    assert result.outcome is not None and result.outcome.kind == "completed"


def test_crash_loop_is_reported_and_rolled_back(world: World, capsys) -> None:
    first = world.service("web", scenario="crash-loop",
                          tags={"simulator:exit-code": "3", "simulator:reason": "bad config"})
    code, _out, err = _cli(world, capsys)
    assert code == 1
    assert "container app exited with code 3 (bad config)" in err
    assert "EssentialContainerExited" in err
    assert "previous revision" in err and "restored" in err
    assert world.running("web")["taskDefinition"] == first
    assert "Traceback" not in err


def test_crash_loop_is_detected_within_two_polls(world: World) -> None:
    world.service("web", scenario="crash-loop")
    deployment, aws = world.deploy(world.settings(images=(f"app={IMAGE}",),
                                                  rollback_on_failure=False))
    result = deployment.result.services[0]
    assert result.outcome is not None and result.outcome.kind == "failed"
    # one DescribeServices to read the service, then at most two polls
    assert aws.calls["ecs:DescribeServices"] <= 3
    assert aws.calls["ecs:DescribeTasks"] == 1
    assert aws.calls["ecs:UpdateService"] == 1  # no rollback asked for


def test_never_healthy_names_the_health_check(world: World) -> None:
    world.service("web", scenario="never-healthy")
    deployment, _ = world.deploy(world.settings(images=(f"app={IMAGE}",)))
    [line] = failure_lines(deployment.result)
    assert "Task failed container health checks" in line
    assert "code 137" in line and "UNHEALTHY" in line


def test_circuit_breaker_rollback_is_a_failure(world: World) -> None:
    first = world.service("web", scenario="circuit-breaker", circuit_breaker=True)
    deployment, aws = world.deploy(world.settings(images=(f"app={IMAGE}",)))
    result = deployment.result.services[0]
    assert not deployment.result.succeeded
    assert result.outcome is not None
    assert result.outcome.kind in ("rolled-back", "failed")
    assert "circuit breaker" in result.outcome.reason
    assert aws.calls["ecs:UpdateService"] == 1  # ECS rolls back, not us
    assert result.rollback is None
    for _ in range(5):
        world.running("web")  # let the simulated rollback finish
    assert world.running("web")["taskDefinition"] == first


def test_timeout_gives_the_last_events(world: World, capsys) -> None:
    world.service("web", scenario="slow")
    code, _out, err = _cli(world, capsys, "--wait-timeout", "0.005", "--no-rollback")
    assert code == 1
    assert "did not finish within 0.005 minutes" in err
    assert "last events:" in err and "has started" in err


def test_two_services_one_failing_both_reported(world: World, capsys) -> None:
    world.service("web", containers=("app",))
    world.service("jobs", containers=("worker",), scenario="crash-loop")
    capsys.readouterr()
    code = main(["deploy", "-f", str(world.workdir / "compose.yaml"), "--cluster", CLUSTER,
                 "--ecs-service", "web=app", "--ecs-service", "jobs=worker",
                 "--image", f"app={IMAGE}", "--image", "worker=example/worker:2",
                 "--poll-interval", "0.01"])
    out, err = capsys.readouterr()
    assert code == 1, out + err
    values = outputs_from(out)
    assert "changed" in values, out + err
    assert set(eval_json(values["changed"])) == {"web", "jobs"}
    assert "web: completed" in out
    assert "service jobs: failed" in err
    assert "service web" not in err


def eval_json(text: str) -> dict[str, str]:
    import json

    return json.loads(text)


def test_dry_run_writes_nothing(world: World, capsys) -> None:
    world.service("web")
    code, out, _ = _cli(world, capsys, "--dry-run")
    assert code == 0
    assert "dry run: would register a new revision" in out
    assert '+      "image": "example/app:2",' in out
    assert len(world.revisions("web")) == 1
    assert len(world.running("web")["deployments"]) == 1


def test_diff_verb_prints_the_change(world: World, capsys) -> None:
    world.service("web")
    capsys.readouterr()
    code = main(["diff", "-f", str(world.workdir / "compose.yaml"), "--service", "app",
                 "--cluster", CLUSTER, "--ecs-service", "web", "--image", f"app={IMAGE}"])
    out = capsys.readouterr().out
    assert code == 0
    assert '-      "image": "example/app:0",' in out
    assert '+      "image": "example/app:2",' in out


def test_missing_service_is_a_clear_error(world: World, capsys) -> None:
    code, _, err = _cli(world, capsys)
    assert code == 1
    assert err.startswith("error: ECS service web was not found in cluster test-cluster")


def test_sigterm_during_the_wait_cancels_and_names_the_deployment(world: World, aws_env) -> None:
    world.service("web", scenario="slow")
    process = subprocess.Popen(
        [sys.executable, "-m", "compose_ecs_deploy", "deploy", "-f",
         str(world.workdir / "compose.yaml"), "--service", "app", "--cluster", CLUSTER,
         "--ecs-service", "web", "--image", f"app={IMAGE}", "--poll-interval", "1"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, **aws_env},
        cwd=Path(world.workdir))
    assert process.stdout is not None
    deadline = time.monotonic() + 60
    for line in process.stdout:
        if "started (" in line or time.monotonic() > deadline:
            break
    process.send_signal(signal.SIGTERM)
    try:
        _, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 1
    assert "cancelled by SIGTERM" in err and "ecs-svc/" in err


def test_two_deploys_of_one_service_at_once_both_report_truthfully(world: World,
                                                                   aws_env) -> None:
    world.service("web", scenario="slow", tags={"simulator:ticks": "6"})
    runs = []
    for image in ("example/app:blue", "example/app:green"):
        runs.append(subprocess.Popen(
            [sys.executable, "-m", "compose_ecs_deploy", "deploy", "-f",
             str(world.workdir / "compose.yaml"), "--service", "app", "--cluster", CLUSTER,
             "--ecs-service", "web", "--image", f"app={image}", "--poll-interval", "0.2",
             "--no-rollback"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env={**os.environ, **aws_env}))
    results = [run.communicate(timeout=120) for run in runs]
    codes = [run.returncode for run in runs]
    final = world.running("web")["taskDefinition"]
    registered = {outputs_from(out)["task-definition-arn"]: (code, err)
                  for (out, err), code in zip(results, codes, strict=True)}
    assert final in registered  # the service ends on one of the two revisions
    assert len(registered) == 2 and len(world.revisions("web")) == 3
    winner_code, _ = registered.pop(final)
    [(loser_code, loser_err)] = registered.values()
    assert winner_code == 0
    assert loser_code == 1 and "superseded" in loser_err


def test_rerunning_a_finished_deploy_changes_nothing(world: World, capsys) -> None:
    world.service("web")
    assert _cli(world, capsys)[0] == 0
    revisions = world.revisions("web")
    code, out, _ = _cli(world, capsys)
    assert code == 0
    assert outputs_from(out)["changed"] == "false"
    assert world.revisions("web") == revisions
