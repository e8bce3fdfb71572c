"""The interface of "a way ECS rolls a service onto a revision" (a controller).

Every deployment kind is a `Controller`, used in the same order by every verb that rolls out
(ecspresso's habit: the deploy and wait strategy come from the service's deployment
controller, chosen before any write):

1. `choose(service)` at plan time, from the DescribeServices answer alone: the one controller
   whose `handles` says yes, or a `Refusal` that names the controller type and says why none
   does. A refusal stops the deploy before the first build or write. Then `prepare` reads
   (never writes) what else the kind needs and checks it, still before any build or write
   (CodeDeploy: the deployment group, the AppSpec, a deployment still active); what it
   finds rides on the `Subject` as `prepared`. Its `shape` says what the kind
   needs of the task beyond what compose gives (`verdicts/shape.py`), applied by the plan.
2. `start` makes the write that begins the rollout (or `follow` adopts one an earlier run
   started and did not see to its end).
3. `poll` reads (never writes) and returns each rollout's next state and the lines to print;
   `respond` acts on what a poll found where the kind allows it (a PAUSE hook's gate).
4. `verdict` is a pure function of that state: None while it goes on, else an `Outcome`.
5. `expire` and `cancelled` end a wait the kind's way; `undo` is the rollback the kind
   supports, when an outcome asks for one.
6. `describe` says what ECS still does after our success, for the log, summary and outputs;
   `url` is the service's public URL where the kind makes one (Express), from a rollout's
   state or, for a service the run leaves unchanged, from what `prepare` found.
7. `history` is what the service ran, newest first, by the record of whoever deploys it (ECS's
   service deployments, or CodeDeploy's deployments of the group): `rollback` without --to
   picks its target from it, and `prune` keeps that target. `status` reads what the `status`
   verb shows of the kind beyond DescribeServices (CodeDeploy: the group's active deployment),
   by document key.

The loop that calls them is `rollout/watch.py`; the verbs never ask which kind a service is.
A new kind is one more class in `rollout/controller.py`'s `CONTROLLERS`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from compose_ecs_deploy.aws.client import Aws
from compose_ecs_deploy.report.console import Log
from compose_ecs_deploy.rollout.verdicts.history import Past
from compose_ecs_deploy.rollout.verdicts.rolling import Outcome
from compose_ecs_deploy.rollout.verdicts.shape import TaskShape
from compose_ecs_deploy.settings import Settings


@dataclass(frozen=True)
class Subject:
    """What a controller knows of the service it rolls out, from the plan: its name, the
    DescribeServices answer read before any write, the new revision's essential
    containers (DescribeTasks does not say which are), and the service's own settings its
    shape took from the compose file (`TaskShape.options`)."""

    name: str
    service: Mapping[str, Any]
    essential: frozenset[str] = frozenset()
    prepared: Any = None  # what the controller's `prepare` found, for its later calls
    options: Mapping[str, Any] = field(default_factory=dict)

    @property
    def current(self) -> str:
        """The revision the service ran when it was read."""
        return str(self.service.get("taskDefinition", ""))


@dataclass(frozen=True)
class Polled:
    """One poll of a controller's rollouts: their next states, the lines to print (in
    order), whether anything was new, and whether a read failed (the next poll retries it)."""

    states: dict[str, Any]
    lines: tuple[str, ...] = ()
    new: bool = False
    failed_read: bool = False


@dataclass(frozen=True)
class Started:
    """What a start (or a follow) gives the verb: the state to watch, the deployment id for
    the outputs, the lines that say so, and the outputs only this kind sets (by name)."""

    state: Any
    deployment_id: str
    lines: tuple[str, ...] = field(default_factory=tuple)
    outputs: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Undoing:
    """A rollback our write started, to be watched: its state and the revision it returns to."""

    state: Any
    revision: str


class Controller(Protocol):
    """A way ECS rolls a service onto a revision; see the module's docstring for the order."""

    kind: str  # the name in logs and tests: "rolling", "native", ...

    def handles(self, service: Mapping[str, Any]) -> bool:
        """Whether this controller rolls out `service` (a DescribeServices answer)."""

    def shape(self, settings: Settings, primary: str, x_ecs: Mapping[str, Any]) -> TaskShape:
        """What this kind needs of the task whose primary compose service is `primary`;
        `x_ecs` is the compose file's top-level block."""

    def prepare(
        self,
        aws: Aws,
        settings: Settings,
        subject: Subject,
        request: Mapping[str, Any],
        changing: bool,
    ) -> Any:
        """Reads only, at plan time, before any build or write: what the kind needs beyond
        DescribeServices, checked against the new revision's `request` (`changing`: the run
        will start a rollout). Raises a DeployError with every problem; the value becomes
        `subject.prepared`."""

    def start(
        self, aws: Aws, settings: Settings, subject: Subject, revision: str, log: Log
    ) -> Started:
        """The write that begins the rollout of `revision` (an ARN) onto the service."""

    def follow(self, settings: Settings, subject: Subject) -> Started | None:
        """Adopt an unfinished deployment of the unchanged revision, or None to leave it."""

    def poll(
        self, aws: Aws, settings: Settings, states: Mapping[str, Any], time_left: float
    ) -> Polled:
        """Reads only: each rollout's next state. Raises AwsError when nothing could be read."""

    def respond(self, aws: Aws, settings: Settings, state: Any, log: Log, time_left: float) -> Any:
        """Act on what the last poll found (a PAUSE hook awaiting action); the next state."""

    def verdict(self, state: Any) -> Outcome | None:
        """Pure: the rollout's outcome once there is one."""

    def expire(self, aws: Aws, settings: Settings, state: Any, log: Log) -> Outcome:
        """The wait timed out: the outcome, after the kind's own undo if it takes it now."""

    def cancelled(self, state: Any, why: str) -> Outcome:
        """A cancel ends our wait, never ECS's rollout."""

    def undo(
        self, aws: Aws, settings: Settings, subject: Subject, state: Any, log: Log
    ) -> Undoing | None:
        """Roll the service back the kind's way; the rollback to watch, or None when ECS
        carries it out alone (or there is nothing to go back to)."""

    def describe(self, state: Any) -> str:
        """What ECS still does after our success ('' when nothing): for the summary."""

    def url(self, state: Any) -> str:
        """The service's public URL when the kind gives it one, else ''; `state` is a
        rollout's, or `subject.prepared` of an unchanged service."""

    def history(
        self, aws: Aws, settings: Settings, subject: Subject, log: Log
    ) -> Iterator[list[Past]]:
        """Reads only: the service's finished deployments, newest first, a page at a time.
        Raises AwsError when ECS's record cannot be read, HistoryUnreadable (saying what to
        allow) when another's cannot."""

    def status(self, aws: Aws, settings: Settings, subject: Subject) -> dict[str, Any]:
        """Reads only: the parts of `status`'s document this kind fills, by key
        (`report/status.py`'s KIND_PARTS); {} when none. Never raises for what it cannot
        read: the rest of the status still helps."""
