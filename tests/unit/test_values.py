"""Every field the model has, at task and container level, from an `x-ecs` block or a base
file, with values of every type (and every enum value): the render ends in a request or in
`error:` lines, never in an exception. The compose loader is not needed for this, so the
project is built as data and thousands of variants take a second.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.model import ListShape, MapShape, Shape, StructureShape

from compose_ecs_deploy.aws.model import shape_of
from compose_ecs_deploy.compose.project import Project
from compose_ecs_deploy.errors import InputError
from compose_ecs_deploy.loading import values
from compose_ecs_deploy.loading.files import Document
from compose_ecs_deploy.loading.inputs import Inputs, build_request
from compose_ecs_deploy.settings import Settings

ROLE = "arn:aws:iam::123456789012:role/exec"
WRONG = [
    "abc",
    5,
    -1,
    0,
    1.5,
    True,
    None,
    [],
    {},
    ["x"],
    [1],
    [None],
    "",
    {"a": "b"},
    [{"a": 1}],
    10**12,
]
SETTINGS = Settings(compose_files=("compose.yaml",), services=("app",), region="us-east-1")


def sample(shape: Shape, depth: int = 0) -> Any:
    """A small valid value of the shape: its required members filled, the first enum."""
    if isinstance(shape, StructureShape):
        return {key: sample(shape.members[key], depth + 1) for key in shape.required_members}
    if isinstance(shape, ListShape):
        return [sample(shape.member, depth + 1)] if depth < 4 else []
    if isinstance(shape, MapShape):
        return {"k": sample(shape.value, depth + 1)}
    enum = shape.metadata.get("enum")
    return {
        "string": enum[0] if enum else "x",
        "boolean": True,
        "integer": 1,
        "long": 1,
        "double": 1.0,
    }.get(shape.type_name, "x")


def variants(shape: StructureShape, skip: frozenset[str]) -> Iterator[dict[str, Any]]:
    """Each member alone, and each member of its (list of) structure, with a wrong value,
    each enum value, and a valid sample."""
    for key, member in shape.members.items():
        if key in skip:
            continue
        yield from ({key: value} for value in (*WRONG, sample(member)))
        inner = member.member if isinstance(member, ListShape) else member
        if isinstance(inner, StructureShape):
            for sub, sub_shape in inner.members.items():
                choices = (*WRONG, *(sub_shape.metadata.get("enum") or []), sample(sub_shape))
                for value in choices:
                    item = {**sample(inner), sub: value}
                    yield {key: [item] if isinstance(member, ListShape) else item}


def _render(project: Project, base: dict[str, Any] | None = None) -> None:
    """A request or an InputError; anything else fails the test."""
    with contextlib.suppress(InputError):
        build_request(Inputs(project, {}, (), base, ()), SETTINGS)


def _project(task: dict[str, Any], container: dict[str, Any] | None) -> Project:
    service: dict[str, Any] = {"image": "app"}
    if container is not None:
        service["x-ecs"] = container
    return Project(
        name="p",
        services={"app": service, "db": {"image": "db"}},
        extensions={"x-ecs": {"executionRoleArn": ROLE, **task}},
    )


@pytest.mark.parametrize("level", ["task", "container"])
def test_no_x_ecs_value_crashes_the_render(level: str) -> None:
    checked = converted = 0
    shape = shape_of("RegisterTaskDefinitionRequest" if level == "task" else "ContainerDefinition")
    assert isinstance(shape, StructureShape)
    skip = frozenset({"containerDefinitions"} if level == "task" else {"name"})
    for variant in variants(shape, skip):
        project = _project(variant, None) if level == "task" else _project({}, variant)
        checked += 1
        if not values.project_problems(project):
            converted += 1
            _render(project)
    assert checked > 500 and 100 < converted < checked  # neither all nor none pass the check


def test_no_base_file_value_crashes_the_render() -> None:
    converted = 0
    shape = shape_of("ContainerDefinition")
    assert isinstance(shape, StructureShape)
    for name in ("app", "sidecar"):  # one merged with the compose service, one kept as is
        for variant in variants(shape, frozenset({"name"})):
            base = {"containerDefinitions": [{"name": name, "image": "x", **variant}]}
            if not values.base_problems(Document("base.json", base), base):
                converted += 1
                _render(_project({}, None), base)
    assert converted > 100
