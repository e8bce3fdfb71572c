"""Bare SSM parameter names wherever a request gets them (issue #22): found on the request
about to be registered (`secrets` and log `secretOptions`; from --secret, a secrets file, a
service's x-ecs, the base file, the running revision), named where they were written and
never by value; refused by `render` (offline), looked up ten a call by the others
(aws/parameters.py; botocore's Stubber stands in for SSM, whose answers moto gives in
tests/deploy/test_bare_parameters.py)."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import pytest
from botocore.stub import Stubber

from compose_ecs_deploy.aws.client import Aws
from compose_ecs_deploy.aws.parameters import BATCH, bare_names, check_bare_parameters
from compose_ecs_deploy.compose.field_context import FROM_BASE
from compose_ecs_deploy.compose.secrets import BareName
from compose_ecs_deploy.compose.validate import validate
from compose_ecs_deploy.diagnostics import Diagnostic, Diagnostics

ROLE = "arn:aws:iam::123456789012:role/exec"
PASTED = "hunter2-Zq81-pasted"  # a password pasted where a reference belongs
ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf"

X_ECS_SECRET = f"""
services:
  app:
    image: app
    x-ecs:
      secrets:
        - {{name: DB, valueFrom: {PASTED}}}
x-ecs:
  executionRoleArn: {ROLE}
"""
X_ECS_LOG_SECRET = f"""
services:
  app:
    image: app
    x-ecs:
      logConfiguration:
        logDriver: splunk
        options: {{splunk-url: "https://splunk.example.com:8088"}}
        secretOptions:
          - {{name: splunk-token, valueFrom: {PASTED}}}
x-ecs:
  executionRoleArn: {ROLE}
