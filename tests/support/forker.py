"""Many short runs of the CLI or the action as real processes, started fast.

One interpreter imports the package (and loads botocore's model) once; each run is a fork
of it: a process of its own, with its own stdout and stderr files, environment, working
directory and argv, and its exit code from waitpid. Whatever escapes `main` is printed by
`sys.excepthook`, as a fresh interpreter prints it, so a traceback shows on the run's
stderr exactly where a user would see it. A fresh `python` per run costs about 0.3 s of
imports; a fork costs milliseconds, so a corpus of a hundred runs stays a few seconds.

    results = run_all([Job("cli", ["render", "-f", "compose.yaml"], cwd, env), ...])
"""

from __future__ import annotations

import json
import os
import runpy
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal

ROOT = Path(__file__).resolve().parents[2]
PARALLEL = 4
KILL_AFTER = 60  # seconds: no run of a corpus takes a tenth of it


@dataclass(frozen=True)
class Job:
    face: Literal["cli", "action"]  # `python -m compose_ecs_deploy` or entrypoint.py
    argv: list[str]
    cwd: str
    env: dict[str, str]


def run_all(jobs: list[Job]) -> list[subprocess.CompletedProcess[str]]:
    """Run every job in a forked child of one pre-imported interpreter."""
    answer = subprocess.run(
        [sys.executable, "-m", "tests.support.forker"],
        cwd=ROOT,
        check=True,
        input=json.dumps([asdict(job) for job in jobs]),
        capture_output=True,
        text=True,
    )
    results = []
    for job, r in zip(jobs, json.loads(answer.stdout), strict=True):
        result = subprocess.CompletedProcess(job.argv, r["code"], r["stdout"], r["stderr"])
        result.seconds = r["seconds"]  # type: ignore[attr-defined]  # the run's wall time
        results.append(result)
    return results


def _child(job: Job, out: str, err: str) -> int:
    """In the fork: become the job's process, run it, return its exit code."""
    signal.alarm(KILL_AFTER)  # a run that hangs dies (SIGALRM) instead of holding the rest
    os.chdir(job.cwd)
    os.environ.clear()
    os.environ.update(job.env)
    for fd, path in ((1, out), (2, err)):
        os.dup2(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC), fd)
    try:
        if job.face == "cli":
            sys.argv = ["compose-ecs-deploy", *job.argv]
            runpy.run_module("compose_ecs_deploy", run_name="__main__")
        else:
            sys.argv = [str(ROOT / "entrypoint.py"), *job.argv]
            runpy.run_path(sys.argv[0], run_name="__main__")
        return 0
    except SystemExit as exit_:
        if isinstance(exit_.code, int | None):
            return exit_.code or 0
        print(exit_.code, file=sys.stderr)
        return 1
    except BaseException:  # what a fresh interpreter prints, and exits 1 on
        sys.excepthook(*sys.exc_info())
        return 1
    finally:
        sys.stdout.flush()
        sys.stderr.flush()


def _serve(jobs: list[Job]) -> list[dict[str, object]]:
    from compose_ecs_deploy.aws import model as aws_model

    aws_model.shape_of("ContainerDefinition")  # the model, loaded once for every child
    with tempfile.TemporaryDirectory(prefix="forker-") as directory:
        return _fork_each(jobs, Path(directory))


def _fork_each(jobs: list[Job], scratch: Path) -> list[dict[str, object]]:
    running: dict[int, int] = {}
    codes: dict[int, int] = {}
    started: dict[int, float] = {}
    ended: dict[int, float] = {}
    for index, job in enumerate(jobs):
        if len(running) >= PARALLEL:
            pid, status = os.wait()
            ended[running[pid]] = time.monotonic()
            codes[running.pop(pid)] = os.waitstatus_to_exitcode(status)
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                code = _child(job, str(scratch / f"{index}.out"), str(scratch / f"{index}.err"))
            finally:
                os._exit(code)
        running[pid] = index
        started[index] = time.monotonic()
    while running:
        pid, status = os.wait()
        ended[running[pid]] = time.monotonic()
        codes[running.pop(pid)] = os.waitstatus_to_exitcode(status)
    return [
        {
            "code": codes[index],
            "stdout": (scratch / f"{index}.out").read_text(errors="replace"),
            "stderr": (scratch / f"{index}.err").read_text(errors="replace"),
            "seconds": ended[index] - started[index],
        }
        for index in range(len(jobs))
    ]


if __name__ == "__main__":
    print(json.dumps(_serve([Job(**job) for job in json.load(sys.stdin)])))
