"""Express Mode through the CLI, against the stack's simulated Express services
(tests/support/express_simulator.py): the first deploy creates the service, a missing
infrastructure role stops before any write, an update is a canary ECS runs, a failed one is
rolled back by ECS and explained, an unchanged re-run writes nothing, a second compose
service depends on Main; and `preview up`, `down` and `down` again. Each test asserts the
exact writes the run made."""

from __future__ import annotations

import re
import textwrap
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from compose_ecs_deploy.aws import express as aws_express
from compose_ecs_deploy.aws.client import Aws
from compose_ecs_deploy.faces.cli import main
from tests.deploy.conftest import ACCOUNT, CLUSTER, World, record_writes

pytestmark = pytest.mark.stack
ROLE = f"arn:aws:iam::{ACCOUNT}:role/ecsInfrastructureRoleForExpressServices"
WRITES = (
    "RegisterTaskDefinition",
    "UpdateService",
    "CreateExpressGatewayService",
    "UpdateExpressGatewayService",
    "DeleteExpressGatewayService",
    "StopServiceDeployment",
    "TagResource",
    "DeleteService",
)
COMPOSE = """
x-ecs:
  family: web
  executionRoleArn: arn:aws:iam::123456789012:role/exec
  healthCheckPath: /health
  scalingTarget: {minTaskCount: 1, maxTaskCount: 4}
services:
  app:
    image: example/app:1
    ports: ["8080:8080"]
    environment: {GREETING: hello}
  worker:
    image: example/worker:1
    depends_on: [app]
"""


@pytest.fixture
def writes(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, dict[str, Any]]]:
    """Every write the run makes, in order, with its request body."""
    return record_writes(monkeypatch, WRITES)


@pytest.fixture
def express_world(world: World) -> World:
    (world.workdir / "compose.yaml").write_text(textwrap.dedent(COMPOSE))
    return world


def cli(
    world: World, capsys: pytest.CaptureFixture[str], *extra: str, verb: tuple[str, ...] = ()
) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(
        [
            *(verb or ("deploy",)),
            "-f",
            str(world.workdir / "compose.yaml"),
            "--cluster",
            CLUSTER,
            "--ecs-service",
            "web",
            "--image",
            "app=example/app:2",
            "--poll-interval",
            "1",
            "--wait-timeout",
            "1",
            *extra,
        ]
    )
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def express(world: World, capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, str, str]:
    return cli(world, capsys, "--express", "--infrastructure-role-arn", ROLE, *extra)


def names(writes: list[tuple[str, dict[str, Any]]]) -> list[str]:
    return [name for name, _ in writes]


def output(stdout: str, name: str) -> str:
    return next(
        line.split("=", 1)[1] for line in stdout.splitlines() if line.startswith(name + "=")
    )


def registered(world: World, arn: str) -> dict[str, Any]:
    return world.ecs.describe_task_definition(taskDefinition=arn)["taskDefinition"]  # type: ignore[no-any-return]


def test_a_first_deploy_creates_the_express_service(express_world: World, capsys, writes) -> None:
    code, out, err = express(express_world, capsys, "--service", "app")
    assert code == 0, out + err
    assert names(writes) == ["RegisterTaskDefinition", "CreateExpressGatewayService"]
    create = writes[1][1]
    assert create["serviceName"] == "web" and create["cluster"] == CLUSTER
    assert create["infrastructureRoleArn"] == ROLE
    assert create["healthCheckPath"] == "/health"
    assert create["scalingTarget"] == {"minTaskCount": 1, "maxTaskCount": 4}
    revision = registered(express_world, create["taskDefinitionArn"])
    (main_container,) = revision["containerDefinitions"]
    assert main_container["name"] == "Main"
    assert main_container["portMappings"] == [
        {"containerPort": 8080, "protocol": "tcp", "name": "http"}
    ]
    assert "FARGATE" in revision["requiresCompatibilities"]
    url = output(out, "url")
    assert url.startswith("https://") and url.count("https://") == 1
    assert url.endswith(".ecs.us-east-1.on.aws")
    assert "web: created the Express service" in out
    assert "SUCCESSFUL at CLEAN_UP" in out and "web: completed:" in out


