"""The deploy engine against moto with the rollout simulator (images given: no build)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from compose_ecs_deploy.aws.client import Aws
from compose_ecs_deploy.errors import Cancelled
from compose_ecs_deploy.faces.cli import main
from compose_ecs_deploy.report.summary import failure_lines, outputs
from tests.deploy.conftest import CLUSTER, World, outputs_from
from tests.support.fault_proxy import FaultProxy, Rule
from tests.support.memory_log import MemoryLog

pytestmark = pytest.mark.stack
IMAGE = "example/app:2"


def _cli(world: World, capsys, *extra: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(
        [
            "deploy",
            "-f",
            str(world.workdir / "compose.yaml"),
            "--service",
            "app",
            "--cluster",
            CLUSTER,
            "--ecs-service",
            "web",
            "--image",
            f"app={IMAGE}",
            "--poll-interval",
            "1",
            *extra,
        ]
    )
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
    waiting = aws.calls["ecs:DescribeServices"] - 1 + aws.calls["ecs:ListTasks"]
    # verify: the execution role and the default log group, which it creates once
    verify = {"iam:GetRole": 1, "logs:DescribeLogGroups": 1, "logs:CreateLogGroup": 1}
    assert {k: aws.calls[k] for k in verify} == verify
    assert sum(aws.calls.values()) - waiting - sum(verify.values()) <= 4
    assert aws.calls["ecs:DescribeServices"] == 2  # the read, then one poll that completes
    assert aws.calls["ecs:ListTasks"] == 1  # the stopped tasks of our deployment: none
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
    deployment, aws = world.deploy(
        world.settings(images=(f"app={IMAGE}",), force_new_deployment=True)
    )
    assert aws.calls["ecs:RegisterTaskDefinition"] == 0
    assert aws.calls["ecs:UpdateService"] == 1
    result = deployment.result.services[0]
    assert result.changed is False and result.task_definition_arn == current
    assert result.outcome is not None and result.outcome.kind == "completed"


def test_crash_loop_is_reported_and_rolled_back(world: World, capsys) -> None:
    first = world.service(
        "web",
        scenario="crash-loop",
        tags={"simulator:exit-code": "3", "simulator:reason": "bad config"},
    )
    code, _out, err = _cli(world, capsys)
    assert code == 1
    assert "container app exited with code 3 (bad config)" in err
    assert "EssentialContainerExited" in err
    assert "previous revision" in err and "restored" in err
    assert world.running("web")["taskDefinition"] == first
    assert "Traceback" not in err


def test_crash_loop_is_detected_within_two_polls(world: World) -> None:
    world.service("web", scenario="crash-loop")
    deployment, aws = world.deploy(
        world.settings(images=(f"app={IMAGE}",), rollback_on_failure=False)
    )
    result = deployment.result.services[0]
    assert result.outcome is not None and result.outcome.kind == "failed"
    # one DescribeServices to read the service, then two polls: a failed task each
    assert aws.calls["ecs:DescribeServices"] == 3
    assert aws.calls["ecs:ListTasks"] == 2
    assert aws.calls["ecs:DescribeTasks"] == 2  # only the new task's ARN each time
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
    code = main(
        [
            "deploy",
            "-f",
            str(world.workdir / "compose.yaml"),
            "--cluster",
            CLUSTER,
            "--ecs-service",
            "web=app",
            "--ecs-service",
            "jobs=worker",
            "--image",
            f"app={IMAGE}",
            "--image",
            "worker=example/worker:2",
            "--poll-interval",
            "1",
        ]
    )
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
    code = main(
        [
            "diff",
            "-f",
            str(world.workdir / "compose.yaml"),
            "--service",
            "app",
            "--cluster",
            CLUSTER,
            "--ecs-service",
            "web",
            "--image",
            f"app={IMAGE}",
        ]
    )
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
        [
            sys.executable,
            "-m",
            "compose_ecs_deploy",
            "deploy",
            "-f",
            str(world.workdir / "compose.yaml"),
            "--service",
            "app",
            "--cluster",
            CLUSTER,
            "--ecs-service",
            "web",
            "--image",
            f"app={IMAGE}",
            "--poll-interval",
            "1",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **aws_env},
        cwd=Path(world.workdir),
    )
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


def test_two_deploys_of_one_service_at_once_both_report_truthfully(
    world: World, aws_env, proxy: FaultProxy
) -> None:
    """Both deploys update the service before either can finish: the proxy holds each
    UpdateService until both have arrived (the time each takes to plan, verify and register
    varies with the machine's load), so the later one surely supersedes the earlier."""
    world.service("web", scenario="slow", tags={"simulator:ticks": "6"})
    proxy.gates["UpdateService"] = threading.Barrier(2)
    runs = []
    for image in ("example/app:blue", "example/app:green"):
        runs.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "compose_ecs_deploy",
                    "deploy",
                    "-f",
                    str(world.workdir / "compose.yaml"),
                    "--service",
                    "app",
                    "--cluster",
                    CLUSTER,
                    "--ecs-service",
                    "web",
                    "--image",
                    f"app={image}",
                    "--poll-interval",
                    "20",
                    "--no-rollback",
                ],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env={**os.environ, **aws_env, "AWS_ENDPOINT_URL": proxy.url},
            )
        )
    results = [run.communicate(timeout=120) for run in runs]
    assert proxy.forwarded["UpdateService"] == 2
    codes = [run.returncode for run in runs]
    final = world.running("web")["taskDefinition"]
    registered = {
        outputs_from(out)["task-definition-arn"]: (code, err)
        for (out, err), code in zip(results, codes, strict=True)
    }
    assert final in registered  # the service ends on one of the two revisions
    assert len(registered) == 2 and len(world.revisions("web")) == 3
    winner_code, _ = registered.pop(final)
    [(loser_code, loser_err)] = registered.values()
    assert winner_code == 0
    assert loser_code == 1 and "superseded" in loser_err, loser_err


