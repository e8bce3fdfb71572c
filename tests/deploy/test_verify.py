"""verify against the stack: every kind of reference OK, each one missing FAILED (all at once,
before any write of a deploy), SKIP for what is not looked up, `--no-verify`, and the default
log group a deploy makes sure of."""

from __future__ import annotations

import json
import textwrap
from typing import Any

import pytest

from compose_ecs_deploy.faces.cli import main
from tests.deploy.conftest import ACCOUNT, CLUSTER, World
from tests.deploy.test_rollback import WRITES
from tests.support.fault_proxy import FaultProxy

pytestmark = pytest.mark.stack
REGION = "us-east-1"
REPO = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/shop"
MANIFEST = json.dumps(
    {
        "schemaVersion": 2,
        "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
        "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "size": 1,
                   "digest": "sha256:" + "a" * 64},
        "layers": [],
    }
)  # fmt: skip


@pytest.fixture
def infra(world: World, aws_client: Any) -> dict[str, str]:
    """What Terraform made: a secret, a parameter, a log group, an image, a file system."""
    secret = aws_client("secretsmanager").create_secret(Name="shop/db", SecretString="x")["ARN"]
    aws_client("ssm").put_parameter(Name="/shop/key", Value="k", Type="SecureString")
    aws_client("logs").create_log_group(logGroupName="/shop/app")
    ecr = aws_client("ecr")
    ecr.create_repository(repositoryName="shop")
    ecr.put_image(repositoryName="shop", imageManifest=MANIFEST, imageTag="v1")
    fs = aws_client("efs").create_file_system(CreationToken="shop")["FileSystemId"]
    world.service("web")
    return {"secret": secret, "fs": fs}


def compose(world: World, infra: dict[str, str], **wrong: str) -> None:
    values = {"image": f"{REPO}:v1", "group": "/shop/app", "fs": infra["fs"], **wrong}
    (world.workdir / "compose.yaml").write_text(
        textwrap.dedent(f"""
        services:
          app:
            image: {values["image"]}
            logging:
              driver: awslogs
              options: {{awslogs-group: "{values["group"]}", awslogs-region: {REGION},
                         awslogs-stream-prefix: ecs}}
            volumes: [{{type: volume, source: uploads, target: /uploads}}]
        volumes:
          uploads:
            x-ecs: {{efsVolumeConfiguration: {{fileSystemId: {values["fs"]}}}}}
        """)
    )


def run(
    capsys: pytest.CaptureFixture[str], world: World, verb: str, *extra: str
) -> tuple[int, str, str]:
    capsys.readouterr()
    args = [verb, "-f", str(world.workdir / "compose.yaml"), "--service", "app"]
    args += ["--cluster", CLUSTER, "--ecs-service", "web", "--region", REGION, *extra]
    code = main(args + (["--poll-interval", "1"] if verb == "deploy" else []))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def secrets(
    infra: dict[str, str], secret: str = "", parameter: str = "/shop/key"
) -> tuple[str, ...]:
    return ("--secret", f"DB={secret or infra['secret']}", "--secret", f"KEY={parameter}")


def test_everything_the_revision_refers_to_is_ok(
    world: World, infra: dict[str, str], capsys: pytest.CaptureFixture[str], proxy: FaultProxy
) -> None:
    compose(world, infra)
    proxy.forwarded.clear()
    code, out, err = run(capsys, world, "verify", *secrets(infra))
    assert code == 0, out + err
    lines = [line for line in out.splitlines() if line.startswith("verify: ")]
    assert "verify: OK     cluster test-cluster" in lines
    assert "verify: OK     service web" in lines
    for what in ("role arn:aws:iam::123456789012:role/exec", f"secret {infra['secret']}",
                 "SSM parameter /shop/key", "log group /shop/app", f"image {REPO}:v1",
                 f"EFS file system {infra['fs']}"):  # fmt: skip
        assert any(line.startswith(f"verify: OK     {what}") for line in lines), (what, out)
    assert lines[-1] == "verify: 8 OK, 1 SKIP, 0 FAILED", out  # SKIP: the agent's image
    assert not WRITES & set(proxy.forwarded) and proxy.forwarded["UpdateService"] == 0
    assert proxy.forwarded["CreateLogGroup"] == 0


