"""`status` against the stack: the versioned JSON's exact keys, a failed rollout's stopped tasks
with their hint, the history as ECS recorded it, and not a single write."""

from __future__ import annotations

import json

import pytest

from compose_ecs_deploy.faces.cli import main
from tests.deploy.conftest import CLUSTER, World
from tests.deploy.test_rollback import WRITES, deployed
from tests.support.fault_proxy import FaultProxy, Rule

pytestmark = pytest.mark.stack

KEYS = {
    "version", "cluster", "service", "status", "controller", "desiredCount", "runningCount",
    "pendingCount", "taskDefinition", "deployments", "serviceDeployments", "events",
    "stoppedTasks", "taskSets", "codeDeploy",  # added within version 1
}  # fmt: skip
DEPLOYMENT_KEYS = {
    "id", "status", "rolloutState", "rolloutStateReason", "taskDefinition", "desiredCount",
    "runningCount", "pendingCount", "failedTasks", "createdAt", "updatedAt",
}  # fmt: skip
STOPPED_KEYS = {
    "taskArn", "taskDefinition", "stoppedAt", "stopCode", "stoppedReason", "containers",
    "summary", "hint",
}  # fmt: skip


def status(
    capsys: pytest.CaptureFixture[str], *extra: str, service: str = "web"
) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(["status", "--cluster", CLUSTER, "--ecs-service", service, *extra])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_the_json_document_has_exactly_its_version_1_keys(
    world: World, capsys: pytest.CaptureFixture[str], proxy: FaultProxy
) -> None:
    one, two = deployed(world, "2")
    proxy.forwarded.clear()
    code, out, err = status(capsys, "--json")
    assert code == 0, err
    document = json.loads(out)
    assert set(document) == KEYS and document["version"] == 1
    assert set(document["controller"]) == {"type", "strategy", "circuitBreaker", "alarms"}
    assert set(document["taskDefinition"]) == {"arn", "family", "revision", "containers"}
    assert document["taskDefinition"]["arn"] == two and document["taskDefinition"]["revision"] == 2
    assert {c["name"]: c["image"] for c in document["taskDefinition"]["containers"]} == {
        "app": "example/app:2",
        "agent": "example/agent:7",
    }
    assert all(set(d) == DEPLOYMENT_KEYS for d in document["deployments"])
    assert [h["status"] for h in document["serviceDeployments"]] == ["SUCCESSFUL", "SUCCESSFUL"]
    assert [h["taskDefinition"] for h in document["serviceDeployments"]] == [two, one]
    assert all(set(h) == {"arn", "status", "statusReason", "taskDefinition", "createdAt",
                          "finishedAt"} for h in document["serviceDeployments"])  # fmt: skip
    assert document["events"] and set(document["events"][0]) == {"createdAt", "message"}
    assert not WRITES & set(proxy.forwarded) and proxy.forwarded["UpdateService"] == 0


