"""Processes we start, recorded by PID (with their start time) and stopped only by PID.

A pidfile holds `<pid> <starttime>`: the start time (field 22 of /proc/<pid>/stat) tells a
live process of ours from an unrelated one that later got the same PID. Nothing here looks
processes up by name.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Proc:
    pid: int
    starttime: int

    def alive(self) -> bool:
        return is_alive(self.pid, self.starttime)


def _stat_fields(pid: int) -> list[str] | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    # "pid (comm) state ppid ..." where comm may contain spaces and parentheses.
    after = raw[raw.rfind(")") + 2 :].split()
    return [raw.split(" ", 1)[0], "comm", *after]


def starttime_of(pid: int) -> int | None:
    fields = _stat_fields(pid)
    return int(fields[21]) if fields else None


def ppid_of(pid: int) -> int | None:
    fields = _stat_fields(pid)
    return int(fields[3]) if fields else None


def _reap(pid: int) -> None:
    """Collect the exit status if `pid` is our own child, so it does not linger as a zombie."""
    with contextlib.suppress(ChildProcessError, OSError):
        os.waitpid(pid, os.WNOHANG)


def is_alive(pid: int, starttime: int | None = None) -> bool:
    """True when `pid` runs (not a zombie) and, if given, started at `starttime`."""
    _reap(pid)
    fields = _stat_fields(pid)
    if fields is None or fields[2] in ("Z", "X", "x"):
        return False
    return starttime is None or int(fields[21]) == starttime


def cmdline(pid: int) -> list[str]:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return []
    return [part.decode(errors="replace") for part in raw.split(b"\0") if part]


def write_pidfile(path: Path, proc: Proc) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(f"{proc.pid} {proc.starttime}\n")
    tmp.replace(path)


def read_pidfile(path: Path) -> Proc | None:
    try:
        parts = path.read_text().split()
        return Proc(int(parts[0]), int(parts[1]))
    except (FileNotFoundError, IndexError, ValueError):
        return None


def spawn(
    argv: Sequence[str], *, log: Path, env: Mapping[str, str] | None = None, cwd: Path | None = None
) -> Proc:
    """Start a daemon in its own session, output to `log`, nothing inherited on stdin/stdout."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        out.write(f"\n--- {time.strftime('%Y-%m-%d %H:%M:%S')} {' '.join(argv)}\n".encode())
        out.flush()
        child = subprocess.Popen(
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=dict(env) if env is not None else None,
            cwd=cwd,
            start_new_session=True,
            close_fds=True,
        )
    start = starttime_of(child.pid)
    return Proc(child.pid, start if start is not None else -1)


def stop(procs: Iterable[Proc], *, timeout: float = 20.0) -> list[Proc]:
    """SIGTERM each live one, wait up to `timeout`, then SIGKILL. Returns those still alive."""
    live = [p for p in procs if p.alive()]
    for p in live:
        with contextlib.suppress(ProcessLookupError):
            os.kill(p.pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and any(p.alive() for p in live):
        time.sleep(0.1)
    for p in live:
        if p.alive():
            with contextlib.suppress(ProcessLookupError):
                os.kill(p.pid, signal.SIGKILL)
    deadline = time.monotonic() + 5.0
    while time.monotonic() < deadline and any(p.alive() for p in live):
        time.sleep(0.05)
    return [p for p in live if p.alive()]


def processes_mentioning(fragment: str) -> list[Proc]:
    """Live processes whose command line contains `fragment` (an absolute path of ours).

    Used only with paths unique to one stack (its exec root), to find what our own dockerd
    started and left behind (containerd-shim re-parents itself to init); never with a name.
    """
    found: list[Proc] = []
    me = os.getpid()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == me:
            continue
        pid = int(entry.name)
        if any(fragment in arg for arg in cmdline(pid)):
            start = starttime_of(pid)
            if start is not None and is_alive(pid, start):
                found.append(Proc(pid, start))
    return found
