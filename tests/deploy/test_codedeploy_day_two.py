"""`status`, `verify` and `prune` of a CODE_DEPLOY service, against the stack's simulated
CodeDeploy: status shows the group's active deployment (id, status, lifecycle events, traffic
weights) and the service's task sets, in text and in the versioned JSON; verify says the
deployment group deploys this service and the load balancer's container is in the new
revision, or stops before any write naming what is wrong (neither writes anything); prune
keeps the revision CodeDeploy's own history names as the rollback target (ECS's
service-deployment history is empty for these services) and every revision a task set runs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from compose_ecs_deploy.faces.cli import main
from tests.deploy.conftest import CLUSTER, World, outputs_from
from tests.deploy.test_codedeploy import APP, GROUP, calls, cli, code_deploy_service, writes
from tests.deploy.test_prune import fast, prune
from tests.deploy.test_status import status
from tests.support import terraform
from tests.support.terraform import code_deploy_group

pytestmark = pytest.mark.stack
__all__ = ["calls", "fast"]  # fixtures, used by name
TASK_SET_KEYS = {
    "id", "status", "taskDefinition", "externalId", "scale", "computedDesiredCount",
    "runningCount", "pendingCount", "stabilityStatus", "createdAt",
}  # fmt: skip


def verify(world: World, capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, str, str]:
    capsys.readouterr()
    compose = str(world.workdir / "compose.yaml")
    code = main(["verify", "-f", compose, "--service", "app", "--cluster", CLUSTER,
                 "--ecs-service", "web", "--image", "app=example/app:2", *extra])  # fmt: skip
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_status_shows_the_active_codedeploy_deployment_and_the_task_sets(
    world: World, aws_client, capsys, calls
) -> None:
    first, _ = code_deploy_service(world, aws_client)
    code, out, err = cli(world, capsys, "--no-wait")
    assert code == 0, out + err
    deployment_id = outputs_from(out)["deployment-id"]
    calls.clear()
    code, out, err = status(capsys, "--json")
    assert code == 0, err
    assert writes(calls) == []
    document = json.loads(out)
    assert document["version"] == 1
    part = document["codeDeploy"]
    assert set(part) == {"application", "deploymentGroup", "problem", "deployment"}
    assert (part["application"], part["deploymentGroup"], part["problem"]) == (APP, GROUP, None)
    deployment = part["deployment"]
    assert set(deployment) == {
        "id", "status", "createTime", "errorCode", "errorMessage", "rollbackDeploymentId",
        "terminationWaitStarted", "lifecycleEvents", "taskSets",
    }  # fmt: skip
    assert deployment["id"] == deployment_id and deployment["status"] == "InProgress"
    events = [e["name"] for e in deployment["lifecycleEvents"]]
    assert events[:3] == ["BeforeInstall", "Install", "AfterInstall"]
    assert {t["label"]: t["trafficWeight"] for t in deployment["taskSets"]} == {
        "Blue": 100.0,
        "Green": 0.0,
    }
    assert all(set(t) == TASK_SET_KEYS for t in document["taskSets"])
    primary = [t for t in document["taskSets"] if t["status"] == "PRIMARY"]
    assert [t["taskDefinition"] for t in primary] == [first]
    assert [t["id"] for t in document["taskSets"]] == [  # ECS read first: the original alone
        next(t["id"] for t in deployment["taskSets"] if t["label"] == "Blue")
    ]

    code, out, err = status(capsys)  # the same for a person; the deployment moved on since
    assert code == 0, err
    assert f"CodeDeploy {APP}/{GROUP}: deployment {deployment_id} " in out
    assert "  lifecycle: BeforeInstall Succeeded, Install " in out
    assert "  traffic: Blue " in out and "task sets:\n  PRIMARY " in out


def test_status_after_the_deployment_and_for_a_service_without_a_group(
    world: World, aws_client, capsys, calls
) -> None:
    code_deploy_service(world, aws_client)
    code, out, err = cli(world, capsys)
    assert code == 0, out + err
    revision = world.running("web")["taskDefinition"]
    code, out, err = status(capsys, "--json")
    document = json.loads(out)
    assert document["codeDeploy"]["deployment"] is None
    assert [t["taskDefinition"] for t in document["taskSets"]] == [revision]
    code, out, err = status(capsys, "--codedeploy-application", APP,
                            "--codedeploy-deployment-group", "nope")  # fmt: skip
    assert code == 0, err  # the rest of the status still helps
    assert f"CodeDeploy: ECS service web: CodeDeploy application {APP} has no deployment " in out
    assert writes(calls) == ["RegisterTaskDefinition", "CreateDeployment"]  # the deploy's


def test_a_rolling_service_has_no_codedeploy_part_and_no_task_sets(
    world: World, capsys, calls
) -> None:
    world.service("web")
    code, out, err = status(capsys, "--json")
    assert code == 0, err
    document = json.loads(out)
    assert document["codeDeploy"] is None and document["taskSets"] == []
    assert not [name for name, _ in calls if name.startswith(("List", "Get", "BatchGet"))
                and name in ("ListApplications", "GetDeployment")]  # fmt: skip


def test_verify_says_the_group_and_the_load_balancer_container_are_right(
    world: World, aws_client, capsys, calls
) -> None:
    code_deploy_service(world, aws_client)
    code, out, err = verify(world, capsys)
    assert code == 0, out + err
    assert writes(calls) == []
    assert f"verify: OK     CodeDeploy deployment group {APP}/{GROUP} (deploys {CLUSTER}/web)" in (
        out
    )
    assert "verify: OK     load balancer container app port 8080 (in the new revision)" in out


def test_verify_stops_on_a_group_of_another_service_and_a_container_not_in_the_revision(
    world: World, aws_client, capsys, calls, tmp_path: Path
) -> None:
    _, cd = code_deploy_service(world, aws_client)
    code_deploy_group(cd, "other-app", "other", CLUSTER, "api")
    code, _, err = verify(
        world, capsys, "--codedeploy-application", "other-app",
        "--codedeploy-deployment-group", "other",
    )  # fmt: skip
    assert code == 1 and writes(calls) == []
    assert f"deploys {CLUSTER}/api, not {CLUSTER}/web" in err
    appspec = tmp_path / "appspec.yaml"
    appspec.write_text(
        "version: 0.0\nResources:\n  - TargetService:\n      Type: AWS::ECS::Service\n"
        "      Properties:\n        TaskDefinition: <TASK_DEFINITION>\n"
        "        LoadBalancerInfo:\n          ContainerName: proxy\n          ContainerPort: 80\n"
    )
    code, _, err = verify(world, capsys, "--codedeploy-appspec", str(appspec))
    assert code == 1 and writes(calls) == []
    assert "proxy" in err and "LoadBalancerInfo" in err, err


@pytest.mark.parametrize("option", ["--codedeploy-application", "--codedeploy-deployment-group"])
def test_status_prints_a_hostile_group_name_harmlessly(
    world: World, aws_client, capsys, calls, option: str
) -> None:
    code_deploy_service(world, aws_client)
    for extra in ((), ("--json",)):
        code, out, err = status(capsys, option, "x\n::warning::injected\r\n##[error]y", *extra)
        assert code == 0 and "Traceback" not in err  # the rest of the status still helps
        lines = (out + err).splitlines()
        assert not [line for line in lines if line.lstrip().startswith("::warning")]
        assert not [line for line in lines if "##[error]" in line]
    assert writes(calls) == []


def test_prune_keeps_codedeploys_rollback_target_and_what_the_task_sets_run(
    world: World, aws_client, capsys, calls, fast: None
) -> None:
    """web:2..4 deployed through CodeDeploy (4 runs; CodeDeploy's history makes 3 the rollback
    target), web:5 deployed with --no-wait and still shifting (its replacement task set runs
    it), web:6 registered by hand, and another CODE_DEPLOY service of the cluster on web:2:
    --keep 1 deregisters web:1 alone."""
    _, cd = code_deploy_service(world, aws_client)
    for n in (2, 3, 4):
        assert cli(world, capsys, image=f"example/app:{n}")[0] == 0
    code, out, err = cli(world, capsys, "--no-wait", image="example/app:5")
    assert code == 0, out + err
    in_flight = outputs_from(out)["deployment-id"]
    for _ in range(20):  # time moves one tick per read; the Install event makes the task set
        if len(world.running("web")["taskSets"]) == 2:
            break
        cd.get_deployment(deploymentId=in_flight)
    assert len(world.running("web")["taskSets"]) == 2
    world.ecs.register_task_definition(
        family="web", containerDefinitions=[{"name": "app", "image": "x:6", "memory": 8}]
    )
    (two,) = [arn for arn in world.revisions("web") if arn.endswith(":2")]
    code_deploy = {"type": "CODE_DEPLOY"}
    terraform.service(world.ecs, CLUSTER, "canary", two, deploymentController=code_deploy)
    calls.clear()
    code, out, err = prune(capsys, "--keep", "1", "--dry-run")
    assert code == 0, err
    lines = [line for line in out.splitlines() if line.startswith(("web: keep", "web: would"))]
    assert lines == [
        "web: keep web:6: one of the newest 1",
        "web: keep web:5: service web runs it (ACTIVE task set)",
        "web: keep web:4: service web runs it (PRIMARY task set)",
        "web: keep web:3: the rollback target",
        "web: keep web:2: service canary runs it (PRIMARY task set)",
        "web: would deregister web:1: older than the newest 1",
    ], out
    names = [name for name, _ in calls]
    assert writes(calls) == [] and "DeregisterTaskDefinition" not in names
    assert "ListServiceDeployments" not in names  # ECS's history is empty for CODE_DEPLOY
    assert names.count("BatchGetDeployments") == 1 and names.count("ListApplications") == 1

    code, out, err = prune(capsys, "--keep", "1")
    assert code == 0, err
    assert "deregistered=1" in out
    assert [a.rsplit("/", 1)[-1] for a in world.revisions("web")] == [
        "web:2", "web:3", "web:4", "web:5", "web:6",
    ]  # fmt: skip
    for _ in range(30):  # the deployment prune left alone still finishes on its revision
        if cd.get_deployment(deploymentId=in_flight)["deploymentInfo"]["status"] == "Succeeded":
            break
    assert world.running("web")["taskDefinition"].endswith("web:5")


def test_prune_of_a_code_deploy_service_whose_history_cannot_be_read_prunes_nothing(
    world: World, aws_client, capsys, calls
) -> None:
    code_deploy_service(world, aws_client)
    assert cli(world, capsys)[0] == 0
    calls.clear()
    code, _, err = prune(capsys, "--keep", "1", "--codedeploy-application", APP,
                         "--codedeploy-deployment-group", "nope")  # fmt: skip
    assert code == 1 and "DeregisterTaskDefinition" not in [name for name, _ in calls]
    assert err.startswith("error: ") and err.count("\n") == 1, err
    assert f"CodeDeploy application {APP} has no deployment group nope" in err
