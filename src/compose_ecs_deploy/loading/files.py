"""Reading the user's side files: base task definitions and secrets files.

Whatever a file holds, reading it ends in data or in an `InputError` that names the file
(and line): not UTF-8, not JSON/YAML, truncated, a key written twice, or past one of
loading/bounded's limits (size, kind of file, nesting, aliases). Where each key was written
is kept, so that a wrong value deeper in can be pointed at too.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

from compose_ecs_deploy.compose.project import Position
from compose_ecs_deploy.diagnostics import Diagnostic
from compose_ecs_deploy.errors import InputError
from compose_ecs_deploy.loading import bounded


@dataclass(frozen=True)
class Document:
    """A parsed JSON/YAML file and the line of each key path (`a.b[0].c`) in it."""

    path: str
    data: Any
    positions: Mapping[str, Position] = field(default_factory=dict)

    def line_of(self, key_path: str) -> int | None:
        """The line of the most specific key on `key_path` that the file has."""
        parts = key_path.split(".")
        while parts:
            found = self.positions.get(".".join(parts))
            if found:
                return found[1]
            parts.pop()
        return None


def read_document(path: str, what: str) -> Document:
    """A JSON or YAML document (JSON is YAML), with the file named in any error; read
    within loading/bounded's limits, and refused when a mapping repeats a key (compose
    refuses that too; which one would win is a guess)."""
    text = bounded.read_text(path, what)
    try:
        root = bounded.compose(text, path, what)
        data = None if root is None else yaml.SafeLoader("").construct_document(root)
    except yaml.MarkedYAMLError as exc:
        raise InputError(
            f"{path} is not valid JSON/YAML",
            [
                Diagnostic.error(
                    "file-syntax",
                    f"the {what} is not valid JSON or YAML: {exc.problem or exc.context}",
                    file=path,
                    line=yaml_error_line(exc),
                )
            ],
        ) from exc
    except yaml.YAMLError as exc:
        raise InputError(
            f"{path} is not valid JSON/YAML",
            [
                Diagnostic.error(
                    "file-syntax", f"the {what} is not valid JSON or YAML: {exc}", file=path
                )
            ],
        ) from exc
    positions: dict[str, Position] = {}
    if root is not None:
        _refuse_repeated_keys(root, "", path, what)
        key_positions(root, "", path, positions)
    return Document(path, data, positions)


def _refuse_repeated_keys(node: yaml.Node, path: str, file: str, what: str) -> None:
    """An InputError at the second occurrence of a key written twice in one mapping."""
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = str(key_node.value)
            child = f"{path}.{key}" if path else key
            if key in seen and key != "<<":
                raise bounded.refused(
                    file,
                    what,
                    f"it has the key {child} twice; keep one (which one would win is a guess)",
                    line=key_node.start_mark.line + 1,
                )
            seen.add(key)
            _refuse_repeated_keys(value_node, child, file, what)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _refuse_repeated_keys(item, f"{path}[{index}]", file, what)


def yaml_error_line(exc: yaml.MarkedYAMLError) -> int | None:
    """The line to fix: where the unclosed construct began when the file ended too soon
    (a truncated file), else where the parser gave up."""
    at_end = "stream end" in str(exc.problem) and exc.context_mark is not None
    mark = exc.context_mark if at_end else (exc.problem_mark or exc.context_mark)
    return mark.line + 1 if mark else None


MAX_POSITIONS = 100_000  # far beyond any real file's keys; an alias bomb stops here


def merged_pairs(node: yaml.MappingNode) -> list[tuple[yaml.Node, yaml.Node]]:
    """The mapping's pairs with YAML merge keys (`<<: *anchor`) expanded, explicit keys last.

    Compose files share settings through anchors (`<<: *django`); a key written only in the
    anchor is found at its line there, as the loader would read it.
    """
    merged: list[tuple[yaml.Node, yaml.Node]] = []
    explicit: list[tuple[yaml.Node, yaml.Node]] = []
    for key, value in node.value:
        if key.tag == "tag:yaml.org,2002:merge" or key.value == "<<":
            sources = value.value if isinstance(value, yaml.SequenceNode) else [value]
            for source in sources:
                if isinstance(source, yaml.MappingNode):
                    merged.extend(merged_pairs(source))
        else:
            explicit.append((key, value))
    return merged + explicit


def key_positions(node: yaml.Node, path: str, file: str, positions: dict[str, Position]) -> None:
    """Dotted key path (`a.b[0].c`) → (file, line) for every key and list item under node.

    A key that comes from a YAML merge key is at its line in the anchor; a list-form
    `environment` or `labels` entry (`- NAME=value`) is also found by its name. The walk stops
    at `MAX_POSITIONS` paths: aliases of aliases (a "billion laughs" file) would make it
    exponential, and a path past that is found at its nearest recorded parent's line.
    """
    if len(positions) >= MAX_POSITIONS:
        return
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in merged_pairs(node):
            key = str(key_node.value)
            child = f"{path}.{key}" if path else key
            positions[child] = (file, key_node.start_mark.line + 1)
            key_positions(value_node, child, file, positions)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            child = f"{path}[{index}]"
            positions[child] = (file, item.start_mark.line + 1)
            if path.endswith((".environment", ".labels")) and isinstance(item, yaml.ScalarNode):
                positions[f"{path}.{str(item.value).partition('=')[0]}"] = (
                    file,
                    item.start_mark.line + 1,
                )
            key_positions(item, child, file, positions)


def secret_lines(path: str) -> list[tuple[str, str]]:
    """Each line of a secrets file with its `file:line` origin, for the secret parser."""
    text = bounded.read_text(path, "secrets file", bounded.SECRETS_LIMIT)
    return [(line, f"{path}:{number}") for number, line in enumerate(text.splitlines(), 1)]


def env_file_lines(path: str) -> list[tuple[str, int]]:
    """(NAME, line) of each `NAME=value` (or `export NAME=value`) line of an env file."""
    try:
        lines = bounded.read_text(path, "env file").splitlines()
    except InputError:
        return []
    found = []
    for number, line in enumerate(lines, start=1):
        text = line.strip().removeprefix("export ").strip()
        name, sep, _ = text.partition("=")
        if sep and name and not text.startswith("#"):
            found.append((name.strip(), number))
    return found