def test_without_the_infrastructure_role_nothing_is_written(
    express_world: World, capsys, writes
) -> None:
    code, _out, err = cli(express_world, capsys, "--express", "--service", "app")
    assert code == 1
    assert "--infrastructure-role-arn ARN (action input infrastructure-role-arn)" in err
    assert err.startswith("error: ")
    assert names(writes) == []
    assert express_world.revisions("web") == []


def test_an_update_is_a_canary_and_an_unchanged_rerun_writes_nothing(
    express_world: World, capsys, writes
) -> None:
    assert express(express_world, capsys, "--service", "app")[0] == 0
    (express_world.workdir / "compose.yaml").write_text(
        textwrap.dedent(COMPOSE).replace("GREETING: hello", "GREETING: bonjour")
    )
    writes.clear()
    code, out, err = express(express_world, capsys, "--service", "app")
    assert code == 0, out + err
    assert names(writes) == ["RegisterTaskDefinition", "UpdateExpressGatewayService"]
    update = writes[1][1]
    assert set(update) == {"serviceArn", "taskDefinitionArn", "healthCheckPath", "scalingTarget"}
    assert "production traffic 5%" in out
    url = output(out, "url")
    assert url.startswith("https://")
    writes.clear()
    code, out, err = express(express_world, capsys, "--service", "app")
    assert code == 0, out + err
    assert names(writes) == []
    assert "unchanged" in out
    assert output(out, "url") == url  # the address, on every run


def test_a_failed_update_is_rolled_back_by_ecs_and_explained(
    express_world: World, capsys, writes, aws_client
) -> None:
    assert express(express_world, capsys, "--service", "app")[0] == 0
    groups = aws_client("logs").describe_log_groups(logGroupNamePrefix="/ecs/web")["logGroups"]
    assert [g["logGroupName"] for g in groups] == ["/ecs/web"]  # the deploy made the task's group
    first = express_world.running("web")
    express_world.ecs.tag_resource(
        resourceArn=first["serviceArn"],
        tags=[
            {"key": "simulator:native-scenario", "value": "alarm"},
            {"key": "simulator:express-canary", "value": "crash"},
            {"key": "simulator:exit-code", "value": "3"},
        ],
    )
    writes.clear()
    edit = textwrap.dedent(COMPOSE).replace("GREETING: hello", "GREETING: bonjour")
    (express_world.workdir / "compose.yaml").write_text(edit)
    code, out, err = express(express_world, capsys, "--service", "app")
    assert code == 1, out + err
    assert names(writes) == ["RegisterTaskDefinition", "UpdateExpressGatewayService"]
    assert "ROLLBACK_IN_PROGRESS" in out
    assert "production traffic 5%" in out  # the canary ran before the alarm
    assert err.startswith("error: service web: rolled-back: ECS rolled service deployment")
    assert "alarm in ALARM: web-4xx-5xx" in err
    assert "hint: container Main exited with code 3 by itself" in err
    assert "KeyError: 'DATABASE_URL'" in out  # the crashed canary's last log line
    assert express_world.running("web")["taskDefinition"] == first["taskDefinition"]


def test_a_worker_depends_on_main(express_world: World, capsys, writes) -> None:
    code, out, err = express(express_world, capsys, "--service", "app", "--service", "worker")
    assert code == 0, out + err
    assert names(writes) == ["RegisterTaskDefinition", "CreateExpressGatewayService"]
    revision = registered(express_world, writes[1][1]["taskDefinitionArn"])
    containers = {c["name"]: c for c in revision["containerDefinitions"]}
    assert set(containers) == {"Main", "worker"}
    assert containers["worker"]["dependsOn"] == [{"containerName": "Main", "condition": "START"}]
    assert "portMappings" not in containers["worker"] or not containers["worker"]["portMappings"]


def test_two_ports_on_the_primary_are_refused_before_any_write(
    express_world: World, capsys, writes
) -> None:
    (express_world.workdir / "compose.yaml").write_text(
        textwrap.dedent(COMPOSE).replace('["8080:8080"]', '["8080:8080", "9090:9090"]')
    )
    code, _out, err = express(express_world, capsys, "--service", "app")
    assert code == 1
    assert "one port" in err and "8080, 9090" in err and "app" in err
    assert names(writes) == []


