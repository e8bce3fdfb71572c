"""How long `scripts/stack up` takes: cold (a fresh state folder) and warm (up after down).

Only one stack can hold the registry's port 443, so the main stack (.stack/) goes down
first; the cold one starts in a new temporary state folder (its base image imported from
the tarball cache, as on a machine that ran the stack once before; its CA, certificates,
dockerd data-root and moto are new), goes down, and its folder is removed; then the main
stack comes back up: that is the warm start. The main stack is brought back up even when
the cold start fails, so that the rows after this one have a stack.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from tests.support import stack as stack_mod

from bench.lab import ROOT
from bench.table import Row, not_measured

STACK = ROOT / "scripts" / "stack"
WARM_LIMIT = 20.0


class StackStartError(RuntimeError):
    """scripts/stack failed; the message has the end of its output."""


@dataclass(frozen=True)
class Start:
    seconds: float  # wall time of `scripts/stack up`
    reported: float  # the stack's own up_seconds
    base_image: str  # cached / imported / built


def stack_env(state_dir: Path | None) -> dict[str, str]:
    """The caller's environment without any STACK_* of a running stack (its port or folder
    must not leak into another one); STACK_STATE_DIR set when given."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("STACK_")}
    if state_dir is not None:
        env["STACK_STATE_DIR"] = str(state_dir)
    return env


def stack(command: str, state_dir: Path | None = None) -> float:
    """Run `scripts/stack COMMAND`; its wall time. Raises with its output's tail."""
    started = time.perf_counter()
    done = subprocess.run(
        [str(STACK), command],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=stack_env(state_dir),
        timeout=900,
        check=False,
    )
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        tail = (done.stdout + done.stderr).strip().splitlines()[-4:]
        raise StackStartError(
            f"scripts/stack {command} exited {done.returncode}: " + " | ".join(tail)
        )
    return seconds


def up(state_dir: Path | None = None) -> Start:
    seconds = stack("up", state_dir)
    folder = state_dir or stack_mod.Settings.from_env(stack_env(None)).state_dir
    info = stack_mod.StackInfo.load(folder)
    if info is None:
        raise StackStartError(f"scripts/stack up left no {folder}/stack.json")
    return Start(seconds, info.up_seconds, info.base_image_source)


def cold_start() -> Start:
    """Up and down in a fresh state folder; the folder is removed only once it is down."""
    folder = Path(tempfile.mkdtemp(prefix="compose-ecs-deploy-cold-"))
    try:
        return up(folder)
    finally:
        stack("down", folder)
        shutil.rmtree(folder)


def start_row(name: str, start: Start, limit: float | None) -> Row:
    target = f"< {limit:g} s" if limit is not None else "none set"
    return Row(
        name,
        round(start.seconds, 2),
        "s",
        "",
        target,
        None if limit is None else start.seconds < limit,
        f"wall time of scripts/stack up; the stack's own timer {start.reported:.1f} s; "
        f"base image {start.base_image}",
    )


def stack_rows() -> list[Row]:
    cold_name, warm_name = "stack start: cold (fresh state folder)", "stack start: warm"
    stack("down")
    rows: list[Row] = []
    try:
        rows.append(start_row(cold_name, cold_start(), None))
    except (StackStartError, OSError, subprocess.TimeoutExpired) as exc:
        rows.append(not_measured(cold_name, "none set", str(exc)))
    try:
        rows.append(start_row(warm_name, up(), WARM_LIMIT))
    except (StackStartError, OSError, subprocess.TimeoutExpired) as exc:
        rows.append(not_measured(warm_name, f"< {WARM_LIMIT:g} s", str(exc)))
    return rows
