"""A CODE_DEPLOY service through the action's container, as the runner runs it: the group found
from the service, one CodeDeploy deployment of the new revision (never an UpdateService with a
task definition), the lifecycle lines, the outputs and the job summary; a deployment whose
replacement tasks crash, failed by CodeDeploy, explained, and rolled back by CodeDeploy;
`command: rollback` without `to`, back by CodeDeploy's own history in one CodeDeploy deployment;
and `command: status`, whose output and summary show the task sets and the active deployment.
What ECS and CodeDeploy were asked is read from the stack's moto (tests/support/moto_calls.py).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from compose_ecs_deploy.faces.cli import main
from tests.action.test_runner_harness import CLUSTER, EXECUTION_ROLE, SERVICE, run
from tests.support import terraform
from tests.support.moto_calls import Call, recorded

pytestmark = pytest.mark.stack
APP, GROUP = "AppECS-hello", "DgpECS-hello"
WRITES = ("RegisterTaskDefinition", "UpdateService", "CreateDeployment", "StopDeployment")
INPUTS = {
    "compose-file": "compose.yaml",
    "images": "web=example/hello:2",
    "cluster": CLUSTER,
    "ecs-service": SERVICE,
    "aws-region": "us-east-1",
    "poll-interval": "5",
}


def code_deploy_world(aws_client: Any, **tags: str) -> str:
    """What Terraform makes for CodeDeploy blue/green: the service on CODE_DEPLOY behind a
    load balancer, its application and deployment group; the first revision's ARN."""
    ecs = aws_client("ecs")
    ecs.create_cluster(clusterName=CLUSTER)
    first = terraform.first_revision(ecs, SERVICE, EXECUTION_ROLE)
    terraform.code_deploy_service(
        ecs, aws_client("codedeploy"), CLUSTER, SERVICE, first, application=APP, group=GROUP,
        tags=tags, networkConfiguration=terraform.network(aws_client("ec2"), SERVICE),
    )  # fmt: skip
    return first


def writes(calls: list[Call]) -> list[str]:
    return [name for name, _ in calls if name in WRITES]


def appspec_sent(calls: list[Call]) -> dict[str, Any]:
    (request,) = [body for name, body in calls if name == "CreateDeployment"]
    assert (request["applicationName"], request["deploymentGroupName"]) == (APP, GROUP)
    return dict(json.loads(request["revision"]["appSpecContent"]["content"]))


def test_the_action_deploys_a_code_deploy_service_through_codedeploy(
    action, stack, docker_client, aws_env, aws_client, workspace
) -> None:
    first = code_deploy_world(aws_client)
    with recorded(stack.endpoint_url) as calls:
        result = run(action, stack, docker_client, workspace, **INPUTS)
    assert result.exit_code == 0, result.describe()

    # Asked: one revision, one CodeDeploy deployment of it; the group found by its ecsServices.
    assert writes(calls) == ["RegisterTaskDefinition", "CreateDeployment"], calls
    names = [name for name, _ in calls]
    assert "ListApplications" in names and "BatchGetDeploymentGroups" in names
    outputs = result.outputs
    revision = outputs["task-definition-arn"]
    assert revision != first and revision.endswith(":2")
    (target,) = appspec_sent(calls)["Resources"]
    assert target["TargetService"]["Properties"]["TaskDefinition"] == revision
    assert target["TargetService"]["Properties"]["LoadBalancerInfo"] == {
        "ContainerName": "web",
        "ContainerPort": 8080,
    }

    # The outputs: both ids are CodeDeploy's; ECS now runs the replacement as its task set.
    deployment_id = outputs["codedeploy-deployment-id"]
    assert deployment_id.startswith("d-") and outputs["deployment-id"] == deployment_id
    assert outputs["changed"] == "true" and outputs["task-definition-revision"] == "2"
    info = aws_client("codedeploy").get_deployment(deploymentId=deployment_id)["deploymentInfo"]
    assert info["status"] == "Succeeded"
    (service,) = aws_client("ecs").describe_services(cluster=CLUSTER, services=[SERVICE])[
        "services"
    ]
    (task_set,) = service["taskSets"]
    assert task_set["taskDefinition"] == revision and task_set["externalId"] == deployment_id

    # The log: one line per lifecycle event; the summary: the service's row, completed.
    assert f"{SERVICE}: CodeDeploy deployment {deployment_id} created in {APP}/{GROUP}" in (
        result.stdout
    )
    assert f"{SERVICE}: AllowTraffic: Succeeded" in result.stdout
    assert f"| {SERVICE}:1 | {SERVICE}:2 | ✅ completed |" in result.summary, result.summary