def preview(
    world: World,
    capsys: pytest.CaptureFixture[str],
    action: str,
    *extra: str,
    name: str = "pr-7",
    pr: str = "7",
) -> tuple[int, str, str]:
    capsys.readouterr()
    args = ["preview", action, "--cluster", CLUSTER, "--ecs-service", "web"]
    if action != "sweep":
        args += ["--name", name]
    if action == "up":
        args += [
            "-f",
            str(world.workdir / "compose.yaml"),
            "--service",
            "app",
            "--image",
            "app=example/app:2",
            "--infrastructure-role-arn",
            ROLE,
            "--pull-request",
            pr,
            "--image-tag",
            "abc123",
            "--poll-interval",
            "1",
            "--wait-timeout",
            "1",
        ]
    code = main([*args, *extra])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_preview_up_down_and_down_again(express_world: World, capsys, writes) -> None:
    code, out, err = preview(express_world, capsys, "up")
    assert code == 0, out + err
    assert names(writes) == ["RegisterTaskDefinition", "CreateExpressGatewayService"]
    create = writes[1][1]
    assert create["serviceName"] == "web-pr-7"
    tags = {t["key"]: t["value"] for t in create["tags"]}
    updated_at = tags.pop("compose-ecs-deploy:updated-at")
    assert tags == {
        "compose-ecs-deploy:preview": "pr-7",
        "compose-ecs-deploy:pull-request": "7",
        "compose-ecs-deploy:commit": "abc123",
    }
    assert re.fullmatch(r"20\d\d-\d\d-\d\dT\d\d:\d\d:\d\dZ", updated_at), updated_at
    url = output(out, "url")
    assert f"preview pr-7: {url}" in out
    writes.clear()
    code, out, err = preview(express_world, capsys, "up")  # unchanged: no write, same URL
    assert code == 0, out + err
    assert names(writes) == [] and output(out, "url") == url
    writes.clear()
    code, out, err = preview(express_world, capsys, "down")
    assert code == 0, out + err
    assert names(writes) == ["DeleteExpressGatewayService"]
    code, out, err = preview(express_world, capsys, "down")
    assert code == 0, out + err
    assert "already" in out
    assert names(writes) == ["DeleteExpressGatewayService"]  # nothing more


def test_preview_down_leaves_a_service_that_is_not_a_preview(
    express_world: World, capsys, writes
) -> None:
    express_world.service("web-pr-7")
    code, _out, err = preview(express_world, capsys, "down")
    assert code == 1
    assert "not a preview" in err
    assert names(writes) == []


def tag_cluster(world: World, key: str, value: str) -> None:
    arn = world.ecs.describe_clusters(clusters=[CLUSTER])["clusters"][0]["clusterArn"]
    world.ecs.tag_resource(resourceArn=arn, tags=[{"key": key, "value": value}])


def test_the_url_has_https_once_when_ecs_gives_a_url(express_world: World, capsys) -> None:
    tag_cluster(express_world, "simulator:express-endpoint", "https")
    code, out, err = express(express_world, capsys, "--service", "app")
    assert code == 0, out + err
    url = output(out, "url")
    assert url.startswith("https://") and url.count("https://") == 1


@pytest.mark.parametrize("how", ["resource-not-found", "invalid-parameter"])
def test_a_missing_service_reads_as_none_whichever_error_ecs_gives(
    express_world: World, how: str
) -> None:
    tag_cluster(express_world, "simulator:express-missing", how)
    aws = Aws(express_world.region, max_retries=0)
    missing = f"arn:aws:ecs:{express_world.region}:{ACCOUNT}:service/{CLUSTER}/nothing"
    assert aws_express.describe(aws, missing) is None


