"""Least privilege: a full deploy as a user holding only docs/iam-policy.json, and without
each of its statements in turn, against moto with IAM enforcement switched on."""

from __future__ import annotations

import json
import os
import secrets
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from compose_ecs_deploy.aws.client import Aws
from compose_ecs_deploy.errors import DeployError
from compose_ecs_deploy.faces.cli import main
from compose_ecs_deploy.loading.inputs import prepare
from compose_ecs_deploy.report.console import ConsoleLog
from compose_ecs_deploy.report.summary import failure_lines
from compose_ecs_deploy.settings import Settings, time_scale_from
from compose_ecs_deploy.verbs.deploy import deploy
from tests.support import terraform
from tests.support.memory_log import MemoryLog
from tests.support.moto_process import moto_server

pytestmark = pytest.mark.stack
ROOT = Path(__file__).resolve().parents[2]
ACCOUNT = "123456789012"
REGION = "us-east-1"
CLUSTER = "iam-cluster"
SERVICE = "hello"
CRASHY = "crashy"  # a service whose new tasks exit 3: the failure path, with its log lines
SETUP_CALLS = 3  # create_user, put_user_policy, create_access_key: unauthenticated
CD_SERVICE, CD_APPLICATION, CD_GROUP = "bluegreen", "cd-app", "cd-group"  # CODE_DEPLOY


def policy(
    repository: str, without: str | None = None, names: dict[str, str] | None = None
) -> dict[str, Any]:
    """The policy with its placeholders filled (`names` over this module's world), less the
    statement `without`."""
    text = (ROOT / "docs" / "iam-policy.json").read_text()
    for placeholder, value in {
        "<REGION>": REGION,
        "<ACCOUNT_ID>": ACCOUNT,
        "<REPOSITORY>": repository,
        "<CLUSTER>": CLUSTER,
        "<SERVICE>": SERVICE,
        "<FAMILY>": SERVICE,
        "<ONE_OFF_SERVICE>": "migrate",
        "<LOGS_REGION>": REGION,
        "<LOG_GROUP>": f"/ecs/{CRASHY}",
        "<TASK_ROLE>": "hello-task",
        "<EXECUTION_ROLE>": "hello-execution",
        "<INFRASTRUCTURE_ROLE>": "express-infrastructure",
        "<CODEDEPLOY_APPLICATION>": CD_APPLICATION,
        "<CODEDEPLOY_DEPLOYMENT_GROUP>": CD_GROUP,
        **(names or {}),
    }.items():
        text = text.replace(placeholder, value)
    document = json.loads(text)
    document["Statement"] = [s for s in document["Statement"] if s["Sid"] != without]
    return document


def as_moto_checks_it(document: dict[str, Any]) -> dict[str, Any]:
    """moto authorises every ECS and ECR call against the resource `*` and knows none of
    the condition keys, so it can check the actions, not the scoping: give it those.
    OptionalExpressPreviews is left out: it grants base statements' reads (DescribeServices,
    the service deployments) on the previews' services only, which moto, blind to resources,
    would take for the base statements themselves, so that taking EcsDeployService or
    EcsServiceDeployments away would deny nothing (tests/deploy/test_iam_resources.py checks
    it resource by resource)."""
    statements = [
        {k: v for k, v in s.items() if k != "Condition"} | {"Resource": "*"}
        for s in document["Statement"]
        if s["Sid"] != "OptionalExpressPreviews"
    ]
    return {**document, "Statement": statements}


