"""Build and push against the real engine and registry of the local stack, then deploy."""

from __future__ import annotations

import hashlib
import json
import secrets
import shutil
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from compose_ecs_deploy.aws import ecr
from compose_ecs_deploy.aws.ecr import RegistryLogin
from compose_ecs_deploy.errors import BuildError
from tests.deploy.conftest import World, registry_get
from tests.support.memory_log import MemoryLog

pytestmark = pytest.mark.stack
SHA = "3f2c1a9b8e7d6c5b4a39281706f5e4d3c2b1a098"


def hello_settings(
    world: World, hello_app: Path, repositories: tuple[str, ...], **overrides: Any
) -> Any:
    return world.settings(
        compose_files=(str(hello_app / "compose.yaml"),),
        services=("web",),
        ecs_services=("hello",),
        ecr_repositories=repositories,
        image_tag=SHA,
        source_url="https://github.com/example/hello",
        **overrides,
    )


def image_events(docker_client: Any, since: int) -> list[str]:
    """The engine's image events (tag, push, pull, ...) from `since` (whole seconds) on."""
    events = docker_client.events(
        since=since, until=int(time.time()) + 1, decode=True, filters={"type": "image"}
    )
    return [str(e.get("Action")) for e in events]


def hello_with_step(hello_app: Path, tmp_path: Path, step: str) -> Path:
    """A copy of the hello app whose Dockerfile has `step` right after its WORKDIR."""
    app = tmp_path / "app"
    shutil.copytree(hello_app, app)
    dockerfile = app / "Dockerfile"
    dockerfile.write_text(dockerfile.read_text().replace("WORKDIR /app", f"WORKDIR /app\n{step}"))
    return app


def now_after_a_second() -> int:
    """A start time no earlier event shares: the engine's event times are whole seconds."""
    time.sleep(1.1)
    return int(time.time())


def test_build_push_pin_and_deploy(
    world: World, stack, docker_client, ecr_repo, registry_auth, hello_app
) -> None:
    world.service("hello", containers=("web",))
    deployment, _ = world.deploy(hello_settings(world, hello_app, (ecr_repo.name,)))
    assert deployment.result.succeeded
    image = deployment.images["web"]
    assert image.tagged == f"{ecr_repo.uri}:{SHA}" and not image.reused

    headers, body = registry_get(stack, registry_auth, f"{ecr_repo.name}/manifests/{SHA}")
    assert headers["Docker-Content-Digest"] == image.digest
    config_digest = json.loads(body)["config"]["digest"]
    _, config = registry_get(stack, registry_auth, f"{ecr_repo.name}/blobs/{config_digest}")
    labels = json.loads(config)["config"]["Labels"]
    assert labels["org.opencontainers.image.revision"] == SHA
    assert labels["org.opencontainers.image.source"] == "https://github.com/example/hello"

    arn = deployment.result.services[0].task_definition_arn
    registered = world.ecs.describe_task_definition(taskDefinition=arn)["taskDefinition"]
    web = next(c for c in registered["containerDefinitions"] if c["name"] == "web")
    assert web["image"] == f"{ecr_repo.uri}:{SHA}@{image.digest}"


def test_the_pushed_image_runs_and_answers_its_health_check(
    world: World,
    stack,
    docker_client,
    ecr_repo,
    hello_app,
    registry_auth,
    unused_port,
    run_container,
) -> None:
    world.service("hello", containers=("web",))
    deployment, _ = world.deploy(hello_settings(world, hello_app, (ecr_repo.name,)))
    reference = deployment.images["web"].tagged
    docker_client.images.remove(reference, force=True)
    docker_client.images.pull(
        reference.rsplit(":", 1)[0], tag=SHA, auth_config=registry_auth.docker_auth_config()
    )
    run_container(reference, environment={"PORT": str(unused_port)})
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(
                f"http://127.0.0.1:{unused_port}/health", timeout=2
            ) as response:
                assert response.status == 200
                break
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def test_rerun_of_the_same_sha_builds_and_pushes_nothing(
    world: World, docker_client, ecr_repo, hello_app
) -> None:
    world.service("hello", containers=("web",))
    first, _ = world.deploy(hello_settings(world, hello_app, (ecr_repo.name,)))
    assert "push" in image_events(docker_client, now_after_a_second() - 60)
    since = now_after_a_second()
    again, _ = world.deploy(hello_settings(world, hello_app, (ecr_repo.name,)))
    image = again.images["web"]
    assert image.reused and image.digest == first.images["web"].digest
    actions = image_events(docker_client, since)
    assert not {"push", "tag", "build"} & set(actions), actions
    assert again.result.services[0].changed is False


