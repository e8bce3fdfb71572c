"""The benchmark table: each row a measurement, its target, and whether it is met.

Medians over repeated runs and ratios of two things measured in the same run (the machine
is a noisy 2-core VM: absolute times move, ratios and medians much less); printed as one
Markdown table and written as JSON under bench/results/. Not part of the test command:
speed is reported, never asserted.

    python -m bench.run [GROUP...]      (scripts/bench brings the local stack up first)

Groups run in a fixed order that differs from the table's: `stack` first (it restarts the
main stack), `hardening` last (its tests reset moto). A group that fails prints why in
place of its rows, and the others still run.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from bench import (
    rows_action,
    rows_codedeploy,
    rows_daytwo,
    rows_deploy,
    rows_express,
    rows_failure,
    rows_fleet,
    rows_hardening,
    rows_hostile,
    rows_native,
    rows_oneoff,
    rows_rebuild,
    rows_rollout,
    rows_seed,
    rows_stack,
)
from bench.lab import Lab
from bench.table import Row, markdown, not_measured, time_row
from compose_ecs_deploy.compose.convert import MAX_CONTAINERS

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "nextjs-postgres"
PUBLIC = ROOT / "tests" / "fixtures" / "public"
CLI = [sys.executable, "-m", "compose_ecs_deploy"]
RUNS = 5


# --------------------------------------------------------------------------- render rows


def _timed(command: list[str], cwd: Path, runs: int = RUNS) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        done = subprocess.run(command, cwd=cwd, check=False, capture_output=True, text=True)
        times.append(time.perf_counter() - start)
        if done.returncode != 0:  # the row says why, in the process's own last line
            last = (done.stderr.strip().splitlines() or ["(no stderr)"])[-1]
            raise RuntimeError(f"{' '.join(command[1:4])} ... exited {done.returncode}: {last}")
    return times


def render_example() -> Row:
    """Issue 2's check: the seed's example, rendered offline as a user would."""
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        shutil.copytree(EXAMPLE, work, dirs_exist_ok=True)
        times = _timed(
            [
                *CLI,
                "render",
                "-f",
                "docker-compose.yml",
                "-f",
                "docker-compose.prod.yml",
                "--service",
                "app",
                "--secrets-file",
                "secrets.txt",
                "--region",
                "ap-northeast-1",
            ],
            work,
        )
    return time_row("render: the seed example", times, 0.5, detail="subprocess wall time")


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
    lines += [
        "x-ecs:",
        "  executionRoleArn: arn:aws:iam::123456789012:role/exec",
        "  cpu: '4096'",
        "  memory: '8192'",
    ]
    return "\n".join(lines) + "\n"


def render_200_services() -> Row:
    """Issue 2's scale check: loading and validating a 200-service file must not grow worse
    than linearly. One task definition holds at most 10 containers (refused above that
    since issue 22), so the render takes the last 10 services of the file: compose still
    loads, interpolates and resolves all 200."""
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        (work / "compose.yaml").write_text(generated_compose(200))
        argv = [*CLI, "render", "-f", "compose.yaml", "--region", "us-east-1"]
        for index in range(200 - MAX_CONTAINERS, 200):
            argv += ["--service", f"svc{index:03d}"]
        times = _timed(argv, work)
    return time_row(
        "render: generated 200-service file (its last 10 in the task)",
        times,
        2.0,
        detail="subprocess wall time; the whole file loaded, 10 services converted",
    )


def render_largest_public() -> Row:
    """Issue 24's check: the largest real compose file of the corpus (supabase's, 13
    services), its app services rendered as the corpus test does; round 3 keeps it within
    10 % of before (README, "Benchmarks")."""
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp) / "supabase"
        shutil.copytree(PUBLIC / "supabase", work, ignore=shutil.ignore_patterns("renders"))
        shutil.copy(PUBLIC / "base.json", work / "base.json")
        args = (PUBLIC / "supabase" / "renders" / "app" / "args.txt").read_text().split()
        times = _timed([*CLI, "render", *args], work)
    return time_row(
        "render: largest public file (supabase, 9 app services)",
        times,
        1.0,
        detail="subprocess wall time",
    )


# --------------------------------------------------------------------------- the groups


@dataclass(frozen=True)
class Group:
    """Rows measured together; `stage` orders execution (0 first, 2 last)."""

    key: str
    title: str
    target: str
    measure: Callable[[Lab | None], list[Row]]
    needs_lab: bool = True
    stage: int = 1
    named_only: bool = False  # a part of another group, measured alone: only when named


def _with_lab(measure: Callable[[Lab], list[Row]]) -> Callable[[Lab | None], list[Row]]:
    def run(lab: Lab | None) -> list[Row]:
        if lab is None:
            raise RuntimeError("the local stack is not open")
        return measure(lab)

    return run


def _hardening(lab: Lab | None) -> list[Row]:
    """The IAM row checks the policy against the calls this run's deploys made."""
    return rows_hardening.hardening_rows(lab.seen_calls if lab is not None else {})