def test_the_policy_scopes_every_resource_it_can() -> None:
    for statement in policy("repo")["Statement"]:
        resources = statement["Resource"]
        if statement["Sid"] in (
            "EcrLogin",
            "EcsTaskDefinitions",
            "DayTwoRevisions",
            "OptionalCodeDeployFind",
        ):
            assert resources == "*"  # these actions take no resource-level permissions
        elif statement["Sid"] == "OptionalCodeDeploy":  # the application, the group, a config
            assert resources == [
                f"arn:aws:codedeploy:{REGION}:{ACCOUNT}:application:{CD_APPLICATION}",
                f"arn:aws:codedeploy:{REGION}:{ACCOUNT}:deploymentgroup:{CD_APPLICATION}/"
                f"{CD_GROUP}",
                f"arn:aws:codedeploy:{REGION}:{ACCOUNT}:deploymentconfig:*",
            ]
        elif statement["Sid"] == "OptionalVerify":  # reads of whatever a revision names
            assert resources == "*"
        elif statement["Sid"] == "DefaultLogGroup":  # the groups the conversion names
            assert resources == f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/ecs/*"
        elif statement["Sid"] == "EcsStoppedTasks":
            assert "ecs:cluster" in statement["Condition"]["ArnEquals"]
        elif statement["Sid"] == "EcsTagOnCreate":  # the family's revisions, when registered
            assert resources == f"arn:aws:ecs:{REGION}:{ACCOUNT}:task-definition/{SERVICE}:*"
            assert statement["Condition"]["StringEquals"] == {
                "ecs:CreateAction": "RegisterTaskDefinition"
            }
        elif statement["Sid"] == "EcsDeployService":  # the service, onto its own family only
            assert resources == f"arn:aws:ecs:{REGION}:{ACCOUNT}:service/{CLUSTER}/{SERVICE}"
            assert statement["Condition"]["ArnLikeIfExists"] == {
                "ecs:task-definition": f"arn:aws:ecs:{REGION}:{ACCOUNT}:task-definition/{SERVICE}:*"
            }
        elif statement["Sid"] == "EcsServiceDeployments":  # the service's deployments only
            assert resources == [
                f"arn:aws:ecs:{REGION}:{ACCOUNT}:service/{CLUSTER}/{SERVICE}",
                f"arn:aws:ecs:{REGION}:{ACCOUNT}:service-deployment/{CLUSTER}/{SERVICE}/*",
                f"arn:aws:ecs:{REGION}:{ACCOUNT}:service-revision/{CLUSTER}/{SERVICE}/*",
            ]
        elif statement["Sid"] == "EcsOneOffTasks":  # the one-off family's revisions, its tasks
            assert "ecs:cluster" in statement["Condition"]["ArnEquals"]
            assert resources == [
                f"arn:aws:ecs:{REGION}:{ACCOUNT}:task-definition/{SERVICE}-migrate:*",
                f"arn:aws:ecs:{REGION}:{ACCOUNT}:task/{CLUSTER}/*",
            ]
        elif statement["Sid"] == "OptionalExpressServices":  # the service and its previews
            assert resources == [
                f"arn:aws:ecs:{REGION}:{ACCOUNT}:service/{CLUSTER}/{SERVICE}",
                f"arn:aws:ecs:{REGION}:{ACCOUNT}:service/{CLUSTER}/{SERVICE}-*",
            ]
        elif statement["Sid"] == "OptionalExpressPreviews":  # the previews and their deployments
            assert resources == [
                f"arn:aws:ecs:{REGION}:{ACCOUNT}:service/{CLUSTER}/{SERVICE}-*",
                f"arn:aws:ecs:{REGION}:{ACCOUNT}:service-deployment/{CLUSTER}/{SERVICE}-*/*",
            ]
        elif statement["Sid"] == "OptionalExpressPreviewSweep":  # no resource-level permission
            assert resources == "*" and "ecs:cluster" in statement["Condition"]["ArnEquals"]
        elif statement["Sid"] == "OptionalFailedTaskLogs":  # the group's streams: GROUP:*
            assert resources.startswith("arn:aws:logs:") and "*" not in resources[:-1]
        else:
            for resource in resources if isinstance(resources, list) else [resources]:
                assert resource.startswith("arn:aws:") and "*" not in resource


def admin_session(url: str, region: str) -> Any:
    """The admin of a moto with IAM enforced after SETUP_CALLS unauthenticated calls: those
    make the user, give it every action and make its key; its session makes the world."""
    bootstrap = boto3.client(
        "iam",
        endpoint_url=url,
        region_name=region,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    bootstrap.create_user(UserName="admin")
    bootstrap.put_user_policy(
        UserName="admin",
        PolicyName="all",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
            }
        ),
    )
    key = bootstrap.create_access_key(UserName="admin")["AccessKey"]
    return boto3.session.Session(
        aws_access_key_id=key["AccessKeyId"],
        aws_secret_access_key=key["SecretAccessKey"],
        region_name=region,
    )


