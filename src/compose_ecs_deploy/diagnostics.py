"""Problems and notices as data, so that the pure core never prints.

Core code appends `Diagnostic`s with a stable `code` and a `field` path such as
`services.app.healthcheck.interval`; renderers (console, GitHub annotations, JSON) decide
how they look, and the compose loader's node positions turn the path into `file:line`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

Severity = Literal["error", "warning", "notice"]


@dataclass(frozen=True)
class Diagnostic:
    severity: Severity
    code: str
    message: str
    service: str | None = None
    field: str | None = None
    file: str | None = None
    line: int | None = None

    @classmethod
    def error(
        cls,
        code: str,
        message: str,
        *,
        service: str | None = None,
        field: str | None = None,
        file: str | None = None,
        line: int | None = None,
    ) -> Diagnostic:
        return cls("error", code, message, service, field, file, line)

    @classmethod
    def notice(
        cls,
        code: str,
        message: str,
        *,
        service: str | None = None,
        field: str | None = None,
        file: str | None = None,
        line: int | None = None,
    ) -> Diagnostic:
        return cls("notice", code, message, service, field, file, line)

    def located(self, file: str | None, line: int | None) -> Diagnostic:
        return replace(self, file=file, line=line)

    def render(self) -> str:
        """One console line: `error: FILE:LINE: service S, field F: message`."""
        where = ""
        if self.file:
            where = f"{self.file}:{self.line}: " if self.line else f"{self.file}: "
        subject = []
        if self.service:
            subject.append(f"service {self.service}")
        if self.field:
            subject.append(f"field {self.field}")
        prefix = ", ".join(subject)
        return f"{self.severity}: {where}{prefix + ': ' if prefix else ''}{self.message}"


class Diagnostics:
    """An append-only list handed down the pipeline; errors never stop collection early."""

    def __init__(self) -> None:
        self.items: list[Diagnostic] = []

    def add(self, diagnostic: Diagnostic) -> None:
        self.items.append(diagnostic)

    def error(
        self, code: str, message: str, *, service: str | None = None, field: str | None = None
    ) -> None:
        self.add(Diagnostic("error", code, message, service=service, field=field))

    def notice(
        self, code: str, message: str, *, service: str | None = None, field: str | None = None
    ) -> None:
        self.add(Diagnostic("notice", code, message, service=service, field=field))

    def warning(
        self, code: str, message: str, *, service: str | None = None, field: str | None = None
    ) -> None:
        self.add(Diagnostic("warning", code, message, service=service, field=field))

    def has_errors(self) -> bool:
        return any(d.severity == "error" for d in self.items)