@pytest.mark.parametrize("deleted", ["inactive", "gone"])
def test_preview_down_after_the_service_drained(
    express_world: World, capsys, writes, deleted: str
) -> None:
    tag_cluster(express_world, "simulator:express-deleted", deleted)
    assert preview(express_world, capsys, "up")[0] == 0
    assert preview(express_world, capsys, "down")[0] == 0
    arn = express_world.running("web-pr-7")["serviceArn"]
    for _ in range(3):  # the simulator's draining ticks
        express_world.ecs.describe_services(cluster=CLUSTER, services=["web-pr-7"])
    writes.clear()
    code, out, err = preview(express_world, capsys, "down")
    assert code == 0, out + err
    assert "already gone" in out and names(writes) == []
    described = aws_express.describe(Aws(express_world.region), arn)
    if deleted == "gone":
        assert described is None
    else:
        assert described is not None and described["status"]["statusCode"] == "INACTIVE"


def test_x_ecs_service_settings_are_checked_against_botocores_shapes(
    express_world: World, capsys, writes
) -> None:
    (express_world.workdir / "compose.yaml").write_text(
        textwrap.dedent(COMPOSE).replace("minTaskCount: 1", "minTaskCount: two")
    )
    code, _out, err = express(express_world, capsys, "--service", "app")
    assert code == 1
    assert "x-ecs.scalingTarget.minTaskCount" in err
    assert names(writes) == []


def test_preview_sweep_deletes_the_previews_of_closed_pull_requests(
    express_world: World, capsys, writes
) -> None:
    for number in ("7", "8"):
        code, out, err = preview(express_world, capsys, "up", name=f"pr-{number}", pr=number)
        assert code == 0, out + err
    assert express(express_world, capsys, "--service", "app")[0] == 0  # an Express service
    writes.clear()
    sweep = ("--open-pull-requests", "7")
    code, out, err = preview(express_world, capsys, "sweep", *sweep, "--dry-run")
    assert code == 0, out + err
    assert "preview web-pr-8: would delete (pull request 8 is not open)" in out
    assert names(writes) == []
    code, out, err = preview(express_world, capsys, "sweep", *sweep)
    assert code == 0, out + err
    assert [(n, b["serviceArn"].rsplit("/", 1)[1]) for n, b in writes] == [
        ("DeleteExpressGatewayService", "web-pr-8")
    ]


def preview_tags(world: World, name: str) -> dict[str, str]:
    (service,) = world.ecs.describe_services(cluster=CLUSTER, services=[name], include=["TAGS"])[
        "services"
    ]
    return {t["key"]: t["value"] for t in service.get("tags") or []}


def test_a_push_to_the_pull_request_tags_the_preview_with_its_commit(
    express_world: World, capsys, writes
) -> None:
    assert preview(express_world, capsys, "up")[0] == 0
    first = preview_tags(express_world, "web-pr-7")
    (express_world.workdir / "compose.yaml").write_text(
        textwrap.dedent(COMPOSE).replace("GREETING: hello", "GREETING: bonjour")
    )
    writes.clear()
    code, out, err = preview(express_world, capsys, "up", "--image-tag", "def456")
    assert code == 0, out + err
    assert names(writes) == [
        "RegisterTaskDefinition",
        "UpdateExpressGatewayService",
        "TagResource",
    ]
    after = preview_tags(express_world, "web-pr-7")
    assert after["compose-ecs-deploy:commit"] == "def456"
    assert after["compose-ecs-deploy:updated-at"] >= first["compose-ecs-deploy:updated-at"]
    assert "preview web-pr-7: tagged with commit def456" in out


def test_preview_sweep_deletes_previews_not_updated_within_the_limit(
    express_world: World, capsys, writes
) -> None:
    for number in ("7", "8"):
        assert preview(express_world, capsys, "up", name=f"pr-{number}", pr=number)[0] == 0
    old = (datetime.now(UTC) - timedelta(days=8)).strftime("%Y-%m-%dT%H:%M:%SZ")
    express_world.ecs.tag_resource(
        resourceArn=express_world.running("web-pr-8")["serviceArn"],
        tags=[{"key": "compose-ecs-deploy:updated-at", "value": old}],
    )
    writes.clear()
    code, out, err = preview(express_world, capsys, "sweep", "--older-than", "7d")
    assert code == 0, out + err
    assert f"preview web-pr-8: deleted (last updated {old[:10]} " in out
    assert "more than 7d ago)" in out
    assert [(n, b["serviceArn"].rsplit("/", 1)[1]) for n, b in writes] == [
        ("DeleteExpressGatewayService", "web-pr-8")
    ]