@pytest.fixture(scope="module")
def enforced(stack, tmp_path_factory) -> Iterator[dict[str, Any]]:
    """moto with IAM enforced after the admin's three set-up calls, and the ECS world."""
    log = tmp_path_factory.mktemp("iam") / "moto.log"
    with moto_server(log, {"INITIAL_NO_AUTH_ACTION_COUNT": str(SETUP_CALLS)}) as url:
        admin = admin_session(url, REGION)
        ecs = admin.client("ecs", endpoint_url=url)
        iam = admin.client("iam", endpoint_url=url)
        execution = f"arn:aws:iam::{ACCOUNT}:role/hello-execution"
        repository = f"iam-hello-{secrets.token_hex(3)}"
        admin.client("ecr", endpoint_url=url).create_repository(repositoryName=repository)
        ecs.create_cluster(clusterName=CLUSTER)
        arn = terraform.first_revision(
            ecs, SERVICE, execution, iam, image="example/web:0", port=None,
            task_role=f"arn:aws:iam::{ACCOUNT}:role/hello-task",
        )  # fmt: skip
        terraform.service(
            ecs, CLUSTER, SERVICE, arn, tags={"simulator:ticks": "1"},
            networkConfiguration=terraform.network(admin.client("ec2", endpoint_url=url), "web"),
        )  # fmt: skip
        crashy = terraform.first_revision(
            ecs, CRASHY, execution, iam, image="example/web:0", port=None
        )
        terraform.service(
            ecs, CLUSTER, CRASHY, crashy,
            tags={"simulator:scenario": "crash-loop", "simulator:exit-code": "3"},
        )  # fmt: skip
        admin.client("logs", endpoint_url=url).create_log_group(logGroupName=f"/ecs/{CRASHY}")
        code_deploy_service(admin, url)
        yield {
            "url": url,
            "iam": admin.client("iam", endpoint_url=url),
            "ecs": ecs,
            "repository": repository,
        }


def code_deploy_service(admin: Any, url: str) -> None:
    """A CODE_DEPLOY service behind a load balancer, and its CodeDeploy application and
    deployment group (made by the admin, as Terraform would)."""
    ecs = admin.client("ecs", endpoint_url=url)
    arn = terraform.first_revision(
        ecs, CD_SERVICE, f"arn:aws:iam::{ACCOUNT}:role/hello-execution",
        admin.client("iam", endpoint_url=url), image="example/web:0", port=8000,
    )  # fmt: skip
    terraform.code_deploy_service(
        ecs, admin.client("codedeploy", endpoint_url=url), CLUSTER, CD_SERVICE, arn,
        application=CD_APPLICATION, group=CD_GROUP, port=8000,
    )  # fmt: skip


def user_with(enforced: dict[str, Any], document: dict[str, Any]) -> dict[str, str]:
    iam = enforced["iam"]
    name = f"deployer-{secrets.token_hex(3)}"
    iam.create_user(UserName=name)
    iam.put_user_policy(UserName=name, PolicyName="deploy", PolicyDocument=json.dumps(document))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return {
        "AWS_ACCESS_KEY_ID": key["AccessKeyId"],
        "AWS_SECRET_ACCESS_KEY": key["SecretAccessKey"],
    }


def deploy_as(
    credentials: dict[str, str],
    enforced: dict[str, Any],
    workdir: Path,
    monkeypatch,
    tag: str,
    **extra: Any,
) -> Any:
    monkeypatch.setenv("AWS_ENDPOINT_URL", enforced["url"])
    for key, value in credentials.items():
        monkeypatch.setenv(key, value)
    settings = Settings(
        compose_files=(str(workdir / "compose.yaml"),),
        services=("web",),
        cluster=CLUSTER,
        ecs_services=(SERVICE,),
        region=REGION,
        ecr_repositories=(enforced["repository"],),
        image_tag=tag,
        poll_interval=1.0,
        max_poll_interval=5.0,
        time_scale=time_scale_from(os.environ),  # the stack's COMPOSE_ECS_DEPLOY_TIME_SCALE
        max_retries=1,
        **extra,
    )
    return deploy(Aws(REGION, max_retries=1), settings, prepare(settings), ConsoleLog())


