"""pytest fixtures for tests that run against the local stack (imported by tests/stack/conftest.py).

Session level
    stack            StackInfo of the running stack: brought up once (scripts/stack up) or
                     reused when already up; the run FAILS with the reason when it cannot
                     start. Stopped at the end only if this session started it (and
                     STACK_KEEP is not set).
    docker_client    docker.DockerClient on the stack's dockerd.
    hello_app        Path of tests/apps/hello.
    hello_image      docker Image of tests/apps/hello, built once on the stack's dockerd.

Per test
    aws_env          dict of the environment set for the test (guard passed, fake
                     credentials, AWS_ENDPOINT_URL, region, DOCKER_HOST, STACK_*), with moto
                     reset to an empty state first.
    aws_client       factory: aws_client("ecs") -> boto3 client on moto.
    ecr_repo         EcrRepo: a fresh, uniquely named ECR repository in moto.
    registry_auth    RegistryAuth from moto's ecr.get_authorization_token (user, password,
                     registry URL and host), what `docker login` needs.
    run_container    factory: run_container(image, **docker_run_kwargs) -> Container, run
                     detached with network_mode="host" (the engine has no bridge); removed
                     after the test.
    unused_port      a free TCP port on 127.0.0.1.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import re
import secrets
import subprocess
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.support import guard, moto_process
from tests.support import stack as stack_mod
from tests.support.names import ACCOUNT_ID

REPO_ROOT = stack_mod.REPO_ROOT
STACK_SCRIPT = REPO_ROOT / "scripts" / "stack"
HELLO_APP = REPO_ROOT / "tests" / "apps" / "hello"


@dataclass(frozen=True)
class EcrRepo:
    name: str
    uri: str  # <registry host>/<name>, what `docker push` takes
    arn: str
    registry_host: str


@dataclass(frozen=True)
class RegistryAuth:
    username: str
    password: str
    registry_url: str  # https://123456789012.dkr.ecr.<region>.amazonaws.com (proxyEndpoint)
    registry_host: str

    def docker_auth_config(self) -> dict[str, str]:
        return {"username": self.username, "password": self.password}


def run_stack_cli(*args: str, timeout: float = 1800) -> subprocess.CompletedProcess[str]:
    """scripts/stack <args>, output captured (the stack's daemons log to files, not to us)."""
    return subprocess.run(
        [str(STACK_SCRIPT), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=REPO_ROOT,
        check=False,
    )


def moto_reset(endpoint_url: str) -> None:
    """moto's reset API: every service back to empty."""
    guard.check_url(endpoint_url, what="moto endpoint")
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    req = urllib.request.Request(f"{endpoint_url}/moto-api/reset", method="POST", data=b"")
    with opener.open(req, timeout=10) as resp:
        if resp.status != 200:
            raise RuntimeError(f"moto reset answered {resp.status}")


def unique_name(nodeid: str, prefix: str = "t") -> str:
    """A short ECR-valid repository name that says which test made it."""
    base = nodeid.rsplit("::", 1)[-1].lower()
    slug = re.sub(r"[^a-z0-9]+", "-", base).strip("-")[:32].strip("-") or "test"
    return f"{prefix}-{slug}-{secrets.token_hex(3)}"


def _moto_only_info(endpoint_url: str, settings: stack_mod.Settings) -> stack_mod.StackInfo:
    """A StackInfo with only moto behind it: no engine, no registry (STACK_MOTO_ONLY=1)."""
    port = int(endpoint_url.rsplit(":", 1)[1])
    return stack_mod.StackInfo(
        state_dir=str(settings.state_dir),
        docker_host="unix:///nonexistent/moto-only.sock",
        docker_socket="/nonexistent/moto-only.sock",
        endpoint_url=endpoint_url,
        moto_port=port,
        region=settings.region,
        regions=settings.regions,
        account_id=ACCOUNT_ID,
        registry_host="",
        registry_hosts=(),
        registry_url="",
        registry_user="",
        ca_path="",
        base_image=settings.base_image,
        storage_driver="",
    )


_ENGINES: set[str] = set()
"""The engines (and buildx) this session's stack tests ran on, said at the end of the run."""


def pytest_terminal_summary(terminalreporter: Any) -> None:
    for engine in sorted(_ENGINES):
        terminalreporter.write_line(f"stack tests ran on: {engine}")


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[stack_mod.StackInfo]:
    """The running stack, or with STACK_MOTO_ONLY=1 a moto of this tree's own and nothing else.

    The moto-only mode is for iterating on tests that need AWS APIs but no engine or registry
    (rollout, one-off and plan tests): it needs no root, no port 443 and no stack lock, so
    several work trees can run such tests at once. Tests that build or push fail in it.
    """
    settings = stack_mod.Settings.from_env()
    if os.environ.get("STACK_MOTO_ONLY") == "1":
        log = tmp_path_factory.mktemp("moto-only") / "moto.log"
        with moto_process.moto_server(log) as url:
            yield _moto_only_info(url, settings)
        return
    started_here = False
    if not stack_mod.is_up(settings):
        # Stop it at the end only if nothing of it ran before (a half-up stack is repaired).
        started_here = not any(c.alive for c in stack_mod.status(settings))
        res = run_stack_cli("up")
        if res.returncode != 0:
            pytest.fail(
                "the local stack could not start (scripts/stack up, exit "
                f"{res.returncode}):\n{res.stdout}{res.stderr}",
                pytrace=False,
            )
    info = stack_mod.StackInfo.load(settings.state_dir)
    if info is None:
        pytest.fail(
            f"the local stack reports up but {settings.state_dir}/stack.json is missing",
            pytrace=False,
        )
    try:
        guard.check(info.endpoint_url, registry_hosts=info.registry_hosts, environ={})
    except guard.GuardError as exc:
        pytest.fail(str(exc), pytrace=False)
    _ENGINES.add(info.engine)
    yield info
    if started_here and not os.environ.get("STACK_KEEP"):
        res = run_stack_cli("down", timeout=300)
        if res.returncode != 0:
            pytest.fail(f"scripts/stack down failed:\n{res.stdout}{res.stderr}", pytrace=False)


@pytest.fixture
def aws_env(stack: stack_mod.StackInfo, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The guarded environment for one test, on a freshly reset moto (undone after the test)."""
    wanted = dict(os.environ)
    for key in [k for k in wanted if k.startswith("AWS_ENDPOINT_URL_")]:
        del wanted[key]
    wanted.update(stack.env())
    try:
        guard.guard(
            stack.endpoint_url,
            region=stack.region,
            registry_hosts=stack.registry_hosts,
            environ=wanted,
        )
    except guard.GuardError as exc:
        pytest.fail(str(exc), pytrace=False)
    for key in set(os.environ) - set(wanted):
        monkeypatch.delenv(key)
    for key, value in wanted.items():
        if os.environ.get(key) != value:
            monkeypatch.setenv(key, value)
    moto_reset(stack.endpoint_url)
    return {k: wanted[k] for k in stack.env()}


@pytest.fixture
def aws_client(aws_env: dict[str, str]) -> Callable[..., Any]:
    import boto3

    def make(service: str, **kwargs: Any) -> Any:
        kwargs.setdefault("region_name", aws_env["AWS_REGION"])
        return boto3.client(  # type: ignore[call-overload]  # service is any name
            service, endpoint_url=aws_env["AWS_ENDPOINT_URL"], **kwargs
        )

    return make


@pytest.fixture
def ecr_repo(
    stack: stack_mod.StackInfo, aws_client: Callable[..., Any], request: pytest.FixtureRequest
) -> EcrRepo:
    name = unique_name(request.node.nodeid)
    repo = aws_client("ecr").create_repository(repositoryName=name)["repository"]
    return EcrRepo(
        name=name,
        uri=f"{stack.registry_host}/{name}",
        arn=repo["repositoryArn"],
        registry_host=stack.registry_host,
    )


@pytest.fixture
def registry_auth(stack: stack_mod.StackInfo, aws_client: Callable[..., Any]) -> RegistryAuth:
    data = aws_client("ecr").get_authorization_token()["authorizationData"][0]
    user, _, password = base64.b64decode(data["authorizationToken"]).decode().partition(":")
    url = data["proxyEndpoint"]
    guard.check_url(url, what="ECR proxyEndpoint")
    return RegistryAuth(
        username=user,
        password=password,
        registry_url=url,
        registry_host=url.removeprefix("https://"),
    )


@pytest.fixture(scope="session")
def docker_client(stack: stack_mod.StackInfo) -> Iterator[Any]:
    import docker

    client = docker.DockerClient(base_url=stack.docker_host, timeout=300)
    yield client
    client.close()


@pytest.fixture(scope="session")
def hello_app() -> Path:
    return HELLO_APP


@pytest.fixture(scope="session")
def hello_image(stack: stack_mod.StackInfo, docker_client: Any, hello_app: Path) -> Any:
    """tests/apps/hello built once per session as a team builds it: `docker compose build`
    (BuildKit through the stack's engine)."""
    from compose_ecs_deploy.loading.compose_cli import find_compose

    built = subprocess.run(
        [
            *find_compose().argv,
            "--file",
            str(hello_app / "compose.yaml"),
            "--project-name",
            "hello-stack-test",
            "--progress",
            "plain",
            "build",
        ],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, **stack.env(), "BASE_IMAGE": stack.base_image},
    )
    if built.returncode != 0:
        pytest.fail(f"building {hello_app} failed:\n{built.stdout}{built.stderr}", pytrace=False)
    return docker_client.images.get("hello-stack-test-web")


@pytest.fixture
def unused_port() -> int:
    return stack_mod.free_port()


@pytest.fixture
def run_container(docker_client: Any) -> Iterator[Callable[..., Any]]:
    started: list[Any] = []

    def run(image: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("network_mode", "host")
        kwargs.setdefault("detach", True)
        kwargs.setdefault("labels", {"compose-ecs-deploy.test": "1"})
        container = docker_client.containers.run(image, **kwargs)
        started.append(container)
        return container

    yield run
    import docker.errors

    for container in started:
        with contextlib.suppress(docker.errors.NotFound):
            container.remove(force=True)


def stack_state_snapshot(state_dir: Path) -> dict[str, Any]:
    """The recorded PIDs and info of a stack (for lifecycle tests)."""
    paths = stack_mod.Paths(state_dir)
    from tests.support import procs

    recorded = {}
    for name in stack_mod.COMPONENTS:
        proc = procs.read_pidfile(paths.pidfile(name))
        if proc is not None:
            recorded[name] = proc
    info_text = paths.info.read_text() if paths.info.exists() else "{}"
    return {"procs": recorded, "info": json.loads(info_text)}
