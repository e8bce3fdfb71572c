"""One-off tasks against moto with both simulators (images given: no build).

`run-before` gates the rollout: the order of the calls, a failing migration that rolls out
nothing, a timeout that stops the task, a no-op deploy that skips it; and the `run` verb.
These run in-process (the same code path as the action's entrypoint, which the action tests
in tests/action/test_oneoff_action.py run through the action's container).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from compose_ecs_deploy.aws.client import Aws
from compose_ecs_deploy.faces.cli import main
from compose_ecs_deploy.loading.inputs import prepare
from compose_ecs_deploy.report.summary import failure_lines, outputs, summary_markdown
from compose_ecs_deploy.settings import Settings, time_scale_from
from compose_ecs_deploy.verbs.deploy import Deployment, deploy
from tests.deploy.conftest import CLUSTER, EXECUTION_ROLE
from tests.support import terraform

pytestmark = pytest.mark.stack
IMAGE = "example/app:2"
COMPOSE = """
name: shop
services:
  app:
    image: example/app:1
    environment: {GREETING: hello}
  migrate:
    image: example/app:1
    command: ["npm", "run", "db:migrate"]
    environment: {SIMULATOR_EXIT_CODE: "${MIGRATE_EXIT:-0}", SIMULATOR_TICKS: "${MIGRATE_TICKS:-4}"}
    profiles: ["tools"]
