"""How a face (the terminal, or the runner) shows what a verb produces: the one interface
the verbs print through, so that they never know which face runs them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Protocol

from compose_ecs_deploy.diagnostics import Diagnostic
from compose_ecs_deploy.report.console import Log

if TYPE_CHECKING:  # the deploy's result types pull in AWS clients, which `render` never needs
    from compose_ecs_deploy.pipeline.results import Deployment


class Face(Protocol):
    """How one face (terminal or runner) shows what the verbs produce."""

    internal_hint: str  # how to get the traceback of an internal error

    @property
    def log(self) -> Log:
        """Where the deploy's progress lines go."""

    def report(self, diagnostic: Diagnostic) -> None:
        """One diagnostic: its console line (and, on a runner, an annotation)."""

    def outputs(self, values: Mapping[str, str]) -> None:
        """Step outputs, called as soon as each group is known."""

    def published(self) -> Mapping[str, str]:
        """Every output given so far (the latest value of each)."""

    def data(self, text: str) -> None:
        """Machine-readable results on stdout (the rendered JSON, a diff)."""

    def summary(self, deployment: Deployment) -> None:
        """What a finished deploy did: the job summary, or the timing line."""

    def section(
        self, title: str, lines: Sequence[str], step_outputs: Mapping[str, str] | None = None
    ) -> None:
        """What a verb other than deploy found (`status`, `verify`, `prune`): on a runner, a
        job-summary section of `lines` and the step outputs; the terminal has shown both
        already (as log lines, or as data when asked for JSON)."""

    def stopped(self, errors: list[Diagnostic]) -> None:
        """The run ended on an error before any result: say so where the face can."""
