"""The rolling controller: the ECS deployment controller's rolling update.

UpdateService starts it; each poll is one DescribeServices for every service still watched,
then, per service, one ListTasks for the stopped tasks its deployment started (more only
when ECS paginates) and a DescribeTasks only for task ARNs not seen before. The verdicts are
`verdicts/rolling.py`'s. Undoing it is another UpdateService, onto the last COMPLETED
revision, watched like any rollout.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from compose_ecs_deploy.aws import ecs
from compose_ecs_deploy.aws.client import Aws
from compose_ecs_deploy.errors import AwsError
from compose_ecs_deploy.report.console import Log
from compose_ecs_deploy.rollout.interface import Polled, Started, Subject, Undoing
from compose_ecs_deploy.rollout.service_update import UpdatesService, update
from compose_ecs_deploy.rollout.verdicts import rolling as rollout
from compose_ecs_deploy.rollout.verdicts.express import is_express
from compose_ecs_deploy.rollout.verdicts.native import strategy
from compose_ecs_deploy.rollout.verdicts.polite import wants_stopped_tasks
from compose_ecs_deploy.rollout.verdicts.rolling import Outcome, WatchState
from compose_ecs_deploy.settings import Settings, codedeploy_notice


class RollingController(UpdatesService):
    """ECS controller, rolling update (deploymentConfiguration.strategy ROLLING or unset)."""

    kind = "rolling"

    def handles(self, service: Mapping[str, Any]) -> bool:
        return rollout.is_rolling(service) and not is_express(service)

    def start(
        self, aws: Aws, settings: Settings, subject: Subject, revision: str, log: Log
    ) -> Started:
        service = update(aws, settings, subject.name, revision, subject.service, log)
        state = rollout.start(
            subject.name,
            revision,
            service,
            essential=subject.essential,
            rollback_on_failure=settings.rollback_on_failure,
        )
        lines: tuple[str, ...] = ()
        if settings.wait_until != "complete":
            lines = (
                f"{subject.name}: notice: wait-until {settings.wait_until} applies to "
                f"BLUE_GREEN, LINEAR and CANARY deployments; this one is {strategy(service)}, "
                "so the wait lasts until it is complete",
            )
        lines += codedeploy_notice(settings, subject.name, self.kind)
        return Started(state, state.deployment_id, lines)

    def follow(self, settings: Settings, subject: Subject) -> Started | None:
        """A PRIMARY deployment of the unchanged revision that has not COMPLETED (an earlier
        run started it and did not wait, or stopped waiting) is watched to its end."""
        unfinished = rollout.unfinished_deployment(subject.service)
        if unfinished is None:
            return None
        state = rollout.start(
            subject.name,
            subject.current,
            subject.service,
            essential=subject.essential,
            rollback_on_failure=settings.rollback_on_failure,
            deployment_id=str(unfinished.get("id")),
        )
        line = (
            f"{subject.name}: no change, but deployment {state.deployment_id} of this revision "
            f"is {unfinished.get('rolloutState') or 'not finished'} (an earlier run "
            "started it); following it to its end"
        )
        return Started(state, state.deployment_id, (line,))

    def poll(
        self, aws: Aws, settings: Settings, states: Mapping[str, Any], time_left: float
    ) -> Polled:
        """The services in one DescribeServices (its failure raises: nothing was read), then
        each deployment's new stopped tasks when the counts show a stop (verdicts/polite.py);
        a transient failure of a task read keeps that
        service's state as it was for the next poll."""
        cluster = str(settings.cluster)
        payloads = ecs.describe_services(aws, cluster, list(states))
        polled: dict[str, Any] = {}
        lines: list[str] = []
        new = failed = False
        for name, state in states.items():
            try:
                fresh: list[str] = []
                if wants_stopped_tasks(state, payloads[name]):
                    arns = ecs.stopped_task_arns(aws, cluster, state.deployment_id)
                    fresh = rollout.new_task_arns(state, arns)
                tasks = ecs.describe_tasks(aws, cluster, fresh) if fresh else []
            except AwsError as exc:
                if not exc.transient:
                    raise
                failed = True
                polled[name] = state
                lines.append(
                    f"{name}: reading its stopped tasks failed ({exc}); trying again at the "
                    "next poll"
                )
                continue
            state, observation = rollout.advance(state, payloads[name], tasks)
            polled[name] = state
            if observation.progress:
                lines.append(
                    rollout.format_progress(name, state.deployment_id, observation.progress)
                )
            lines += [rollout.format_event(name, event) for event in observation.new_events]
            lines += [f"{name}: warning: {warning}" for warning in observation.warnings]
            new |= bool(observation.progress or observation.new_events or observation.stopped)
        return Polled(polled, tuple(lines), new, failed)

    def respond(self, aws: Aws, settings: Settings, state: Any, log: Log, time_left: float) -> Any:
        return state  # a rolling update has no hooks to act on

    def verdict(self, state: WatchState) -> Outcome | None:
        return rollout.verdict(state)

    def expire(self, aws: Aws, settings: Settings, state: WatchState, log: Log) -> Outcome:
        """ECS has not decided in time: with rollback-on-failure the outcome asks for `undo`."""
        return rollout.timed_out(state, settings.wait_timeout_minutes)

    def cancelled(self, state: WatchState, why: str) -> Outcome:
        return rollout.cancelled(state, why)

    def undo(
        self, aws: Aws, settings: Settings, subject: Subject, state: WatchState, log: Log
    ) -> Undoing | None:
        """UpdateService back to the last COMPLETED revision (the one the service ran before
        when ECS reports none COMPLETED), to be watched like any rollout."""
        name = subject.name
        target = rollout.last_completed_revision(subject.service) or subject.current
        if target == state.task_definition:
            log.info(f"{name}: no COMPLETED revision to roll back to; {target} stays")
            return None
        log.info(f"{name}: rolling back to {target}")
        before = ecs.describe_services(aws, str(settings.cluster), [name])[name]
        service = update(aws, settings, name, target, before, log)
        return Undoing(rollout.start(name, target, service), target)

    def describe(self, state: WatchState) -> str:
        return ""
