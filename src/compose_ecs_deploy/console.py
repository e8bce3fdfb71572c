"""Diagnostics and results as console text: notices and errors on stderr, data on stdout."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from typing import TextIO

from compose_ecs_deploy.diagnostics import Diagnostic


def print_diagnostics(diagnostics: Iterable[Diagnostic], stream: TextIO | None = None) -> None:
    out = stream or sys.stderr
    for diagnostic in diagnostics:
        print(diagnostic.render(), file=out)