"""
PLAIN = f"services:\n  app:\n    image: app\nx-ecs:\n  executionRoleArn: {ROLE}\n"
FILE_SECRET = (
    PLAIN.replace("    image: app\n", "    image: app\n    secrets: [db]\n")
    + "secrets:\n  db: {file: ./db.txt}\n"
)


def _base(containers: list[dict[str, Any]]) -> str:
    return json.dumps(
        {"family": "shop", "executionRoleArn": ROLE, "containerDefinitions": containers},
        indent=2,
    )


CASES = {
    "x-ecs-secret": (X_ECS_SECRET, (), {}, ("compose.yaml:", "service app", "x-ecs.secrets.DB")),
    "x-ecs-log-secret-option": (
        X_ECS_LOG_SECRET,
        (),
        {},
        ("compose.yaml:", "service app", "x-ecs.logConfiguration.secretOptions.splunk-token"),
    ),
    "base-file-container-of-compose": (
        PLAIN,
        ("--task-definition", "base.json"),
        {"base.json": _base([{"name": "app", "secrets": [{"name": "DB", "valueFrom": PASTED}]}])},
        ("base.json:", "container app: secrets.DB:"),
    ),
    "base-file-sidecar": (
        PLAIN,
        ("--task-definition", "base.json"),
        {
            "base.json": _base(
                [
                    {"name": "app"},
                    {
                        "name": "agent",
                        "image": "agent",
                        "logConfiguration": {
                            "logDriver": "splunk",
                            "options": {"splunk-url": "https://splunk.example.com"},
                            "secretOptions": [{"name": "splunk-token", "valueFrom": PASTED}],
                        },
                    },
                ]
            )
        },
        ("base.json:", "container agent: logConfiguration.secretOptions.splunk-token:"),
    ),
    "secrets-file": (
        PLAIN,
        ("--secrets-file", "secrets.txt"),
        {"secrets.txt": f"# bindings\nDB={PASTED}\n"},
        ("secrets.txt:2: DB:",),
    ),
    "option": (PLAIN, ("--secret", f"app.DB={PASTED}"), {}, ("--secret: app.DB:",)),
    "file-secret": (
        FILE_SECRET,
        ("--secret", f"db={PASTED}"),
        {"db.txt": "dev-only\n"},
        ("--secret: db:",),
    ),
}


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_render_refuses_a_bare_name_wherever_the_request_got_it(
    case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, run_cli: Any
) -> None:
    document, args, files, words = CASES[case]
    monkeypatch.chdir(tmp_path)
    (tmp_path / "compose.yaml").write_text(textwrap.dedent(document))
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    result = run_cli(
        "render", "-f", "compose.yaml", "--service", "app", "--region", "us-east-1", *args
    )
    assert result.code == 1, result.err
    (error,) = result.errors
    assert all(word in error for word in words), error
    assert "render (offline) cannot ask SSM" in error and "Secrets Manager" in error
    assert PASTED not in result.out + result.err


def test_a_path_or_an_arn_is_no_bare_name(run_cli: Any, compose: Any) -> None:
    document = X_ECS_SECRET.replace(PASTED, "/shop/db")
    result = compose(document, args=("--service", "app", "--secret", f"KEY={ARN}"))
    assert result.code == 0, result.err
    assert result.container("app")["secrets"] == [
        {"name": "DB", "valueFrom": "/shop/db"},
        {"name": "KEY", "valueFrom": ARN},
    ]


def test_a_bare_name_of_the_running_revision_is_named_by_its_container() -> None:
    """The running revision has no file: its container is named, with the field."""
    request = {
        "family": "shop",
        "executionRoleArn": ROLE,
        "requiresCompatibilities": ["FARGATE"],
        "networkMode": "awsvpc",
        "cpu": "256",
        "memory": "512",
        "containerDefinitions": [
            {"name": "app", "image": "app", "secrets": [{"name": "DB", "valueFrom": PASTED}]}
        ],
    }
    diagnostics = Diagnostics()
    (found,) = validate(
        request,
        diagnostics,
        compose_services=frozenset({"app"}),
        origins={("app", "secrets"): FROM_BASE},
    )
    assert not diagnostics.items
    assert (found.value_from, found.container, found.name) == (PASTED, "app", "DB")
    problem = found.refused("SSM has no parameter of that name")
    assert problem.message.startswith("container app (from the base task definition): secrets.DB:")
    assert PASTED not in problem.render()


def _named(value: str, index: int) -> BareName:
    where = Diagnostic.error(
        "secret-arn", "the valueFrom is ...", service="app", field=f"x-ecs.secrets.S{index}"
    )
    return BareName(value, "app", f"S{index}", where)


class Masks:
    def __init__(self) -> None:
        self.masked: list[str] = []

    def info(self, line: str) -> None: ...
    def group(self, title: str) -> Any: ...
    def mask(self, value: str) -> None:
        self.masked.append(value)


def test_the_names_are_looked_up_ten_a_call_masked_first_and_refused_where_written() -> None:
    values = [f"param-{n:02d}" for n in range(23)]
    names = [_named(v, n) for n, v in enumerate(values)]
    names.append(_named(values[21], 99))  # the same name in a second place: asked once
    aws, log = Aws("eu-west-1", max_retries=0), Masks()
    with Stubber(aws.client("ssm")) as stub:
        for start in range(0, 23, BATCH):
            batch = values[start : start + BATCH]
            invalid = [v for v in batch if v == values[21]]
            stub.add_response(
                "get_parameters",
                {"Parameters": [], **({"InvalidParameters": invalid} if invalid else {})},
                {"Names": batch, "WithDecryption": False},
            )
        problems = check_bare_parameters(aws, names, log)
        stub.assert_no_pending_responses()
    assert BATCH == 10 and log.masked == values
    assert [p.field for p in problems] == ["x-ecs.secrets.S21", "x-ecs.secrets.S99"]
    assert all(
        "SSM has no parameter" in p.message and "Secrets Manager" in p.message for p in problems
    )
    assert not any(values[21] in p.render() for p in problems)


def test_a_denied_lookup_refuses_every_name_it_asked_for() -> None:
    names = [_named("shop-db", 1)]
    aws, log = Aws("eu-west-1", max_retries=0), Masks()
    with Stubber(aws.client("ssm")) as stub:
        stub.add_client_error("get_parameters", "AccessDeniedException", "no shop-db", 400)
        (problem,) = check_bare_parameters(aws, names, log)
    assert "ssm:GetParameters was denied" in problem.message
    assert "shop-db" not in problem.render() and log.masked == ["shop-db"]


def test_no_bare_name_no_call() -> None:
    aws = Aws("eu-west-1", max_retries=0)
    with Stubber(aws.client("ssm")):  # any call would fail: nothing is stubbed
        assert check_bare_parameters(aws, [], Masks()) == []


def test_each_place_is_kept_once_across_requests() -> None:
    one, two = _named("a", 1), _named("b", 2)
    assert bare_names([(one, two), (one,), ()]) == [one, two]
