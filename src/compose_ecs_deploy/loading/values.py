"""Every value from an `x-ecs` block or a base task-definition file, checked before use.

Compose validates the compose fields against its schema; the `x-ecs` blocks (top level,
per service, per volume) and the base file are ours to check, and the conversion reads
them. So they are walked first against botocore's input shapes (types, required keys,
enums: `adapters.aws_model`), then against the ECS rules that concern them alone. Each
problem is one diagnostic naming the file and line, the field path, the value and what
is expected, and any problem stops the render before the conversion reads a value.
ECS's rules on the final request (ranges, Fargate limits) are `core.validate`'s.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from compose_ecs_deploy.aws.model import ShapeProblem, check_value
from compose_ecs_deploy.compose.project import Project
from compose_ecs_deploy.diagnostics import Diagnostic
from compose_ecs_deploy.loading.files import Document

# Task sizes: ECS's docs take `1024` as well as `"1024"` or `"1 vCPU"`; the conversion
# normalises them to the API's strings (core.fargate.parse_task_size).
_SIZES = frozenset({"cpu", "memory"})
CODE = "value-invalid"


def _sizes(block: Mapping[str, Any]) -> list[ShapeProblem]:
    return [
        ShapeProblem(
            (key,),
            f"{block[key]!r} is not a task {key} (a number of units "
            "or MiB, or a string such as '1 vCPU', '2 GB')",
        )
        for key in _SIZES & set(block)
        if isinstance(block[key], bool) or not isinstance(block[key], str | int)
    ]


def project_problems(project: Project) -> list[Diagnostic]:
    """Every wrong value in the project's `x-ecs` blocks; the loader's positions locate them."""
    problems: list[Diagnostic] = []
    task = project.extensions.get("x-ecs")
    if task is not None:
        if not isinstance(task, Mapping):
            problems.append(
                Diagnostic.error(
                    CODE,
                    f"{task!r} is not a mapping of RegisterTaskDefinition fields",
                    field="x-ecs",
                )
            )
        else:
            found = check_value(
                task,
                "RegisterTaskDefinitionRequest",
                unknown_at_root=False,
                skip=_SIZES | {"containerDefinitions"},
            ) + _sizes(task)
            problems += [Diagnostic.error(CODE, p.message, field=_under("x-ecs", p)) for p in found]
    for name, service in project.services.items():
        block = service.get("x-ecs")
        if block is None:
            continue
        if not isinstance(block, Mapping):
            problems.append(
                Diagnostic.error(
                    CODE,
                    f"{block!r} is not a mapping of container definition fields",
                    service=name,
                    field="x-ecs",
                )
            )
            continue
        problems += [
            Diagnostic.error(CODE, p.message, service=name, field=_under("x-ecs", p))
            for p in check_value(
                block, "ContainerDefinition", unknown_at_root=False, skip=frozenset({"name"})
            )
        ]
    for name, volume in project.volumes.items():
        block = volume.get("x-ecs") if isinstance(volume, Mapping) else None
        if block is None:
            continue
        where = f"volumes.{name}.x-ecs"
        problems += [
            Diagnostic.error(CODE, p.message, field=_under(where, p))
            for p in check_value(block, "Volume", skip=frozenset({"name"}))
        ]
    return problems


def _under(prefix: str, problem: ShapeProblem) -> str:
    return f"{prefix}.{problem.field}" if problem.path else prefix


def base_problems(
    document: Document, request: Mapping[str, Any], prefix: str = ""
) -> list[Diagnostic]:
    """Every wrong value of a base file (`request`, read-only fields stripped); `prefix`
    is where the request sits in the file (`taskDefinition` in a Describe answer)."""
    found = check_value(request, "RegisterTaskDefinitionRequest", skip=_SIZES)
    found += _sizes(request)
    if not found:
        found = _unnamed_containers(request.get("containerDefinitions") or [])
    diagnostics = []
    for problem in found:
        field = (
            f"{prefix}.{problem.field}" if prefix and problem.path else (problem.field or prefix)
        )
        diagnostics.append(
            Diagnostic.error(
                CODE,
                problem.message,
                field=field or None,
                file=document.path,
                line=document.line_of(field) if field else None,
            )
        )
    return diagnostics


def _unnamed_containers(containers: list[Mapping[str, Any]]) -> list[ShapeProblem]:
    """ECS requires a name on every container, and the base's containers are matched to
    the compose services by it."""
    return [
        ShapeProblem(
            ("containerDefinitions", index),
            "the container has no name: give "
            "it the name of its compose service, or the name ECS should use",
        )
        for index, container in enumerate(containers)
        if not container.get("name")
    ]
