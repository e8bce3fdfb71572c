"""The deploy's `Log` kept in memory, for tests and the bench that read what it said."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager


class MemoryLog:
    """Every line in `lines`; a group is its `==> title` line, as on the console."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def info(self, line: str) -> None:
        self.lines.append(line)

    @contextmanager
    def group(self, title: str) -> Iterator[None]:
        self.info(f"==> {title}")
        yield

    def mask(self, value: str) -> None:
        """Nothing is printed, so there is nothing to mask."""
