"""Deploy tests: the local stack (moto with the rollout simulator) plus an ECS world per test."""

from __future__ import annotations

import base64
import json
import os
import ssl
import sys
import textwrap
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from compose_ecs_deploy.aws.client import Aws
from compose_ecs_deploy.aws.throttle import ThrottleBudget
from compose_ecs_deploy.loading.inputs import prepare
from compose_ecs_deploy.report.console import ConsoleLog
from compose_ecs_deploy.settings import Settings, time_scale_from
from compose_ecs_deploy.verbs.deploy import Deployment, deploy
from tests.support import terraform
from tests.support.fault_proxy import FaultProxy

ACCOUNT = "123456789012"
EXECUTION_ROLE = f"arn:aws:iam::{ACCOUNT}:role/exec"
CLUSTER = "test-cluster"

COMPOSE = """
services:
  app:
    image: example/app:1
    ports: ["8080:8080"]
    environment: {GREETING: hello}
    healthcheck:
      test: ["CMD", "true"]
      interval: 10s
  worker:
    image: example/worker:1
    environment: {QUEUE: jobs}
"""


@dataclass
class World:
    """One cluster with services made the way Terraform would make them."""

    ecs: Any
    region: str
    workdir: Path

    def service(
        self,
        name: str,
        containers: tuple[str, ...] = ("app",),
        scenario: str = "",
        tags: dict[str, str] | None = None,
        circuit_breaker: bool = False,
        controller: str = "ECS",
        alarms: tuple[str, ...] = (),
        desired: int = 2,
    ) -> str:
        """Register a first revision (roles, size, an agent sidecar) and a service on it."""
        definitions = [
            {"name": c, "image": f"example/{c}:0", "essential": True} for c in containers
        ]
        definitions.append({"name": "agent", "image": "example/agent:7", "essential": False})
        arn = self.ecs.register_task_definition(
            family=name,
            requiresCompatibilities=["FARGATE"],
            networkMode="awsvpc",
            cpu="256",
            memory="512",
            executionRoleArn=EXECUTION_ROLE,
            containerDefinitions=definitions,
        )["taskDefinition"]["taskDefinitionArn"]
        all_tags = dict(tags or {})
        if scenario:
            all_tags["simulator:scenario"] = scenario
        extra: dict[str, Any] = {}
        if circuit_breaker:
            extra["deploymentConfiguration"] = {
                "deploymentCircuitBreaker": {"enable": True, "rollback": True}
            }
        if alarms:
            extra["deploymentConfiguration"] = {
                "alarms": {"alarmNames": list(alarms), "enable": True, "rollback": True}
            }
        self.ecs.create_service(
            cluster=CLUSTER,
            serviceName=name,
            taskDefinition=arn,
            desiredCount=desired,
            launchType="FARGATE",
            deploymentController={"type": controller},
            tags=[{"key": k, "value": v} for k, v in all_tags.items()],
            **extra,
        )
        return str(arn)

    def running(self, name: str) -> dict[str, Any]:
        return self.ecs.describe_services(cluster=CLUSTER, services=[name])["services"][0]

    def revisions(self, family: str) -> list[str]:
        return self.ecs.list_task_definitions(familyPrefix=family)["taskDefinitionArns"]

    def settings(self, **overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "compose_files": (str(self.workdir / "compose.yaml"),),
            "services": ("app",),
            "cluster": CLUSTER,
            "ecs_services": ("web",),
            "region": self.region,
            "poll_interval": 1.0,
            "max_poll_interval": 5.0,
            "time_scale": time_scale_from(os.environ),  # the stack's COMPOSE_ECS_DEPLOY_TIME_SCALE
            "wait_timeout_minutes": 1.0,
        }
        values.update(overrides)
        return Settings(**values)

    def cli_argv(self, service: str, image: str, *extra: str) -> list[str]:
        """`compose-ecs-deploy deploy` of the compose file's app, given its image, to one
        ECS service: for tests that run the CLI as a process of its own."""
        compose = str(self.workdir / "compose.yaml")
        target = ["--cluster", CLUSTER, "--ecs-service", service, "--region", self.region]
        options = ["--service", "app", *target, "--image", f"app={image}", *extra]
        return [sys.executable, "-m", "compose_ecs_deploy", "deploy", "-f", compose, *options]

    def deploy(self, settings: Settings, log: Any = None) -> tuple[Deployment, Aws]:
        log = log or ConsoleLog()
        aws = Aws(
            settings.region, max_retries=settings.max_retries, throttle=fast_budget(settings, log)
        )
        return deploy(aws, settings, prepare(settings), log), aws


def fast_budget(settings: Settings, log: Any) -> ThrottleBudget:
    """The run's throttle budget with waits a hundred times shorter than the product's (10 ms
    growing to 0.2 s), so a test waits out throttling in CI time; the budget is the setting's."""
    return ThrottleBudget(
        settings.throttle_timeout_minutes * 60, base_seconds=0.01, cap_seconds=0.2, notice=log.info
    )