@pytest.fixture
def workdir(aws_env, hello_app: Path, tmp_path: Path) -> Path:
    compose = (hello_app / "compose.yaml").read_text()
    (tmp_path / "compose.yaml").write_text(
        compose.replace("context: .", f"context: {hello_app}")
        + MIGRATE.replace("HELLO", str(hello_app))
    )
    return tmp_path


# A one-off with the app's own build (it reuses the pushed image), exiting at once.
MIGRATE = """
  migrate:
    build:
      context: HELLO
      network: none
      args:
        BASE_IMAGE: ${BASE_IMAGE:-compose-ecs-deploy/base-python:local}
    command: ["python3", "-c", "print('migrated')"]
    environment: {SIMULATOR_TICKS: "1"}
"""


def test_the_documented_policy_is_enough_for_a_full_deploy(enforced, workdir, monkeypatch) -> None:
    credentials = user_with(enforced, as_moto_checks_it(policy(enforced["repository"])))
    deployment = deploy_as(credentials, enforced, workdir, monkeypatch, "a" * 40)
    assert deployment.result.succeeded
    assert deployment.images["web"].digest.startswith("sha256:")
    service = enforced["ecs"].describe_services(cluster=CLUSTER, services=[SERVICE])
    assert service["services"][0]["taskDefinition"].endswith(":2")


def test_a_blue_green_deploy_needs_the_service_deployment_statement(
    enforced, workdir, monkeypatch
) -> None:
    """BLUE_GREEN, LINEAR and CANARY deployments are followed by service deployment."""
    ecs = enforced["ecs"]
    ecs.update_service(
        cluster=CLUSTER,
        service=SERVICE,
        deploymentConfiguration={"strategy": "BLUE_GREEN", "bakeTimeInMinutes": 1},
    )
    try:
        without = user_with(
            enforced,
            as_moto_checks_it(policy(enforced["repository"], without="EcsServiceDeployments")),
        )
        with pytest.raises(DeployError) as failure:
            deploy_as(without, enforced, workdir, monkeypatch, "c" * 40)
        assert "ecs:DescribeServiceDeployments" in str(failure.value)
        full = user_with(enforced, as_moto_checks_it(policy(enforced["repository"])))
        assert deploy_as(full, enforced, workdir, monkeypatch, "d" * 40).result.succeeded
    finally:
        ecs.update_service(
            cluster=CLUSTER, service=SERVICE, deploymentConfiguration={"strategy": "ROLLING"}
        )


STATEMENTS = [s["Sid"] for s in policy("r")["Statement"]]
ENFORCED_BY_MOTO = {
    "EcrLogin": "ecr:GetAuthorizationToken",
    "EcrPushAndCache": "ecr:DescribeRepositories",
    "EcsTaskDefinitions": "ecs:DescribeTaskDefinition",
    "EcsDeployService": "ecs:DescribeServices",
}


@pytest.mark.parametrize("statement", sorted(ENFORCED_BY_MOTO))
def test_each_statement_is_needed(enforced, workdir, monkeypatch, statement: str) -> None:
    credentials = user_with(
        enforced, as_moto_checks_it(policy(enforced["repository"], without=statement))
    )
    with pytest.raises(DeployError) as failure:
        deploy_as(credentials, enforced, workdir, monkeypatch, "b" * 40)
    message = str(failure.value)
    assert ENFORCED_BY_MOTO[statement] in message
    assert "add it to the deploy role's policy (see docs/iam-policy.json)" in message


def test_a_run_before_needs_the_one_off_statement(enforced, workdir, monkeypatch) -> None:
    full = user_with(enforced, as_moto_checks_it(policy(enforced["repository"])))
    deployment = deploy_as(full, enforced, workdir, monkeypatch, "c" * 40, run_before=("migrate",))
    assert deployment.result.succeeded and deployment.result.one_offs[0].exit_code == 0
    without = user_with(
        enforced, as_moto_checks_it(policy(enforced["repository"], without="EcsOneOffTasks"))
    )
    with pytest.raises(DeployError, match="ecs:RunTask was denied"):
        deploy_as(without, enforced, workdir, monkeypatch, "d" * 40, run_before=("migrate",))


