"""Rows about a failed rollout's explanation (issue 15): the extra API calls it costs per
failed task, and the time from the verdict to the printed error with its hint and log lines.

Each run deploys an existing image (no build) onto a new crash-looping service whose log
group exists, so the simulator's containers leave lines there (tests/support/sim_logs.py)
and the deploy reads them with a real GetLogEvents from the stack's moto.
"""

from __future__ import annotations

import statistics
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

from tests.support.memory_log import MemoryLog

from bench.lab import Lab, LabError
from bench.table import Row, spread, time_row
from compose_ecs_deploy.aws.client import Aws
from compose_ecs_deploy.loading.inputs import prepare
from compose_ecs_deploy.timing import Stopwatch
from compose_ecs_deploy.verbs.deploy import deploy

RUNS = 5


class ExplainStopwatch(Stopwatch):
    """A Stopwatch that also counts the API calls made in the `explain` phase."""

    def __init__(self, aws: Aws) -> None:
        super().__init__()
        self.aws = aws
        self.explain_calls: Counter[str] = Counter()

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        before = Counter(self.aws.calls)
        with super().phase(name):
            yield
        if name == "explain":
            self.explain_calls += self.aws.calls - before


def _failed_deploy(lab: Lab, index: int) -> tuple[float, float, int, str]:
    """One crash-loop deploy: (explain seconds, extra calls, failed tasks, last log line)."""
    service = lab.service(
        f"crash{index}", tags={"simulator:scenario": "crash-loop", "simulator:exit-code": "3"}
    )
    lab.client("logs").create_log_group(logGroupName=f"/ecs/{service}")
    settings = lab.settings(service, images=("web=example/hello:2",), rollback_on_failure=False)
    aws = Aws(settings.region, max_retries=settings.max_retries)
    stopwatch = ExplainStopwatch(aws)
    log = MemoryLog()
    deployment = deploy(aws, settings, prepare(settings), log, stopwatch)
    lab.seen_calls.update(aws.calls)
    [result] = deployment.result.services
    if result.outcome is None or result.outcome.succeeded or not result.outcome.tasks:
        raise LabError(f"the crash loop did not fail with stopped tasks: {result.outcome}")
    shown = [line for line in log.lines if line.startswith("  | ")]
    if not shown:
        raise LabError("no log lines were printed: " + " / ".join(log.lines[-5:]))
    return (
        stopwatch.seconds["explain"],
        float(sum(stopwatch.explain_calls.values())),
        len(result.outcome.tasks),
        shown[-1].strip(),
    )


def failure_rows(lab: Lab) -> list[Row]:
    started = time.perf_counter()
    runs = [_failed_deploy(lab, index) for index in range(RUNS)]
    per_task = [calls / tasks for _, calls, tasks, _ in runs]
    median = statistics.median(per_task)
    tasks = sorted({t for _, _, t, _ in runs})
    return [
        Row(
            "failed rollout: extra API calls per failed task",
            median,
            "calls",
            spread(per_task, "calls"),
            "<= 2",
            median <= 2,
            detail=f"logs:GetLogEvents in the explain phase / the tasks the verdict names "
            f"({', '.join(map(str, tasks))} per run); last line read: {runs[0][3]}",
        ),
        time_row(
            "failed rollout: verdict to printed error, hint and log lines",
            [seconds for seconds, _, _, _ in runs],
            1.0,
            detail=f"the deploy's explain phase (hint, GetLogEvents, masking, printing) "
            f"on the stack; {RUNS} crash-loop deploys in "
            f"{time.perf_counter() - started:.0f} s",
        ),
    ]
