"""The pure rollout step and the revision diff, on payloads shaped as ECS answers."""

from __future__ import annotations

from compose_ecs_deploy.core import rollout
from compose_ecs_deploy.core.taskdef import diff, normalise

NEW = "arn:aws:ecs:us-east-1:123456789012:task-definition/web:8"
OLD = "arn:aws:ecs:us-east-1:123456789012:task-definition/web:7"


def deployment(id_: str, status: str, td: str, running: int, pending: int, desired: int = 2,
               rollout_state: str = "IN_PROGRESS", failed: int = 0, reason: str = "") -> dict:
    return {"id": id_, "status": status, "taskDefinition": td, "runningCount": running,
            "pendingCount": pending, "desiredCount": desired, "failedTasks": failed,
            "rolloutState": rollout_state, "rolloutStateReason": reason}


def service(*deployments: dict, events: tuple[tuple[str, str], ...] = ()) -> dict:
    return {"deployments": list(deployments),
            "events": [{"id": i, "createdAt": "2026-11-28T10:00:00Z", "message": m}
                       for i, m in events]}


def test_progress_is_reported_only_when_it_changes_and_events_once() -> None:
    state = rollout.start("web", NEW, service(deployment("ecs-svc/1", "PRIMARY", NEW, 0, 0),
                                                     events=(("e0", "old news"),)))
    payload = service(deployment("ecs-svc/1", "PRIMARY", NEW, 0, 2),
                      deployment("ecs-svc/0", "ACTIVE", OLD, 2, 0, rollout_state="COMPLETED"),
                      events=(("e1", "has started 2 tasks"), ("e0", "old news")))
    state, first = rollout.step(state, payload)
    assert first.progress == rollout.Progress(0, 2, 2, "IN_PROGRESS", 2)
    assert [e.message for e in first.new_events] == ["has started 2 tasks"]
    assert first.outcome is None
    state, second = rollout.step(state, payload)
    assert second.progress is None and second.new_events == () and second.outcome is None


def test_completed_only_when_alone() -> None:
    state = rollout.start("web", NEW, service(deployment("ecs-svc/1", "PRIMARY", NEW, 0, 0)))
    state, obs = rollout.step(state, service(
        deployment("ecs-svc/1", "PRIMARY", NEW, 2, 0, rollout_state="COMPLETED"),
        deployment("ecs-svc/0", "ACTIVE", OLD, 1, 0)))
    assert obs.outcome is None
    state, obs = rollout.step(state, service(
        deployment("ecs-svc/1", "PRIMARY", NEW, 2, 0, rollout_state="COMPLETED")))
    assert obs.outcome is not None and obs.outcome.kind == "completed"


def test_failed_rollout_and_circuit_breaker_rollback() -> None:
    state = rollout.start("web", NEW, service(deployment("ecs-svc/1", "PRIMARY", NEW, 0, 0)))
    reason = "ECS deployment circuit breaker: tasks failed to start."
    _, obs = rollout.step(state, service(
        deployment("ecs-svc/2", "PRIMARY", OLD, 0, 2),
        deployment("ecs-svc/1", "ACTIVE", NEW, 0, 0, rollout_state="FAILED", reason=reason)))
    assert obs.outcome is not None
    assert obs.outcome.kind == "rolled-back"
    assert reason in obs.outcome.reason and OLD in obs.outcome.reason


def test_new_failed_tasks_ask_for_stopped_tasks() -> None:
    state = rollout.start("web", NEW, service(deployment("ecs-svc/1", "PRIMARY", NEW, 0, 0)))
    state, obs = rollout.step(state, service(deployment("ecs-svc/1", "PRIMARY", NEW, 0, 1)))
    assert not obs.tasks_stopped
    state, obs = rollout.step(state, service(
        deployment("ecs-svc/1", "PRIMARY", NEW, 0, 1, failed=1)))
    assert obs.tasks_stopped
    _, obs = rollout.step(state, service(deployment("ecs-svc/1", "PRIMARY", NEW, 0, 1,
                                                    failed=1)))
    assert not obs.tasks_stopped


def test_superseded_by_another_deploy() -> None:
    state = rollout.start("web", NEW, service(deployment("ecs-svc/1", "PRIMARY", NEW, 0, 0)))
    other = "arn:aws:ecs:us-east-1:123456789012:task-definition/web:9"
    _, obs = rollout.step(state, service(deployment("ecs-svc/3", "PRIMARY", other, 0, 2)))
    assert obs.outcome is not None and obs.outcome.kind == "superseded"
    assert other in obs.outcome.reason


def test_explain_stopped_tasks_names_container_exit_code_and_reason() -> None:
    tasks = [
        {"taskArn": "arn:aws:ecs:us-east-1:123456789012:task/c/aaa", "taskDefinitionArn": OLD,
         "stoppedAt": "2026-11-28T09:00:00Z", "stoppedReason": "Scaling activity"},
        {"taskArn": "arn:aws:ecs:us-east-1:123456789012:task/c/bbb", "taskDefinitionArn": NEW,
         "stoppedAt": "2026-11-28T10:00:00Z", "stopCode": "EssentialContainerExited",
         "stoppedReason": "Essential container in task exited",
         "containers": [{"name": "web", "exitCode": 3, "reason": "boom"},
                        {"name": "sidecar", "lastStatus": "STOPPED"}]},
    ]
    text = rollout.explain_stopped_tasks(tasks, NEW)
    assert text == ("task bbb stopped (EssentialContainerExited): Essential container in task "
                    "exited; container web exited with code 3 (boom)")
    assert rollout.explain_stopped_tasks(tasks[:1], NEW) is None


def test_normalise_ignores_what_ecs_adds_on_describe() -> None:
    request = {"family": "web", "cpu": "256", "memory": "512", "networkMode": "awsvpc",
               "containerDefinitions": [{
                   "name": "web", "image": "i",
                   "portMappings": [{"containerPort": 80}],
                   "environment": [{"name": "B", "value": "2"}, {"name": "A", "value": "1"}]}]}
    described = {"taskDefinitionArn": "arn", "revision": 3, "status": "ACTIVE",
                 "family": "web", "cpu": "0.25 vCPU", "memory": "512", "networkMode": "awsvpc",
                 "requiresAttributes": [], "volumes": [], "placementConstraints": [],
                 "containerDefinitions": [{
                     "name": "web", "image": "i", "cpu": 0, "essential": True,
                     "portMappings": [{"containerPort": 80, "hostPort": 80, "protocol": "tcp"}],
                     "environment": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}],
                     "mountPoints": [], "volumesFrom": [], "systemControls": []}]}
    assert normalise(request) == normalise(described)
    assert diff(described, request, old_label="a", new_label="b") == []


def test_diff_shows_changes_and_redacts_secret_looking_values() -> None:
    old = {"family": "web", "containerDefinitions": [{"name": "web", "image": "i:1",
           "environment": [{"name": "API_TOKEN", "value": "hunter2"}]}]}
    new = {"family": "web", "containerDefinitions": [{"name": "web", "image": "i:2",
           "environment": [{"name": "API_TOKEN", "value": "hunter3"}]}]}
    lines = diff(old, new, old_label="running", new_label="compose")
    text = "\n".join(lines)
    assert '-      "image": "i:1",' in text and '+      "image": "i:2",' in text
    assert "hunter" not in text
    assert lines[0] == "--- running" and lines[1] == "+++ compose"