# Statements no test here can take away: moto does not check iam:PassRole, and ECS's
# ListTasks/DescribeTasks are asked only when tasks of a new revision stop (the stopped-task
# path is tested with full rights in test_deploy.py). The README says so.
# Nor does it authorise tag-on-create (ecs:TagResource with ecs:CreateAction) or read the
# ecs:task-definition condition of UpdateService. Those conditions, PassTaskRoles' and
# EcsStoppedTasks' are evaluated by tests/deploy/test_iam_conditions.py instead.
NOT_ENFORCED = {"EcsStoppedTasks", "PassTaskRoles", "EcsTagOnCreate"}
# Without these a deploy works as well; it only says less when it fails.
OPTIONAL = {"OptionalFailedTaskLogs", "OptionalVerify"}  # without OptionalVerify: SKIP lines
# A deploy whose revision uses the default awslogs group creates it when it is missing.
DEFAULT_LOG_GROUP = {"DefaultLogGroup"}
# Only for Express services and previews (deploy --express, preview): tested below, except
# iam:PassRole and ListServices (the sweep's), which moto does not check or the sweep alone asks
# (tests/deploy/test_iam_conditions.py evaluates OptionalExpressPassInfrastructureRole, its
# resource and its iam:PassedToService); OptionalExpressPreviews repeats reads of base
# statements on the previews' resources, which moto does not check:
# tests/deploy/test_iam_resources.py does.
EXPRESS = {
    "OptionalExpressServices",
    "OptionalExpressPreviews",
    "OptionalExpressPreviewSweep",
    "OptionalExpressPassInfrastructureRole",
}
# Only the day-two verbs use these (rollback --to an image tag, prune); a deploy never does.
DAY_TWO = {"DayTwoRevisions"}


def test_every_statement_is_either_tested_or_explained() -> None:
    assert set(STATEMENTS) == (
        set(ENFORCED_BY_MOTO)
        | NOT_ENFORCED
        | OPTIONAL
        | EXPRESS
        | DAY_TWO
        | DEFAULT_LOG_GROUP
        | {"EcsServiceDeployments", "EcsOneOffTasks", "OptionalCodeDeploy"}
        | {"OptionalCodeDeployFind"}
    )


