"""Run the `verify-command` that gates a PAUSE lifecycle hook, in the job's workspace.

The command is the user's own smoke test (typically against the test listener once test
traffic is on the new revision): a shell command line, as a workflow's `run:` step takes it.
Its output goes to the log once it ends; its last lines go into the failure message.
"""

from __future__ import annotations

import subprocess
from collections.abc import Mapping
from dataclasses import dataclass

TAIL_LINES = 20


@dataclass(frozen=True)
class VerifyResult:
    exit_code: int | None  # None: it ran past the time left and was killed
    output: tuple[str, ...]

    @property
    def tail(self) -> tuple[str, ...]:
        return self.output[-TAIL_LINES:]

    @property
    def passed(self) -> bool:
        return self.exit_code == 0


def run_verify(
    command: str, environment: Mapping[str, str], cwd: str | None, timeout: float
) -> VerifyResult:
    """`sh -c command` with stdout and stderr together; never longer than `timeout` seconds."""
    try:
        completed = subprocess.run(
            command,
            shell=True,
            cwd=cwd,
            env=dict(environment),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
            timeout=max(1.0, timeout),
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        output = (
            exc.stdout
            if isinstance(exc.stdout, str)
            else (exc.stdout or b"").decode(errors="replace")
        )
        return VerifyResult(None, tuple(output.splitlines()))
    except OSError as exc:
        return VerifyResult(127, (f"could not run it: {exc}",))
    return VerifyResult(completed.returncode, tuple(completed.stdout.splitlines()))
