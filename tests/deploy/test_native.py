"""BLUE_GREEN, LINEAR and CANARY deployments through the CLI, against the stack's simulated
service deployments (tests/support/service_deployments.py): stage lines, weights, ECS's own
rollbacks, our StopServiceDeployment at the timeout, wait-until and PAUSE hooks gated by
verify-command. Each test asserts the exact ECS writes the run made."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from compose_ecs_deploy.faces.cli import main
from compose_ecs_deploy.report.summary import summary_markdown
from tests.deploy.conftest import CLUSTER, World, record_writes

pytestmark = pytest.mark.stack
IMAGE = "example/app:2"
WRITES = (
    "RegisterTaskDefinition",
    "UpdateService",
    "StopServiceDeployment",
    "ContinueServiceDeployment",
)
PAUSE_AFTER_TEST_TRAFFIC = {
    "targetType": "PAUSE",
    "lifecycleStages": ["POST_TEST_TRAFFIC_SHIFT"],
    "timeoutConfiguration": {"timeoutInMinutes": 30, "action": "ROLLBACK"},
}


@pytest.fixture
def writes(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, dict[str, Any]]]:
    """Every ECS write the run makes, in order, with its request body."""
    return record_writes(monkeypatch, WRITES)


def native_service(
    world: World, strategy: str, tags: dict[str, str] | None = None, **config: Any
) -> str:
    """A steady service (as Terraform leaves it) whose deployments ECS runs with `strategy`."""
    first = world.service("web", tags=tags)
    world.ecs.update_service(
        cluster=CLUSTER,
        service="web",
        deploymentConfiguration={"strategy": strategy, "bakeTimeInMinutes": 1, **config},
    )
    return first


def cli(
    world: World, capsys: pytest.CaptureFixture[str], *extra: str, image: str = IMAGE
) -> tuple[int, str, str]:
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
            f"app={image}",
            "--poll-interval",
            "1",
            "--wait-timeout",
            "1",
            *extra,
        ]
    )
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def names(writes: list[tuple[str, dict[str, Any]]]) -> list[str]:
    return [name for name, _ in writes]


def service_deployment(world: World) -> dict[str, Any]:
    arn = world.running("web")["currentServiceDeployment"]
    (found,) = world.ecs.describe_service_deployments(serviceDeploymentArns=[arn])[
        "serviceDeployments"
    ]
    return dict(found)


def test_blue_green_succeeds_with_a_line_per_stage(world: World, capsys, writes) -> None:
    first = native_service(world, "BLUE_GREEN")
    code, out, err = cli(world, capsys)
    assert code == 0, out + err
    assert names(writes) == ["RegisterTaskDefinition", "UpdateService"]
    stages = [
        line.split(" at ")[1].split(":")[0]
        for line in out.splitlines()
        if line.startswith("web: BLUE_GREEN ") and " at " in line
    ]
    assert list(dict.fromkeys(stages)) == [
        "PRE_SCALE_UP",
        "SCALE_UP",
        "POST_SCALE_UP",
        "TEST_TRAFFIC_SHIFT",
        "POST_TEST_TRAFFIC_SHIFT",
        "PRODUCTION_TRAFFIC_SHIFT",
        "POST_PRODUCTION_TRAFFIC_SHIFT",
        "BAKE_TIME",
        "CLEAN_UP",
    ]
    assert "production traffic 100%" in out
    assert "SUCCESSFUL at CLEAN_UP" in out
    assert "web: completed: service deployment" in out
    service = world.running("web")
    assert service["taskDefinition"] != first
    assert [d["rolloutState"] for d in service["deployments"]] == ["COMPLETED"]
    assert service_deployment(world)["status"] == "SUCCESSFUL"


def test_linear_reports_each_traffic_step(world: World, capsys, writes) -> None:
    native_service(
        world, "LINEAR", linearConfiguration={"stepPercent": 25.0, "stepBakeTimeInMinutes": 2}
    )
    code, out, err = cli(world, capsys)
    assert code == 0, out + err
    assert names(writes) == ["RegisterTaskDefinition", "UpdateService"]
    shifting = [
        line.split("production traffic ")[1].split("%")[0]
        for line in out.splitlines()
        if "at PRODUCTION_TRAFFIC_SHIFT" in line
    ]
    assert shifting == ["0", "25", "50", "75", "100"]


def test_canary_failing_its_alarm_is_rolled_back_by_ecs(world: World, capsys, writes) -> None:
    first = native_service(
        world,
        "CANARY",
        tags={"simulator:native-scenario": "alarm"},
        canaryConfiguration={"canaryPercent": 10.0, "canaryBakeTimeInMinutes": 3},
        alarms={"alarmNames": ["web-5xx", "web-latency"], "enable": True, "rollback": True},
    )
    code, out, err = cli(world, capsys)
    assert code == 1, out + err
    assert names(writes) == ["RegisterTaskDefinition", "UpdateService"]  # ECS rolls back
    assert "production traffic 10%" in out
    assert "ROLLBACK_IN_PROGRESS" in out
    assert "alarm in ALARM: web-5xx" in err
    assert "web-latency" not in err
    assert world.running("web")["taskDefinition"] == first
    assert service_deployment(world)["status"] == "ROLLBACK_SUCCESSFUL"


def test_timeout_mid_bake_stops_with_rollback_once_and_never_updates_again(
    world: World, capsys, writes
) -> None:
    native_service(world, "BLUE_GREEN", bakeTimeInMinutes=1440)
    code, out, err = cli(world, capsys, "--wait-timeout", "0.05")
    assert code == 1, out + err
    assert names(writes) == ["RegisterTaskDefinition", "UpdateService", "StopServiceDeployment"]
    stop = writes[-1][1]
    assert stop["stopType"] == "ROLLBACK"
    (stopped,) = world.ecs.describe_service_deployments(  # no DescribeServices: no tick
        serviceDeploymentArns=[stop["serviceDeploymentArn"]]
    )["serviceDeployments"]
    assert (stopped["status"], stopped["lifecycleStage"]) == ("ROLLBACK_REQUESTED", "BAKE_TIME")
    assert stop["serviceDeploymentArn"] == world.running("web")["currentServiceDeployment"]
    assert "IN_PROGRESS at BAKE_TIME" in out
    assert "asked ECS to roll it back (StopServiceDeployment ROLLBACK)" in err


def test_wait_until_traffic_shifted_ends_before_the_bake(world: World, capsys, writes) -> None:
    native_service(world, "BLUE_GREEN", bakeTimeInMinutes=1440)
    code, out, err = cli(world, capsys, "--wait-until", "traffic-shifted")
    assert code == 0, out + err
    assert names(writes) == ["RegisterTaskDefinition", "UpdateService"]
    assert "ECS finishes the bake time (1440 minutes) and the clean-up on its own" in out
    found = service_deployment(world)
    assert (found["status"], found["lifecycleStage"]) == ("IN_PROGRESS", "BAKE_TIME")


def test_wait_until_is_ignored_for_rolling_with_a_notice(world: World, capsys, writes) -> None:
    world.service("web", tags={"simulator:ticks": "1"})
    code, out, err = cli(world, capsys, "--wait-until", "traffic-shifted")
    assert code == 0, out + err
    assert "notice: wait-until traffic-shifted applies to BLUE_GREEN, LINEAR and CANARY" in out
    assert names(writes) == ["RegisterTaskDefinition", "UpdateService"]


def test_a_pause_hook_is_continued_by_a_passing_verify_command(
    world: World, capsys, writes, tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.setenv("GITHUB_WORKSPACE", str(tmp_path))
    native_service(world, "BLUE_GREEN", lifecycleHooks=[PAUSE_AFTER_TEST_TRAFFIC])
    code, out, err = cli(
        world,
        capsys,
        "--verify-command",
        'env | grep ^ECS_ | sort > seen.txt; echo "smoke test ok"',
    )
    assert code == 0, out + err
    assert names(writes) == ["RegisterTaskDefinition", "UpdateService", "ContinueServiceDeployment"]
    body = writes[-1][1]
    assert body["action"] == "CONTINUE" and body["hookId"].startswith("ecs-pause-")
    seen = dict(line.split("=", 1) for line in (tmp_path / "seen.txt").read_text().splitlines())
    service = world.running("web")
    assert seen["ECS_LIFECYCLE_STAGE"] == "POST_TEST_TRAFFIC_SHIFT"
    assert seen["ECS_SERVICE_DEPLOYMENT_ARN"] == service["currentServiceDeployment"]
    assert seen["ECS_TASK_DEFINITION_ARN"] == service["taskDefinition"]
    assert seen["ECS_HOOK_ID"] == body["hookId"]
    assert "web: verify: smoke test ok" in out
    assert service_deployment(world)["status"] == "SUCCESSFUL"


def test_a_pause_hook_is_rolled_back_by_a_failing_verify_command(
    world: World, capsys, writes
) -> None:
    first = native_service(world, "BLUE_GREEN", lifecycleHooks=[PAUSE_AFTER_TEST_TRAFFIC])
    code, out, err = cli(
        world, capsys, "--verify-command", "echo 'GET /health'; echo 'HTTP 503' >&2; exit 3"
    )
    assert code == 1, out + err
    assert names(writes) == ["RegisterTaskDefinition", "UpdateService", "ContinueServiceDeployment"]
    assert writes[-1][1]["action"] == "ROLLBACK"
    assert "exited with 3 at POST_TEST_TRAFFIC_SHIFT" in err
    assert "GET /health | HTTP 503" in err
    assert world.running("web")["taskDefinition"] == first
    assert service_deployment(world)["status"] == "ROLLBACK_SUCCESSFUL"


def test_a_pause_hook_without_verify_command_is_printed_then_times_out(
    world: World, capsys, writes
) -> None:
    first = native_service(
        world,
        "BLUE_GREEN",
        lifecycleHooks=[
            {
                **PAUSE_AFTER_TEST_TRAFFIC,
                "timeoutConfiguration": {"timeoutInMinutes": 3, "action": "ROLLBACK"},
            }
        ],
    )
    code, out, err = cli(world, capsys)
    assert code == 1, out + err
    assert names(writes) == ["RegisterTaskDefinition", "UpdateService"]
    found = service_deployment(world)
    (hook,) = found["lifecycleHookDetails"]
    assert hook["status"] == "TIMED_OUT"
    assert f"lifecycle hook {hook['hookId']} (PAUSE) is waiting at POST_TEST_TRAFFIC_SHIFT" in out
    assert "then ECS will ROLLBACK" in out
    assert (
        f"aws ecs continue-service-deployment --region {world.region} "
        f"--service-deployment-arn {found['serviceDeploymentArn']} --hook-id "
        f"{hook['hookId']} --action CONTINUE"
    ) in out
    assert out.count("continue-service-deployment") == 1  # printed once, not every poll
    assert "timed out at POST_TEST_TRAFFIC_SHIFT" in err
    assert world.running("web")["taskDefinition"] == first


def test_the_summary_says_the_bake_is_left_to_ecs(world: World) -> None:
    native_service(
        world,
        "LINEAR",
        bakeTimeInMinutes=600,
        linearConfiguration={"stepPercent": 50.0, "stepBakeTimeInMinutes": 1},
    )
    deployment, aws = world.deploy(
        world.settings(images=(f"app={IMAGE}",), wait_until="traffic-shifted")
    )
    assert deployment.result.succeeded
    assert (aws.calls["ecs:UpdateService"], aws.calls["ecs:StopServiceDeployment"]) == (1, 0)
    summary = summary_markdown(deployment.result, {})
    assert (
        "✅ completed; ECS finishes the bake time (600 minutes) and the clean-up on its own "
        "(wait-until traffic-shifted)"
    ) in summary


def test_a_rolling_and_a_blue_green_service_in_one_deploy(world: World, capsys, writes) -> None:
    native_service(world, "BLUE_GREEN")
    world.service("worker", containers=("worker",), tags={"simulator:ticks": "1"})
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
            "worker=worker",
            "--image",
            f"app={IMAGE}",
            "--image",
            "worker=example/worker:2",
            "--poll-interval",
            "1",
            "--wait-timeout",
            "1",
        ]
    )
    out, err = capsys.readouterr()
    assert code == 0, out + err
    assert sorted(names(writes)) == [
        "RegisterTaskDefinition",
        "RegisterTaskDefinition",
        "UpdateService",
        "UpdateService",
    ]
    assert "web: BLUE_GREEN " in out and "SUCCESSFUL at CLEAN_UP" in out
    assert "worker: completed" in out and "web: completed" in out


def test_a_second_deploy_follows_its_own_service_deployment(world: World, capsys, writes) -> None:
    native_service(world, "BLUE_GREEN")
    assert cli(world, capsys)[0] == 0
    first = world.running("web")["currentServiceDeployment"]
    code, out, err = cli(world, capsys, image="example/app:3")
    assert code == 0, out + err
    second = world.running("web")["currentServiceDeployment"]
    assert second != first
    assert f"BLUE_GREEN {second.rsplit('/', 1)[-1]} SUCCESSFUL" in out
    assert first.rsplit("/", 1)[-1] not in out
    assert names(writes) == ["RegisterTaskDefinition", "UpdateService"] * 2