def test_identical_builds_are_built_once_and_pushed_to_each_repository(
    world: World, stack, aws_client, docker_client, hello_app, tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.setenv("BASE_IMAGE", stack.base_image)
    app = tmp_path / "app"
    shutil.copytree(hello_app, app)
    (app / "compose.yaml").write_text(
        "services:\n"
        "  web:\n    build: {context: ., network: none, args: {BASE_IMAGE: $BASE_IMAGE}}\n"
        "  worker:\n    build: {context: ., network: none, args: {BASE_IMAGE: $BASE_IMAGE}}\n"
    )
    suffix = secrets.token_hex(3)  # the registry outlives moto's resets: fresh names
    for name in (f"twin-web-{suffix}", f"twin-worker-{suffix}"):
        aws_client("ecr").create_repository(repositoryName=name)
    world.service("pair", containers=("web", "worker"))
    since = now_after_a_second()
    deployment, _ = world.deploy(
        world.settings(
            compose_files=(str(app / "compose.yaml"),),
            services=("web", "worker"),
            ecs_services=("pair",),
            image_tag=SHA,
            ecr_repositories=(f"web=twin-web-{suffix}", f"worker=twin-worker-{suffix}"),
        )
    )
    web, worker = deployment.images["web"], deployment.images["worker"]
    assert web.repository_uri.endswith(f"/twin-web-{suffix}")
    assert worker.repository_uri.endswith(f"/twin-worker-{suffix}")
    assert not web.reused and not worker.reused
    assert web.digest == worker.digest
    ids = {docker_client.images.get(i.tagged).id for i in (web, worker)}
    assert len(ids) == 1
    assert image_events(docker_client, since).count("push") == 2


BUILDKIT_DOCKERFILE = """\
ARG BASE_IMAGE
FROM ${BASE_IMAGE}
WORKDIR /app
RUN --mount=type=cache,target=/var/cache/app \\
    sh -c 'echo run >> /var/cache/app/runs && cp /var/cache/app/runs /app/runs'
RUN --mount=type=secret,id=token sh -c 'sha256sum < /run/secrets/token | cut -c1-64 > /app/token'
COPY --chmod=0750 app.py /app/app.py
CMD ["python3", "/app/app.py"]
"""


def test_a_dockerfile_that_needs_buildkit_builds_through_bake_and_its_secret_stays_out(
    world: World, stack, aws_client, docker_client, hello_app, tmp_path: Path, monkeypatch
) -> None:
    """A cache mount, a build secret and COPY --chmod: none of them builds with the classic
    builder; all of them through buildx bake, which is what our log shows Compose using.
    The secret reaches the RUN step (its hash is in the image) and never the log."""
    token = f"bake-token-{secrets.token_hex(8)}"
    monkeypatch.setenv("BASE_IMAGE", stack.base_image)
    monkeypatch.setenv("BUILD_TOKEN", token)
    app = tmp_path / "app"
    shutil.copytree(hello_app, app)
    (app / "Dockerfile").write_text(BUILDKIT_DOCKERFILE)
    (app / "compose.yaml").write_text(
        "services:\n  web:\n    build:\n      context: .\n      network: none\n"
        "      args: {BASE_IMAGE: $BASE_IMAGE}\n      secrets: [token]\n"
        "secrets:\n  token:\n    environment: BUILD_TOKEN\n"
    )
    repository = f"bake-{secrets.token_hex(3)}"
    aws_client("ecr").create_repository(repositoryName=repository)
    world.service("hello", containers=("web",))
    log = MemoryLog()
    deployment, _ = world.deploy(
        world.settings(
            compose_files=(str(app / "compose.yaml"),),
            services=("web",),
            ecs_services=("hello",),
            ecr_repositories=(repository,),
            image_tag=SHA,
        ),
        log,
    )
    assert deployment.result.succeeded
    assert any(line.endswith("[internal] load local bake definitions") for line in log.lines), (
        f"not built through bake on {stack.engine}"
    )
    assert not [line for line in log.lines if token in line]
    probe = "stat -c %a /app/app.py && cat /app/token && cat /app/runs"
    out = (
        docker_client.containers.run(
            deployment.images["web"].tagged, ["sh", "-c", probe], network_mode="none", remove=True
        )
        .decode()
        .split()
    )
    assert out == ["750", hashlib.sha256(token.encode()).hexdigest(), "run"]


def test_every_fresh_runner_build_reuses_the_dependency_layer(
    world: World, stack, docker_client, ecr_repo, hello_app, tmp_path: Path, monkeypatch
) -> None:
    """Three commits in a row, each on an engine emptied of the app's images and of
    BuildKit's cache, as on a new runner: the second and the third both reuse the expensive
    step (an image built from cache must carry that cache on, not only every other one).
    On Docker 27 and later BuildKit reads the cache from ECR; older engines pull first."""
    monkeypatch.setenv("BASE_IMAGE", stack.base_image)
    app = hello_with_step(
        hello_app, tmp_path, "RUN python3 -c \"open('/app/deps', 'w').write('x')\""
    )
    world.service("hello", containers=("web",))
    cached = []
    for commit in range(3):
        (app / "app.py").write_text((hello_app / "app.py").read_text() + f"# {commit}\n")
        for image in docker_client.images.list(name=ecr_repo.uri):
            docker_client.images.remove(image.id, force=True)
        docker_client.api.prune_builds(all=True)
        log = MemoryLog()
        deployment, _ = world.deploy(
            world.settings(
                compose_files=(str(app / "compose.yaml"),),
                services=("web",),
                ecs_services=("hello",),
                ecr_repositories=(ecr_repo.name,),
                image_tag=secrets.token_hex(20),
            ),
            log,
        )
        assert deployment.result.succeeded
        step = next(line.split()[0] for line in log.lines if "RUN python3 -c" in line)
        cached.append(f"{step} CACHED" in log.lines)
    assert cached == [False, True, True], f"on {stack.engine}"


def test_build_failure_stops_before_any_ecs_write(
    world: World, capsys, ecr_repo, hello_app, tmp_path: Path
) -> None:
    app = hello_with_step(
        hello_app, tmp_path, "RUN python3 -c 'raise SystemExit(\"broken build\")'"
    )
    world.service("hello", containers=("web",))
    from compose_ecs_deploy.faces.cli import main

    capsys.readouterr()
    code = main(
        [
            "deploy",
            "-f",
            str(app / "compose.yaml"),
            "--service",
            "web",
            "--cluster",
            "test-cluster",
            "--ecs-service",
            "hello",
            "--ecr-repository",
            ecr_repo.name,
            "--image-tag",
            SHA,
        ]
    )
    err = capsys.readouterr().err
    assert code == 1
    assert err.startswith("error: building")
    assert "RUN python3" in err and "broken build" in err
    assert len(world.revisions("hello")) == 1
    assert len(world.running("hello")["deployments"]) == 1


def test_missing_repository_is_a_clear_error(world: World, hello_app, capsys) -> None:
    world.service("hello", containers=("web",))
    from compose_ecs_deploy.faces.cli import main

    capsys.readouterr()
    code = main(
        [
            "deploy",
            "-f",
            str(hello_app / "compose.yaml"),
            "--cluster",
            "test-cluster",
            "--ecs-service",
            "hello",
            "--ecr-repository",
            "no-such-repo",
            "--image-tag",
            SHA,
        ]
    )
    err = capsys.readouterr().err
    assert code == 1
    assert "ECR repository no-such-repo does not exist" in err
    assert len(world.revisions("hello")) == 1


def test_create_repository_when_asked(world: World, aws_client, hello_app) -> None:
    world.service("hello", containers=("web",))
    name = f"made-{secrets.token_hex(3)}"
    deployment, _ = world.deploy(hello_settings(world, hello_app, (name,), create_repository=True))
    assert deployment.result.succeeded
    repository = aws_client("ecr").describe_repositories(repositoryNames=[name])["repositories"][0]
    assert repository["imageScanningConfiguration"] == {"scanOnPush": True}


def test_wrong_registry_credentials_are_refused(
    world: World, ecr_repo, hello_app, monkeypatch
) -> None:
    real_login = ecr.login

    def wrong_password(aws: Any) -> RegistryLogin:
        good = real_login(aws)
        return RegistryLogin(good.registry, good.username, "not-the-password", good.token)

    monkeypatch.setattr(ecr, "login", wrong_password)
    world.service("hello", containers=("web",))
    with pytest.raises(BuildError, match=r"docker login to .* was refused"):
        world.deploy(hello_settings(world, hello_app, (ecr_repo.name,)))
    assert len(world.revisions("hello")) == 1
