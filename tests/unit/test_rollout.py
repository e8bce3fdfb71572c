"""The pure rollout step and the revision diff, on payloads shaped as ECS answers."""

from __future__ import annotations

from compose_ecs_deploy.compose.taskdef import diff, normalise
from compose_ecs_deploy.report.redact import looks_secret
from compose_ecs_deploy.rollout.verdicts import rolling as rollout

NEW = "arn:aws:ecs:us-east-1:123456789012:task-definition/web:8"
OLD = "arn:aws:ecs:us-east-1:123456789012:task-definition/web:7"


def deployment(
    id_: str,
    status: str,
    td: str,
    running: int,
    pending: int,
    desired: int = 2,
    rollout_state: str = "IN_PROGRESS",
    failed: int = 0,
    reason: str = "",
) -> dict:
    return {
        "id": id_,
        "status": status,
        "taskDefinition": td,
        "runningCount": running,
        "pendingCount": pending,
        "desiredCount": desired,
        "failedTasks": failed,
        "rolloutState": rollout_state,
        "rolloutStateReason": reason,
    }


def service(*deployments: dict, events: tuple[tuple[str, str], ...] = ()) -> dict:
    return {
        "deployments": list(deployments),
        "events": [{"id": i, "createdAt": "2026-11-28T10:00:00Z", "message": m} for i, m in events],
    }


ARN = "arn:aws:ecs:us-east-1:123456789012"
ESSENTIAL = frozenset({"web"})


def start(
    *deployments: dict, config: dict | None = None, rollback: bool = True, desired: int = 2
) -> rollout.WatchState:
    payload = service(
        *(deployments or (deployment("ecs-svc/1", "PRIMARY", NEW, 0, 0, desired=desired),))
    )
    if config:
        payload["deploymentConfiguration"] = config
    return rollout.start("web", NEW, payload, essential=ESSENTIAL, rollback_on_failure=rollback)


def task(
    id_: str, stop_code: str, reason: str, *containers: dict, started: bool = True, td: str = NEW
) -> dict:
    """A stopped task as DescribeTasks returns it (API_Task), trimmed to what matters."""
    body = {
        "taskArn": f"{ARN}:task/c/{id_}",
        "taskDefinitionArn": td,
        "startedBy": "ecs-svc/1",
        "group": "service:web",
        "lastStatus": "STOPPED",
        "desiredStatus": "STOPPED",
        "stopCode": stop_code,
        "stoppedReason": reason,
        "createdAt": "2026-11-28T10:00:00Z",
        "stoppedAt": "2026-11-28T10:01:00Z",
        "containers": [
            {
                "containerArn": f"{ARN}:container/c/{id_}/{c['name']}",
                "taskArn": f"{ARN}:task/c/{id_}",
                "lastStatus": "STOPPED",
                **c,
            }
            for c in containers
        ],
    }
    if started:
        body["startedAt"] = "2026-11-28T10:00:30Z"
    return body


def crashed(id_: str, code: int = 3, reason: str | None = None) -> dict:
    web = {"name": "web", "exitCode": code, **({"reason": reason} if reason else {})}
    return task(
        id_,
        "EssentialContainerExited",
        "Essential container in task exited",
        web,
        {"name": "agent", "exitCode": 137},
    )


IN_PROGRESS = deployment("ecs-svc/1", "PRIMARY", NEW, 0, 2)


def test_progress_is_reported_only_when_it_changes_and_events_once() -> None:
    state = rollout.start(
        "web",
        NEW,
        service(deployment("ecs-svc/1", "PRIMARY", NEW, 0, 0), events=(("e0", "old news"),)),
    )
    payload = service(
        deployment("ecs-svc/1", "PRIMARY", NEW, 0, 2),
        deployment("ecs-svc/0", "ACTIVE", OLD, 2, 0, rollout_state="COMPLETED"),
        events=(("e1", "has started 2 tasks"), ("e0", "old news")),
    )
    state, first = rollout.poll(state, payload)
    assert first.progress == rollout.Progress(0, 2, 2, "IN_PROGRESS", 2)
    assert [e.message for e in first.new_events] == ["has started 2 tasks"]
    assert first.outcome is None
    state, second = rollout.poll(state, payload)
    assert second.progress is None and second.new_events == () and second.outcome is None
    assert state.polls == 2