def test_rerunning_a_finished_deploy_changes_nothing(world: World, capsys) -> None:
    world.service("web")
    assert _cli(world, capsys)[0] == 0
    revisions = world.revisions("web")
    code, out, _ = _cli(world, capsys)
    assert code == 0
    assert outputs_from(out)["changed"] == "false"
    assert world.revisions("web") == revisions


# --------------------------------------------------------------------------- the rollout rules


@pytest.fixture
def calls(monkeypatch) -> Counter[str]:
    """Every AWS call the CLI makes in this test, by `api:Operation`."""
    seen: Counter[str] = Counter()
    count = Aws._count

    def counting(self: Aws, model: Any, **kwargs: Any) -> None:
        count(self, model, **kwargs)
        seen[f"{model.service_model.service_name}:{model.name}"] += 1

    monkeypatch.setattr(Aws, "_count", counting)
    return seen


def _task_id(text: str) -> str:
    match = re.search(r"task ([0-9a-f]{32}) stopped", text)
    assert match, text
    return match.group(1)


def test_success_waits_for_the_old_deployment_to_drain(world: World, capsys, calls) -> None:
    world.service("web")
    code, out, err = _cli(world, capsys)
    assert code == 0, out + err
    # the read, then: pending, running, COMPLETED beside the draining old one, alone
    assert calls["ecs:DescribeServices"] == 1 + 4
    assert "COMPLETED: running 2, pending 0, desired 2, 1 older deployment draining" in out
    assert (calls["ecs:RegisterTaskDefinition"], calls["ecs:UpdateService"]) == (1, 1)


def test_crash_after_running_without_health_check_fails_fast(world: World, capsys, calls) -> None:
    first = world.service(
        "web",
        scenario="crash-after-running",
        tags={"simulator:exit-code": "3", "simulator:reason": "KeyError: 'DATABASE_URL'"},
    )
    code, _out, err = _cli(world, capsys, "--no-rollback")
    assert code == 1
    [line] = [e for e in err.splitlines() if e.startswith("error:")]
    assert "failed: task " in line and "(EssentialContainerExited)" in line
    assert "container app exited with code 3 (KeyError: 'DATABASE_URL')" in line
    assert "agent" not in line  # the sidecar's 137 is not the reason
    assert "2 tasks of this revision failed" in line
    assert world.ecs.describe_tasks(cluster=CLUSTER, tasks=[_task_id(line)])["tasks"]
    # polls: pending, running, both exited -> the verdict at the first poll that saw them
    assert calls["ecs:DescribeServices"] == 1 + 3
    # stopped tasks read at the first poll and when fewer ran (verdicts/polite.py)
    assert calls["ecs:ListTasks"] == 2 and calls["ecs:DescribeTasks"] == 1
    assert (calls["ecs:RegisterTaskDefinition"], calls["ecs:UpdateService"]) == (1, 1)
    assert world.running("web")["taskDefinition"] != first


