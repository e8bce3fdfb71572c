"""Issue 22's figures: the hostile corpus's wall time, and what the one printer adds to a
normal deploy's output.

- corpus: `tests/deploy/test_hostile.py` run whole (every case through both faces as
  processes, against the stack's moto), its wall time and its outcome;
- printer overhead: the lines a normal deploy prints (a recorded shape: progress lines,
  the diff, the outputs), written through `Printer` and through plain `print`, to
  /dev/null; the difference per deploy is the overhead (it should be noise next to a
  deploy's seconds).
"""

from __future__ import annotations

import io
import subprocess
import sys
import time
from collections.abc import Callable

from bench.lab import ROOT
from bench.table import Row, time_row
from compose_ecs_deploy.report.console import Printer

RUNS = 5
# What a normal deploy prints, by shape (tests/action/test_runner_harness.py's run of the
# hello app): ~40 progress lines, a diff of ~60 lines, 8 outputs.
DEPLOY_LINES = (
    [
        f"web: deployment ecs-svc/{i:019d} started (https://us-east-1.console.aws.amazon.com/)"
        for i in range(40)
    ]
    + [f'+        "value": "setting-{i}",' for i in range(60)]
    + [
        f"task-definition-arn=arn:aws:ecs:us-east-1:123456789012:task-definition/web:{i}"
        for i in range(8)
    ]
)


def _time(write: Callable[[str], None]) -> float:
    started = time.perf_counter()
    for line in DEPLOY_LINES:
        write(line)
    return time.perf_counter() - started


def printer_rows() -> list[Row]:
    sink = io.StringIO()
    environ = {"AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}
    printer = Printer(environ, stdout=sink, stderr=sink)
    plain = [_time(lambda line: print(line, file=sink)) for _ in range(RUNS)]
    printed = [_time(printer.out) for _ in range(RUNS)]
    overhead = [p - q for p, q in zip(printed, plain, strict=True)]
    return [
        Row(
            "printer overhead per deploy (108 lines)",
            round(sorted(overhead)[len(overhead) // 2] * 1000, 1),
            "ms",
            f"{min(overhead) * 1000:.1f}-{max(overhead) * 1000:.1f} ms (n={RUNS})",
            "noise (< 100 ms)",
            sorted(overhead)[len(overhead) // 2] < 0.1,
            "Printer.out (mask, split, neutralise) minus print, for a deploy's lines",
        )
    ]


def corpus_rows() -> list[Row]:
    started = time.perf_counter()
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "tests/deploy/test_hostile.py",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=1200,
        check=False,
    )
    seconds = time.perf_counter() - started
    last = (completed.stdout.strip().splitlines() or ["no output"])[-1]
    return [
        time_row(
            "hostile corpus (tests/deploy/test_hostile.py)",
            [seconds],
            None,
            f"both faces, every case a process; pytest: {last}",
            no_target="each run < 30 s",
        )
    ]