def test_completed_only_when_alone_while_the_old_deployment_drains() -> None:
    state = start()
    state, obs = rollout.poll(
        state,
        service(
            deployment("ecs-svc/1", "PRIMARY", NEW, 2, 0, rollout_state="COMPLETED"),
            deployment("ecs-svc/0", "ACTIVE", OLD, 0, 0, rollout_state="COMPLETED"),
        ),
    )
    assert obs.outcome is None
    state, obs = rollout.poll(
        state, service(deployment("ecs-svc/1", "PRIMARY", NEW, 2, 0, rollout_state="COMPLETED"))
    )
    assert obs.outcome is not None and obs.outcome.kind == "completed"
    assert obs.outcome.action == "done"


def test_crash_after_running_fails_on_the_second_task_whatever_failed_tasks_says() -> None:
    state = start()
    running = deployment("ecs-svc/1", "PRIMARY", NEW, 2, 0, failed=0)
    state, obs = rollout.poll(state, service(running), [crashed("aaa", 3, "KeyError: DB")])
    assert obs.outcome is None and obs.stopped[0].cause == "failed"
    state, obs = rollout.poll(state, service(running), [crashed("bbb", 3, "KeyError: DB")])
    assert obs.outcome is not None and obs.outcome.kind == "failed"
    assert obs.outcome.action == "roll-back"
    assert obs.outcome.reason == (
        "task bbb stopped (EssentialContainerExited): Essential container in task exited; "
        "container web exited with code 3 (KeyError: DB); 2 tasks of this revision failed"
    )
    assert [t.task_id for t in obs.outcome.tasks] == ["aaa", "bbb"]
    culprit = obs.outcome.tasks[-1].culprit
    assert culprit is not None and (culprit.name, culprit.exit_code) == ("web", 3)


def test_one_failed_task_is_enough_when_desired_is_one() -> None:
    state = start(desired=1)
    _, obs = rollout.poll(
        state, service(deployment("ecs-svc/1", "PRIMARY", NEW, 0, 1, desired=1)), [crashed("aaa")]
    )
    assert obs.outcome is not None and obs.outcome.kind == "failed"


def test_a_sidecar_killed_with_137_is_not_the_reason() -> None:
    stopped = rollout.stopped_task(crashed("aaa", 1), ESSENTIAL)
    assert stopped.culprit is not None and stopped.culprit.name == "web"
    assert "agent" not in rollout.describe(stopped)


def test_never_running_crash_loop_fails_without_breaker() -> None:
    state = start(rollback=False)
    never = task(
        "aaa",
        "EssentialContainerExited",
        "Essential container in task exited",
        {"name": "web", "exitCode": 1},
        started=False,
    )
    state, obs = rollout.poll(
        state, service(deployment("ecs-svc/1", "PRIMARY", NEW, 0, 1, failed=1)), [never]
    )
    assert obs.outcome is None
    _, obs = rollout.poll(
        state,
        service(deployment("ecs-svc/1", "PRIMARY", NEW, 0, 1, failed=2)),
        [{**never, "taskArn": f"{ARN}:task/c/bbb"}],
    )
    assert obs.outcome is not None and obs.outcome.action == "fail"


def test_health_check_failures_count_and_name_the_health_check() -> None:
    state = start()
    unhealthy = task(
        "aaa",
        "ServiceSchedulerInitiated",
        "Task failed container health checks",
        {"name": "web", "exitCode": 137, "healthStatus": "UNHEALTHY"},
    )
    state, _ = rollout.poll(state, service(IN_PROGRESS), [unhealthy])
    _, obs = rollout.poll(
        state, service(IN_PROGRESS), [{**unhealthy, "taskArn": f"{ARN}:task/c/bbb"}]
    )
    assert obs.outcome is not None
    assert "code 137, health check UNHEALTHY" in obs.outcome.reason


def test_a_missing_image_fails_at_once() -> None:
    missing = task(
        "aaa",
        "TaskFailedToStart",
        "CannotPullContainerError: pull image manifest has been retried 5 time(s): "
        "failed to resolve ref 123456789012.dkr.ecr.us-east-1.amazonaws.com/app:2: "
        "not found",
        {"name": "web"},
        started=False,
    )
    _, obs = rollout.poll(start(), service(IN_PROGRESS), [missing])
    assert obs.outcome is not None and obs.outcome.kind == "failed"
    assert obs.outcome.tasks[0].cause == "deterministic"
    assert "CannotPullContainerError" in obs.outcome.reason


def test_a_missing_secret_fails_at_once() -> None:
    secret = task(
        "aaa",
        "TaskFailedToStart",
        "ResourceInitializationError: unable to pull secrets or registry auth: "
        "execution resource retrieval failed: unable to retrieve secret from asm: "
        "service call has been retried 1 time(s): failed to fetch secret "
        f"{ARN}:secret:db from secrets manager: ResourceNotFoundException: Secrets "
        "Manager can't find the specified secret.",
        {"name": "web"},
        started=False,
    )
    _, obs = rollout.poll(start(), service(IN_PROGRESS), [secret])
    assert obs.outcome is not None and obs.outcome.tasks[0].cause == "deterministic"