def test_a_failed_rollout_shows_its_stopped_tasks_with_a_hint(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    world.service("web", scenario="crash-loop", tags={"simulator:exit-code": "3"})
    failed, _ = world.deploy(world.settings(images=("app=example/app:2",)))
    assert not failed.result.succeeded
    code, out, err = status(capsys, "--json")
    assert code == 0, err
    stopped = json.loads(out)["stoppedTasks"]
    assert stopped and all(set(t) == STOPPED_KEYS for t in stopped)
    assert stopped[0]["stopCode"] == "EssentialContainerExited"
    assert "exited with code 3" in stopped[0]["hint"]

    code, out, err = status(capsys)
    assert code == 0, err
    assert "recently stopped tasks:" in out and "    hint: container app exited with code 3" in out
    assert out.splitlines()[0].startswith("service web in cluster test-cluster: ACTIVE")


def test_an_unreadable_history_is_said_and_the_rest_still_shown(
    world: World, capsys: pytest.CaptureFixture[str], proxy: FaultProxy
) -> None:
    deployed(world)
    proxy.rules["ListServiceDeployments"] = Rule(("500",))
    code, out, err = status(capsys, "--json", "--max-retries", "0")
    assert code == 0, err
    assert json.loads(out)["serviceDeployments"] is None
    code, out, _ = status(capsys, "--max-retries", "0")
    assert "last deployments: not readable (ecs:ListServiceDeployments)" in out


def test_a_missing_service_is_one_error_line(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = status(capsys)
    assert code == 1 and err.startswith("error:") and "web was not found" in err, err
    assert out == "" and "Traceback" not in err


def test_json_on_a_failure_prints_no_document_and_json_is_status_only(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    """A script piping `status --json` into jq gets nothing on stdout when the status could not
    be read (the error is on stderr, exit 1), never half a document; `--json` on another verb
    is a usage error (exit 2), not silently ignored."""
    code, out, err = status(capsys, "--json")
    assert code == 1 and out == "" and err.startswith("error:"), (out, err)
    world.service("web")
    code, out, _ = status(capsys, "--json")
    assert code == 0 and json.loads(out)["service"] == "web"
    for verb in ("rollback", "prune"):
        with pytest.raises(SystemExit) as usage:
            main([verb, "--cluster", CLUSTER, "--ecs-service", "web", "--json"])
        assert usage.value.code == 2
    assert "unrecognized arguments: --json" in capsys.readouterr().err


def test_an_external_service_without_a_task_definition_of_its_own(
    world: World, capsys: pytest.CaptureFixture[str], proxy: FaultProxy
) -> None:
    """CreateService takes no taskDefinition for the EXTERNAL controller (API reference,
    CreateService: "A task definition must be specified if the service uses either the ECS or
    CODE_DEPLOY deployment controllers"); its task sets name theirs. Before it has one, status
    shows the running revision as unknown (null) and prune is refused in one line; once its
    PRIMARY task set runs a revision, status shows that one and prune keeps it. Nothing is
    written but prune's deregistrations."""
    one, _two = deployed(world, "2")
    world.ecs.create_service(
        cluster=CLUSTER, serviceName="outside", desiredCount=1,
        deploymentController={"type": "EXTERNAL"},
    )  # fmt: skip
    proxy.forwarded.clear()
    code, out, err = status(capsys, "--json", service="outside")
    assert code == 0, err
    document = json.loads(out)
    assert set(document) == KEYS and document["controller"]["type"] == "EXTERNAL"
    assert document["taskDefinition"] == {
        "arn": None, "family": None, "revision": None, "containers": [],
    }  # fmt: skip
    code = main(["prune", "--cluster", CLUSTER, "--ecs-service", "outside", "--keep", "1"])
    err = capsys.readouterr().err
    assert code == 1 and err.startswith("error: ") and err.count("\n") == 1, err
    assert "ECS service outside names no task definition" in err
    assert not WRITES & set(proxy.forwarded) and proxy.forwarded["UpdateService"] == 0

    task_set = world.ecs.create_task_set(
        cluster=CLUSTER, service="outside", taskDefinition=one, launchType="FARGATE",
        scale={"value": 100.0, "unit": "PERCENT"},
        networkConfiguration={"awsvpcConfiguration": {"subnets": ["subnet-1"]}},
    )["taskSet"]  # fmt: skip
    world.ecs.update_service_primary_task_set(
        cluster=CLUSTER, service="outside", primaryTaskSet=task_set["taskSetArn"]
    )
    code, out, err = status(capsys, "--json", service="outside")
    assert code == 0, err
    document = json.loads(out)
    assert document["taskDefinition"]["arn"] == one
    assert [(t["status"], t["taskDefinition"]) for t in document["taskSets"]] == [("PRIMARY", one)]
    code = main(["prune", "--cluster", CLUSTER, "--ecs-service", "outside", "--keep", "1",
                 "--dry-run"])  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0
    assert "keep web:1: service outside runs it (PRIMARY task set)" in out, out
