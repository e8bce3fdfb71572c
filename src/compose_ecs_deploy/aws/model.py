"""Values checked against botocore's own model of RegisterTaskDefinition.

Only botocore's data loader and validator are used (no session, no client, no credentials,
no network), so `render` stays offline and starts fast. Two checks:

- `check_value` walks a partial input (an `x-ecs` block, a base task-definition file)
  against the model's input shapes before anything reads it: types, required keys of
  nested objects, unknown keys, and the enum values that botocore's `ParamValidator`
  does not check. Nothing downstream then meets a value of a type it does not expect.
- `check_register_request` checks the final request: `ParamValidator` (what the real
  client checks before sending) and, again, every enum.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from botocore.loaders import create_loader
from botocore.model import ListShape, MapShape, ServiceModel, Shape, StructureShape
from botocore.validate import ParamValidator

KeyPath = tuple[str | int, ...]  # keys and list indexes from the checked value's root


@dataclass(frozen=True)
class ShapeProblem:
    """One value that does not fit the model: where (keys and list indexes), and why."""

    path: KeyPath
    message: str

    @property
    def field(self) -> str:
        """The path as people write it: `healthCheck.interval`, `portMappings[0].hostPort`."""
        return format_path(self.path)


def format_path(path: KeyPath) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


@functools.cache
def _model() -> ServiceModel:
    """Loaded once a process: a deploy checks values, then each request before and after
    the build."""
    return ServiceModel(create_loader().load_service_model("ecs", "service-2"), "ecs")


def _register_input_shape() -> StructureShape:
    shape = _model().operation_model("RegisterTaskDefinition").input_shape
    assert shape is not None  # RegisterTaskDefinition always has an input shape
    return shape


def shape_of(name: str) -> Shape:
    """A named shape of the ECS model (`ContainerDefinition`, `Volume`), or the request
    itself (`RegisterTaskDefinitionRequest`)."""
    if name == "RegisterTaskDefinitionRequest":
        return _register_input_shape()
    return _model().shape_for(name)


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


_SCALARS: dict[str, tuple[str, tuple[type, ...]]] = {
    "string": ("a string", (str,)),
    "integer": ("a whole number", (int,)),
    "long": ("a whole number", (int,)),
    "double": ("a number", (int, float)),
    "float": ("a number", (int, float)),
    "boolean": ("true or false", (bool,)),
}


def _enum(shape: Shape) -> list[str]:
    return list(shape.metadata.get("enum") or [])


def _expected(shape: Shape) -> str:
    if isinstance(shape, StructureShape):
        return f"an object ({shape.name})"
    if isinstance(shape, ListShape):
        return f"a list of {_plural(shape.member)}"
    if isinstance(shape, MapShape):
        return f"a mapping of names to {_plural(shape.value)}"
    if _enum(shape):
        return "one of " + ", ".join(_enum(shape))
    return _SCALARS.get(shape.type_name, (shape.type_name, ()))[0]


def _plural(shape: Shape) -> str:
    if isinstance(shape, StructureShape):
        return f"{shape.name} objects"
    if isinstance(shape, ListShape | MapShape) or _enum(shape):
        return f"values that are each {_expected(shape)}"
    return {"string": "strings", "boolean": "true/false values"}.get(shape.type_name, "numbers")


def _walk(value: Any, shape: Shape, path: KeyPath) -> Iterator[ShapeProblem]:
    if isinstance(shape, StructureShape):
        yield from _structure(value, shape, path)
    elif isinstance(shape, ListShape):
        if not isinstance(value, list):
            yield ShapeProblem(path, f"{_show(value)} is not {_expected(shape)}")
            return
        for index, item in enumerate(value):
            yield from _walk(item, shape.member, (*path, index))
    elif isinstance(shape, MapShape):
        if not isinstance(value, Mapping):
            yield ShapeProblem(path, f"{_show(value)} is not {_expected(shape)}")
            return
        for key, item in value.items():
            if not isinstance(key, str):
                yield ShapeProblem((*path, str(key)), f"key {_show(key)} is not a string")
            yield from _walk(item, shape.value, (*path, str(key)))
    else:
        yield from _scalar(value, shape, path)


def _structure(
    value: Any,
    shape: StructureShape,
    path: KeyPath,
    *,
    skip: frozenset[str] = frozenset(),
    required: bool = True,
) -> Iterator[ShapeProblem]:
    if not isinstance(value, Mapping):
        yield ShapeProblem(path, f"{_show(value)} is not {_expected(shape)}")
        return
    for key in shape.required_members if required else ():
        if key not in value:
            yield ShapeProblem(path, f"{key} is missing: {shape.name} requires it")
    for key, item in value.items():
        if key in skip:
            continue
        member = shape.members.get(key) if isinstance(key, str) else None
        if member is None:
            yield ShapeProblem(
                (*path, str(key)),
                f"{_show(key)} is not a field of {shape.name} (fields: {', '.join(shape.members)})",
            )
        else:
            yield from _walk(item, member, (*path, key))


def _scalar(value: Any, shape: Shape, path: KeyPath) -> Iterator[ShapeProblem]:
    expected, types = _SCALARS.get(shape.type_name, ("", ()))
    if not types:
        return  # timestamps and blobs: none is writable in a task definition
    wrong_bool = isinstance(value, bool) and bool not in types
    if not isinstance(value, types) or wrong_bool:
        hint = f" ({_expected(shape)})" if _enum(shape) else ""
        if str in types and isinstance(value, int | float) and not isinstance(value, bool):
            hint = f" (quote it: '{value}')"
        yield ShapeProblem(path, f"{_show(value)} is not {expected}{hint}")
    elif _enum(shape) and value not in _enum(shape):
        yield ShapeProblem(path, f"{_show(value)} is not {_expected(shape)}")


def check_value(
    value: Any,
    shape_name: str,
    *,
    skip: frozenset[str] = frozenset(),
    unknown_at_root: bool = True,
    root_required: bool = False,
) -> list[ShapeProblem]:
    """Every way `value` does not fit the shape, all at once.

    At the root, `skip` keys (and, without `unknown_at_root`, keys the shape does not have)
    are left to the caller, which has its own words for them; the required keys are only
    asked for with `root_required`: an `x-ecs` block or a base file is a part of a
    request, which the conversion completes.
    """
    shape = shape_of(shape_name)
    if not isinstance(shape, StructureShape):
        return list(_walk(value, shape, ()))
    if not unknown_at_root and isinstance(value, Mapping):
        skip = skip | {key for key in value if key not in shape.members}
    return list(_structure(value, shape, (), skip=skip, required=root_required))


def check_register_request(request: Mapping[str, Any]) -> list[ShapeProblem]:
    """The final request: botocore's validator (as the client checks it before sending),
    then every enum value, which that validator leaves to the server."""
    report = ParamValidator().validate(dict(request), _register_input_shape())
    if report.has_errors():
        lines = report.generate_report().splitlines()
        return [ShapeProblem((), line.strip()) for line in lines[1:] if line.strip()] or [
            ShapeProblem((), "\n".join(lines))
        ]
    return check_value(request, "RegisterTaskDefinitionRequest", root_required=True)