def test_transient_stops_warn_and_the_wait_goes_on() -> None:
    timeout = task(
        "aaa",
        "TaskFailedToStart",
        "ResourceInitializationError: unable to pull secrets or registry auth: "
        "pull command failed: dial tcp 52.94.0.1:443: i/o timeout",
        {"name": "web"},
        started=False,
    )
    capacity = task(
        "bbb",
        "TaskFailedToStart",
        "Capacity is unavailable at this time. "
        "Please try again later or in a different availability zone",
        {"name": "web"},
        started=False,
    )
    state, obs = rollout.poll(start(), service(IN_PROGRESS), [timeout, capacity])
    assert obs.outcome is None and len(obs.warnings) == 2
    assert all("transient" in w for w in obs.warnings) and state.failures == ()


def test_scheduler_stops_are_not_failures() -> None:
    scaled = task(
        "aaa",
        "ServiceSchedulerInitiated",
        "Scaling activity initiated by (deployment ecs-svc/2)",
        {"name": "web", "exitCode": 143},
    )
    _, obs = rollout.poll(start(), service(IN_PROGRESS), [scaled])
    assert obs.outcome is None and obs.warnings == ()


def test_with_a_breaker_stopped_tasks_are_only_reported() -> None:
    breaker = {"deploymentCircuitBreaker": {"enable": True, "rollback": True}}
    state = start(config=breaker)
    state, obs = rollout.poll(state, service(IN_PROGRESS), [crashed("aaa"), crashed("bbb")])
    assert obs.outcome is None
    assert [("circuit breaker decides" in w) for w in obs.warnings] == [True, True]


def test_breaker_rollback_is_left_to_ecs() -> None:
    state = start(config={"deploymentCircuitBreaker": {"enable": True, "rollback": True}})
    reason = "ECS deployment circuit breaker: tasks failed to start."
    _, obs = rollout.poll(
        state,
        service(
            deployment("ecs-svc/2", "PRIMARY", OLD, 0, 2),
            deployment("ecs-svc/1", "ACTIVE", NEW, 0, 0, rollout_state="FAILED", reason=reason),
        ),
    )
    assert obs.outcome is not None
    assert (obs.outcome.kind, obs.outcome.action) == ("rolled-back", "ecs-rolls-back")
    assert reason in obs.outcome.reason and OLD in obs.outcome.reason


def test_alarm_rollback_is_left_to_ecs() -> None:
    alarms = {"alarms": {"alarmNames": ["5xx"], "enable": True, "rollback": True}}
    state = start(config=alarms)
    _, obs = rollout.poll(
        state,
        service(
            deployment("ecs-svc/2", "PRIMARY", OLD, 0, 2),
            deployment(
                "ecs-svc/1",
                "ACTIVE",
                NEW,
                2,
                0,
                rollout_state="FAILED",
                reason="ECS deployment ecs-svc/1 failed: alarm(s) 5xx in ALARM state.",
            ),
        ),
    )
    assert obs.outcome is not None and obs.outcome.action == "ecs-rolls-back"


def test_a_stall_is_reported_and_rolled_back_by_us() -> None:
    state = start(config={"deploymentCircuitBreaker": {"enable": True, "rollback": True}})
    _, obs = rollout.poll(
        state,
        service(
            deployment(
                "ecs-svc/1",
                "PRIMARY",
                NEW,
                0,
                0,
                rollout_state="FAILED",
                reason="ECS deployment circuit breaker: tasks failed to start.",
            )
        ),
    )
    assert obs.outcome is not None
    assert (obs.outcome.kind, obs.outcome.action) == ("stalled", "roll-back")
    assert "no COMPLETED deployment" in obs.outcome.reason


def test_breaker_without_rollback_fails_and_we_roll_back() -> None:
    state = start(config={"deploymentCircuitBreaker": {"enable": True, "rollback": False}})
    _, obs = rollout.poll(
        state,
        service(
            deployment("ecs-svc/1", "PRIMARY", NEW, 0, 0, rollout_state="FAILED", reason="breaker")
        ),
    )
    assert obs.outcome is not None and (obs.outcome.kind, obs.outcome.action) == (
        "failed",
        "roll-back",
    )