def deploy_code_deploy(
    credentials: dict[str, str], enforced: dict[str, Any], tmp_path: Path, monkeypatch, **named: str
) -> Any:
    """A deploy of an existing image onto the CODE_DEPLOY service (no build, no push)."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", enforced["url"])
    for key, value in credentials.items():
        monkeypatch.setenv(key, value)
    compose = tmp_path / "compose.yaml"
    compose.write_text("services:\n  web:\n    image: example/web:1\n    expose: ['8000']\n")
    settings = Settings(
        compose_files=(str(compose),),
        services=("web",),
        cluster=CLUSTER,
        ecs_services=(CD_SERVICE,),
        region=REGION,
        images=(f"web=example/web:{secrets.token_hex(3)}",),
        poll_interval=1.0,
        max_poll_interval=5.0,
        time_scale=time_scale_from(os.environ),  # the stack's COMPOSE_ECS_DEPLOY_TIME_SCALE
        max_retries=1,
        wait_timeout_minutes=1.0,
        **named,
    )
    return deploy(Aws(REGION, max_retries=1), settings, prepare(settings), MemoryLog())


NAMED = {"codedeploy_application": CD_APPLICATION, "codedeploy_deployment_group": CD_GROUP}


def test_a_code_deploy_service_needs_the_codedeploy_statements(
    enforced, tmp_path, monkeypatch
) -> None:
    """Named, the group needs OptionalCodeDeploy alone; found, OptionalCodeDeployFind too."""
    document = policy(enforced["repository"], without="OptionalCodeDeployFind")
    named_only = user_with(enforced, as_moto_checks_it(document))
    assert deploy_code_deploy(named_only, enforced, tmp_path, monkeypatch, **NAMED).result.succeeded
    with pytest.raises(DeployError, match="codedeploy:ListApplications was denied"):
        deploy_code_deploy(named_only, enforced, tmp_path, monkeypatch)
    full = user_with(enforced, as_moto_checks_it(policy(enforced["repository"])))
    assert deploy_code_deploy(full, enforced, tmp_path, monkeypatch).result.succeeded
    without = user_with(
        enforced, as_moto_checks_it(policy(enforced["repository"], without="OptionalCodeDeploy"))
    )
    with pytest.raises(DeployError, match="codedeploy:ListDeployments was denied"):
        deploy_code_deploy(without, enforced, tmp_path, monkeypatch, **NAMED)


def test_prune_and_rollback_of_a_code_deploy_service_read_its_groups_history(
    enforced, tmp_path, monkeypatch, capsys
) -> None:
    """A CODE_DEPLOY service's rollback target, which prune keeps, comes from CodeDeploy's
    record of the group: the documented policy allows it; without OptionalCodeDeploy the
    prune stops on the denied read, naming it, and deregisters nothing, and a rollback
    without --to says to pass it."""
    full = user_with(enforced, as_moto_checks_it(policy(enforced["repository"])))
    assert deploy_code_deploy(full, enforced, tmp_path, monkeypatch).result.succeeded
    argv = ["prune", "--cluster", CLUSTER, "--ecs-service", CD_SERVICE, "--keep", "1",
            "--region", REGION, "--dry-run"]  # fmt: skip
    capsys.readouterr()
    assert main(argv) == 0, capsys.readouterr()
    without = policy(enforced["repository"], without="OptionalCodeDeploy")
    for key, value in user_with(enforced, as_moto_checks_it(without)).items():
        monkeypatch.setenv(key, value)
    revisions = enforced["ecs"].list_task_definitions(familyPrefix=CD_SERVICE)["taskDefinitionArns"]
    assert main(argv[:-1]) == 1
    err = capsys.readouterr().err
    assert "codedeploy:ListDeployments was denied" in err and "nothing was deregistered" in err
    assert "--to" not in err and err.count("\n") == 1, err  # prune has no --to
    left = enforced["ecs"].list_task_definitions(familyPrefix=CD_SERVICE)["taskDefinitionArns"]
    assert len(revisions) > 1 and left == revisions
    rollback = ["rollback", "--cluster", CLUSTER, "--ecs-service", CD_SERVICE, "--region", REGION]
    assert main(rollback) == 1  # its target comes from the same history; --to does without
    err = capsys.readouterr().err
    assert "codedeploy:ListDeployments was denied" in err and "; or pass --to REVISION" in err


def express_deploy(
    credentials: dict[str, str],
    enforced: dict[str, Any],
    hello_app: Path,
    tmp_path: Path,
    monkeypatch,
) -> Any:
    """deploy --express of an existing image onto a new Express service (no build)."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", enforced["url"])
    for key, value in credentials.items():
        monkeypatch.setenv(key, value)
    compose = tmp_path / "express" / "compose.yaml"
    compose.parent.mkdir(parents=True)
    compose.write_text(
        (hello_app / "compose.yaml").read_text().replace("context: .", f"context: {hello_app}")
        + f"x-ecs:\n  executionRoleArn: arn:aws:iam::{ACCOUNT}:role/hello-execution\n"
    )
    settings = Settings(
        compose_files=(str(compose),),
        services=("web",),
        cluster=CLUSTER,
        ecs_services=(f"{SERVICE}-{secrets.token_hex(3)}",),
        region=REGION,
        images=("web=example/web:1",),
        express=True,
        infrastructure_role_arn=f"arn:aws:iam::{ACCOUNT}:role/express-infrastructure",
        poll_interval=1.0,
        max_poll_interval=5.0,
        time_scale=time_scale_from(os.environ),  # the stack's COMPOSE_ECS_DEPLOY_TIME_SCALE
        max_retries=1,
        wait_timeout_minutes=1.0,
    )
    return deploy(Aws(REGION, max_retries=1), settings, prepare(settings), ConsoleLog())


def test_an_express_deploy_needs_the_express_statement(
    enforced, hello_app, tmp_path, monkeypatch
) -> None:
    full = user_with(enforced, as_moto_checks_it(policy(enforced["repository"])))
    deployment = express_deploy(full, enforced, hello_app, tmp_path / "a", monkeypatch)
    assert deployment.result.succeeded
    assert deployment.result.services[0].kind_outputs["url"].startswith("https://")
    without = user_with(
        enforced,
        as_moto_checks_it(policy(enforced["repository"], without="OptionalExpressServices")),
    )
    with pytest.raises(DeployError, match="ecs:CreateExpressGatewayService was denied"):
        express_deploy(without, enforced, hello_app, tmp_path / "b", monkeypatch)