def test_crash_loop_rolls_back_to_the_last_completed_revision(world: World, capsys, calls) -> None:
    first = world.service("web", scenario="crash-loop")
    code, _out, err = _cli(world, capsys)
    assert code == 1
    assert "container app exited with code 1" in err and "restored" in err
    assert (calls["ecs:RegisterTaskDefinition"], calls["ecs:UpdateService"]) == (1, 2)
    assert world.running("web")["taskDefinition"] == first


@pytest.mark.parametrize(
    ("scenario", "text"),
    [
        ("missing-image", "CannotPullContainerError"),
        ("missing-secret", "ResourceNotFoundException: Secrets Manager can't find"),
    ],
)
def test_a_deterministic_start_failure_fails_at_the_first_poll(
    world: World, capsys, calls, scenario, text
) -> None:
    world.service("web", scenario=scenario)
    code, _out, err = _cli(world, capsys, "--no-rollback")
    assert code == 1
    assert "(TaskFailedToStart)" in err and text in err
    assert calls["ecs:DescribeServices"] == 1 + 1
    assert (calls["ecs:RegisterTaskDefinition"], calls["ecs:UpdateService"]) == (1, 1)


@pytest.mark.parametrize("scenario", ["flaky-start", "capacity"])
def test_transient_trouble_is_not_a_failure(world: World, capsys, calls, scenario) -> None:
    world.service("web", scenario=scenario)
    code, out, err = _cli(world, capsys)
    assert code == 0, out + err
    assert "web: completed" in out
    if scenario == "flaky-start":
        assert "warning: task " in out and "i/o timeout" in out and "still waiting" in out
    assert (calls["ecs:RegisterTaskDefinition"], calls["ecs:UpdateService"]) == (1, 1)


def test_circuit_breaker_rollback_is_not_followed_by_ours(world: World, capsys, calls) -> None:
    first = world.service("web", scenario="circuit-breaker", circuit_breaker=True)
    code, out, err = _cli(world, capsys)
    assert code == 1
    assert "rolled-back: ECS deployment circuit breaker: tasks failed to start." in err
    assert "circuit breaker decides" in out
    assert "ECS rolls this service back; no rollback of ours" in out
    assert (calls["ecs:RegisterTaskDefinition"], calls["ecs:UpdateService"]) == (1, 1)
    assert calls["ecs:DescribeServices"] == 1 + 3  # failedTasks reaches 3 at the third poll
    for _ in range(3):
        world.running("web")
    assert world.running("web")["taskDefinition"] == first


def test_alarm_rollback_is_not_followed_by_ours(world: World, capsys, calls) -> None:
    first = world.service("web", scenario="alarm", alarms=("web-5xx",))
    code, _out, err = _cli(world, capsys)
    assert code == 1
    assert "rolled-back:" in err and "web-5xx in ALARM state" in err
    assert (calls["ecs:RegisterTaskDefinition"], calls["ecs:UpdateService"]) == (1, 1)
    assert calls["ecs:DescribeServices"] == 1 + 3
    for _ in range(3):
        world.running("web")
    assert world.running("web")["taskDefinition"] == first


def test_a_stalled_breaker_is_reported_and_rolled_back_by_us(world: World, capsys, calls) -> None:
    first = world.service(
        "web",
        scenario="circuit-breaker",
        circuit_breaker=True,
        tags={"simulator:created": "in-progress"},
    )
    code, out, err = _cli(world, capsys)
    assert code == 1, out + err
    assert "stalled: ECS deployment circuit breaker: tasks failed to start." in err
    assert "no COMPLETED deployment to return to" in err
    assert f"rolling back to {first}" in out
    assert (calls["ecs:RegisterTaskDefinition"], calls["ecs:UpdateService"]) == (1, 2)


