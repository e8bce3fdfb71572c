"""CODE_DEPLOY services through the CLI, against the stack's simulated CodeDeploy
(tests/support/codedeploy_simulator.py): the group found or named, the AppSpec sent, the
lifecycle lines, a failed hook, crashing replacement tasks, our timeout, a deployment already
active, wait-until traffic-shifted, and every list paged. Each test asserts the writes made."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from compose_ecs_deploy.aws.client import Aws
from compose_ecs_deploy.faces.cli import main
from tests.deploy.conftest import CLUSTER, EXECUTION_ROLE, World, outputs_from, run_action
from tests.support import terraform
from tests.support.codedeploy_lambda import HookFunction
from tests.support.codedeploy_simulator import EVENTS

pytestmark = pytest.mark.stack
IMAGE = "example/app:2"
APP, GROUP = "AppECS-web", "DgpECS-web"
WRITES = ("RegisterTaskDefinition", "UpdateService", "CreateDeployment", "StopDeployment")
ROLE = "arn:aws:iam::123456789012:role/codedeploy"
# A user's AppSpec as the official action's users write it: placeholders and two hooks.
PLACEHOLDERS_AND_HOOKS = (
    "version: 0.0\nResources:\n  - TargetService:\n      Type: AWS::ECS::Service\n"
    "      Properties:\n        TaskDefinition: <TASK_DEFINITION>\n"
    "        LoadBalancerInfo:\n          ContainerName: <CONTAINER_NAME>\n"
    "          ContainerPort: <CONTAINER_PORT>\n"
    "Hooks:\n  - AfterAllowTestTraffic: SmokeTest\n  - BeforeInstall: Prepare\n"
)
# Finding a deployment group from its service (one application, one group: a page each).
GROUP_LOOKUP = (
    "ListApplications", "BatchGetApplications", "ListDeploymentGroups", "BatchGetDeploymentGroups"
)  # fmt: skip


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, dict[str, Any]]]:
    """Every API call the run makes, in order, with its request body."""
    seen: list[tuple[str, dict[str, Any]]] = []
    count = Aws._count

    def record(self: Aws, model: Any, **kwargs: Any) -> None:
        body = kwargs.get("params", {}).get("body") or b"{}"
        # a query-protocol call (IAM's GetRole, verify's) has its parameters as a mapping
        seen.append((model.name, dict(body) if isinstance(body, dict) else json.loads(body)))
        count(self, model, **kwargs)

    monkeypatch.setattr(Aws, "_count", record)
    return seen


def writes(calls: list[tuple[str, dict[str, Any]]]) -> list[str]:
    return [name for name, _ in calls if name in WRITES]


def code_deploy_service(
    world: World,
    aws_client: Any,
    tags: dict[str, str] | None = None,
    *,
    termination: int = 0,
    rollback: bool = True,
    group: str = GROUP,
) -> tuple[str, Any]:
    """A CODE_DEPLOY service behind a load balancer on revision 1 (as Terraform makes it),
    and its CodeDeploy application and deployment group: (revision 1, codedeploy client)."""
    arn = terraform.first_revision(world.ecs, "web", EXECUTION_ROLE, container="app",
                                   image="example/app:0")  # fmt: skip
    cd = aws_client("codedeploy")
    terraform.code_deploy_service(
        world.ecs, cd, CLUSTER, "web", arn, application=APP, group=group, container="app",
        termination=termination, rollback=rollback, desired=2, tags=tags,
        platformVersion="1.4.0", networkConfiguration=terraform.network(aws_client("ec2"), "web"),
    )  # fmt: skip
    return arn, cd


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


def sent_appspec(calls: list[tuple[str, dict[str, Any]]]) -> dict[str, Any]:
    (request,) = [body for name, body in calls if name == "CreateDeployment"]
    revision = request["revision"]
    assert revision["revisionType"] == "AppSpecContent"
    return dict(json.loads(revision["appSpecContent"]["content"]))


def test_a_code_deploy_service_is_deployed_through_codedeploy(
    world: World, aws_client, capsys, calls
) -> None:
    first, cd = code_deploy_service(world, aws_client)
    code, out, err = cli(world, capsys)
    assert code == 0, out + err
    assert writes(calls) == ["RegisterTaskDefinition", "CreateDeployment"]
    revision = world.running("web")["taskDefinition"]
    awsvpc = world.running("web")["networkConfiguration"]["awsvpcConfiguration"]
    assert revision != first
    (request,) = [body for name, body in calls if name == "CreateDeployment"]
    assert request["autoRollbackConfiguration"] == {
        "enabled": True,
        "events": ["DEPLOYMENT_FAILURE"],
    }
    (target,) = sent_appspec(calls)["Resources"]
    assert target["TargetService"]["Properties"] == {
        "TaskDefinition": revision,
        "LoadBalancerInfo": {"ContainerName": "app", "ContainerPort": 8080},
        "PlatformVersion": "1.4.0",
        "NetworkConfiguration": {
            "AwsvpcConfiguration": {
                "Subnets": awsvpc["subnets"],
                "SecurityGroups": awsvpc["securityGroups"],
            }
        },
    }
    started = [line.split(": ")[1] for line in out.splitlines() if line.endswith(": InProgress")]
    done = [line.split(": ")[1] for line in out.splitlines() if ": Succeeded" in line]
    assert "Install" in started  # events without a hook start and end between two polls
    assert [e for e in done if e in EVENTS] == list(EVENTS)
    assert "production traffic: original 100%" in out and "replacement 100%" in out
    outputs = outputs_from(out)
    deployment_id = outputs["deployment-id"]
    assert deployment_id.startswith("d-") and f"codedeploy-deployment-id={deployment_id}" in out
    info = cd.get_deployment(deploymentId=deployment_id)["deploymentInfo"]
    assert info["status"] == "Succeeded"
    (task_set,) = world.running("web")["taskSets"]
    assert task_set["taskDefinition"] == revision and task_set["externalId"] == deployment_id


def paged_world(world: World, aws_client: Any) -> None:
    """The service's group `blue-green` among enough ECS applications and groups that every
    list pages (the simulator pages two names), and a Lambda application to pass over."""
    _, cd = code_deploy_service(world, aws_client, group="blue-green")
    for n in range(3):
        cd.create_application(applicationName=f"other-{n}", computePlatform="ECS")
        cd.create_deployment_group(
            applicationName=APP, deploymentGroupName=f"g{n}", serviceRoleArn=ROLE
        )
    cd.create_application(applicationName="lambda-app", computePlatform="Lambda")


def found_through_every_page(calls: list[tuple[str, dict[str, Any]]]) -> None:
    """Each list was followed to its last page, the Lambda application passed over, and the
    one group that lists the service deployed."""
    names = [name for name, _ in calls]
    assert names.count("ListApplications") == 3 and names.count("ListDeploymentGroups") >= 4
    pages = [b for n, b in calls if n in ("ListApplications", "ListDeploymentGroups")]
    assert sum(1 for b in pages if b.get("nextToken")) >= 3
    assert "lambda-app" not in [b.get("applicationName") for n, b in calls
                                if n == "ListDeploymentGroups"]  # fmt: skip
    assert [(b["applicationName"], b["deploymentGroupName"])
            for n, b in calls if n == "CreateDeployment"] == [(APP, "blue-green")]  # fmt: skip


def test_the_group_is_found_by_its_ecs_services_through_every_page(
    world: World, aws_client, capsys, calls
) -> None:
    paged_world(world, aws_client)
    code, out, err = cli(world, capsys)
    assert code == 0, out + err
    found_through_every_page(calls)


def test_no_group_or_several_is_an_error_before_any_write(
    world: World, aws_client, capsys, calls
) -> None:
    _, cd = code_deploy_service(world, aws_client)
    cd.create_deployment_group(
        applicationName=APP,
        deploymentGroupName="second",
        serviceRoleArn=ROLE,
        ecsServices=[{"serviceName": "web", "clusterName": CLUSTER}],
    )
    code, out, err = cli(world, capsys)
    assert code == 1 and writes(calls) == []
    assert f"several CodeDeploy deployment groups list it ({APP}/{GROUP}, {APP}/second)" in err
    code, out, err = cli(
        world, capsys, "--codedeploy-application", APP, "--codedeploy-deployment-group", "nope"
    )
    assert code == 1 and writes(calls) == []
    assert f"CodeDeploy application {APP} has no deployment group nope" in err
    code, out, err = cli(
        world, capsys, "--codedeploy-application", APP, "--codedeploy-deployment-group", "second"
    )
    assert code == 0, out + err


def test_a_failed_hook_names_the_event_and_codedeploys_rollback(
    world: World, aws_client, capsys, calls, tmp_path: Path
) -> None:
    first, cd = code_deploy_service(
        world, aws_client, {"simulator:codedeploy-fail-hook": "AfterAllowTestTraffic"}
    )
    appspec = tmp_path / "appspec.yaml"
    appspec.write_text(PLACEHOLDERS_AND_HOOKS)
    code, out, err = cli(world, capsys, "--codedeploy-appspec", str(appspec))
    assert code == 1, out + err
    assert writes(calls) == ["RegisterTaskDefinition", "CreateDeployment"]
    spec = sent_appspec(calls)
    assert spec["Hooks"] == [{"AfterAllowTestTraffic": "SmokeTest"}, {"BeforeInstall": "Prepare"}]
    properties = spec["Resources"][0]["TargetService"]["Properties"]
    assert properties["LoadBalancerInfo"] == {"ContainerName": "app", "ContainerPort": 8080}
    assert properties["TaskDefinition"].endswith(":2")
    assert "HOOK_EXECUTION_FAILURE" in err and "at lifecycle event AfterAllowTestTraffic" in err
    assert "SmokeTest" in err and "CodeDeploy rolled back with deployment d-" in err
    rollback = err.split("CodeDeploy rolled back with deployment ")[1].split()[0].rstrip(".;")
    for _ in range(2):  # CodeDeploy finishes its rollback on its own; time moves per read
        status = cd.get_deployment(deploymentId=rollback)["deploymentInfo"]["status"]
    assert status == "Succeeded"
    (task_set,) = world.running("web")["taskSets"]
    assert task_set["taskDefinition"] == first  # the original task set is back


def test_a_hook_function_that_reports_failed_fails_the_deployment(
    world: World, aws_client, capsys, calls, tmp_path: Path
) -> None:
    """The user's hooks are Lambda functions CodeDeploy invokes; each reports through
    PutLifecycleEventHookExecutionStatus (played here by HookFunction threads). Prepare
    reports Succeeded, SmokeTest Failed: the deployment fails at AfterAllowTestTraffic, named
    with the function, and CodeDeploy rolls it back."""
    first, cd = code_deploy_service(world, aws_client, {"simulator:codedeploy-hooks": "lambda"})
    appspec = tmp_path / "appspec.yaml"
    appspec.write_text(
        "version: 0.0\nHooks:\n  - BeforeInstall: Prepare\n  - AfterAllowTestTraffic: SmokeTest\n"
    )
    endpoint = cd.meta.endpoint_url
    with (
        HookFunction(cd, endpoint, "Prepare", "Succeeded") as prepare,
        HookFunction(cd, endpoint, "SmokeTest", "Failed") as smoke,
    ):
        code, out, err = cli(world, capsys, "--codedeploy-appspec", str(appspec))
    assert code == 1, out + err
    assert writes(calls) == ["RegisterTaskDefinition", "CreateDeployment"]
    assert len(prepare.answered) == 1 and len(smoke.answered) == 1
    assert "web: BeforeInstall: Succeeded" in out and "web: AfterAllowTestTraffic: Failed" in out
    assert "HOOK_EXECUTION_FAILURE" in err and "at lifecycle event AfterAllowTestTraffic" in err
    assert "SmokeTest" in err and "CodeDeploy rolled back with deployment d-" in err
    rollback = err.split("CodeDeploy rolled back with deployment ")[1].split()[0].rstrip(".;")
    for _ in range(2):  # CodeDeploy finishes its rollback on its own; time moves per read
        cd.get_deployment(deploymentId=rollback)
    (task_set,) = world.running("web")["taskSets"]
    assert task_set["taskDefinition"] == first


def test_replacement_tasks_that_crash_are_explained(
    world: World, aws_client, capsys, calls
) -> None:
    code_deploy_service(
        world,
        aws_client,
        {"simulator:scenario": "crash-loop", "simulator:exit-code": "3"},
        rollback=False,
    )
    code, out, err = cli(world, capsys, "--no-rollback")
    assert code == 1, out + err
    assert writes(calls) == ["RegisterTaskDefinition", "CreateDeployment"]
    (request,) = [body for name, body in calls if name == "CreateDeployment"]
    assert request["autoRollbackConfiguration"] == {"enabled": False}
    assert "ECS_UPDATE_ERROR" in err and "at lifecycle event Install" in err
    assert "container app exited with code 3" in err
    assert "web: replacement task" in out
    assert "CodeDeploy did not roll back" in err
    listed = [body for name, body in calls if name == "ListTasks"]
    green = next(s for s in world.running("web")["taskSets"] if s.get("externalId"))
    assert listed and {b["startedBy"] for b in listed} == {green["id"]}


def test_our_timeout_stops_the_deployment_with_rollback(
    world: World, aws_client, capsys, calls
) -> None:
    code_deploy_service(world, aws_client, {"simulator:codedeploy-event-ticks": "100000"})
    code, out, err = cli(world, capsys, "--wait-timeout", "0.02")
    assert code == 1, out + err
    assert writes(calls) == ["RegisterTaskDefinition", "CreateDeployment", "StopDeployment"]
    (stop,) = [body for name, body in calls if name == "StopDeployment"]
    assert stop["autoRollbackEnabled"] is True
    assert "not done after" in err and "CodeDeploy rolls back with deployment d-" in err


def test_a_deployment_already_active_registers_nothing(
    world: World, aws_client, capsys, calls
) -> None:
    first, cd = code_deploy_service(world, aws_client)
    content = json.dumps(
        {
            "version": 0.0,
            "Resources": [
                {
                    "TargetService": {
                        "Type": "AWS::ECS::Service",
                        "Properties": {
                            "TaskDefinition": first,
                            "LoadBalancerInfo": {"ContainerName": "app", "ContainerPort": 8080},
                        },
                    }
                }
            ],
        }
    )
    active = cd.create_deployment(
        applicationName=APP,
        deploymentGroupName=GROUP,
        revision={"revisionType": "AppSpecContent", "appSpecContent": {"content": content}},
    )["deploymentId"]
    code, _, err = cli(world, capsys)
    assert code == 1 and writes(calls) == []
    assert f"CodeDeploy deployment {active} is still InProgress in {APP}/{GROUP}" in err
    assert "nothing was registered" in err


def test_wait_until_traffic_shifted_leaves_the_termination_wait_to_codedeploy(
    world: World, aws_client, capsys, calls
) -> None:
    _, cd = code_deploy_service(world, aws_client, termination=120)
    code, out, err = cli(world, capsys, "--wait-until", "traffic-shifted")
    assert code == 0, out + err
    assert "web: AllowTraffic: Succeeded" in out
    deployment_id = outputs_from(out)["deployment-id"]
    assert cd.get_deployment(deploymentId=deployment_id)["deploymentInfo"]["status"] == "InProgress"
    assert "stopped waiting (wait-until traffic-shifted)" in out


def test_a_users_appspec_that_is_wrong_stops_before_any_write(
    world: World, aws_client, capsys, calls, tmp_path: Path
) -> None:
    code_deploy_service(world, aws_client)
    appspec = tmp_path / "appspec.yml"
    appspec.write_text(yaml.safe_dump({"version": 0.0, "Hooks": [{"Install": "NotAllowed"}]}))
    code, _, err = cli(world, capsys, "--codedeploy-appspec", str(appspec))
    assert code == 1 and writes(calls) == []
    assert f"error: {appspec}:2: service web, field Hooks[0].Install: Install cannot be" in err


def _action(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, **given: str
) -> tuple[int, dict[str, str], str]:
    """The action's face in-process, as the runner calls it; (exit code, outputs, summary)."""
    return run_action(world, tmp_path, monkeypatch, {"images": f"app={IMAGE}", **given})