def test_previews_up_down_and_sweep_work_with_the_policy(
    enforced, hello_app, tmp_path, monkeypatch, capsys
) -> None:
    """As moto checks it (the actions); the resources: tests/deploy/test_iam_resources.py."""
    credentials = user_with(enforced, as_moto_checks_it(policy(enforced["repository"])))
    monkeypatch.setenv("AWS_ENDPOINT_URL", enforced["url"])
    for key, value in credentials.items():
        monkeypatch.setenv(key, value)
    compose = tmp_path / "compose.yaml"
    compose.write_text(
        (hello_app / "compose.yaml").read_text().replace("context: .", f"context: {hello_app}")
        + f"x-ecs:\n  executionRoleArn: arn:aws:iam::{ACCOUNT}:role/hello-execution\n"
    )
    where = ["--cluster", CLUSTER, "--ecs-service", SERVICE, "--region", REGION]
    up = [
        *("preview", "up", "--name", "pr-5", "--pull-request", "5", *where, "-f", str(compose)),
        *("--service", "web", "--image", "web=example/web:1", "--image-tag", "c" * 40),
        *("--infrastructure-role-arn", f"arn:aws:iam::{ACCOUNT}:role/express-infrastructure"),
        *("--poll-interval", "1", "--wait-timeout", "1", "--max-retries", "1"),
    ]
    assert main(up) == 0, capsys.readouterr()
    assert main(["preview", "down", "--name", "pr-5", *where]) == 0, capsys.readouterr()
    assert main(["preview", "sweep", "--open-pull-requests", "1", *where]) == 0
    assert "sweep: 0 preview(s) deleted of " in capsys.readouterr().out  # pr-5 is DRAINING


def deploy_crashy(
    credentials: dict[str, str], enforced: dict[str, Any], workdir: Path, monkeypatch
) -> Any:
    """A deploy of an existing image onto the crash-looping service (no build, no push)."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", enforced["url"])
    for key, value in credentials.items():
        monkeypatch.setenv(key, value)
    settings = Settings(
        compose_files=(str(workdir / "compose.yaml"),),
        services=("web",),
        cluster=CLUSTER,
        ecs_services=(CRASHY,),
        region=REGION,
        images=(f"web=example/web:{secrets.token_hex(3)}",),
        poll_interval=1.0,
        max_poll_interval=5.0,
        time_scale=time_scale_from(os.environ),  # the stack's COMPOSE_ECS_DEPLOY_TIME_SCALE
        max_retries=1,
        wait_timeout_minutes=1.0,
    )
    log = MemoryLog()
    return deploy(Aws(REGION, max_retries=1), settings, prepare(settings), log), log


def test_with_the_optional_statement_a_failure_shows_the_log_lines(
    enforced, workdir, monkeypatch
) -> None:
    credentials = user_with(enforced, as_moto_checks_it(policy(enforced["repository"])))
    deployment, log = deploy_crashy(credentials, enforced, workdir, monkeypatch)
    assert not deployment.result.succeeded
    assert "  | KeyError: 'DATABASE_URL'" in log.lines, log.lines


def test_without_the_optional_statement_a_failure_says_what_to_add(
    enforced, workdir, monkeypatch
) -> None:
    credentials = user_with(
        enforced,
        as_moto_checks_it(policy(enforced["repository"], without="OptionalFailedTaskLogs")),
    )
    deployment, log = deploy_crashy(credentials, enforced, workdir, monkeypatch)
    [error] = failure_lines(deployment.result)
    assert "EssentialContainerExited" in error and "exited with code 3" in error
    [note] = [line for line in log.lines if "could not read its log lines" in line]
    assert (
        "logs:GetLogEvents was denied; add logs:GetLogEvents on "
        f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/ecs/{CRASHY}:* to the deploy role's "
        "policy (statement OptionalFailedTaskLogs in docs/iam-policy.json)"
    ) in note
    assert "KeyError" not in "\n".join(log.lines)


def test_the_readme_lists_the_policy_actions() -> None:
    readme = (ROOT / "README.md").read_text()
    for statement in policy("r")["Statement"]:
        for action in statement["Action"]:
            assert action in readme, action
    assert textwrap.dedent("docs/iam-policy.json") in readme