def test_a_failed_code_deploy_deployment_is_explained_and_rolled_back_by_codedeploy(
    action, stack, docker_client, aws_env, aws_client, workspace
) -> None:
    first = code_deploy_world(
        aws_client, **{"simulator:scenario": "crash-loop", "simulator:exit-code": "3"}
    )
    with recorded(stack.endpoint_url) as calls:
        result = run(action, stack, docker_client, workspace, **INPUTS)
    assert result.exit_code == 1, result.describe()

    # Asked: one deployment, with rollback on failure; CodeDeploy rolled back, not us.
    assert writes(calls) == ["RegisterTaskDefinition", "CreateDeployment"], calls
    (request,) = [body for name, body in calls if name == "CreateDeployment"]
    assert request["autoRollbackConfiguration"] == {
        "enabled": True,
        "events": ["DEPLOYMENT_FAILURE"],
    }
    listed = [body for name, body in calls if name == "ListTasks" and body.get("startedBy")]
    deployment_id = result.outputs["codedeploy-deployment-id"]
    assert deployment_id.startswith("d-") and result.outputs["deployment-id"] == deployment_id
    codedeploy = aws_client("codedeploy")
    info = codedeploy.get_deployment(deploymentId=deployment_id)["deploymentInfo"]
    assert info["status"] == "Failed" and info["errorInformation"]["code"] == "ECS_UPDATE_ERROR"
    rollback = info["rollbackInfo"]["rollbackDeploymentId"]
    rolled = codedeploy.get_deployment(deploymentId=rollback)["deploymentInfo"]
    assert rolled["rollbackInfo"]["rollbackTriggeringDeploymentId"] == deployment_id
    assert listed, "the replacement's stopped tasks were never read"

    # Said: CodeDeploy's error, the event, the crashed container, and the rollback.
    errors = "\n".join(a.message for a in result.annotations("error"))
    assert "ECS_UPDATE_ERROR" in errors and "at lifecycle event Install" in errors, errors
    assert f"CodeDeploy rolled back with deployment {rollback}" in errors
    assert "container web exited with code 3" in result.stdout
    assert "ECS_UPDATE_ERROR" in result.summary and rollback in result.summary

    # Left: the original task set serves again, on the first revision.
    for _ in range(2):  # CodeDeploy finishes its rollback on its own; time moves per read
        codedeploy.get_deployment(deploymentId=rollback)
    (service,) = aws_client("ecs").describe_services(cluster=CLUSTER, services=[SERVICE])[
        "services"
    ]
    assert [s["taskDefinition"] for s in service["taskSets"]] == [first]


def deployed_before(workspace: Any, *tags: str, no_wait: bool = False) -> None:
    """Deploys made before the step under test, by the CLI in this process (the container's
    own deploy is tested above): one CodeDeploy deployment of a new revision per image tag."""
    for tag in tags:
        code = main(
            ["deploy", "-f", str(workspace / "compose.yaml"), "--cluster", CLUSTER,
             "--ecs-service", SERVICE, "--image", f"web=example/hello:{tag}",
             "--region", "us-east-1", "--poll-interval", "5",
             *(["--no-wait"] if no_wait else [])]
        )  # fmt: skip
        assert code == 0, tag


