"""`init`'s promise, checked through Docker Compose itself: `render` of the compose file it
writes gives the running revision back (normalised: ordering, read-only fields, ECS's
defaults), on task definitions shaped the way Terraform writes them and on generated ones."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compose_ecs_deploy.compose.reverse import to_compose
from compose_ecs_deploy.compose.taskdef import normalise, strip_read_only
from compose_ecs_deploy.settings import Settings
from compose_ecs_deploy.verbs.init import write_compose
from compose_ecs_deploy.verbs.render import render

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "init"
REGION = "us-east-1"


def rendered(task_definition: dict[str, Any], directory: Path) -> tuple[dict[str, Any], list[str]]:
    """init's file for `task_definition`, then `render` of it (every container, in order)."""
    reverse = to_compose(task_definition)
    path = directory / "compose.ecs.yaml"
    path.write_text(write_compose(reverse))
    services = tuple(reverse.document["services"])
    request = render(Settings(compose_files=(str(path),), services=services, region=REGION)).request
    return request, reverse.lossy


@pytest.mark.parametrize("name", sorted(p.stem for p in FIXTURES.glob("*.json")))
def test_terraform_shaped_revisions_come_back(name: str, tmp_path: Path) -> None:
    described = json.loads((FIXTURES / f"{name}.json").read_text())
    request, lossy = rendered(described, tmp_path)
    assert lossy == []
    assert normalise(request) == normalise(strip_read_only(described))


def test_what_cannot_come_back_is_said_at_the_top_of_the_file(tmp_path: Path) -> None:
    described = json.loads((FIXTURES / "sidecars.json").read_text())
    body = copy.deepcopy(described["taskDefinition"])
    del body["containerDefinitions"][0]["logConfiguration"]
    reverse = to_compose(body)
    text = write_compose(reverse)
    assert text.startswith("# compose-ecs-deploy init")
    assert "# - container app: it has no logConfiguration" in text
    assert yaml.safe_load(text) == reverse.document


NAMES = st.from_regex(r"[a-z][a-z0-9_-]{0,12}", fullmatch=True)
TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=20)
SECONDS = st.integers(min_value=5, max_value=60)


@st.composite
def container(draw: st.DrawFn, name: str) -> dict[str, Any]:
    c: dict[str, Any] = {
        "name": name,
        "image": draw(st.sampled_from(["nginx:1.27", "public.ecr.aws/docker/library/redis:7",
                                       "123456789012.dkr.ecr.us-east-1.amazonaws.com/app:v1"])),
        "essential": draw(st.booleans()),
        "logConfiguration": {"logDriver": "awslogs", "options": {
            "awslogs-group": f"/ecs/{name}", "awslogs-region": REGION,
            "awslogs-stream-prefix": "ecs"}},
    }  # fmt: skip
    if draw(st.booleans()):
        c["environment"] = [
            {"name": n, "value": v}
            for n, v in draw(st.dictionaries(st.from_regex(r"[A-Z_][A-Z0-9_]{0,8}", fullmatch=True),
                                             TEXT, max_size=4)).items()
        ]  # fmt: skip
    if draw(st.booleans()):
        c["command"] = draw(st.lists(TEXT, min_size=1, max_size=3))
    if draw(st.booleans()):
        c["cpu"] = draw(st.integers(min_value=1, max_value=256))
    if draw(st.booleans()):
        c["memory"] = draw(st.integers(min_value=64, max_value=1024))
    if draw(st.booleans()):
        check = {"command": ["CMD-SHELL", draw(TEXT) or "true"], "interval": draw(SECONDS)}
        c["healthCheck"] = check | {"retries": draw(st.integers(1, 10))}
    if draw(st.booleans()):
        c["portMappings"] = [{"containerPort": p, "protocol": "tcp"}
                             for p in draw(st.sets(st.integers(1, 65535), max_size=2))]  # fmt: skip
    if draw(st.booleans()):
        c["stopTimeout"] = draw(st.integers(2, 120))
    if draw(st.booleans()):
        c["linuxParameters"] = {"initProcessEnabled": True}
    if draw(st.booleans()):
        c["secrets"] = [
            {"name": "DB", "valueFrom": "arn:aws:ssm:us-east-1:123456789012:parameter/db"}
        ]
    return c


@st.composite
def task_definitions(draw: st.DrawFn) -> dict[str, Any]:
    names = draw(st.lists(NAMES, min_size=1, max_size=3, unique=True))
    containers = [draw(container(n)) for n in names]
    containers[0]["essential"] = True
    taken: set[int] = set()
    for c in containers:  # a running revision is valid: in awsvpc a port has one container
        if "portMappings" in c:
            c["portMappings"] = [m for m in c["portMappings"] if m["containerPort"] not in taken]
            taken |= {m["containerPort"] for m in c["portMappings"]}
            if not c["portMappings"]:
                del c["portMappings"]
    return {
        "family": draw(st.from_regex(r"[a-zA-Z][a-zA-Z0-9_-]{0,20}", fullmatch=True)),
        "networkMode": "awsvpc",
        "requiresCompatibilities": ["FARGATE"],
        "cpu": "1024",
        "memory": "4096",
        "executionRoleArn": "arn:aws:iam::123456789012:role/exec",
        "containerDefinitions": containers,
    }


@settings(
    max_examples=25,
    deadline=None,
    derandomize=True,  # the same examples on every run: CI never meets a new one by chance
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(task_definitions())
def test_generated_revisions_come_back(tmp_path: Path, task_definition: dict[str, Any]) -> None:
    request, lossy = rendered(task_definition, tmp_path)
    assert lossy == []
    assert normalise(request) == normalise(task_definition)


def test_a_parameter_named_without_its_arn_comes_back_as_its_arn_and_is_said(
    tmp_path: Path,
) -> None:
    """ECS takes an SSM parameter of the task's Region by name alone (a secret's or a log
    option's valueFrom); render, offline, refuses one. init writes its ARN (the task
    definition's partition, Region and account) and lists it, by the variable's name only."""
    described = json.loads((FIXTURES / "appmesh-efs.json").read_text())
    body = copy.deepcopy(described["taskDefinition"])
    api = body["containerDefinitions"][0]
    api["secrets"][0]["valueFrom"] = "db_password"
    envoy = body["containerDefinitions"][1]
    envoy["logConfiguration"]["secretOptions"] = [{"name": "token", "valueFrom": "log-token"}]
    request, lossy = rendered(body, tmp_path)
    prefix = "arn:aws:ssm:us-east-1:123456789012:parameter/"
    api["secrets"][0]["valueFrom"] = prefix + "db_password"
    envoy["logConfiguration"]["secretOptions"][0]["valueFrom"] = prefix + "log-token"
    assert normalise(request) == normalise(strip_read_only(body))
    assert [line.split(":")[:2] for line in lossy] == [
        ["container api", " secret DB_PASSWORD"], ["container envoy", " log option token"],
    ]  # fmt: skip
    assert not [line for line in lossy if "db_password" in line or "log-token" in line]

    del body["taskDefinitionArn"]  # no ARN to take the Region and account from: said so
    body["containerDefinitions"][0]["secrets"][0]["valueFrom"] = "db_password"
    assert "render (offline) refuses" in to_compose(body).lossy[0]
