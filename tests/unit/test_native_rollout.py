"""The pure verdicts on service deployments, on payloads shaped as DescribeServiceDeployments
returns them (field names and values from the API reference's ServiceDeployment and the
developer guide's pause-hook example)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from compose_ecs_deploy.rollout.verdicts import native as native_rollout
from compose_ecs_deploy.rollout.verdicts.native import Hook
from compose_ecs_deploy.settings import Settings, deploy_option_problems

NEW = "arn:aws:ecs:us-west-2:123456789012:task-definition/web:8"
ARN = "arn:aws:ecs:us-west-2:123456789012:service-deployment/my-cluster/web/EZe5RNVLH6PPzHXINuP28"
SOURCE_REVISION = "arn:aws:ecs:us-west-2:123456789012:service-revision/my-cluster/web/111"
TARGET_REVISION = "arn:aws:ecs:us-west-2:123456789012:service-revision/my-cluster/web/222"


def service(strategy: str | None, bake: int | None = 10, controller: str = "ECS") -> dict:
    config: dict[str, Any] = {"maximumPercent": 200, "minimumHealthyPercent": 100}
    if strategy:
        config["strategy"] = strategy
    if bake is not None:
        config["bakeTimeInMinutes"] = bake
    return {
        "serviceName": "web",
        "deploymentConfiguration": config,
        "deploymentController": {"type": controller},
        "currentServiceDeployment": ARN,
        "events": [{"id": "e0", "createdAt": "2026-12-01T10:00:00Z", "message": "old"}],
    }


def deployment(
    status: str = "IN_PROGRESS",
    stage: str | None = "SCALE_UP",
    production: float = 0.0,
    test: float = 0.0,
    running: int = 0,
    **extra: Any,
) -> dict:
    payload: dict[str, Any] = {
        "serviceDeploymentArn": ARN,
        "status": status,
        "sourceServiceRevisions": [
            {
                "arn": SOURCE_REVISION,
                "requestedTaskCount": 2,
                "runningTaskCount": 2,
                "pendingTaskCount": 0,
                "requestedProductionTrafficWeight": 100.0 - production,
                "requestedTestTrafficWeight": 100.0 - test,
            }
        ],
        "targetServiceRevision": {
            "arn": TARGET_REVISION,
            "requestedTaskCount": 2,
            "runningTaskCount": running,
            "pendingTaskCount": 2 - running,
            "requestedProductionTrafficWeight": production,
            "requestedTestTrafficWeight": test,
        },
        "alarms": {"status": "DISABLED"},
        "deploymentCircuitBreaker": {"status": "DISABLED", "failureCount": 0, "threshold": 0},
    }
    if stage:
        payload["lifecycleStage"] = stage
    payload.update(extra)
    return payload


def start(strategy: str = "BLUE_GREEN", wait_until: str = "complete") -> native_rollout.NativeState:
    return native_rollout.start("web", NEW, service(strategy), wait_until)


def test_native_strategies_are_told_from_rolling_and_other_controllers() -> None:
    assert [
        native_rollout.is_native(service(s))
        for s in ("BLUE_GREEN", "LINEAR", "CANARY", "ROLLING", None)
    ] == [True, True, True, False, False]
    assert not native_rollout.is_native(service("BLUE_GREEN", controller="CODE_DEPLOY"))
    assert native_rollout.strategy(service(None)) == "ROLLING"


def test_start_takes_the_arn_and_the_bake_time_from_the_update_answer() -> None:
    state = start()
    assert (state.arn, state.bake_minutes, state.strategy) == (ARN, 10, "BLUE_GREEN")
    assert state.deployment_id == "EZe5RNVLH6PPzHXINuP28"
    assert state.seen_events == frozenset({"e0"})


def test_adopt_fills_a_missing_arn_and_returns_only_new_events_oldest_first() -> None:
    state = native_rollout.start(
        "web", NEW, {**service("LINEAR"), "currentServiceDeployment": None}, "complete"
    )
    assert state.arn == ""
    payload = {
        **service("LINEAR"),
        "events": [
            {"id": "e2", "createdAt": "t2", "message": "second"},
            {"id": "e1", "createdAt": "t1", "message": "first"},
            {"id": "e0", "createdAt": "t0", "message": "old"},
        ],
    }
    state, events = native_rollout.adopt(state, payload)
    assert state.arn == ARN
    assert [e.message for e in events] == ["first", "second"]
    assert native_rollout.adopt(state, payload)[1] == ()


def test_the_deployment_from_before_the_update_is_never_taken_for_ours() -> None:
    older = ARN.replace("EZe5RNVLH6PPzHXINuP28", "older")
    before = {**service("BLUE_GREEN"), "currentServiceDeployment": older}
    stale = native_rollout.start("web", NEW, before, "complete", before=before)
    assert (stale.arn, stale.previous_arn) == ("", older)
    assert native_rollout.adopt(stale, before)[0].arn == ""
    assert native_rollout.with_arn(stale, older).arn == ""
    assert native_rollout.adopt(stale, service("BLUE_GREEN"))[0].arn == ARN
    fresh = native_rollout.start("web", NEW, service("BLUE_GREEN"), "complete", before=before)
    assert fresh.arn == ARN


def test_a_line_per_change_of_stage_or_weights_and_none_otherwise() -> None:
    state = start("LINEAR")
    state, first = native_rollout.step(
        state, deployment(stage="PRODUCTION_TRAFFIC_SHIFT", production=10.0, test=100.0, running=2)
    )
    assert first.lines == (
        "web: LINEAR EZe5RNVLH6PPzHXINuP28 IN_PROGRESS at PRODUCTION_TRAFFIC_SHIFT: production "
        "traffic 10%, test traffic 100%, 2 of 2 new tasks running",
    )
    assert first.outcome is None
    state, same = native_rollout.step(
        state, deployment(stage="PRODUCTION_TRAFFIC_SHIFT", production=10.0, test=100.0, running=2)
    )
    assert same.lines == ()
    state, more = native_rollout.step(
        state, deployment(stage="PRODUCTION_TRAFFIC_SHIFT", production=20.0, test=100.0, running=2)
    )
    assert "production traffic 20%" in more.lines[0]
    assert state.service_revision == TARGET_REVISION


def test_successful_is_success() -> None:
    _, obs = native_rollout.step(start(), deployment("SUCCESSFUL", "CLEAN_UP", 100.0, 100.0, 2))
    assert obs.outcome is not None and obs.outcome.kind == "completed"
    assert NEW in obs.outcome.reason


def test_traffic_shifted_ends_past_production_traffic_shift_and_names_the_bake() -> None:
    state = start(wait_until="traffic-shifted")
    _, during = native_rollout.step(
        state, deployment(stage="PRODUCTION_TRAFFIC_SHIFT", production=100.0, running=2)
    )
    assert during.outcome is None  # still shifting: the stage is not past it yet
    _, baking = native_rollout.step(
        state, deployment(stage="BAKE_TIME", production=100.0, running=2)
    )
    assert baking.outcome is not None and baking.outcome.kind == "completed"
    assert "bake time (10 minutes)" in baking.outcome.reason
    assert "on its own" in baking.outcome.reason
    baked, _ = native_rollout.step(state, deployment(stage="BAKE_TIME", production=100.0))
    assert native_rollout.completion_note(baked) == native_rollout.bake_notice(baked)
    _, complete = native_rollout.step(start(), deployment(stage="BAKE_TIME", production=100.0))
    assert complete.outcome is None  # the default waits through the bake
    done, _ = native_rollout.step(start(), deployment("SUCCESSFUL", "CLEAN_UP", 100.0))
    assert native_rollout.completion_note(done) == ""


def test_alarm_rollback_names_the_alarm_the_reason_and_the_target() -> None:
    payload = deployment(
        "ROLLBACK_SUCCESSFUL",
        "PRODUCTION_TRAFFIC_SHIFT",
        0.0,
        100.0,
        0,
        alarms={
            "status": "TRIGGERED",
            "alarmNames": ["web-5xx", "web-latency"],
            "triggeredAlarmNames": ["web-5xx"],
        },
        rollback={
            "reason": "CloudWatch alarm web-5xx went into ALARM.",
            "startedAt": datetime(2026, 12, 1, tzinfo=UTC),
            "serviceRevisionArn": SOURCE_REVISION,
        },
    )
    state, rolling = native_rollout.step(
        start("CANARY"), {**payload, "status": "ROLLBACK_IN_PROGRESS"}
    )
    assert rolling.outcome is None  # ECS is reversing it: wait for the result
    _, obs = native_rollout.step(state, payload)
    assert obs.outcome is not None and obs.outcome.kind == "rolled-back"
    assert not obs.outcome.succeeded
    assert "alarm in ALARM: web-5xx" in obs.outcome.reason
    assert SOURCE_REVISION in obs.outcome.reason
    assert "went into ALARM" in obs.outcome.reason


def test_stopped_without_rollback_gives_the_circuit_breaker_counts() -> None:
    payload = deployment(
        "STOPPED",
        "SCALE_UP",
        statusReason="tasks failed to start.",
        deploymentCircuitBreaker={"status": "TRIGGERED", "failureCount": 3, "threshold": 3},
    )
    _, obs = native_rollout.step(start(), payload)
    assert obs.outcome is not None and obs.outcome.kind == "failed"
    assert "tasks failed to start" in obs.outcome.reason
    assert "circuit breaker triggered: 3 failed tasks (threshold 3)" in obs.outcome.reason


def test_rollback_failed_is_a_failure_that_says_so() -> None:
    _, obs = native_rollout.step(start(), deployment("ROLLBACK_FAILED", "CLEAN_UP"))
    assert obs.outcome is not None and obs.outcome.kind == "failed"
    assert "so did its rollback" in obs.outcome.reason


def pause_hook(status: str = "AWAITING_ACTION") -> dict:
    # the developer guide's example ("Pause hooks for Amazon ECS service deployments")
    return {
        "hookId": "ecs-pause-e7tK9G_WRJqNF_EOMjztDXfKenlJuEUVjsNStf4WLKw",
        "targetType": "PAUSE",
        "status": status,
        "expiresAt": datetime(2024, 1, 15, 12, 0, tzinfo=UTC),
        "timeoutAction": "ROLLBACK",
    }


def test_an_awaiting_pause_hook_is_reported_once_with_the_command_that_continues_it() -> None:
    payload = deployment(
        stage="POST_TEST_TRAFFIC_SHIFT", test=100.0, running=2, lifecycleHookDetails=[pause_hook()]
    )
    state, obs = native_rollout.step(start(), payload)
    (hook,) = obs.awaiting
    assert hook == Hook(
        "ecs-pause-e7tK9G_WRJqNF_EOMjztDXfKenlJuEUVjsNStf4WLKw",
        "POST_TEST_TRAFFIC_SHIFT",
        "2024-01-15T12:00:00Z",
        "ROLLBACK",
    )
    assert native_rollout.step(state, payload)[1].awaiting == ()
    waiting, command = native_rollout.format_hook(state, hook, "us-west-2")
    assert "until 2024-01-15T12:00:00Z; then ECS will ROLLBACK" in waiting
    assert command.endswith(
        "aws ecs continue-service-deployment --region us-west-2 --service-deployment-arn "
        f"{ARN} --hook-id {hook.hook_id} --action CONTINUE (or --action ROLLBACK)"
    )
    done = deployment(
        stage="POST_TEST_TRAFFIC_SHIFT",
        lifecycleHookDetails=[
            pause_hook("SUCCEEDED"),
            {**pause_hook(), "targetType": "AWS_LAMBDA"},
        ],
    )
    assert native_rollout.step(start(), done)[1].awaiting == ()


def test_expiry_is_printed_in_utc_whatever_the_zone_boto3_gave() -> None:
    tokyo = timezone(timedelta(hours=9))
    payload = deployment(
        stage="POST_TEST_TRAFFIC_SHIFT",
        lifecycleHookDetails=[
            {**pause_hook(), "expiresAt": datetime(2024, 1, 15, 21, 0, tzinfo=tokyo)}
        ],
    )
    (hook,) = native_rollout.step(start(), payload)[1].awaiting
    assert hook.expires_at == "2024-01-15T12:00:00Z"


def test_a_wait_until_that_is_neither_value_is_an_option_error() -> None:
    problems = deploy_option_problems(
        Settings(compose_files=("c.yaml",), region="us-east-1", wait_until="baked")
    )
    assert [p.message for p in problems] == [
        "wait-until 'baked' is not complete or traffic-shifted (--wait-until, action input "
        "wait-until)"
    ]


def test_a_failed_gate_makes_the_rollback_a_failure_with_the_command_output() -> None:
    state, obs = native_rollout.step(
        start(), deployment(stage="POST_TEST_TRAFFIC_SHIFT", lifecycleHookDetails=[pause_hook()])
    )
    state = native_rollout.gate_failed(
        state, obs.awaiting[0], "./smoke.sh", 1, [f"line {n}" for n in range(10)] + ["HTTP 500"]
    )
    _, end = native_rollout.step(
        state, deployment("ROLLBACK_SUCCESSFUL", "POST_TEST_TRAFFIC_SHIFT")
    )
    assert end.outcome is not None and end.outcome.kind == "rolled-back"
    assert end.outcome.reason.startswith(
        "verify-command './smoke.sh' exited with 1 at POST_TEST_TRAFFIC_SHIFT"
    )
    assert "line 6 | line 7 | line 8 | line 9 | HTTP 500" in end.outcome.reason
    assert "line 5" not in end.outcome.reason


def test_timeout_says_where_ecs_is_and_whether_it_rolls_back() -> None:
    state, _ = native_rollout.step(start(), deployment(stage="BAKE_TIME", production=100.0))
    assert native_rollout.should_stop(state)
    stopping = native_rollout.timed_out(state, 1, rolling_back=True)
    assert stopping.kind == "timed-out"
    assert "is IN_PROGRESS at BAKE_TIME, 100% of production traffic" in stopping.reason
    assert "StopServiceDeployment ROLLBACK" in stopping.reason
    left = native_rollout.timed_out(state, 1, rolling_back=False)
    assert left.reason.endswith("ECS carries on with it")
    rolling, _ = native_rollout.step(start(), deployment("ROLLBACK_IN_PROGRESS", "BAKE_TIME"))
    assert not native_rollout.should_stop(rolling)


def test_verify_environment_carries_the_stage_the_arn_and_the_new_revision() -> None:
    state, obs = native_rollout.step(
        start(), deployment(stage="POST_TEST_TRAFFIC_SHIFT", lifecycleHookDetails=[pause_hook()])
    )
    env = native_rollout.verify_environment(state, obs.awaiting[0], "my-cluster")
    assert env == {
        "ECS_LIFECYCLE_STAGE": "POST_TEST_TRAFFIC_SHIFT",
        "ECS_HOOK_ID": "ecs-pause-e7tK9G_WRJqNF_EOMjztDXfKenlJuEUVjsNStf4WLKw",
        "ECS_SERVICE_DEPLOYMENT_ARN": ARN,
        "ECS_TASK_DEFINITION_ARN": NEW,
        "ECS_SERVICE_REVISION_ARN": TARGET_REVISION,
        "ECS_CLUSTER": "my-cluster",
        "ECS_SERVICE": "web",
    }
