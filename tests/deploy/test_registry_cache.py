"""registry-cache: every stage's build cache in ECR (REPO:buildcache, mode=max, an OCI image
manifest), for multi-stage builds whose early stages inline cache does not hold.

BuildKit's docker driver exports such a cache only on the containerd image store, so the
build runs on a second dockerd of our own with that store turned on; the cache goes to the
stack's registry, which must take the OCI manifest as ECR does.
"""

from __future__ import annotations

import json
import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import docker
import pytest

from compose_ecs_deploy.errors import BuildError
from tests.deploy.conftest import World, registry_get
from tests.support import stack as stack_mod
from tests.support.memory_log import MemoryLog

pytestmark = pytest.mark.stack

MULTI_STAGE = """\
ARG BASE_IMAGE
FROM ${BASE_IMAGE} AS deps
RUN python3 -c "open('/deps', 'w').write('expensive')"
FROM ${BASE_IMAGE}
COPY --from=deps /deps /app/deps
COPY app.py /app/app.py
CMD ["python3", "/app/app.py"]
"""


@pytest.fixture
def containerd_engine(stack: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A dockerd with the containerd image store and the base image; DOCKER_HOST points at
    it for the test. Its client."""
    config = {"features": {"containerd-snapshotter": True}}
    # On the containerd store the storage driver names a containerd snapshotter.
    with stack_mod.extra_engine("cache", driver="overlayfs", daemon_config=config) as host:
        client = docker.DockerClient(base_url=host, timeout=300)
        stack_mod.import_base_image(stack_mod.Settings.from_env(), client)
        monkeypatch.setenv("DOCKER_HOST", host)
        try:
            yield client
        finally:
            client.close()


def multi_stage_app(hello_app: Path, tmp_path: Path) -> Path:
    app = tmp_path / "app"
    shutil.copytree(hello_app, app)
    (app / "Dockerfile").write_text(MULTI_STAGE)
    return app


def test_every_stage_is_cached_in_ecr_and_reused_on_an_empty_engine(
    world: World,
    stack,
    containerd_engine,
    ecr_repo,
    registry_auth,
    hello_app,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("BASE_IMAGE", stack.base_image)
    app = multi_stage_app(hello_app, tmp_path)
    world.service("hello", containers=("web",))
    hits = []
    for commit in range(2):
        (app / "app.py").write_text((hello_app / "app.py").read_text() + f"# {commit}\n")
        for image in containerd_engine.images.list(name=ecr_repo.uri):
            containerd_engine.images.remove(image.id, force=True)
        containerd_engine.api.prune_builds(all=True)
        log = MemoryLog()
        deployment, _ = world.deploy(
            world.settings(
                compose_files=(str(app / "compose.yaml"),),
                services=("web",),
                ecs_services=("hello",),
                ecr_repositories=(ecr_repo.name,),
                registry_cache=True,
                image_tag=secrets.token_hex(20),
            ),
            log,
        )
        assert deployment.result.succeeded
        step = next(line.split()[0] for line in log.lines if "[deps 2/2] RUN" in line)
        hits.append(f"{step} CACHED" in log.lines)
    assert hits == [False, True]  # the first stage is not in the image: only ECR had it

    headers, body = registry_get(stack, registry_auth, f"{ecr_repo.name}/manifests/buildcache")
    manifest = json.loads(body)
    assert manifest["mediaType"] == "application/vnd.oci.image.manifest.v1+json"
    assert manifest["config"]["mediaType"] == "application/vnd.buildkit.cacheconfig.v0"
    assert headers["Content-Type"] == manifest["mediaType"]


def test_on_the_classic_image_store_it_is_an_error_before_anything_is_built(
    world: World, stack, ecr_repo, hello_app, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BASE_IMAGE", stack.base_image)
    app = multi_stage_app(hello_app, tmp_path)
    world.service("hello", containers=("web",))
    log = MemoryLog()
    with pytest.raises(BuildError, match=r"registry-cache: .*containerd image store"):
        world.deploy(
            world.settings(
                compose_files=(str(app / "compose.yaml"),),
                services=("web",),
                ecs_services=("hello",),
                ecr_repositories=(ecr_repo.name,),
                registry_cache=True,
                image_tag=secrets.token_hex(20),
            ),
            log,
        )
    assert not [line for line in log.lines if line.startswith("#")]  # nothing was built
    assert len(world.revisions("hello")) == 1