def test_command_rollback_goes_back_through_one_codedeploy_deployment(
    action, stack, docker_client, aws_env, aws_client, workspace
) -> None:
    """Revisions 2 and 3 deployed through CodeDeploy: `command: rollback` without `to` takes
    revision 2 from CodeDeploy's record of the group (ECS keeps no service-deployment history
    for this controller) and deploys it with one CreateDeployment, registering nothing."""
    code_deploy_world(aws_client)
    deployed_before(workspace, "2", "3")
    inputs = {k: v for k, v in INPUTS.items() if k != "images"}
    with recorded(stack.endpoint_url) as calls:
        result = run(action, stack, docker_client, workspace, **inputs, command="rollback")
    assert result.exit_code == 0, result.describe()

    # Asked: one CodeDeploy deployment of revision 2, the history read, the group found once.
    assert writes(calls) == ["CreateDeployment"], calls
    names = [name for name, _ in calls]
    assert "ListServiceDeployments" not in names and "BatchGetDeployments" in names
    assert names.count("ListApplications") == names.count("BatchGetDeploymentGroups") == 1
    (target,) = appspec_sent(calls)["Resources"]
    revision = target["TargetService"]["Properties"]["TaskDefinition"]
    assert revision.endswith(f"task-definition/{SERVICE}:2")

    # The outputs: a deploy's, with CodeDeploy's deployment id; ECS runs revision 2 again.
    outputs = result.outputs
    assert outputs["task-definition-arn"] == revision
    assert (outputs["task-definition-revision"], outputs["changed"]) == ("2", "true")
    deployment_id = outputs["codedeploy-deployment-id"]
    assert deployment_id.startswith("d-") and outputs["deployment-id"] == deployment_id
    info = aws_client("codedeploy").get_deployment(deploymentId=deployment_id)["deploymentInfo"]
    assert info["status"] == "Succeeded"
    (service,) = aws_client("ecs").describe_services(cluster=CLUSTER, services=[SERVICE])[
        "services"
    ]
    assert [t["taskDefinition"] for t in service["taskSets"]] == [revision]

    # The log says where it went and why; the summary has the service's row, completed.
    assert f"{SERVICE}: going to {SERVICE}:2, the last revision that completed" in result.stdout
    assert f"{SERVICE}: rolling back from {SERVICE}:3 to {SERVICE}:2" in result.stdout
    assert f"| {SERVICE}:3 | {SERVICE}:2 | ✅ completed |" in result.summary, result.summary


def test_command_status_shows_the_task_sets_and_the_active_codedeploy_deployment(
    action, stack, docker_client, aws_env, aws_client, workspace
) -> None:
    """A deployment left shifting (--no-wait) with its replacement task set made: status
    shows both task sets and CodeDeploy's deployment, in its output and its summary."""
    first = code_deploy_world(aws_client)
    deployed_before(workspace, "2", no_wait=True)
    codedeploy, ecs = aws_client("codedeploy"), aws_client("ecs")
    (active,) = codedeploy.list_deployments(
        applicationName=APP, deploymentGroupName=GROUP,
        includeOnlyStatuses=["Created", "Queued", "InProgress", "Ready", "Baking"],
    )["deployments"]  # fmt: skip
    for _ in range(20):  # time moves one tick per read; the Install event makes the task set
        if len(ecs.describe_services(cluster=CLUSTER, services=[SERVICE])["services"][0]
               ["taskSets"]) == 2:  # fmt: skip
            break
        codedeploy.get_deployment(deploymentId=active)
    inputs = {k: v for k, v in INPUTS.items() if k not in ("images", "compose-file")}
    with recorded(stack.endpoint_url) as calls:
        result = run(action, stack, docker_client, workspace, **inputs, command="status")
    assert result.exit_code == 0, result.describe()
    assert writes(calls) == [], calls

    document = json.loads(result.outputs["status"])
    assert (document["version"], document["service"]) == (1, SERVICE)
    assert document["controller"]["type"] == "CODE_DEPLOY" and document["deployments"] == []
    sets = {t["status"]: t for t in document["taskSets"]}
    assert set(sets) == {"PRIMARY", "ACTIVE"}, document["taskSets"]
    assert sets["PRIMARY"]["taskDefinition"] == first
    assert sets["ACTIVE"]["taskDefinition"].endswith(f"task-definition/{SERVICE}:2")
    assert sets["ACTIVE"]["externalId"] == active  # CodeDeploy made it
    part = document["codeDeploy"]
    assert (part["application"], part["deploymentGroup"], part["problem"]) == (APP, GROUP, None)
    deployment = part["deployment"]
    assert deployment["id"] == active and deployment["status"] == "InProgress"
    assert deployment["lifecycleEvents"][0] == {"name": "BeforeInstall", "status": "Succeeded"}
    assert {t["label"] for t in deployment["taskSets"]} == {"Blue", "Green"}

    # The summary: the status lines, the task sets and the CodeDeploy deployment among them.
    summary = result.summary
    assert f"CodeDeploy {APP}/{GROUP}: deployment {active} InProgress" in summary, summary
    assert "task sets:" in summary and f"ACTIVE {sets['ACTIVE']['id']} {SERVICE}:2 ({active})" in (
        summary
    )
    assert f"PRIMARY {sets['PRIMARY']['id']} {SERVICE}:1" in summary
    assert "lifecycle: BeforeInstall Succeeded" in summary and "traffic: Blue " in summary
