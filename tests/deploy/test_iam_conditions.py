"""The IAM policy's conditions hold for what a deploy asks (issue #22), evaluated as IAM
documents them (tests/support/iam_conditions.py; moto enforces actions only, and
tests/support/iam_resources.py resources without conditions).

A rolling deploy onto a service whose revision carries tags and an execution role is
recorded call by call; every authorisation it needs (tag-on-create and role passes
included) is allowed by docs/iam-policy.json with its placeholders filled. Then the same
calls, or one changed, show that each condition decides: UpdateService only onto the family's
own revisions (`ecs:task-definition`), TagResource only as part of RegisterTaskDefinition
(`ecs:CreateAction`), task reads only in the cluster (`ecs:cluster`), roles passed only to
ECS tasks (`iam:PassedToService`). An Express deploy, its update and a preview show the same
for the Express statements: the infrastructure role passed to ecs.amazonaws.com only."""

from __future__ import annotations

import textwrap
from dataclasses import replace
from typing import Any

import pytest

from compose_ecs_deploy.faces.cli import main
from tests.deploy.conftest import ACCOUNT, CLUSTER, EXECUTION_ROLE, World
from tests.deploy.test_express import COMPOSE, ROLE, express, express_world, preview
from tests.deploy.test_iam import policy as documented
from tests.support.iam_conditions import denied
from tests.support.iam_resources import Call, recording

pytestmark = pytest.mark.stack
__all__ = ["express_world"]  # a fixture, used by name
TASKS = "ecs-tasks.amazonaws.com"


def policy(region: str, without: str | None = None, **names: str) -> dict[str, Any]:
    """The documented policy for the service `web` (family `web`) of the tests' cluster."""
    filled = {"<CLUSTER>": CLUSTER, "<SERVICE>": "web", "<FAMILY>": "web", "<REGION>": region}
    filled |= {"<LOGS_REGION>": region, "<LOG_GROUP>": "/ecs/web", "<EXECUTION_ROLE>": "exec"}
    return documented("unused", without, filled | names)