def test_parameters_by_arn_simple_and_by_path_and_a_secret_by_json_key_are_ok(
    world: World, infra: dict[str, str], aws_client: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    """What Terraform's aws_ssm_parameter "db_password" gives (a simple name, whose ARN is
    `parameter/db_password`), a path's ARN, and a secret's ARN with a JSON key and version
    stage suffix: each is found (none is read twice, none decrypted)."""
    aws_client("ssm").put_parameter(Name="db_password", Value="p", Type="SecureString")
    compose(world, infra)
    prefix = f"arn:aws:ssm:{REGION}:123456789012:parameter"
    code, out, err = run(
        capsys, world, "verify",
        "--secret", f"DB={infra['secret']}:password:AWSCURRENT:",
        "--secret", f"PW={prefix}/db_password", "--secret", f"KEY={prefix}/shop/key",
    )  # fmt: skip
    assert code == 0, out + err
    lines = [line for line in out.splitlines() if line.startswith("verify: ")]
    for what in (f"secret {infra['secret']}", "SSM parameter db_password",
                 "SSM parameter /shop/key"):  # fmt: skip
        assert any(line.startswith(f"verify: OK     {what}") for line in lines), (what, out)
    assert "FAILED" not in out.replace("0 FAILED", ""), out


def test_every_missing_reference_is_failed_at_once_and_the_deploy_writes_nothing(
    world: World, infra: dict[str, str], capsys: pytest.CaptureFixture[str], proxy: FaultProxy
) -> None:
    compose(world, infra, image=f"{REPO}:never-pushed", group="/shop/typo", fs="fs-0000000000")
    world.ecs.register_task_definition(  # the running revision's roles: one never created
        family="web",
        requiresCompatibilities=["FARGATE"], networkMode="awsvpc", cpu="256", memory="512",
        executionRoleArn="arn:aws:iam::123456789012:role/exec",
        taskRoleArn="arn:aws:iam::123456789012:role/never-made",
        containerDefinitions=[{"name": "app", "image": "example/app:0"}],
    )  # fmt: skip
    world.ecs.update_service(cluster=CLUSTER, service="web", taskDefinition="web:2")
    bad = secrets(infra, secret=infra["secret"][:-6] + "Typo00", parameter="/shop/nope")
    proxy.forwarded.clear()
    code, _, err = run(capsys, world, "deploy", *bad)
    assert code == 1
    errors = [line for line in err.splitlines() if line.startswith("error: verify:")]
    for what in ("role arn:aws:iam::123456789012:role/never-made", "secret arn:",
                 "SSM parameter /shop/nope", "log group /shop/typo",
                 f"image {REPO}:never-pushed", "EFS file system fs-0000000000"):  # fmt: skip
        assert any(what in line for line in errors), (what, err)
    assert len(errors) == 6 and "Traceback" not in err
    assert not WRITES & set(proxy.forwarded) and proxy.forwarded["UpdateService"] == 0

    code, _out, err = run(capsys, world, "deploy", *bad, "--no-verify")
    assert "error: verify" not in err and proxy.forwarded["RegisterTaskDefinition"] == 1


def test_the_default_log_group_is_made_by_deploy_and_only_reported_by_verify(
    world: World, capsys: pytest.CaptureFixture[str], aws_client: Any, proxy: FaultProxy
) -> None:
    world.service("web")
    code, out, err = run(capsys, world, "verify", "--image", "app=example/app:2")
    assert code == 0, err
    assert (
        "verify: SKIP   log group /ecs/web (app: awslogs): does not exist; deploy creates it" in out
    )
    assert proxy.forwarded["CreateLogGroup"] == 0
    code, out, err = run(capsys, world, "deploy", "--image", "app=example/app:2")
    assert code == 0, err
    assert "verify: created the default log group /ecs/web" in out
    groups = aws_client("logs").describe_log_groups(logGroupNamePrefix="/ecs/web")["logGroups"]
    assert [g["logGroupName"] for g in groups] == ["/ecs/web"]


def test_a_missing_service_is_failed_by_verify(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _out, err = run(capsys, world, "verify", "--image", "app=example/app:2")
    assert code == 1 and "web was not found" in err and "Traceback" not in err


def test_verify_looks_up_the_builder_a_build_would_use(
    world: World, infra: dict[str, str], capsys, tmp_path, monkeypatch
) -> None:
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path / "docker-config"))
    (world.workdir / "Dockerfile").write_text("FROM scratch\n")
    (world.workdir / "compose.yaml").write_text("services:\n  app:\n    build: .\n")
    extra = ("--ecr-repository", "shop", "--image-tag", "v2", "--builder", "no-such-farm")
    code, out, err = run(capsys, world, "verify", *extra)
    assert code == 1, out + err
    assert "verify: FAILED buildx builder no-such-farm: no such buildx builder" in out
    [error] = [line for line in err.splitlines() if line.startswith("error:")]
    assert "buildx builder no-such-farm" in error and "docker buildx ls" in error


def test_a_tag_pushed_to_the_registry_passes_and_one_never_pushed_fails_before_any_write(
    world: World,
    capsys: pytest.CaptureFixture[str],
    proxy: FaultProxy,
    ecr_repo: Any,
    registry_auth: Any,
    docker_client: Any,
    hello_image: Any,
) -> None:
    """The image reaches the registry the way an earlier job's `docker push` put it there,
    never through ECR's API; DescribeImages sees it as ECR would (tests/support/ecr_registry.py)."""
    world.service("web")
    hello_image.tag(ecr_repo.uri, "v1")
    auth = {"username": registry_auth.username, "password": registry_auth.password}
    pushed = docker_client.images.push(ecr_repo.uri, "v1", auth_config=auth)
    assert '"error"' not in pushed, pushed
    code, out, err = run(capsys, world, "deploy", "--image", f"app={ecr_repo.uri}:v1")
    assert code == 0, out + err
    assert f"verify: OK     image {ecr_repo.uri}:v1 " in out, out

    proxy.forwarded.clear()
    never = f"{ecr_repo.uri}:never-pushed"
    code, out, err = run(capsys, world, "deploy", "--image", f"app={never}")
    assert code == 1
    assert f"error: verify: image {never} " in err, err
    assert not WRITES & set(proxy.forwarded) and proxy.forwarded["UpdateService"] == 0
