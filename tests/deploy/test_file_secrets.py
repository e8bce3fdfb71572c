"""Compose file secrets deployed to the stack, and the init container's command run for real.

The deploy registers the revision on moto; then the stack's engine runs what the revision
says, the way ECS would: the init container with the secret's value in its environment (as
ECS injects `secrets`) and a volume, then the app container with that volume read-only at
its mount point, reading the file at the target path as the user the mode allows.
"""

from __future__ import annotations

import contextlib
import textwrap
from collections.abc import Callable
from typing import Any

import pytest

from compose_ecs_deploy.errors import InputError
from tests.deploy.conftest import World
from tests.support.memory_log import MemoryLog
from tests.support.pytest_stack import unique_name

pytestmark = pytest.mark.stack

# Shell-hostile on purpose: the file must hold exactly these bytes.
VALUE = "pa$$ w0rd 'q' \"dq\" \\n\nsecond line"
COMPOSE = """
services:
  app:
    image: example/app:1
    secrets:
      - source: db_password
        mode: 0400
        uid: "1000"
        gid: "1000"
      - source: tls_key
        target: /etc/app/tls.key
secrets:
  db_password: {file: ./db_password.txt}
  tls_key: {file: ./tls.key}
"""


def _by_name(containers: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {c["name"]: c for c in containers}


def test_file_secrets_deploy_and_the_init_command_writes_them(
    world: World,
    aws_client: Callable[..., Any],
    docker_client: Any,
    stack: Any,
    run_container: Callable[..., Any],
    request: pytest.FixtureRequest,
) -> None:
    (world.workdir / "compose.yaml").write_text(textwrap.dedent(COMPOSE))
    (world.workdir / "db_password.txt").write_text("dev-only")
    (world.workdir / "tls.key").write_text("dev-only-key")
    secrets = aws_client("secretsmanager")
    password_arn = secrets.create_secret(
        Name=unique_name(request.node.nodeid, "pw"), SecretString=VALUE
    )["ARN"]
    key_arn = secrets.create_secret(
        Name=unique_name(request.node.nodeid, "key"), SecretString="-----KEY-----"
    )["ARN"]
    world.service("web")
    log = MemoryLog()
    deployment, _ = world.deploy(
        world.settings(
            secrets=(f"db_password={password_arn}", f"tls_key={key_arn}"),
            secrets_init_image=stack.base_image,
        ),
        log,
    )
    assert deployment.result.succeeded, log.lines
    arn = world.running("web")["taskDefinition"]
    revision = world.ecs.describe_task_definition(taskDefinition=arn)["taskDefinition"]
    assert VALUE not in str(revision) and VALUE not in "\n".join(log.lines)
    containers = _by_name(revision["containerDefinitions"])
    init, app = containers["compose-secrets-init"], containers["app"]
    assert init["essential"] is False and "agent" in containers  # the base's sidecar kept
    assert {"containerName": "compose-secrets-init", "condition": "SUCCESS"} in app["dependsOn"]

    # What ECS does with the revision, on the stack's engine: one volume per task volume,
    # the init container with each secret's value as its environment, then the app.
    volumes = {}
    for volume in revision["volumes"]:
        volumes[volume["name"]] = docker_client.volumes.create(
            name=unique_name(request.node.nodeid, volume["name"])
        )
    try:
        values = {
            s["name"]: secrets.get_secret_value(SecretId=s["valueFrom"])["SecretString"]
            for s in init["secrets"]
        }
        writer = run_container(
            init["image"],
            entrypoint=init["entryPoint"],
            command=init["command"],
            environment=values,
            network_mode="none",
            volumes={
                volumes[m["sourceVolume"]].name: {"bind": m["containerPath"], "mode": "rw"}
                for m in init["mountPoints"]
            },
        )
        assert writer.wait(timeout=60)["StatusCode"] == 0, writer.logs().decode()
        mounts = {
            volumes[m["sourceVolume"]].name: {"bind": m["containerPath"], "mode": "ro"}
            for m in app["mountPoints"]
        }

        def read(user: str, path: str) -> tuple[int, bytes]:
            reader = run_container(
                stack.base_image,
                user=user,
                network_mode="none",
                volumes=mounts,
                entrypoint=["sh", "-c"],
                command=[f"stat -c '%a %u %g' {path} && cat {path}"],
            )
            status = reader.wait(timeout=60)["StatusCode"]
            return status, reader.logs(stdout=True, stderr=False)

        status, output = read("1000:1000", "/run/secrets/db_password")
        assert status == 0
        assert output == b"400 1000 1000\n" + VALUE.encode()
        assert read("1001:1001", "/run/secrets/db_password")[0] != 0  # mode 0400: owner only
        status, output = read("1001:1001", "/etc/app/tls.key")
        assert (status, output) == (0, b"444 0 0\n-----KEY-----")
    finally:
        for volume in volumes.values():
            with contextlib.suppress(Exception):
                volume.remove(force=True)


def test_a_file_secret_without_an_arn_fails_before_any_write(world: World) -> None:
    (world.workdir / "compose.yaml").write_text(textwrap.dedent(COMPOSE))
    (world.workdir / "db_password.txt").write_text("dev-only")
    (world.workdir / "tls.key").write_text("dev-only-key")
    world.service("web")
    before = world.revisions("web")
    with pytest.raises(InputError) as info:
        world.deploy(world.settings(secrets=()))
    messages = [d.message for d in info.value.diagnostics if d.severity == "error"]
    assert any("--secret db_password=ARN" in m for m in messages)
    assert any("--secret tls_key=ARN" in m for m in messages)
    assert world.revisions("web") == before
    assert world.running("web")["taskDefinition"] == before[-1]
