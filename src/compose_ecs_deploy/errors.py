"""One exception root, caught only at the CLI and action edges.

Every failure a user can cause or meet ends as one of these, so that the edge can print
`error: ...` lines and pick the exit code without ever showing a traceback.
"""

from __future__ import annotations

import re
from typing import NewType

from compose_ecs_deploy.diagnostics import Diagnostic

ExitCode = NewType("ExitCode", int)

EXIT_OK = ExitCode(0)
EXIT_FAILURE = ExitCode(1)


class DeployError(Exception):
    """Root of every error we expect; `diagnostics` carries one entry per problem."""

    exit_code: ExitCode = EXIT_FAILURE

    def __init__(self, message: str, diagnostics: list[Diagnostic] | None = None) -> None:
        super().__init__(message)
        self.diagnostics: list[Diagnostic] = diagnostics or [Diagnostic.error("failed", message)]


class InputError(DeployError):
    """The compose files, options or base task definition cannot be turned into a request."""


class HistoryUnreadable(InputError):
    """What a service ran (ECS's service deployments, or CodeDeploy's record of the group)
    could not be read. The message says what to allow; each verb that needs the history says
    what else the user can do (rollback: --to), since the reader does not know the verb."""


class LoaderUnavailable(DeployError):
    """No Docker Compose binary could be found to load the files."""


class AwsError(DeployError):
    """An AWS API call failed; the message names the action.

    `transient` marks throttling, server errors and broken connections: worth another
    attempt, where a denial or a validation error is not.
    """

    def __init__(
        self, message: str, diagnostics: list[Diagnostic] | None = None, *, transient: bool = False
    ) -> None:
        super().__init__(message, diagnostics)
        self.transient = transient


class BuildError(DeployError):
    """An image build or push failed."""


_DISK_FULL = re.compile(r"no space left on device", re.IGNORECASE)


def disk_full_hint(engine_message: str) -> str:
    """What to add to a build or pull error when the engine's disk was full, else ''."""
    if not _DISK_FULL.search(engine_message):
        return ""
    return (
        "; the Docker engine ran out of disk space: free some (docker system prune -af, "
        "or remove unused tools from the runner) or use a runner with a bigger disk"
    )


class Cancelled(DeployError):
    """SIGTERM or SIGINT (a cancelled workflow run) arrived; raised from the signal handler."""
