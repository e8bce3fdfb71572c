"""The one edge both faces run through: signal handlers, the catch-all, the exit code.

The CLI and the action differ only in how they print (a `Face`); everything a user can
meet ends here as `error:` lines and exit 1, never a traceback. An exception we did not
expect is a bug: one `error: internal error ...` line (an annotation in the action), and
the traceback only when asked for (`--debug`, or a re-run with debug logging).
"""

from __future__ import annotations

import signal
import sys
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from compose_ecs_deploy.diagnostics import Diagnostic
from compose_ecs_deploy.errors import EXIT_FAILURE, Cancelled, DeployError, ExitCode
from compose_ecs_deploy.report.face import Face


def _raise_cancelled(signum: int, _frame: object) -> None:
    raise Cancelled(f"cancelled by {signal.Signals(signum).name}")


@contextmanager
def _cancel_on_signals() -> Iterator[None]:
    """A cancelled workflow sends SIGTERM (then SIGKILL after a grace period), a terminal
    SIGINT: both raise `Cancelled` where the code is, so it stops at once and says so."""
    previous = {
        sig: signal.signal(sig, _raise_cancelled) for sig in (signal.SIGTERM, signal.SIGINT)
    }
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _left_running(face: Face, stop: str = "cancel") -> list[Diagnostic]:
    """A stop (a cancel, an error) after an UpdateService names the deployment that ECS
    carries on with, unwatched."""
    deployment = face.published().get("deployment-id")
    if not deployment:
        return []
    return [
        Diagnostic.error(
            "cancelled" if stop == "cancel" else "left-running",
            f"deployment {deployment} was started before the "
            f"{stop}; ECS carries on with it (see the service's events)",
        )
    ]


def run(face: Face, body: Callable[[], ExitCode], *, debug: bool) -> int:
    """Run one verb; the only place that catches exceptions and picks the exit code."""
    try:
        with _cancel_on_signals():
            return int(body())
    except DeployError as exc:
        errors = list(exc.diagnostics)
        if isinstance(exc, Cancelled):
            errors += _left_running(face)
        for diagnostic in errors:
            face.report(diagnostic)
        face.stopped([d for d in errors if d.severity == "error"])
        return int(exc.exit_code)
    except (RecursionError, MemoryError) as exc:  # input past what any real file holds
        errors = [
            Diagnostic.error(
                "input-too-large",
                f"the input is too deeply nested or too large to read ({type(exc).__name__}); "
                "the files' limits are in the README's Hardening section",
            ),
            *_left_running(face, "error"),
        ]
        for diagnostic in errors:
            face.report(diagnostic)
        face.stopped(errors)
        return int(EXIT_FAILURE)
    except Exception as exc:  # the edge: a bug must still not dump a traceback on users
        if debug:
            traceback.print_exc(file=sys.stderr)
        internal = Diagnostic.error(
            "internal",
            f"internal error ({type(exc).__name__}: {exc}); please report it "
            f"with {face.internal_hint}",
        )
        # after a write, say what the service was left doing, as a cancel does
        errors = [internal, *_left_running(face, "error")]
        for diagnostic in errors:
            face.report(diagnostic)
        face.stopped(errors)
        return int(EXIT_FAILURE)
