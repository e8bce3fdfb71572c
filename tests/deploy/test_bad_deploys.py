"""Bad inputs to the action, every input covered: exit 1, one `error:` line per problem, no
traceback, and nothing written: no repository, image, revision or service update."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from compose_ecs_deploy.faces import action
from tests.deploy.conftest import CLUSTER, World, registry_contents

pytestmark = pytest.mark.stack
ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:hello/api-token-AbCdEf"


@dataclass(frozen=True)
class Case:
    id: str
    inputs: dict[str, str] = field(default_factory=dict)
    expect: tuple[tuple[str, ...], ...] = ()
    compose_edit: Callable[[str], str] | None = None
    files: dict[str, str] = field(default_factory=dict)
    environment: dict[str, str] = field(default_factory=dict)
    controller: str = "ECS"  # the service's deploymentController.type


def healthcheck(value: str) -> Callable[[str], str]:
    return lambda text: text.replace("interval: 10s", f"interval: {value}")


CASES = [
    Case(
        "codedeploy-application-too-long",
        {"codedeploy-application": "a" * 101},
        (("codedeploy-application is 101 characters long", "1 to 100"),),
    ),
    Case(
        "codedeploy-deployment-group-too-long",
        {"codedeploy-deployment-group": "g" * 101},
        (("codedeploy-deployment-group is 101 characters long", "1 to 100"),),
    ),
    Case(
        "codedeploy-appspec-missing",
        {"codedeploy-appspec": "missing-appspec.yaml"},
        (("missing-appspec.yaml", "cannot read the CodeDeploy AppSpec"),),
        controller="CODE_DEPLOY",
    ),
    Case("builder-not-a-name", {"builder": "--push"}, (("builder is not a buildx builder",),)),
    Case(
        "builder-unknown",
        {"builder": "no-such-farm"},
        (("builder no-such-farm", "no such buildx builder", "docker buildx ls"),),
    ),
    Case("command-unknown", {"command": "roll-out"}, (("input command", "is not one of"),)),
    Case("to-without-rollback", {"to": "3"}, (("input to", "command: rollback"),)),
    Case(
        "to-not-a-revision",
        {"command": "rollback", "to": "a b"},
        (("--to takes", "a revision number"),),
    ),
    Case("prune-keep-not-a-number", {"prune-keep": "two"}, (("input prune-keep", "whole"),)),
    Case("prune-keep-zero", {"prune-keep": "0"}, (("--keep 0", "prune-keep"),)),
    Case("prune-keep-on-status", {"command": "status", "prune-keep": "3"}, (("prune-keep",),)),
    Case("prune-without-keep", {"command": "prune"}, (("prune needs --keep N", "prune-keep"),)),
    Case("prune-delete-not-bool", {"prune-delete": "yes"}, (("input prune-delete",),)),
    Case("prune-delete-alone", {"prune-delete": "true"}, (("prune-delete", "prune-keep"),)),
    Case("verify-not-bool", {"verify": "off"}, (("input verify",),)),
    Case("verify-off-for-verify", {"command": "verify", "verify": "false"}, (("input verify",),)),
    Case("express-not-bool", {"express": "yes"}, (("input express",),)),
    Case(
        "express-onto-a-plain-service",
        {"express": "true"},
        (("hello exists and is not an Express service", "--express"),),
    ),
    Case(
        "infrastructure-role-not-an-arn",
        {"express": "true", "infrastructure-role-arn": "ecsInfrastructureRole"},
        (("is not an IAM role ARN", "infrastructure-role-arn"),),
    ),
    Case(
        "health-check-path-relative",
        {"health-check-path": "health"},
        (("health check path 'health' must start with /",),),
    ),
    Case(
        "preview-name-without-a-letter",
        {"command": "preview up", "preview-name": "!!!"},
        (("the preview name has no letter", "preview-name"),),
    ),
    Case(
        "pull-request-not-a-number",
        {"command": "preview up", "preview-name": "pr-1", "pull-request": "#1"},
        (("--pull-request '#1' is not a pull request number",),),
    ),
    Case(
        "older-than-not-an-age",
        {"command": "preview sweep", "older-than": "a week"},
        (("--older-than is not an age",),),
    ),
    Case(
        "older-than-past-any-date",  # timedelta's limit: an internal error once
        {"command": "preview sweep", "older-than": "9" * 12 + "d"},
        (("--older-than is more than 3650 days",),),
    ),
    Case(
        "open-pull-requests-not-numbers",
        {"command": "preview sweep", "open-pull-requests": "12,main"},
        (("--open-pull-requests '12,main'",),),
    ),
    Case("compose-file-missing", {"compose-file": "nope.yaml"}, (("nope.yaml", "does not exist"),)),
    Case(
        "compose-invalid-yaml",
        compose_edit=lambda t: t + "  broken: [\n",
        expect=(("compose.yaml", "invalid YAML"),),
    ),
    Case(
        "compose-unknown-key",
        compose_edit=lambda t: t.replace("    ports:", "    portz:"),
        expect=(("compose.yaml:", "portz", "not allowed"),),
    ),
    Case(
        "compose-required-variable",
        compose_edit=lambda t: t.replace(
            "GREETING_NAME: hello", "GREETING_NAME: ${GREETING:?set GREETING}"
        ),
        expect=(("compose.yaml:", "set GREETING"),),
    ),
    Case(
        "healthcheck-interval",
        compose_edit=healthcheck("2h"),
        expect=(("compose.yaml:", "service web", "healthcheck.interval", "3300s"),),
    ),
    Case(
        "port-protocol",
        compose_edit=lambda t: t.replace('"8080:8080"', '"8080:8080/sctp"'),
        expect=(("ports[0]", "sctp", "tcp or udp"),),
    ),
    Case(
        "fargate-privileged",
        compose_edit=lambda t: t.replace("    ports:", "    privileged: true\n    ports:"),
        expect=(("privileged", "Fargate"),),
    ),
    Case(
        "two-problems",
        {"secrets": "API_TOKEN"},
        compose_edit=healthcheck("2h"),
        expect=(("--secret", "NAME=ARN"), ("healthcheck.interval",)),
    ),
    Case(
        "profiles-hide-service",
        {"profiles": "debug", "services": "tools"},
        expect=(("--service tools", "--profile never"),),
    ),
    Case(
        "secrets-init-image-malformed",
        {"secrets-init-image": "not an image"},
        expect=(("--secrets-init-image", "'not an image'", "image reference"),),
    ),
    Case("services-unknown", {"services": "api"}, (("--service api", "no such service"),)),
    Case("images-malformed", {"images": "web"}, (("--image 'web'", "SERVICE=URI"),)),
    Case(
        "images-unknown-service",
        {"images": "api=example/api:1"},
        (("--image api", "not a container"),),
    ),
    Case(
        "ecr-repository-malformed",
        {"ecr-repository": "web="},
        (("--ecr-repository", "SERVICE=REPOSITORY"),),
    ),
    Case(
        "ecr-repository-missing",
        {"ecr-repository": ""},
        (("web has a build section but no ECR repository",),),
    ),
    Case(
        "ecr-repository-missing-and-healthcheck",
        {"ecr-repository": ""},
        compose_edit=healthcheck("2h"),
        expect=(
            ("web has a build section but no ECR repository",),
            ("healthcheck.interval", "3300s"),
        ),
    ),
    Case(
        "ecr-repository-unknown",
        {"ecr-repository": "no-such-repository"},
        (("ECR repository no-such-repository does not exist", "create-repository"),),
    ),
    Case(
        "image-tag-invalid",
        {"image-tag": "feature/x"},
        (("image tag 'feature/x' is not a valid tag", "image-tag"),),
    ),
    Case(
        "build-args-malformed",
        {"build-args": "A=1\nhunter2-Zq81"},  # a pasted secret is not repeated
        (("--build-arg #2 is not KEY=VALUE",),),
    ),
    Case(
        "platform-unsupported",
        {"platform": "windows/amd64"},
        (("platform 'windows/amd64'", "linux/amd64 or linux/arm64"),),
    ),
    Case(
        "create-repository-not-bool",
        {"create-repository": "maybe"},
        (("input create-repository", "true or false"),),
    ),
    Case(
        "skip-existing-image-not-bool",
        {"skip-existing-image": "1"},
        (("input skip-existing-image",),),
    ),
    Case("pin-digest-not-bool", {"pin-digest": "yes"}, (("input pin-digest",),)),
    Case("registry-cache-not-bool", {"registry-cache": "on"}, (("input registry-cache",),)),
    Case("secrets-malformed", {"secrets": "API_TOKEN"}, (("--secret", "NAME=ARN"),)),
    Case(
        "secrets-bad-arn",
        {"secrets": "API_TOKEN=arn:aws:secretsmanager:x"},
        (("API_TOKEN", "not a secret reference"),),
    ),
    Case(
        "secrets-bad-name",
        {"secrets": f"API-TOKEN={ARN}"},
        (("'API-TOKEN'", "environment variable name"),),
    ),
    Case(
        "secrets-unknown-service",
        {"secrets": f"api.TOKEN={ARN}"},
        (("api.TOKEN", "not a container"),),
    ),
    Case(
        "secrets-two-bad-lines",
        {"secrets": "A\nB=x y"},
        (("--secret", "not NAME=ARN"), ("--secret", "B", "not a secret reference")),
    ),
    Case("secrets-file-missing", {"secrets-file": "none.txt"}, (("none.txt", "cannot read"),)),
    Case(
        "secrets-file-bad-line",
        {"secrets-file": "s.txt"},
        (("s.txt:2", "NAME=ARN"),),
        files={"s.txt": f"API_TOKEN={ARN}\nOOPS\n"},
    ),
    Case(
        "task-definition-missing", {"task-definition": "base.json"}, (("base.json", "cannot read"),)
    ),
    Case(
        "task-definition-invalid",
        {"task-definition": "base.json"},
        (("base.json", "not valid JSON or YAML"),),
        files={"base.json": '{"a": [\n'},
    ),
    Case(
        "task-definition-not-object",
        {"task-definition": "base.json"},
        (("base.json", "must be a JSON/YAML object"),),
        files={"base.json": "[]\n"},
    ),
    Case("family-invalid", {"family": "my family"}, (("family 'my family'",),)),
    Case("cluster-missing", {"cluster": ""}, (("no cluster given",),)),
    Case("cluster-unknown", {"cluster": "nowhere"}, (("Cluster not found",),)),
    Case("ecs-service-missing", {"ecs-service": ""}, (("no ECS service given",),)),
    Case(
        "ecs-service-unknown",
        {"ecs-service": "ghost"},
        (("ECS service ghost was not found in cluster",),),
    ),
    Case(
        "ecs-service-ambiguous",
        {"ecs-service": "hello\nother"},
        (("say which compose services each runs",),),
    ),
    Case(
        "aws-region-missing",
        {"aws-region": ""},
        (("no AWS region", "aws-region"),),
        environment={"AWS_REGION": "", "AWS_DEFAULT_REGION": ""},
    ),
    Case(
        "force-new-deployment-not-bool",
        {"force-new-deployment": "sure"},
        (("input force-new-deployment",),),
    ),
    Case(
        "wait-not-bool",
        {"wait-for-service-stability": "nope"},
        (("input wait-for-service-stability",),),
    ),
    Case("wait-timeout-not-number", {"wait-timeout": "soon"}, (("input wait-timeout",),)),
    Case(
        "wait-timeout-negative",
        {"wait-timeout": "-5"},
        (("wait-timeout must be above 0 to 1440 minutes",),),
    ),
    Case("rollback-not-bool", {"rollback-on-failure": "0"}, (("input rollback-on-failure",),)),
    Case(
        "wait-until-unknown", {"wait-until": "baked"}, (("wait-until 'baked'", "traffic-shifted"),)
    ),
    Case("poll-interval-not-number", {"poll-interval": "fast"}, (("input poll-interval",),)),
    Case(
        "poll-interval-zero",
        {"poll-interval": "0"},
        (("poll-interval must be 1 to 300 seconds",),),
    ),
    Case(  # the stack's time scale (tests/support/stack.py) is set here: it changes no limit
        "poll-interval-half-a-second",
        {"poll-interval": "0.5"},
        (("poll-interval must be 1 to 300 seconds",),),
    ),
    Case("dry-run-not-bool", {"dry-run": "no"}, (("input dry-run",),)),
    Case("max-retries-not-number", {"max-retries": "x"}, (("input max-retries",),)),
    Case("max-retries-negative", {"max-retries": "-1"}, (("max-retries must be 0 to 20",),)),
    Case("strict-not-bool", {"strict": "2"}, (("input strict",),)),
    Case("log-lines-not-number", {"log-lines": "all"}, (("input log-lines",),)),
    Case("log-lines-negative", {"log-lines": "-1"}, (("log-lines must be 0 to 10000",),)),
    Case(
        "throttle-timeout-not-number", {"throttle-timeout": "long"}, (("input throttle-timeout",),)
    ),
    Case(
        "throttle-timeout-negative",
        {"throttle-timeout": "-1"},
        (("throttle-timeout must be 0 to 1440 minutes",),),
    ),
    Case(
        "strict-secret-in-environment",
        {"strict": "true", "secrets": ""},
        (("API_TOKEN looks like a secret", "strict"),),
    ),
    Case(
        "run-before-unknown", {"run-before": "migrat"}, (("run-before migrat", "no such service"),)
    ),
    Case(
        "run-before-inactive-profile",
        {"run-before": "tools"},
        (("run-before tools", "profile never", "not enabled", "--profile never"),),
    ),
    Case("run-timeout-not-number", {"run-timeout": "soon"}, (("input run-timeout",),)),
    Case(
        "run-timeout-zero",
        {"run-timeout": "0"},
        (("run-timeout must be above 0 to 1440 minutes",),),
    ),
    Case(
        "base-bad-field",
        {"task-definition": "base.json"},
        (("sizeInGiB",),),
        files={
            "base.json": json.dumps(
                {
                    "family": "hello",
                    "ephemeralStorage": {"sizeInGiB": "big"},
                    "executionRoleArn": "arn:aws:iam::123456789012:role/exec",
                }
            )
        },
    ),
]


@pytest.fixture
def workspace(world: World, hello_app: Path, tmp_path: Path, monkeypatch) -> Path:
    root = tmp_path / "workspace"
    shutil.copytree(hello_app, root)
    compose = root / "compose.yaml"
    compose.write_text(
        compose.read_text() + "  tools:\n    image: busybox\n    profiles: [never]\n"
    )
    monkeypatch.chdir(root)
    return root


def state(world: World, aws_client: Any, stack: Any, auth: Any) -> dict[str, Any]:
    """What a deploy could write: repositories, revisions, deployments, registry tags."""
    return {
        "repositories": sorted(
            r["repositoryName"] for r in aws_client("ecr").describe_repositories()["repositories"]
        ),
        "revisions": world.revisions("hello"),
        "deployments": [d["id"] for d in world.running("hello")["deployments"]],
        "registry": registry_contents(stack, auth),
    }


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_writes_nothing(
    case: Case,
    world: World,
    workspace: Path,
    ecr_repo,
    aws_client,
    stack,
    registry_auth,
    monkeypatch,
    capsys,
) -> None:
    world.service("hello", containers=("web",), controller=case.controller)
    # the secret the deploy names exists, as Terraform made it: verify looks it up first
    secret = aws_client("secretsmanager").create_secret(Name="hello/api-token", SecretString="t")
    if case.compose_edit:
        compose = workspace / "compose.yaml"
        compose.write_text(case.compose_edit(compose.read_text()))
    for name, text in case.files.items():
        (workspace / name).write_text(text.replace(ARN, secret["ARN"]))
    for key, value in case.environment.items():
        monkeypatch.setenv(key, value)
    inputs = {
        "compose-file": "compose.yaml",
        "services": "web",
        "cluster": CLUSTER,
        "ecs-service": "hello",
        "ecr-repository": ecr_repo.name,
        "aws-region": world.region,
        "secrets": f"API_TOKEN={secret['ARN']}",
        "wait-timeout": "1",
        **case.inputs,
    }
    for name in action.INPUTS:
        monkeypatch.setenv(f"INPUT_{name.upper()}", inputs.get(name, ""))
    monkeypatch.setenv("GITHUB_SHA", "c" * 40)
    for name in ("GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY"):
        (workspace.parent / name).touch()
        monkeypatch.setenv(name, str(workspace.parent / name))
    before = state(world, aws_client, stack, registry_auth)

    capsys.readouterr()
    code = action.main()
    out, err = capsys.readouterr()

    assert code == 1, out + err
    errors = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(errors) == len(case.expect), err
    for line, words in zip(errors, case.expect, strict=True):
        for word in words:
            assert word in line, f"{word!r} not in {line!r}"
    assert out.count("::error") == len(case.expect)
    assert state(world, aws_client, stack, registry_auth) == before


def test_the_corpora_hold_at_least_sixty_cases() -> None:
    from tests.unit.test_bad_inputs import CASES as RENDER_CASES

    assert len(CASES) + len(RENDER_CASES) >= 60
    assert len(CASES) >= 40


def test_every_action_input_has_a_bad_case() -> None:
    covered = {name for case in CASES for name in case.inputs}
    covered |= {"compose-file"}
    assert set(action.INPUTS) - covered - {"additional-tags", "verify-command"} == set(), (
        "additional-tags cannot be bad: it is sanitised into valid tags; verify-command is "
        "any shell command"
    )
