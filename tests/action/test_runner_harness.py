"""The action's container, built from action.yml and run the way the GitHub runner runs it.

The image is built once per session on the stack's dockerd (tests/support/action_image.py);
each test sets up an ECS world in moto as Terraform would (cluster, a first revision with
roles and size, the service, the ECR repository) and runs the action on a copy of
tests/apps/hello through tests/support/runner.py.
"""

from __future__ import annotations

import base64
import shutil
import ssl
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.support import action_image, runner, terraform
from tests.support.terraform import first_revision

pytestmark = pytest.mark.stack

ACCOUNT = "123456789012"
EXECUTION_ROLE = f"arn:aws:iam::{ACCOUNT}:role/hello-execution"
CLUSTER = "hello-cluster"
SERVICE = "hello"
SHA = "5e1f0c3a7b9d2e4f6a8c0b1d3e5f7a9c2b4d6e8f"
MANIFEST_TYPES = (
    "application/vnd.docker.distribution.manifest.v2+json,"
    "application/vnd.oci.image.manifest.v1+json"
)


@pytest.fixture(scope="session")
def action(stack, docker_client) -> action_image.ActionImage:
    """The action image, built once per session (reused across sessions by its hash)."""
    try:
        return action_image.for_stack(stack, client=docker_client)
    except action_image.ActionImageError as exc:
        pytest.fail(str(exc), pytrace=False)


class World:
    """What `terraform apply` made: a cluster, a first revision, the service, a repository."""

    def __init__(self, aws_client: Callable[..., Any]) -> None:
        self.ecs = aws_client("ecs")
        self.ecs.create_cluster(clusterName=CLUSTER)
        # the secret the deploy names (it looks it up before writing)
        self.secret_arn = aws_client("secretsmanager").create_secret(
            Name="hello/api-token", SecretString="demo-token"
        )["ARN"]
        self.first_arn = first_revision(self.ecs, SERVICE, EXECUTION_ROLE)
        terraform.service(self.ecs, CLUSTER, SERVICE, self.first_arn, tags={"simulator:ticks": "1"})

    def service(self) -> dict[str, Any]:
        return self.ecs.describe_services(cluster=CLUSTER, services=[SERVICE])["services"][0]

    def revisions(self) -> list[str]:
        return self.ecs.list_task_definitions(familyPrefix=SERVICE)["taskDefinitionArns"]

    def task_definition(self, arn: str) -> dict[str, Any]:
        return self.ecs.describe_task_definition(taskDefinition=arn)["taskDefinition"]


@pytest.fixture
def world(aws_env, aws_client) -> World:
    return World(aws_client)


@pytest.fixture
def workspace(hello_app: Path, tmp_path: Path) -> Path:
    """A checkout of the app where the runner puts it: <work>/<repo>/<repo>."""
    path = tmp_path / "work" / "hello" / "hello"
    shutil.copytree(hello_app, path)
    return path


def registry_digest(stack, auth, repository: str, tag: str) -> str:
    """The manifest digest the registry serves, read over HTTPS with the stack's CA."""
    context = ssl.create_default_context(cafile=stack.ca_path)
    token = base64.b64encode(f"{auth.username}:{auth.password}".encode()).decode()
    request = urllib.request.Request(
        f"https://{stack.registry_host}/v2/{repository}/manifests/{tag}",
        method="HEAD",
        headers={"Accept": MANIFEST_TYPES, "Authorization": f"Basic {token}"},
    )
    opener = urllib.request.build_opener(
        urllib.request.ProxyHandler({}), urllib.request.HTTPSHandler(context=context)
    )
    with opener.open(request, timeout=30) as response:
        return str(response.headers["Docker-Content-Digest"])


def run(action, stack, docker_client, workspace: Path, **inputs: str) -> runner.RunResult:
    return runner.run_action(
        action.tag,
        workspace,
        inputs,
        stack=stack,
        client=docker_client,
        github=runner.GitHub(repository="example/hello", sha=SHA),
        env={"BASE_IMAGE": stack.base_image},
    )  # a workflow's `env:` for the compose file


