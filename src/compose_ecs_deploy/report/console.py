"""Progress for people: where a deploy says what it does (the terminal, or the runner)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Protocol, TextIO


class Log(Protocol):
    """Where a deploy tells what it does: the console, or the runner's log with groups."""

    def info(self, line: str) -> None: ...
    def group(self, title: str) -> Any: ...
    def mask(self, value: str) -> None: ...


class ConsoleLog:
    """Progress lines on stdout, flushed at once so that a CI log shows them as they come."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stdout

    def info(self, line: str) -> None:
        print(line, file=self.stream, flush=True)

    @contextmanager
    def group(self, title: str) -> Iterator[None]:
        self.info(f"==> {title}")
        yield

    def mask(self, value: str) -> None:
        """A terminal has no log masking; secrets are simply never printed."""


class RememberingLog:
    """A Log that also keeps every value it was asked to mask: text the tool prints from
    outside (a failed container's log lines) is masked with the same values as the rest."""

    def __init__(self, log: Log) -> None:
        self._log = log
        self.masked: list[str] = []

    def info(self, line: str) -> None:
        self._log.info(line)

    def group(self, title: str) -> Any:
        return self._log.group(title)

    def mask(self, value: str) -> None:
        self.masked.append(value)
        self._log.mask(value)
