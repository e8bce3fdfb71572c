"""The benchmark table: each row a measurement, its target, and whether it is met.

Medians over repeated runs, measured in this run; printed as a table and written as JSON
under bench/results/. Not part of the test command: speed is reported, never asserted.
"""

from __future__ import annotations

import json
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT.parent / "shared" / "examples" / "nextjs-postgres"
CLI = [sys.executable, "-m", "compose_ecs_deploy"]
RUNS = 5


@dataclass(frozen=True)
class Row:
    name: str
    value: float
    unit: str
    spread: str
    target: str
    met: bool


def _timed(command: list[str], cwd: Path, runs: int = RUNS) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, cwd=cwd, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return times


def _time_row(name: str, times: list[float], limit: float) -> Row:
    median = statistics.median(times)
    return Row(name, round(median, 3), "s", f"{min(times):.3f}-{max(times):.3f}",
               f"< {limit} s", median < limit)


def render_example() -> Row:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        shutil.copytree(EXAMPLE, work, dirs_exist_ok=True)
        times = _timed([*CLI, "render", "-f", "docker-compose.yml", "-f",
                        "docker-compose.prod.yml", "--service", "app", "--secrets-file",
                        "secrets.txt", "--region", "ap-northeast-1"], work)
    return _time_row("render: the seed example", times, 0.5)


def generated_compose(services: int) -> str:
    lines = ["services:"]
    for index in range(services):
        lines += [
            f"  svc{index:03d}:",
            f"    image: example/svc{index:03d}:1",
            f"    expose: ['{8000 + index}']",
            "    environment:",
            f"      NAME: svc{index:03d}",
            "    healthcheck: {test: ['CMD', 'true'], interval: 30s, timeout: 5s}",
            "    deploy: {resources: {limits: {cpus: '0.01', memory: 16m}}}",
        ]
    lines += ["x-ecs:", "  executionRoleArn: arn:aws:iam::123456789012:role/exec",
              "  cpu: '4096'", "  memory: '8192'"]
    return "\n".join(lines) + "\n"


def render_200_services() -> Row:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        (work / "compose.yaml").write_text(generated_compose(200))
        argv = [*CLI, "render", "-f", "compose.yaml", "--region", "us-east-1"]
        for index in range(200):
            argv += ["--service", f"svc{index:03d}"]
        times = _timed(argv, work)
    return _time_row("render: generated 200-service file", times, 2.0)


ROWS: dict[str, Callable[[], Row]] = {
    "render-example": render_example,
    "render-200": render_200_services,
}


def print_table(rows: list[Row]) -> None:
    header = ("measurement", "median", "spread", "target", "met")
    table = [header] + [
        (r.name, f"{r.value} {r.unit}", r.spread, r.target, "yes" if r.met else "NO")
        for r in rows
    ]
    widths = [max(len(str(line[i])) for line in table) for i in range(len(header))]
    for index, line in enumerate(table):
        print("| " + " | ".join(str(cell).ljust(w) for cell, w in zip(line, widths,
                                                                       strict=True)) + " |")
        if index == 0:
            print("|" + "|".join("-" * (w + 2) for w in widths) + "|")


def main(selected: list[str]) -> int:
    names = selected or list(ROWS)
    rows = [ROWS[name]() for name in names]
    print(f"compose-ecs-deploy benchmarks, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, "
          f"{platform.node()} ({platform.machine()}, {platform.python_version()})")
    print_table(rows)
    out = ROOT / "bench" / "results" / f"bench-{datetime.now(UTC):%Y%m%dT%H%M%S}.json"
    out.write_text(json.dumps([asdict(r) for r in rows], indent=2) + "\n")
    print(f"written: {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