def test_the_action_deploys_hello_as_the_runner_runs_it(
    action, stack, docker_client, world, ecr_repo, registry_auth, workspace
) -> None:
    result = run(
        action,
        stack,
        docker_client,
        workspace,
        **{
            "compose-file": "compose.yaml",
            "ecr-repository": ecr_repo.name,
            "cluster": CLUSTER,
            "ecs-service": SERVICE,
            "aws-region": "us-east-1",
            "secrets": f"API_TOKEN={world.secret_arn}",
        },
    )
    assert result.exit_code == 0, result.describe()
    assert "DOCKER_HOST" not in result.env
    assert result.env["INPUT_IMAGE-TAG"] == SHA  # the default `${{ github.sha }}`

    # Outputs: the pushed image, as the registry serves it, and the service's new revision.
    outputs = result.outputs
    assert outputs["image-uri"] == f"{ecr_repo.uri}:{SHA}", result.describe()
    assert outputs["image-digest"] == registry_digest(stack, registry_auth, ecr_repo.name, SHA)
    service = world.service()
    assert outputs["task-definition-arn"] == service["taskDefinition"] != world.first_arn
    assert outputs["task-definition-revision"] == service["taskDefinition"].rsplit(":", 1)[1]
    assert outputs["changed"] == "true"
    assert outputs["deployment-id"].startswith("ecs-svc/")
    assert outputs["deployment-id"] in {d["id"] for d in service["deployments"]}

    # The build: through buildx bake, with the plugin the action image carries.
    assert "[internal] load local bake definitions" in result.stdout, result.describe()
    assert "buildx plugin was not found" not in result.stdout

    # The new revision: Terraform's task-level settings kept, the secret injected by ECS.
    registered = world.task_definition(outputs["task-definition-arn"])
    assert registered["executionRoleArn"] == EXECUTION_ROLE
    assert registered["requiresCompatibilities"] == ["FARGATE"]
    web = next(c for c in registered["containerDefinitions"] if c["name"] == "web")
    assert web["image"] == f"{ecr_repo.uri}:{SHA}@{outputs['image-digest']}"
    assert web["secrets"] == [{"name": "API_TOKEN", "valueFrom": world.secret_arn}]
    assert "API_TOKEN" not in {e["name"] for e in web.get("environment", [])}

    # The job summary: Markdown with the services table and the diff.
    summary = result.summary
    assert summary.startswith("## compose-ecs-deploy"), summary
    assert "| ECS service |" in summary and f"| [{SERVICE}](" in summary
    assert "```diff" in summary and "API_TOKEN" in summary

    # The log: the registry password masked before anything else, and nowhere else.
    # (github-action-utils writes `::add-mask ::value`; the runner's parser takes the
    # command name up to the first space, so that is the same command as `::add-mask::`.)
    password = registry_auth.password
    commands = result.commands
    masks = [c.index for c in commands if c.name == "add-mask" and c.message == password]
    assert masks, result.describe()
    mask_line = masks[0]
    lines = result.stdout.splitlines()
    assert [i for i, line in enumerate(lines) if password in line] == [mask_line]
    groups = [c for c in commands if c.name == "group"]
    assert groups, result.stdout
    assert len(groups) == len([c for c in commands if c.name == "endgroup"])
    assert mask_line < groups[0].index
    for where, text in (
        ("stderr", result.stderr),
        ("summary", summary),
        ("outputs", repr(outputs)),
    ):
        assert password not in text, f"the registry password appears in {where}"


def test_a_compose_error_is_annotated_at_its_line_and_nothing_is_registered(
    action, stack, docker_client, world, ecr_repo, workspace
) -> None:
    compose = workspace / "compose.yaml"
    text = compose.read_text()
    assert "      interval: 10s\n" in text
    compose.write_text(text.replace("      interval: 10s\n", "      interval: 2h\n"))
    line = compose.read_text().splitlines().index("      interval: 2h") + 1

    result = run(
        action,
        stack,
        docker_client,
        workspace,
        **{
            "compose-file": "compose.yaml",
            "ecr-repository": ecr_repo.name,
            "cluster": CLUSTER,
            "ecs-service": SERVICE,
            "aws-region": "us-east-1",
        },
    )
    assert result.exit_code == 1, result.describe()
    errors = result.annotations("error")
    assert any(
        e.properties.get("file") == "compose.yaml"
        and e.properties.get("line") == str(line)
        and "interval" in e.message
        for e in errors
    ), result.describe()
    assert not [c for c in result.commands if c.name == "group"], "it started to build"
    assert world.revisions() == [world.first_arn]
    assert world.service()["taskDefinition"] == world.first_arn
    assert result.outputs == {}