GROUPS: tuple[Group, ...] = (
    Group("phases", "deploy phases", "none", _with_lab(rows_deploy.phase_rows)),
    Group("calls", "API calls per deploy", "issue 5", _with_lab(rows_deploy.call_rows)),
    Group(
        "oneoff", "calls a run-before one-off adds", "issue 16", _with_lab(rows_oneoff.oneoff_rows)
    ),
    Group("cli", "CLI deploy wall time", "< 0.8 s", _with_lab(rows_deploy.cli_rows)),
    Group("native", "API calls per poll: BLUE_GREEN", "1 + 1", _with_lab(rows_native.native_rows)),
    Group("express", "Express: create and update", "none", _with_lab(rows_express.express_rows)),
    Group(
        "codedeploy",
        "CODE_DEPLOY: calls per poll, polls to a failed event's error",
        "1 + 1 + 1; 1 poll",
        _with_lab(rows_codedeploy.codedeploy_rows),
    ),
    Group("rebuild", "fresh-runner rebuild", ">= 3x", _with_lab(rows_rebuild.rebuild_rows)),
    Group(
        "printer",
        "the one printer's overhead on a deploy's output",
        "noise",
        lambda _lab: rows_hostile.printer_rows(),
        needs_lab=False,
    ),
    Group(
        "hostile",
        "hostile corpus wall time",
        "each run < 30 s",
        lambda _lab: rows_hostile.corpus_rows(),
        needs_lab=False,
        stage=2,  # its tests reset moto: the lab's cluster would be gone for the rest
    ),
    Group(
        "render-example",
        "render: the seed example",
        "< 0.5 s",
        lambda _lab: [render_example()],
        needs_lab=False,
    ),
    Group(
        "render-200",
        "render: generated 200-service file",
        "< 2 s",
        lambda _lab: [render_200_services()],
        needs_lab=False,
    ),
    Group(
        "render-largest",
        "render: largest public file",
        "< 1 s",
        lambda _lab: [render_largest_public()],
        needs_lab=False,
    ),
    Group(
        "rollout",
        "rollout watch",
        "<= 2 polls, <= 2 calls, 0 false",
        _with_lab(rows_rollout.rollout_rows),
    ),
    Group("rss", "peak RSS of a full deploy", "< 150 MB", _with_lab(rows_deploy.rss_rows)),
    Group(
        "daytwo",
        "rollback, verify's reads, prune of 200 beside 2 deploys",
        "issue 25",
        lambda _lab: rows_daytwo.daytwo_rows(),
        needs_lab=False,
    ),
    Group(
        "daytwo-verify",
        "verify's reads and time alone (the daytwo group's verify rows, without the prune)",
        "issue 25",
        lambda _lab: rows_daytwo.verify_only_rows(),
        needs_lab=False,
        named_only=True,
    ),
    Group(
        "failure",
        "a failed rollout's explanation",
        "<= 2 calls, < 1 s",
        _with_lab(rows_failure.failure_rows),
    ),
    Group(
        "fleet",
        "a fleet of concurrent deploys in one account",
        "issue 23",
        lambda _lab: rows_fleet.fleet_rows(),
        needs_lab=False,
    ),
    Group("seed", "seed manual pipeline vs ours", "see rows", _with_lab(rows_seed.seed_rows)),
    Group("action", "action image and start", "300 MB, 2 s", _with_lab(rows_action.action_rows)),
    Group(
        "stack",
        "stack start",
        "warm < 20 s",
        lambda _lab: rows_stack.stack_rows(),
        needs_lab=False,
        stage=0,
    ),
    Group("hardening", "hardening figures", "N / N / 0, 0 leaks", _hardening, stage=2),
)


