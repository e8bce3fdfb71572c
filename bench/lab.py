"""The bench's world on the local stack: guarded environment, clients, and ECS services made
the way Terraform would make them.

Why not the pytest fixtures: they reset moto before every test, and the bench measures a
sequence of deploys against one world. Every name carries this run's id instead, so a run
never meets what an earlier run (or a test) left in moto or in the registry, which outlives
moto's state.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.support import guard, terraform
from tests.support import stack as stack_mod
from tests.support.memory_log import MemoryLog

from compose_ecs_deploy.aws.client import Aws
from compose_ecs_deploy.loading.inputs import prepare
from compose_ecs_deploy.settings import Settings, time_scale_from
from compose_ecs_deploy.timing import Stopwatch
from compose_ecs_deploy.verbs.deploy import Deployment, deploy

ROOT = Path(__file__).resolve().parents[1]
HELLO = ROOT / "tests" / "apps" / "hello"
HEAVY = ROOT / "bench" / "apps" / "heavy"
CLI = Path(sys.executable).parent / "compose-ecs-deploy"
ACCOUNT = "123456789012"
EXECUTION_ROLE = f"arn:aws:iam::{ACCOUNT}:role/bench-execution"
SECRET_NAME = "hello/api-token"


class LabError(RuntimeError):
    """The stack is not there to measure against; the message says what is missing."""


def new_sha() -> str:
    """A commit-like tag: each deploy of a new one really builds and pushes."""
    return secrets.token_hex(20)


class CallStopwatch(Stopwatch):
    """A Stopwatch that also notes the API calls made before the wait began.

    Issue 5's targets split calls into "before waiting" and "per poll"; `Aws.calls` only
    counts totals, and the start of the `wait` phase is exactly where the split lies.
    """

    def __init__(self, aws: Aws) -> None:
        super().__init__()
        self.aws = aws
        self.before_wait: Counter[str] | None = None

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        if name == "wait" and self.before_wait is None:
            self.before_wait = Counter(self.aws.calls)
        with super().phase(name):
            yield


@dataclass
class Run:
    """One in-process deploy and what was measured around it."""

    deployment: Deployment
    aws: Aws
    load_seconds: float
    seconds: float
    before_wait: Counter[str]
    log: MemoryLog

    @property
    def during_wait(self) -> Counter[str]:
        return self.aws.calls - self.before_wait


@dataclass
class Lab:
    """The running stack as the bench uses it; `open()` checks it and applies the guard."""

    info: stack_mod.StackInfo
    run_id: str = field(default_factory=lambda: secrets.token_hex(3))
    seen_calls: Counter[str] = field(default_factory=Counter)
    _clients: dict[str, Any] = field(default_factory=dict)
    _docker: Any = None
    _clusters: set[str] = field(default_factory=set)
    _secret: str | None = None

    @classmethod
    def open(cls) -> Lab:
        """The running stack, with this process's environment pointed at it (guarded)."""
        settings = stack_mod.Settings.from_env()
        if not stack_mod.is_up(settings):
            raise LabError(
                f"the local stack is not up ({settings.state_dir}); "
                "scripts/bench starts it, or run scripts/stack up"
            )
        info = stack_mod.StackInfo.load(settings.state_dir)
        if info is None:
            raise LabError(f"{settings.state_dir}/stack.json is missing")
        for key in [k for k in os.environ if k.startswith("AWS_ENDPOINT_URL_")]:
            del os.environ[key]
        os.environ.update(info.env())
        os.environ["BASE_IMAGE"] = info.base_image  # the test apps' compose files read it
        guard.guard(info.endpoint_url, region=info.region, registry_hosts=info.registry_hosts)
        return cls(info)

    def close(self) -> None:
        if self._docker is not None:
            self._docker.close()

    # ------------------------------------------------------------------ clients

    def client(self, service: str) -> Any:
        if service not in self._clients:
            import boto3

            self._clients[service] = boto3.client(  # type: ignore[call-overload]
                service, endpoint_url=self.info.endpoint_url, region_name=self.info.region
            )
        return self._clients[service]

    @property
    def docker(self) -> Any:
        if self._docker is None:
            import docker

            self._docker = docker.DockerClient(base_url=self.info.docker_host, timeout=600)
        return self._docker

    @property
    def region(self) -> str:
        return self.info.region

    def name(self, what: str) -> str:
        return f"bench-{self.run_id}-{what}"

    # ------------------------------------------------------------------ the world

    def cluster(self) -> str:
        """This run's cluster, created on first use."""
        name = self.name("cluster")
        if name not in self._clusters:
            self.client("ecs").create_cluster(clusterName=name)
            self._clusters.add(name)
        return name

    def repository(self, what: str) -> str:
        """A new ECR repository; returns its name."""
        name = self.name(what)
        self.client("ecr").create_repository(repositoryName=name)
        return name

    def service(
        self, what: str, containers: tuple[str, ...] = ("web",), tags: dict[str, str] | None = None
    ) -> str:
        """A first revision as Terraform makes it (roles, size, placeholder image) and a
        service on it, tagged for the rollout simulator; returns the service's name."""
        ecs = self.client("ecs")
        name = self.name(what)
        terraform.roles(self.client("iam"), EXECUTION_ROLE)  # a deploy looks it up (verify)
        definitions: list[dict[str, Any]] = [
            {"name": c, "image": terraform.PLACEHOLDER_IMAGE, "essential": True} for c in containers
        ]
        definitions[0]["portMappings"] = [{"containerPort": 8080}]
        arn = ecs.register_task_definition(
            family=name,
            requiresCompatibilities=["FARGATE"],
            networkMode="awsvpc",
            cpu="256",
            memory="512",
            executionRoleArn=EXECUTION_ROLE,
            containerDefinitions=definitions,
        )["taskDefinition"]["taskDefinitionArn"]
        all_tags = {"simulator:ticks": "1", **(tags or {})}
        ecs.create_service(
            cluster=self.cluster(),
            serviceName=name,
            taskDefinition=arn,
            desiredCount=1,
            launchType="FARGATE",
            tags=[{"key": k, "value": v} for k, v in all_tags.items()],
        )
        return name

    def running_image(self, service: str, container: str = "web") -> str:
        ecs = self.client("ecs")
        arn = ecs.describe_services(cluster=self.cluster(), services=[service])["services"][0][
            "taskDefinition"
        ]
        definition = ecs.describe_task_definition(taskDefinition=arn)["taskDefinition"]
        return str(
            next(c["image"] for c in definition["containerDefinitions"] if c["name"] == container)
        )

    def secret(self) -> str:
        """The ARN of the app's Secrets Manager secret, made once as Terraform would (a deploy
        looks it up before writing: verify)."""
        if self._secret is None:
            store = self.client("secretsmanager")
            self._secret = terraform.secret(store, SECRET_NAME, "bench-token")[0]
        return self._secret

    # ------------------------------------------------------------------ deploying

    def settings(self, service: str, **overrides: Any) -> Settings:
        """Deploy settings for tests/apps/hello onto `service` (tiny poll interval)."""
        values: dict[str, Any] = {
            "compose_files": (str(HELLO / "compose.yaml"),),
            "services": ("web",),
            "cluster": self.cluster(),
            "ecs_services": (service,),
            "region": self.region,
            "secrets": (f"API_TOKEN={self.secret()}",),
            "poll_interval": 1.0,
            "max_poll_interval": 5.0,
            "time_scale": time_scale_from(os.environ),  # the stack's COMPOSE_ECS_DEPLOY_TIME_SCALE
            "wait_timeout_minutes": 2.0,
            "source_url": "https://github.com/example/hello",
            "environment": dict(os.environ),
        }
        values.update(overrides)
        return Settings(**values)

    def deploy(self, settings: Settings) -> Run:
        """One in-process deploy as the CLI makes it: `prepare()` (timed as load), then
        `deploy()` with a Stopwatch; raises when it did not succeed."""
        aws = Aws(settings.region, max_retries=settings.max_retries)
        stopwatch = CallStopwatch(aws)
        log = MemoryLog()
        started = time.perf_counter()
        inputs = prepare(settings)
        loaded = time.perf_counter()
        deployment = deploy(aws, settings, inputs, log, stopwatch)
        seconds = time.perf_counter() - started
        self.seen_calls.update(aws.calls)
        if not deployment.result.succeeded:
            reasons = "; ".join(
                s.outcome.reason
                for s in deployment.result.services
                if s.outcome is not None and not s.outcome.succeeded
            )
            raise LabError(f"the deploy did not succeed: {reasons}")
        return Run(
            deployment,
            aws,
            loaded - started,
            seconds,
            stopwatch.before_wait if stopwatch.before_wait is not None else Counter(aws.calls),
            log,
        )

    def remove_images(self, label: str) -> int:
        """Remove every image carrying `label` (tagged, pulled and intermediate) and all of
        BuildKit's build cache: a fresh runner's empty engine, for that app (the base image
        stays). Returns how many images were removed."""
        import docker.errors

        removed = 0
        for _ in range(10):  # children before parents: repeat until nothing is left
            images = self.docker.images.list(all=True, filters={"label": label})
            if not images:
                break
            for image in images:
                with contextlib.suppress(docker.errors.NotFound, docker.errors.APIError):
                    self.docker.images.remove(image.id, force=True, noprune=False)
                    removed += 1
        left = self.docker.images.list(all=True, filters={"label": label})
        if left:
            raise LabError(f"{len(left)} images labelled {label} could not be removed")
        self.docker.api.prune_builds(all=True)
        return removed
