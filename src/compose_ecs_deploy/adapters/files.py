"""Reading the user's side files: base task definitions and secrets files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from compose_ecs_deploy.diagnostics import Diagnostic
from compose_ecs_deploy.errors import InputError


def parse_document(path: str) -> Any:
    """A JSON or YAML document (JSON is YAML), with the file named in any error."""
    try:
        return yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}", [Diagnostic.error(
            "file-unreadable", f"cannot read it: {exc.strerror}", file=path)]) from exc
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        raise InputError(f"{path} is not valid JSON/YAML", [Diagnostic.error(
            "file-syntax", f"not valid JSON or YAML: {exc.problem}", file=path,
            line=mark.line + 1 if mark else None)]) from exc
    except yaml.YAMLError as exc:
        raise InputError(f"{path} is not valid JSON/YAML", [Diagnostic.error(
            "file-syntax", f"not valid JSON or YAML: {exc}", file=path)]) from exc


def secret_lines(path: str) -> list[tuple[str, str]]:
    """Each line of a secrets file with its `file:line` origin, for the secret parser."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise InputError(f"cannot read {path}", [Diagnostic.error(
            "file-unreadable", f"cannot read the secrets file: {reason}", file=path)]) from exc
    return [(line, f"{path}:{number}") for number, line in enumerate(text.splitlines(), 1)]