def test_the_action_deploys_a_code_deploy_service_with_its_inputs(
    world: World, aws_client, capsys, calls, tmp_path: Path, monkeypatch
) -> None:
    _, cd = code_deploy_service(world, aws_client, group="named")
    appspec = tmp_path / "appspec.json"
    appspec.write_text(json.dumps({"version": 0.0, "Hooks": [{"BeforeAllowTraffic": "Gate"}]}))
    code, outputs, summary = _action(
        world,
        tmp_path,
        monkeypatch,
        **{
            "codedeploy-application": APP,
            "codedeploy-deployment-group": "named",
            "codedeploy-appspec": str(appspec),
        },
    )
    assert code == 0, capsys.readouterr()
    assert writes(calls) == ["RegisterTaskDefinition", "CreateDeployment"]
    names = [name for name, _ in calls]
    assert "ListApplications" not in names and "ListDeploymentGroups" not in names
    assert sent_appspec(calls)["Hooks"] == [{"BeforeAllowTraffic": "Gate"}]
    deployment_id = outputs["codedeploy-deployment-id"]
    assert deployment_id.startswith("d-") and outputs["deployment-id"] == deployment_id
    assert cd.get_deployment(deploymentId=deployment_id)["deploymentInfo"]["status"] == "Succeeded"
    assert "| web:1 | web:2 | ✅ completed |" in summary