def test_only_unseen_tasks_are_described() -> None:
    state, _ = rollout.poll(start(), service(IN_PROGRESS), [crashed("aaa")])
    arns = [f"{ARN}:task/c/aaa", f"{ARN}:task/c/bbb", f"{ARN}:task/c/bbb"]
    assert rollout.new_task_arns(state, arns) == [f"{ARN}:task/c/bbb"]


def test_timeout_rolls_back_and_cancel_does_not() -> None:
    state = start()
    assert rollout.timed_out(state, 1).action == "roll-back"
    assert rollout.cancelled(state, "cancelled by SIGTERM").action == "fail"


def test_superseded_by_another_deploy() -> None:
    state = rollout.start("web", NEW, service(deployment("ecs-svc/1", "PRIMARY", NEW, 0, 0)))
    other = "arn:aws:ecs:us-east-1:123456789012:task-definition/web:9"
    _, obs = rollout.poll(state, service(deployment("ecs-svc/3", "PRIMARY", other, 0, 2)))
    assert obs.outcome is not None and obs.outcome.kind == "superseded"
    assert other in obs.outcome.reason


def test_plan_reads_the_service_as_it_is() -> None:
    steady = service(deployment("ecs-svc/0", "PRIMARY", OLD, 2, 0, rollout_state="COMPLETED"))
    assert rollout.unfinished_deployment(steady) is None
    assert rollout.last_completed_revision(steady) == OLD
    failing = service(
        deployment("ecs-svc/1", "PRIMARY", NEW, 0, 2),
        deployment("ecs-svc/0", "ACTIVE", OLD, 2, 0, rollout_state="COMPLETED"),
    )
    unfinished = rollout.unfinished_deployment(failing)
    assert unfinished is not None and unfinished["id"] == "ecs-svc/1"
    assert rollout.last_completed_revision(failing) == OLD


def test_normalise_ignores_what_ecs_adds_on_describe() -> None:
    request = {
        "family": "web",
        "cpu": "256",
        "memory": "512",
        "networkMode": "awsvpc",
        "containerDefinitions": [
            {
                "name": "web",
                "image": "i",
                "portMappings": [{"containerPort": 80}],
                "environment": [{"name": "B", "value": "2"}, {"name": "A", "value": "1"}],
            }
        ],
    }
    described = {
        "taskDefinitionArn": "arn",
        "revision": 3,
        "status": "ACTIVE",
        "family": "web",
        "cpu": "0.25 vCPU",
        "memory": "512",
        "networkMode": "awsvpc",
        "requiresAttributes": [],
        "volumes": [],
        "placementConstraints": [],
        "containerDefinitions": [
            {
                "name": "web",
                "image": "i",
                "cpu": 0,
                "essential": True,
                "portMappings": [{"containerPort": 80, "hostPort": 80, "protocol": "tcp"}],
                "environment": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}],
                "mountPoints": [],
                "volumesFrom": [],
                "systemControls": [],
            }
        ],
    }
    assert normalise(request) == normalise(described)
    assert diff(described, request, old_label="a", new_label="b", hide=looks_secret) == []


def test_the_order_of_ulimits_is_no_change() -> None:
    """Ulimits are keyed by name (ECS takes one of each); compose writes them as a mapping,
    which `docker compose config` sorts, so a revision Terraform wrote in another order must
    not look changed on every deploy."""
    limits = [{"name": "nofile", "softLimit": 4096, "hardLimit": 8192},
              {"name": "memlock", "softLimit": -1, "hardLimit": -1}]  # fmt: skip
    one = {"family": "x", "containerDefinitions": [{"name": "a", "image": "i", "ulimits": limits}]}
    other = {"family": "x", "containerDefinitions": [{"name": "a", "image": "i",
                                                      "ulimits": limits[::-1]}]}  # fmt: skip
    assert normalise(one) == normalise(other)
    assert diff(one, other, old_label="a", new_label="b", hide=looks_secret) == []


def test_diff_shows_changes_and_redacts_secret_looking_values() -> None:
    old = {
        "family": "web",
        "containerDefinitions": [
            {
                "name": "web",
                "image": "i:1",
                "environment": [{"name": "API_TOKEN", "value": "hunter2"}],
            }
        ],
    }
    new = {
        "family": "web",
        "containerDefinitions": [
            {
                "name": "web",
                "image": "i:2",
                "environment": [{"name": "API_TOKEN", "value": "hunter3"}],
            }
        ],
    }
    lines = diff(old, new, old_label="running", new_label="compose", hide=looks_secret)
    text = "\n".join(lines)
    assert '-      "image": "i:1",' in text and '+      "image": "i:2",' in text
    assert "hunter" not in text
    assert lines[0] == "--- running" and lines[1] == "+++ compose"