"""


class Recorder:
    """Every AWS call of one deploy, in order, with its parameters."""

    def __init__(self, aws: Aws) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        for retries in (True, False):
            aws.client("ecs", retries=retries).meta.events.register(
                "provide-client-params.ecs.*", self._record
            )

    def _record(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        self.calls.append((model.name, dict(params)))

    def names(self) -> list[str]:
        return [name for name, _ in self.calls]


@pytest.fixture
def shop(aws_env: dict[str, str], aws_client: Callable[..., Any], tmp_path: Path) -> Any:
    ecs, ec2 = aws_client("ecs"), aws_client("ec2")
    ecs.create_cluster(clusterName=CLUSTER)
    terraform.roles(aws_client("iam"), EXECUTION_ROLE, "arn:aws:iam::123456789012:role/shop-task")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    group = ec2.create_security_group(GroupName="web", Description="web", VpcId=vpc)["GroupId"]
    network = {
        "awsvpcConfiguration": {
            "subnets": [subnet],
            "securityGroups": [group],
            "assignPublicIp": "DISABLED",
        }
    }
    (tmp_path / "compose.yaml").write_text(textwrap.dedent(COMPOSE))
    first = ecs.register_task_definition(
        family="shop",
        requiresCompatibilities=["FARGATE"],
        networkMode="awsvpc",
        cpu="256",
        memory="512",
        executionRoleArn=EXECUTION_ROLE,
        taskRoleArn="arn:aws:iam::123456789012:role/shop-task",
        containerDefinitions=[
            {"name": "app", "image": "example/app:0"},
            {"name": "agent", "image": "example/agent:7", "essential": False},
        ],
    )["taskDefinition"]["taskDefinitionArn"]
    ecs.create_service(
        cluster=CLUSTER,
        serviceName="web",
        taskDefinition=first,
        desiredCount=1,
        launchType="FARGATE",
        platformVersion="1.4.0",
        networkConfiguration=network,
        tags=[{"key": "simulator:ticks", "value": "1"}],
    )

    class Shop:
        client = ecs
        region = aws_env["AWS_REGION"]
        workdir = tmp_path
        first_arn = first
        network_configuration = network

        def settings(self, env: dict[str, str] | None = None, **overrides: Any) -> Settings:
            values: dict[str, Any] = {
                "compose_files": (str(tmp_path / "compose.yaml"),),
                "profiles": ("tools",),
                "services": ("app",),
                "cluster": CLUSTER,
                "ecs_services": ("web",),
                "region": self.region,
                "images": (f"app={IMAGE}",),
                "run_before": ("migrate",),
                "image_tag": "0123abcd",
                "poll_interval": 1.0,
                "max_poll_interval": 5.0,
                "time_scale": time_scale_from(os.environ),  # the stack's knob
                "wait_timeout_minutes": 1.0,
                "environment": {**os.environ, **(env or {})},
            }
            values.update(overrides)
            return Settings(**values)

        def deploy(self, settings: Settings) -> tuple[Deployment, Recorder, list[str]]:
            aws = Aws(settings.region, max_retries=settings.max_retries)
            recorder = Recorder(aws)
            lines: list[str] = []
            log = _ListLog(lines)
            return deploy(aws, settings, prepare(settings), log), recorder, lines

        def service(self) -> dict[str, Any]:
            return dict(ecs.describe_services(cluster=CLUSTER, services=["web"])["services"][0])

        def revisions(self, family: str) -> list[str]:
            return list(
                ecs.list_task_definitions(familyPrefix=family, sort="ASC")["taskDefinitionArns"]
            )

    return Shop()


class _ListLog:
    def __init__(self, lines: list[str]) -> None:
        self.lines = lines

    def info(self, line: str) -> None:
        self.lines.append(line)

    def group(self, title: str) -> Any:
        import contextlib

        self.lines.append(f"==> {title}")
        return contextlib.nullcontext()

    def mask(self, value: str) -> None:
        """Nothing to mask in a list."""


def test_migrate_succeeds_then_the_rollout_starts(shop) -> None:
    deployment, recorder, lines = shop.deploy(shop.settings())
    assert deployment.result.succeeded, lines
    names = recorder.names()
    run_at = names.index("RunTask")
    assert names.index("RegisterTaskDefinition") < run_at  # the one-off's own revision
    registers = [i for i, n in enumerate(names) if n == "RegisterTaskDefinition"]
    assert len(registers) == 2 and registers[1] > run_at  # the app's after the one-off
    stopped_at = max(i for i, n in enumerate(names) if n == "DescribeTasks")
    assert run_at < stopped_at < names.index("UpdateService")

    first_register = recorder.calls[registers[0]][1]
    assert first_register["family"] == "shop-migrate"
    assert [c["name"] for c in first_register["containerDefinitions"]] == ["migrate"]
    assert first_register["containerDefinitions"][0]["command"] == ["npm", "run", "db:migrate"]
    assert first_register["taskRoleArn"].endswith(":role/shop-task")  # task level: deployed
    assert first_register["executionRoleArn"] == EXECUTION_ROLE
    assert (first_register["cpu"], first_register["memory"]) == ("256", "512")
    run = recorder.calls[run_at][1]
    assert run["networkConfiguration"] == shop.network_configuration
    assert (run["launchType"], run["platformVersion"]) == ("FARGATE", "1.4.0")
    assert run["startedBy"] == "compose-ecs-deploy/0123abcd"
    assert run["taskDefinition"].rsplit("/", 1)[1] == "shop-migrate:1"

    app_register = recorder.calls[registers[1]][1]
    assert [c["name"] for c in app_register["containerDefinitions"]] == ["app", "agent"]
    states = [
        line.rsplit(" ", 1)[1]
        for line in lines
        if " one-off task " in line and line.split(" ")[-1].isupper()
    ]
    assert states == ["PROVISIONING", "PENDING", "RUNNING", "DEPROVISIONING", "STOPPED"]
    values = outputs(deployment.result, {})
    (one_off,) = deployment.result.one_offs
    assert json.loads(values["run-task-arns"]) == {"migrate": one_off.task_arn}
    assert json.loads(values["run-exit-codes"]) == {"migrate": 0}
    summary = summary_markdown(deployment.result, {})
    assert "### One-off task: migrate" in summary and "| ✅ succeeded | 0 |" in summary
    assert one_off.url in summary


def test_migrate_exits_2_and_nothing_is_rolled_out(shop) -> None:
    settings = shop.settings(env={"MIGRATE_EXIT": "2"})
    deployment, recorder, lines = shop.deploy(settings)
    assert not deployment.result.succeeded
    assert "rollout not started: a run-before one-off did not succeed" in lines
    assert "UpdateService" not in recorder.names()
    assert shop.revisions("shop") == [shop.first_arn]  # the app's revision not registered
    assert shop.service()["taskDefinition"] == shop.first_arn
    (line,) = failure_lines(deployment.result)
    (one_off,) = deployment.result.one_offs
    assert line == (
        f"one-off migrate: failed: task {one_off.task_arn.rsplit('/', 1)[1]}: "
        "container migrate exited with code 2; ECS stopped the task "
        "(EssentialContainerExited): Essential container in task exited"
    )
    assert one_off.verdict is not None and one_off.verdict.container == "migrate"
    assert one_off.task is not None and one_off.task["lastStatus"] == "STOPPED"
    assert json.loads(outputs(deployment.result, {})["run-exit-codes"]) == {"migrate": 2}
    summary = summary_markdown(deployment.result, {})
    assert "not rolled out (a run-before one-off failed)" in summary
    assert "| ❌ failed | 2 |" in summary


def test_a_failing_one_off_shows_its_last_log_lines_and_a_hint(shop, aws_client) -> None:
    aws_client("logs").create_log_group(logGroupName="/ecs/shop-migrate")
    deployment, _, lines = shop.deploy(shop.settings(env={"MIGRATE_EXIT": "2"}))
    (one_off,) = deployment.result.one_offs
    group = one_off.request["containerDefinitions"][0]["logConfiguration"]["options"]
    assert group["awslogs-group"] == "/ecs/shop-migrate"
    verdict = lines.index(f"migrate: failed: {one_off.reason}")
    assert lines[verdict + 1].startswith("migrate: hint: container migrate exited with code 2")
    assert lines[verdict + 2].startswith("migrate: last 6 log lines of container migrate")
    assert lines[verdict + 8] == "  | KeyError: 'DATABASE_URL'"
    summary = summary_markdown(deployment.result, {})
    assert "<details><summary>Last 6 log lines of container migrate" in summary
    assert "hint: container migrate exited with code 2" in summary


def test_a_timeout_stops_the_task_and_fails(shop) -> None:
    settings = shop.settings(env={"MIGRATE_TICKS": "never"}, run_timeout_minutes=0.005)
    deployment, recorder, _ = shop.deploy(settings)
    (one_off,) = deployment.result.one_offs
    assert one_off.kind == "timed-out"
    assert "did not stop within 0.005 minutes (run-timeout)" in one_off.reason
    assert "StopTask" in recorder.names() and "UpdateService" not in recorder.names()
    (task,) = shop.client.describe_tasks(cluster=CLUSTER, tasks=[one_off.task_arn])["tasks"]
    assert (task["desiredStatus"], task["stopCode"]) == ("STOPPED", "UserInitiated")
    assert "run-timeout" in task["stoppedReason"]


def test_a_no_op_deploy_skips_the_one_off(shop) -> None:
    first, _, _ = shop.deploy(shop.settings())
    assert first.result.succeeded
    again, recorder, lines = shop.deploy(shop.settings())
    assert again.result.succeeded
    assert "RunTask" not in recorder.names() and "RegisterTaskDefinition" not in recorder.names()
    assert (
        "migrate: one-off skipped: the deploy is a no-op (nothing changed, no "
        "force-new-deployment), so it was not run"
    ) in lines
    assert outputs(again.result, {})["run-task-arns"] == "{}"


def test_an_unchanged_one_off_reuses_its_revision(shop) -> None:
    shop.deploy(shop.settings())
    again, recorder, _ = shop.deploy(shop.settings(images=("app=example/app:3",)))
    assert again.result.succeeded
    assert shop.revisions("shop-migrate") == [again.result.one_offs[0].task_definition_arn]
    assert recorder.names().count("RegisterTaskDefinition") == 1  # the app's only


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (
            {"run_before": ("migrat",)},
            "run-before migrat: the compose project has no such "
            "service (it has: app, migrate); check the name",
        ),
        (
            {"profiles": ()},
            "run-before migrate: the compose service is in profile tools, which is "
            "not enabled; add --profile tools (action input profiles)",
        ),
    ],
)
def test_a_bad_run_before_is_one_error_and_nothing_is_written(
    shop, capsys, options, message
) -> None:
    settings = shop.settings(**options)
    args = [
        "deploy",
        "-f",
        settings.compose_files[0],
        "--service",
        "app",
        "--cluster",
        CLUSTER,
        "--ecs-service",
        "web",
        "--image",
        f"app={IMAGE}",
        "--image-tag",
        "abc",
        "--run-before",
        settings.run_before[0],
    ]
    for profile in settings.profiles:
        args += ["--profile", profile]
    capsys.readouterr()
    assert main(args) == 1
    errors = [line for line in capsys.readouterr().err.splitlines() if line.startswith("error")]
    assert len(errors) == 1 and errors[0].endswith(message), errors
    assert shop.revisions("shop") == [shop.first_arn] and shop.revisions("shop-migrate") == []
    assert (
        shop.client.list_tasks(cluster=CLUSTER, startedBy="compose-ecs-deploy/abc")["taskArns"]
        == []
    )


def test_the_run_verb_runs_a_command_and_exits_with_its_code(shop, capsys) -> None:
    (shop.workdir / "compose.yaml").write_text(
        textwrap.dedent(COMPOSE).replace('"${MIGRATE_EXIT:-0}"', '"3"')
    )
    capsys.readouterr()
    code = main(
        [
            "run",
            "-f",
            str(shop.workdir / "compose.yaml"),
            "--profile",
            "tools",
            "--cluster",
            CLUSTER,
            "--ecs-service",
            "web",
            "--image-tag",
            "feedbeef",
            "--poll-interval",
            "1",
            "migrate",
            "--",
            "npm",
            "run",
            "backfill",
        ]
    )
    out = capsys.readouterr()
    assert code == 3, out
    arn = next(
        line.split("=", 1)[1] for line in out.out.splitlines() if line.startswith("run-task-arn=")
    )
    (task,) = shop.client.describe_tasks(cluster=CLUSTER, tasks=[arn])["tasks"]
    assert task["overrides"]["containerOverrides"] == [
        {"name": "migrate", "command": ["npm", "run", "backfill"]}
    ]
    assert task["startedBy"] == "compose-ecs-deploy/feedbeef"
    assert "exit-code=3" in out.out
    assert "container migrate exited with code 3" in out.err
    assert shop.service()["taskDefinition"] == shop.first_arn  # nothing rolled out
    assert shop.revisions("shop") == [shop.first_arn]


def test_the_run_verb_verifies_before_its_first_write_and_no_verify_skips_it(shop, capsys) -> None:
    missing = f"arn:aws:secretsmanager:{shop.region}:123456789012:secret:shop/never-made-AbCdEf"
    argv = [
        "run", "-f", str(shop.workdir / "compose.yaml"), "--profile", "tools",
        "--cluster", CLUSTER, "--ecs-service", "web", "--image-tag", "feedbeef",
        "--poll-interval", "1", "--secret", f"DB={missing}",
    ]  # fmt: skip
    capsys.readouterr()
    code = main([*argv, "migrate"])
    out = capsys.readouterr()
    assert code == 1, out
    assert f"error: verify: secret {missing}" in out.err and "does not exist" in out.err, out.err
    assert "Traceback" not in out.err
    assert shop.revisions("shop-migrate") == []  # nothing registered, nothing run
    assert (
        shop.client.list_tasks(cluster=CLUSTER, startedBy="compose-ecs-deploy/feedbeef")["taskArns"]
        == []
    )

    code = main([*argv, "--no-verify", "migrate"])
    out = capsys.readouterr()
    assert code == 0, out
    assert "verify:" not in out.out and len(shop.revisions("shop-migrate")) == 1


def test_sigterm_stops_the_one_off_task(shop, aws_env) -> None:
    compose = shop.workdir / "compose.yaml"
    compose.write_text(textwrap.dedent(COMPOSE).replace('"${MIGRATE_TICKS:-4}"', '"never"'))
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "compose_ecs_deploy",
            "run",
            "-f",
            str(compose),
            "--profile",
            "tools",
            "--cluster",
            CLUSTER,
            "--ecs-service",
            "web",
            "--image-tag",
            "c0ffee",
            "--poll-interval",
            "5",
            "migrate",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=aws_env,
    )
    assert process.stdout is not None
    for line in process.stdout:
        if line.rstrip().endswith(" RUNNING"):
            break
    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=30)
    assert process.returncode == 1, out + err
    assert "cancelled by SIGTERM" in err
    arns = shop.client.list_tasks(
        cluster=CLUSTER, startedBy="compose-ecs-deploy/c0ffee", desiredStatus="STOPPED"
    )["taskArns"]
    (task,) = shop.client.describe_tasks(cluster=CLUSTER, tasks=arns)["tasks"]
    assert task["stopCode"] == "UserInitiated"


def test_a_one_off_with_the_app_build_runs_the_app_image(shop) -> None:
    (shop.workdir / "compose.yaml").write_text(
        textwrap.dedent("""
        name: shop
        services:
          app:
            build: .
          migrate:
            build: .
            command: ["npm", "run", "db:migrate"]
            environment: {SIMULATOR_TICKS: "1"}
            profiles: ["tools"]
        """)
    )
    deployment, recorder, _ = shop.deploy(shop.settings(images=("app=example/app:9",)))
    assert deployment.result.succeeded
    registered = [params for name, params in recorder.calls if name == "RegisterTaskDefinition"]
    assert [r["family"] for r in registered] == ["shop-migrate", "shop"]
    assert registered[0]["containerDefinitions"][0]["image"] == "example/app:9"


def test_a_dry_run_says_what_it_would_run_and_runs_nothing(shop) -> None:
    deployment, recorder, lines = shop.deploy(shop.settings(dry_run=True))
    assert deployment.result.succeeded
    assert not {"RunTask", "RegisterTaskDefinition", "UpdateService"} & set(recorder.names())
    assert (
        "migrate: one-off dry-run: would run as a one-off task of shop-migrate "
        "(registering a new revision)"
    ) in lines


def test_force_new_deployment_runs_the_one_off_on_an_unchanged_deploy(shop) -> None:
    shop.deploy(shop.settings())
    again, recorder, _ = shop.deploy(shop.settings(force_new_deployment=True))
    assert again.result.succeeded and again.result.one_offs[0].kind == "succeeded"
    names = recorder.names()
    assert names.count("RunTask") == 1 and "RegisterTaskDefinition" not in names
    assert names.index("RunTask") < names.index("UpdateService")