def test_the_action_fails_a_crashing_code_deploy_rollout_with_its_outputs_set(
    world: World, aws_client, capsys, calls, tmp_path: Path, monkeypatch
) -> None:
    code_deploy_service(world, aws_client, {"simulator:scenario": "crash-loop"})
    code, outputs, summary = _action(world, tmp_path, monkeypatch)
    err = capsys.readouterr().err
    assert code == 1
    assert outputs["codedeploy-deployment-id"] == outputs["deployment-id"] != ""
    assert "ECS_UPDATE_ERROR" in err and "CodeDeploy rolled back with deployment d-" in err
    assert "ECS_UPDATE_ERROR" in summary


BOMB = """version: 0.0
a: &a ["x", "x", "x", "x", "x", "x", "x", "x", "x"]
b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]
e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]
f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]
g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]
Hooks: *g
Resources:
  - TargetService:
      Properties:
        PlatformVersion: *g
        NetworkConfiguration: {AwsvpcConfiguration: {Subnets: *g}}
"""


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, "cannot read the CodeDeploy AppSpec"),  # no such file
        ("", "cannot read the CodeDeploy AppSpec"),  # a directory (made below)
        (b"version: 0.0\nHooks: [\xff\xfe]\n", "not UTF-8"),
        ("version: 0.0\nHooks:\n  - AfterInstall: [unclosed\n", "not valid JSON or YAML"),
        ("- just\n- a list\n", "an AppSpec must be a mapping"),
        (BOMB, "YAML aliases"),  # refused whole, quickly, briefly
        ("version: 0.0\n'x\\n::error::injected': 1\n", "unknown key"),
    ],
    ids=["missing", "directory", "not-utf8", "syntax", "list", "alias-bomb", "command"],
)
def test_a_hostile_appspec_is_one_error_per_problem_and_nothing_is_written(
    world: World, aws_client, capsys, calls, tmp_path: Path, content: Any, expected: str
) -> None:
    code_deploy_service(world, aws_client)
    path = tmp_path / "appspec.yaml"
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content == "":
        path.mkdir()
    elif content is not None:
        path.write_text(content)
    code, out, err = cli(world, capsys, "--codedeploy-appspec", str(path))
    assert code == 1 and writes(calls) == []
    assert expected in err, err
    assert len(err) < 4000 and "Traceback" not in err
    lines = (out + err).splitlines()
    assert not [line for line in lines if line.startswith("::") and "::add-mask::" not in line]
    assert all(line.startswith("error: ") for line in err.splitlines() if line.strip())


