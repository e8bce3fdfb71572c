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
