"""Verdicts on CodeDeploy deployments (rollout/verdicts/codedeploy.py), on payloads shaped as
GetDeployment and BatchGetDeploymentTargets return them."""

from __future__ import annotations

from typing import Any

from compose_ecs_deploy.rollout.verdicts import codedeploy as cd
from compose_ecs_deploy.rollout.verdicts.stopped_tasks import stopped_task

EVENTS = [
    "BeforeInstall",
    "Install",
    "AfterInstall",
    "AllowTestTraffic",
    "AfterAllowTestTraffic",
    "BeforeAllowTraffic",
    "AllowTraffic",
    "AfterAllowTraffic",
]


def _target(statuses: dict[str, str], green: float = 0.0) -> dict[str, Any]:
    return {
        "lifecycleEvents": [
            {"lifecycleEventName": e, "status": statuses.get(e, "Pending")} for e in EVENTS
        ],
        "taskSetsInfo": [
            {
                "identifer": "ecs-svc/1",
                "taskSetLabel": "Blue",
                "status": "PRIMARY",
                "trafficWeight": 100.0 - green,
                "runningCount": 2,
                "desiredCount": 2,
            },
            {
                "identifer": "ecs-svc/2",
                "taskSetLabel": "Green",
                "status": "ACTIVE",
                "trafficWeight": green,
                "runningCount": 2,
                "desiredCount": 2,
            },
        ],
    }


def _state(wait_until: str = "complete") -> cd.CodeDeployState:
    return cd.start("web", "d-ABCDEFGHI", "arn:td:2", wait_until, frozenset({"app"}))


def _done(upto: str) -> dict[str, str]:
    index = EVENTS.index(upto)
    return {e: "Succeeded" for e in EVENTS[: index + 1]}


def test_each_event_is_one_line_when_it_starts_and_ends_and_weights_when_they_move() -> None:
    state, lines = cd.step(
        _state(), {"status": "InProgress"}, _target({"BeforeInstall": "InProgress"})
    )
    assert "web: CodeDeploy deployment d-ABCDEFGHI: InProgress" in lines
    assert "web: BeforeInstall: InProgress" in lines
    assert any("production traffic: original 100%" in line for line in lines)
    state, lines = cd.step(
        state, {"status": "InProgress"}, _target({"BeforeInstall": "InProgress"})
    )
    assert lines == ()
    state, lines = cd.step(state, {"status": "InProgress"}, _target(_done("AllowTraffic"), 100.0))
    assert "web: AllowTraffic: Succeeded (production traffic is on the replacement)" in lines
    assert any("replacement 100%" in line for line in lines)
    assert state.replacement == "ecs-svc/2"
    assert cd.verdict(state) is None


def test_success_and_the_termination_wait() -> None:
    info = {
        "status": "InProgress",
        "instanceTerminationWaitTimeStarted": True,
        "blueGreenDeploymentConfiguration": {
            "terminateBlueInstancesOnDeploymentSuccess": {"terminationWaitTimeInMinutes": 60}
        },
    }
    state, lines = cd.step(_state(), info, _target(_done("AfterAllowTraffic"), 100.0))
    assert any("waits 60 min before it deletes the original" in line for line in lines)
    assert cd.verdict(state) is None
    assert "60 min" in cd.completion_note(state)
    state, _ = cd.step(
        state, {**info, "status": "Succeeded"}, _target(_done("AfterAllowTraffic"), 100.0)
    )
    outcome = cd.verdict(state)
    assert outcome is not None and outcome.succeeded


def test_wait_until_traffic_shifted_ends_once_allow_traffic_succeeded() -> None:
    state, _ = cd.step(
        _state("traffic-shifted"), {"status": "InProgress"}, _target(_done("BeforeAllowTraffic"))
    )
    assert cd.verdict(state) is None
    state, _ = cd.step(state, {"status": "InProgress"}, _target(_done("AllowTraffic"), 100.0))
    outcome = cd.verdict(state)
    assert outcome is not None and outcome.succeeded and "traffic-shifted" in outcome.reason


def test_a_failed_hook_names_the_error_the_event_and_the_rollback() -> None:
    info = {
        "status": "Failed",
        "errorInformation": {"code": "HOOK_EXECUTION_FAILURE", "message": "hook CheckTest failed"},
        "rollbackInfo": {"rollbackDeploymentId": "d-ROLLBACK1"},
    }
    statuses = {**_done("AllowTestTraffic"), "AfterAllowTestTraffic": "Failed"}
    state, _ = cd.step(_state(), info, _target(statuses))
    outcome = cd.verdict(state)
    assert outcome is not None and outcome.kind == "failed" and outcome.action == "fail"
    assert "HOOK_EXECUTION_FAILURE: hook CheckTest failed" in outcome.reason
    assert "at lifecycle event AfterAllowTestTraffic" in outcome.reason
    assert "rolled back with deployment d-ROLLBACK1" in outcome.reason


def test_crashed_replacement_tasks_explain_the_failure() -> None:
    task = stopped_task(
        {
            "taskArn": "arn:aws:ecs:us-east-1:1:task/sim/abc",
            "taskDefinitionArn": "arn:td:2",
            "stopCode": "EssentialContainerExited",
            "stoppedReason": "Essential container in task exited",
            "containers": [{"name": "app", "exitCode": 3, "lastStatus": "STOPPED"}],
        },
        frozenset({"app"}),
    )
    state, lines = cd.step(
        _state(), {"status": "InProgress"}, _target({"Install": "InProgress"}), [task]
    )
    assert any(line.startswith("web: replacement task abc") for line in lines)
    info = {"status": "Failed", "errorInformation": {"code": "ECS_UPDATE_ERROR", "message": "m"}}
    state, _ = cd.step(state, info, _target({"Install": "Failed"}))
    outcome = cd.verdict(state)
    assert outcome is not None and outcome.tasks == (task,)
    assert "did not roll back" in outcome.reason and "exited with code 3" in outcome.reason


def test_a_stopped_deployment_is_a_failure() -> None:
    state, _ = cd.step(
        _state(), {"status": "Stopped", "errorInformation": {"code": "MANUAL_STOP"}}, None
    )
    outcome = cd.verdict(state)
    assert outcome is not None and not outcome.succeeded and "was stopped" in outcome.reason


def test_finding_the_group_by_its_ecs_services() -> None:
    group = {"ecsServices": [{"clusterName": "prod", "serviceName": "web"}]}
    assert cd.lists_service(group, "prod", "web")
    assert cd.lists_service(group, "arn:aws:ecs:us-east-1:1:cluster/prod", "web")
    assert not cd.lists_service(group, "prod", "api") and not cd.lists_service({}, "prod", "web")


def test_rollback_on_failure_adds_deployment_failure_to_the_groups_events() -> None:
    group = {"enabled": True, "events": ["DEPLOYMENT_STOP_ON_ALARM"]}
    assert cd.rollback_configuration(group, True) == {
        "enabled": True,
        "events": ["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM"],
    }
    assert cd.rollback_configuration({"enabled": False, "events": ["X"]}, True) == {
        "enabled": True,
        "events": ["DEPLOYMENT_FAILURE"],
    }
    assert cd.rollback_configuration(group, False) == {"enabled": False}