@pytest.mark.parametrize(
    "option",
    ["--codedeploy-application", "--codedeploy-deployment-group"],
)
def test_hostile_names_are_printed_harmlessly(
    world: World, aws_client, capsys, calls, option: str
) -> None:
    code_deploy_service(world, aws_client)
    code, out, err = cli(world, capsys, option, "x\n::warning::injected\r\n##[error]y")
    assert code == 1 and writes(calls) == []
    lines = (out + err).splitlines()
    assert not [line for line in lines if line.startswith("::warning")]
    assert not [line for line in lines if "##[error]" in line]


def test_codedeploy_options_for_a_rolling_service_are_ignored_with_a_notice(
    world: World, capsys, calls
) -> None:
    world.service("web")
    code, out, err = cli(world, capsys, "--codedeploy-application", "app")
    assert code == 0, out + err
    assert "web: notice: codedeploy-application apply to CODE_DEPLOY services" in out
    assert writes(calls) == ["RegisterTaskDefinition", "UpdateService"]


def test_a_rerun_after_no_wait_follows_the_deployment_it_left(
    world: World, aws_client, capsys, calls
) -> None:
    _, cd = code_deploy_service(world, aws_client)
    code, out, err = cli(world, capsys, "--no-wait")
    assert code == 0, out + err
    left = outputs_from(out)["deployment-id"]
    assert writes(calls) == ["RegisterTaskDefinition", "CreateDeployment"]
    calls.clear()
    code, out, err = cli(world, capsys)
    assert code == 0, out + err
    assert writes(calls) == []  # the revision is reused and the deployment followed
    assert f"CodeDeploy deployment {left} of this revision is still active" in out
    assert outputs_from(out)["deployment-id"] == left
    assert cd.get_deployment(deploymentId=left)["deploymentInfo"]["status"] == "Succeeded"