@pytest.mark.parametrize("controller", ["EXTERNAL"])
def test_an_unsupported_controller_is_refused_before_any_write(
    world: World, capsys, calls, controller
) -> None:
    world.service("web", controller=controller)
    code, out, err = _cli(world, capsys)
    assert code == 1
    [line] = err.splitlines()
    assert line.startswith(
        f"error: ECS service web uses the {controller} deployment "
        "controller (deploymentController.type); compose-ecs-deploy deploys "
        "only services with the ECS controller (rolling update)"
    )
    assert calls["ecs:RegisterTaskDefinition"] == calls["ecs:UpdateService"] == 0
    assert len(world.revisions("web")) == 1 and "registered" not in out


def test_rerun_after_no_wait_on_a_crash_loop_watches_and_rolls_back(
    world: World, capsys, calls
) -> None:
    first = world.service("web", scenario="crash-loop")
    assert _cli(world, capsys, "--no-wait")[0] == 0
    registered = world.revisions("web")[-1]
    calls.clear()
    code, out, err = _cli(world, capsys)
    assert code == 1, out + err
    assert "unchanged" not in out and "following it to its end" in out
    assert "container app exited with code 1" in err
    assert (calls["ecs:RegisterTaskDefinition"], calls["ecs:UpdateService"]) == (0, 1)
    assert calls["ecs:DescribeServices"] >= 2 and f"rolling back to {first}" in out
    assert world.running("web")["taskDefinition"] == first and registered != first


def test_rerun_after_a_cancelled_wait_follows_the_deployment(world: World, capsys, calls) -> None:
    world.service("web", scenario="slow", tags={"simulator:ticks": "6"})

    class CancelOnFirstPoll(MemoryLog):
        def info(self, line: str) -> None:
            super().info(line)
            if " IN_PROGRESS: " in line:
                raise Cancelled("cancelled by SIGTERM")

    cancelled, _ = world.deploy(world.settings(images=(f"app={IMAGE}",)), CancelOnFirstPoll())
    outcome = cancelled.result.services[0].outcome
    assert outcome is not None and outcome.kind == "cancelled"
    deployment_id = cancelled.result.services[0].deployment_id
    calls.clear()
    code, out, err = _cli(world, capsys)
    assert code == 0, out + err
    assert f"deployment {deployment_id} of this revision is IN_PROGRESS" in out
    assert "web: completed" in out and outputs_from(out)["deployment-id"] == deployment_id
    assert (calls["ecs:RegisterTaskDefinition"], calls["ecs:UpdateService"]) == (0, 0)


def test_the_wait_survives_failing_reads(world: World, proxy: FaultProxy) -> None:
    world.service("web")
    proxy.rules["ListTasks"] = Rule(kinds=("503",), first=4, delay=0.01)
    log = MemoryLog()
    deployment, aws = world.deploy(world.settings(images=(f"app={IMAGE}",), max_retries=0), log)
    assert deployment.result.succeeded, log.lines
    assert sum("reading its stopped tasks failed" in line for line in log.lines) == 4
    assert proxy.forwarded["UpdateService"] == 1
    assert aws.calls["ecs:ListTasks"] == 4 + proxy.forwarded["ListTasks"]


def test_throttled_reads_are_waited_out_and_slow_the_polls(world: World, proxy: FaultProxy) -> None:
    world.service("web")
    proxy.rules["DescribeServices"] = Rule(kinds=("throttle",), first=3, after=1)
    log = MemoryLog()
    deployment, aws = world.deploy(world.settings(images=(f"app={IMAGE}",), max_retries=0), log)
    assert deployment.result.succeeded, log.lines
    assert aws.throttle.throttled == 3
    assert not [line for line in log.lines if "failed" in line]
    assert aws.calls["ecs:DescribeServices"] == 3 + proxy.forwarded["DescribeServices"]


def test_the_wait_survives_failing_service_reads(world: World, proxy: FaultProxy) -> None:
    world.service("web")
    plan_reads = 1  # the plan's DescribeServices, spared: only the wait's reads fail
    proxy.rules["DescribeServices"] = Rule(kinds=("503",), first=3, delay=0.01, after=plan_reads)
    log = MemoryLog()
    deployment, aws = world.deploy(world.settings(images=(f"app={IMAGE}",), max_retries=0), log)
    assert deployment.result.succeeded, log.lines
    assert sum("reading the services failed" in line for line in log.lines) == 3
    assert proxy.forwarded["UpdateService"] == 1
    assert aws.calls["ecs:DescribeServices"] == 3 + proxy.forwarded["DescribeServices"]