@pytest.fixture
def world(aws_env: dict[str, str], aws_client: Callable[..., Any], tmp_path: Path) -> World:
    ecs = aws_client("ecs")
    ecs.create_cluster(clusterName=CLUSTER)
    terraform.roles(aws_client("iam"), EXECUTION_ROLE)
    (tmp_path / "compose.yaml").write_text(textwrap.dedent(COMPOSE))
    return World(ecs, aws_env["AWS_REGION"], tmp_path)


MANIFEST_TYPES = (
    "application/vnd.docker.distribution.manifest.v2+json,"
    "application/vnd.oci.image.manifest.v1+json"
)


def registry_get(stack: Any, auth: Any, path: str) -> tuple[dict[str, str], bytes]:
    """GET from the registry over HTTPS with the stack's CA and the ECR credentials."""
    context = ssl.create_default_context(cafile=stack.ca_path)
    token = base64.b64encode(f"{auth.username}:{auth.password}".encode()).decode()
    request = urllib.request.Request(
        f"https://{stack.registry_host}/v2/{path}",
        headers={"Accept": MANIFEST_TYPES, "Authorization": f"Basic {token}"},
    )
    opener = urllib.request.build_opener(
        urllib.request.ProxyHandler({}), urllib.request.HTTPSHandler(context=context)
    )
    with opener.open(request, timeout=30) as response:
        return dict(response.headers), response.read()


def registry_contents(stack: Any, auth: Any) -> dict[str, list[str]]:
    """Every repository in the registry with its tags: what pushes would change."""
    _, body = registry_get(stack, auth, "_catalog?n=1000")
    contents = {}
    for repository in json.loads(body)["repositories"]:
        _, tags = registry_get(stack, auth, f"{repository}/tags/list")
        contents[repository] = sorted(json.loads(tags).get("tags") or [])
    return contents


def outputs_from(stdout: str) -> dict[str, str]:
    pairs = (line.partition("=") for line in stdout.splitlines() if "=" in line)
    return {
        k: v
        for k, sep, v in pairs
        if k
        in {
            "task-definition-arn",
            "task-definition-revision",
            "deployment-id",
            "changed",
            "console-url",
            "image-uri",
            "image-digest",
        }
    }


def github_outputs(path: Path) -> dict[str, str]:
    """`$GITHUB_OUTPUT` as the runner reads it: `name<<DELIMITER` blocks, last value wins."""
    values: dict[str, str] = {}
    lines = iter(path.read_text().splitlines())
    for line in lines:
        name, _, delimiter = line.partition("<<")
        values[name] = "\n".join(iter(lambda: next(lines), delimiter))
    return values


def run_action(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, given: dict[str, str]
) -> tuple[int, dict[str, str], str]:
    """The action's face in-process, as the runner calls it: INPUT_* variables (the compose
    file's app to the world's service `web`, unless `given` says otherwise), the outputs
    file and the job summary; (exit code, outputs, summary)."""
    from compose_ecs_deploy.faces import action

    inputs = {
        "compose-file": str(world.workdir / "compose.yaml"),
        "services": "app",
        "cluster": CLUSTER,
        "ecs-service": "web",
        "aws-region": world.region,
        "poll-interval": "1",
        "wait-timeout": "1",
        **given,
    }
    for name in action.INPUTS:
        monkeypatch.setenv(f"INPUT_{name.upper()}", inputs.get(name, ""))
    output, summary = tmp_path / "output", tmp_path / "summary"
    output.write_text("")
    summary.write_text("")
    monkeypatch.setenv("GITHUB_OUTPUT", str(output))
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    code = action.main()
    return code, github_outputs(output), summary.read_text()


def as_json(value: str) -> Any:
    return json.loads(value)


def record_writes(monkeypatch: pytest.MonkeyPatch, names: tuple[str, ...]) -> list[Any]:
    """Every call the run makes to one of `names`, in order, with its request body."""
    seen: list[tuple[str, dict[str, Any]]] = []
    count = Aws._count

    def record(self: Aws, model: Any, **kwargs: Any) -> None:
        if model.name in names:
            body = kwargs.get("params", {}).get("body") or b"{}"
            seen.append((model.name, json.loads(body)))
        count(self, model, **kwargs)

    monkeypatch.setattr(Aws, "_count", record)
    return seen


@pytest.fixture
def proxy(aws_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Iterator[FaultProxy]:
    """A fault proxy between boto3 and moto for one test; rules are set by the test."""
    proxy = FaultProxy(upstream=aws_env["AWS_ENDPOINT_URL"]).start()
    monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.url)
    yield proxy
    proxy.stop()