def rollback(capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(
        [
            "rollback",
            "--cluster",
            CLUSTER,
            "--ecs-service",
            "web",
            "--poll-interval",
            "1",
            *extra,
        ]
    )
    out, err = capsys.readouterr()
    return code, out, err


def test_rollback_of_a_code_deploy_service_goes_through_codedeploy(
    world: World, aws_client, capsys, calls
) -> None:
    first, _ = code_deploy_service(world, aws_client)
    assert cli(world, capsys)[0] == 0
    calls.clear()
    code, out, err = rollback(capsys, "--to", "1")
    assert code == 0, out + err
    assert writes(calls) == ["CreateDeployment"]
    (created,) = [line for line in out.splitlines() if line.startswith("codedeploy-deployment-id=")]
    assert f"deployment-id={created.split('=', 1)[1]}" in out.splitlines()  # as deploy's outputs
    (target,) = sent_appspec(calls)["Resources"]
    assert target["TargetService"]["Properties"]["TaskDefinition"] == first
    (task_set,) = world.running("web")["taskSets"]
    assert task_set["taskDefinition"] == first


def test_rollback_without_to_goes_back_by_codedeploys_history(
    world: World, aws_client, capsys, calls, tmp_path: Path
) -> None:
    """Revisions 2 and 3 deployed, 4 failed a hook and CodeDeploy put 3 back: a rollback
    without --to goes to 2, the last revision that completed a deployment before the current
    one (3), passing over 4, which was rolled back; through CodeDeploy, registering nothing."""
    _, cd = code_deploy_service(
        world, aws_client, {"simulator:codedeploy-fail-hook": "AfterInstall"}
    )
    for n in (2, 3):
        assert cli(world, capsys, image=f"example/app:{n}")[0] == 0
    hooked = tmp_path / "appspec.yaml"
    hooked.write_text("version: 0.0\nHooks:\n  - AfterInstall: Check\n")
    code, out, err = cli(world, capsys, "--codedeploy-appspec", str(hooked), image="example/app:4")
    assert code == 1 and "CodeDeploy rolled back with deployment" in err, out + err
    rolled = err.split("CodeDeploy rolled back with deployment ")[1].split()[0].rstrip(".;")
    for _ in range(2):  # CodeDeploy finishes its rollback on its own; time moves per read
        cd.get_deployment(deploymentId=rolled)
    assert world.running("web")["taskDefinition"].endswith(":3")
    calls.clear()
    code, out, err = rollback(capsys)
    assert code == 0, out + err
    assert writes(calls) == ["CreateDeployment"]
    (listed, *_) = [body for name, body in calls if name == "ListDeployments" and
                    "Succeeded" in body.get("includeOnlyStatuses", [])]  # fmt: skip
    assert set(listed["includeOnlyStatuses"]) == {"Succeeded", "Failed", "Stopped"}
    assert "ListServiceDeployments" not in [name for name, _ in calls]
    names = [name for name, _ in calls]  # the group is looked up once: history, then AppSpec
    assert {n: names.count(n) for n in GROUP_LOOKUP} == dict.fromkeys(GROUP_LOOKUP, 1), names
    (target,) = sent_appspec(calls)["Resources"]
    assert target["TargetService"]["Properties"]["TaskDefinition"].endswith("web:2")
    assert "going to web:2, the last revision that completed a deployment" in out
    assert world.running("web")["taskDefinition"].endswith(":2")


def test_rollback_without_to_and_no_earlier_codedeploy_deployment_writes_nothing(
    world: World, aws_client, capsys, calls
) -> None:
    code_deploy_service(world, aws_client)
    assert cli(world, capsys)[0] == 0  # revision 2; revision 1 came from CreateService
    calls.clear()
    code, _, err = rollback(capsys)
    assert code == 1 and writes(calls) == []
    assert "nothing to roll back to" in err and "pass --to REVISION" in err


def test_rollback_on_failure_asks_codedeploy_to_roll_back_when_the_group_does_not(
    world: World, aws_client, capsys, calls
) -> None:
    code_deploy_service(world, aws_client, {"simulator:scenario": "crash-loop"}, rollback=False)
    code, out, err = cli(world, capsys)
    assert code == 1, out + err
    (request,) = [body for name, body in calls if name == "CreateDeployment"]
    assert request["autoRollbackConfiguration"] == {
        "enabled": True,
        "events": ["DEPLOYMENT_FAILURE"],
    }
    assert "CodeDeploy rolled back with deployment d-" in err


@pytest.mark.parametrize("kind", ["dev-zero", "fifo", "proc"])
def test_an_appspec_that_is_no_regular_file_is_refused_at_once(
    world: World, aws_client, capsys, calls, tmp_path: Path, kind: str
) -> None:
    code_deploy_service(world, aws_client)
    path = {"dev-zero": Path("/dev/zero"), "proc": Path("/proc/self/environ")}.get(kind)
    if path is None:
        path = tmp_path / "appspec.yaml"
        os.mkfifo(path)  # a reader that waited for a writer would hang the deploy
    started = time.monotonic()
    code, _, err = cli(world, capsys, "--codedeploy-appspec", str(path))
    assert code == 1 and writes(calls) == [] and time.monotonic() - started < 30
    assert "cannot read the CodeDeploy AppSpec" in err and "Traceback" not in err