def test_a_deploy_meets_every_condition_of_the_policy_and_each_condition_decides(
    world: World, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    region = world.region
    arn = world.ecs.register_task_definition(
        family="web",
        requiresCompatibilities=["FARGATE"],
        networkMode="awsvpc",
        cpu="256",
        memory="512",
        executionRoleArn=EXECUTION_ROLE,
        containerDefinitions=[{"name": "app", "image": "example/app:0", "essential": True}],
        tags=[{"key": "team", "value": "shop"}],
    )["taskDefinition"]["taskDefinitionArn"]
    world.ecs.create_service(
        cluster=CLUSTER, serviceName="web", taskDefinition=arn, desiredCount=1,
        launchType="FARGATE",
    )  # fmt: skip
    calls = recording(monkeypatch)
    code = main(
        ["deploy", "-f", str(world.workdir / "compose.yaml"), "--service", "app",
         "--cluster", CLUSTER, "--ecs-service", "web", "--region", region,
         "--image", "app=example/app:2", "--poll-interval", "1"]
    )  # fmt: skip
    assert code == 0, capsys.readouterr()
    register = next(c for c in calls if c.operation == "RegisterTaskDefinition")
    update = next(c for c in calls if c.operation == "UpdateService")
    assert register.params["tags"] == [{"key": "team", "value": "shop"}]
    assert update.params["taskDefinition"].startswith(f"arn:aws:ecs:{region}:{ACCOUNT}:")

    assert denied(policy(region), calls, region, ACCOUNT) == []

    service = f"arn:aws:ecs:{region}:{ACCOUNT}:service/{CLUSTER}/web"
    cluster = f"arn:aws:ecs:{region}:{ACCOUNT}:cluster/{CLUSTER}"
    other = update.params["taskDefinition"].replace("/web:", "/web-admin:")
    onto_other = replace(update, params={**update.params, "taskDefinition": other})
    assert denied(policy(region), [onto_other], region, ACCOUNT) == [
        f"ecs:UpdateService on {service} (ecs:cluster={cluster}, ecs:task-definition={other})"
    ]
    revision = f"arn:aws:ecs:{region}:{ACCOUNT}:task-definition/web:1"
    assert denied(policy(region, "EcsTagOnCreate"), calls, region, ACCOUNT) == [
        f"ecs:TagResource on {revision} (ecs:CreateAction=RegisterTaskDefinition)"
    ]
    tag_alone = Call("ecs", "TagResource", {"resourceArn": revision, "tags": []})
    assert denied(policy(region), [tag_alone], region, ACCOUNT) == [
        f"ecs:TagResource on {revision}"
    ]
    passed = "(iam:PassedToService=ecs-tasks.amazonaws.com)"
    assert denied(policy(region, **{"<EXECUTION_ROLE>": "admin"}), calls, region, ACCOUNT) == [
        f"iam:PassRole on {EXECUTION_ROLE} {passed}"
    ]
    reads = [Call("ecs", "ListTasks", {"cluster": c}) for c in (CLUSTER, "other", cluster)]
    other_cluster = cluster.replace(f"/{CLUSTER}", "/other")
    assert denied(policy(region), reads, region, ACCOUNT) == [
        f"ecs:ListTasks on * (ecs:cluster={other_cluster})"
    ]


def test_express_passes_its_roles_to_the_services_the_policy_names(
    express_world: World, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """deploy --express (create, then an update) and preview up, every authorisation evaluated:
    the infrastructure role is passed to ecs.amazonaws.com (OptionalExpressPassInfrastructureRole
    and nothing else allows it), the revision's execution role to ecs-tasks.amazonaws.com
    (PassTaskRoles, at the register and again at the Express calls, whichever ECS checks), and
    a preview's tags on creation are TagResource with ecs:CreateAction (OptionalExpressServices)."""
    calls = recording(monkeypatch)
    assert express(express_world, capsys, "--service", "app")[0] == 0
    (express_world.workdir / "compose.yaml").write_text(
        textwrap.dedent(COMPOSE).replace("GREETING: hello", "GREETING: bonjour")
    )
    assert express(express_world, capsys, "--service", "app")[0] == 0
    assert preview(express_world, capsys, "up", name="pr-7", pr="7")[0] == 0
    region = express_world.region
    infrastructure = {"<INFRASTRUCTURE_ROLE>": ROLE.rsplit("/", 1)[1]}
    assert denied(policy(region, **infrastructure), calls, region, ACCOUNT) == []

    to_ecs = f"iam:PassRole on {ROLE} (iam:PassedToService=ecs.amazonaws.com)"
    without = policy(region, "OptionalExpressPassInfrastructureRole", **infrastructure)
    assert denied(without, calls, region, ACCOUNT) == [to_ecs]
    assert denied(policy(region), calls, region, ACCOUNT) == [to_ecs]  # another role named
    to_tasks = policy(region, **infrastructure)
    for statement in to_tasks["Statement"]:
        if statement["Sid"] == "OptionalExpressPassInfrastructureRole":
            statement["Condition"] = {"StringEquals": {"iam:PassedToService": TASKS}}
    assert denied(to_tasks, calls, region, ACCOUNT) == [to_ecs]

    execution = "arn:aws:iam::123456789012:role/exec"
    assert denied(policy(region, "PassTaskRoles", **infrastructure), calls, region, ACCOUNT) == [
        f"iam:PassRole on {execution} (iam:PassedToService={TASKS})"
    ]
    preview_arn = f"arn:aws:ecs:{region}:{ACCOUNT}:service/{CLUSTER}/web-pr-7"
    tag_on_create = (
        f"ecs:TagResource on {preview_arn} (ecs:CreateAction=CreateExpressGatewayService)"
    )
    no_express = denied(
        policy(region, "OptionalExpressServices", **infrastructure), calls, region, ACCOUNT
    )
    assert tag_on_create in no_express