def say(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)


def measure(group: Group, lab: Lab | None, lab_error: str) -> list[Row]:
    """The group's rows, or one row saying why it could not be measured."""
    if group.needs_lab and lab is None:
        return [not_measured(group.title, group.target, lab_error)]
    started = time.monotonic()
    say(f"{group.key} ...")
    try:
        rows = group.measure(lab)
    except Exception as exc:  # one group's failure must not cost the others their rows
        say(f"{group.key}: failed: {type(exc).__name__}: {exc}")
        return [
            not_measured(
                group.title, group.target, f"{type(exc).__name__}: {str(exc).splitlines()[0][:300]}"
            )
        ]
    say(f"{group.key}: {time.monotonic() - started:.0f} s")
    return rows


def open_lab() -> tuple[Lab | None, str]:
    try:
        return Lab.open(), ""
    except Exception as exc:  # reported in each row that needs the stack
        return None, f"{type(exc).__name__}: {exc}"


def machine() -> dict[str, str]:
    """What the README records beside the table: cores, CPU model, Debian version."""
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or "unknown",
    )
    debian = Path("/etc/debian_version")
    return {
        "nproc": str(os.cpu_count()),
        "cpu": cpu,
        "debian": debian.read_text().strip() if debian.exists() else "not Debian",
        "python": platform.python_version(),
        "host": platform.node(),
    }


def main(selected: list[str]) -> int:
    unknown = [name for name in selected if name not in {g.key for g in GROUPS}]
    if unknown:
        print(
            f"unknown group(s) {', '.join(unknown)}; groups: {' '.join(g.key for g in GROUPS)}",
            file=sys.stderr,
        )
        return 2
    chosen = [g for g in GROUPS if g.key in selected or not (selected or g.named_only)]
    started = time.monotonic()
    results: dict[str, list[Row]] = {}
    lab: Lab | None = None
    lab_error = ""
    try:
        for group in sorted(chosen, key=lambda g: g.stage):
            if lab is None and not lab_error and (group.needs_lab or group.stage == 2):
                lab, lab_error = open_lab()
            results[group.key] = measure(group, lab, lab_error)
    finally:
        if lab is not None:
            lab.close()
    rows = [row for group in chosen for row in results[group.key]]
    when = datetime.now(UTC)
    box = machine()
    box["engine"] = lab.info.engine if lab is not None else "no stack"
    print(
        f"compose-ecs-deploy benchmarks, {when:%Y-%m-%d %H:%M} UTC; {box['nproc']} cores "
        f"({box['cpu']}), Debian {box['debian']}, Python {box['python']}, "
        f"{box['engine']}; {time.monotonic() - started:.0f} s"
    )
    print()
    print(markdown(rows))
    out = ROOT / "bench" / "results" / f"bench-{when:%Y%m%dT%H%M%S}.json"
    out.write_text(
        json.dumps(
            {
                "date": when.isoformat(timespec="seconds"),
                "machine": box,
                "rows": [asdict(r) for r in rows],
            },
            indent=2,
        )
        + "\n"
    )
    print(f"\nwritten: {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
