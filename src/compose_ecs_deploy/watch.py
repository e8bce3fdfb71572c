"""Waiting for rolling deployments: the polls, the sleeps and the lines; no decisions.

Each poll is one DescribeServices for every service still being watched, then, per service,
one ListTasks for the stopped tasks its deployment started (more only when ECS paginates) and
a DescribeTasks only for task ARNs not seen before. `core.rollout.poll` decides from those.
A read that fails (throttled, a 5xx, a broken connection) is tried again on a growing
interval: only the wait timeout or a cancel ends the wait.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

from compose_ecs_deploy.adapters import ecs
from compose_ecs_deploy.adapters.aws import Aws
from compose_ecs_deploy.console import Log
from compose_ecs_deploy.core import rollout
from compose_ecs_deploy.core.rollout import Outcome, WatchState
from compose_ecs_deploy.errors import AwsError, Cancelled
from compose_ecs_deploy.settings import Settings


def watch(
    aws: Aws,
    settings: Settings,
    watches: dict[str, WatchState],
    log: Log,
    clock: Callable[[], float] = time.monotonic,
) -> dict[str, Outcome]:
    """Poll all services until each has an outcome; `watches` holds each final state.

    The first poll comes at once (a fast rollout is seen without waiting); then the interval
    grows from `poll_interval` to `max_poll_interval` while nothing changes, and doubles after
    each failed read. A `Cancelled` (SIGTERM/SIGINT) ends the wait at once, naming the
    deployments left running.
    """
    cluster = str(settings.cluster)
    deadline = clock() + settings.wait_timeout_minutes * 60
    outcomes: dict[str, Outcome] = {}
    interval = 0.0
    try:
        while pending := [name for name in watches if name not in outcomes]:
            time.sleep(max(0.0, min(interval, deadline - clock())))
            if clock() >= deadline:
                for name in pending:
                    outcomes[name] = rollout.timed_out(watches[name], settings.wait_timeout_minutes)
                    _report(log, name, outcomes[name])
                break
            try:
                payloads = ecs.describe_services(aws, cluster, pending)
            except AwsError as exc:
                interval = _backoff(settings, interval)
                log.info(
                    f"reading the services failed ({exc}); trying again in "
                    f"{interval:.1f} s (the wait goes on until its timeout)"
                )
                continue
            anything_new = False
            failed_read = False
            for name in pending:
                try:
                    anything_new |= _observe(
                        aws, cluster, name, payloads[name], watches, outcomes, log
                    )
                except AwsError as exc:
                    failed_read = True
                    log.info(
                        f"{name}: reading its stopped tasks failed ({exc}); trying "
                        "again at the next poll"
                    )
            if failed_read:
                interval = _backoff(settings, interval)
            else:
                interval = (
                    settings.poll_interval
                    if anything_new or interval == 0
                    else min(interval * 1.5, settings.max_poll_interval)
                )
    except Cancelled as exc:
        for name in watches:
            if name not in outcomes:
                outcomes[name] = rollout.cancelled(watches[name], str(exc))
                log.info(f"{name}: {outcomes[name].reason}")
    return outcomes


def _backoff(settings: Settings, interval: float) -> float:
    """After a failed read: double the interval, from poll_interval up to max_poll_interval."""
    return min(max(interval * 2, settings.poll_interval), settings.max_poll_interval)


def _observe(
    aws: Aws,
    cluster: str,
    name: str,
    payload: Mapping[str, Any],
    watches: dict[str, WatchState],
    outcomes: dict[str, Outcome],
    log: Log,
) -> bool:
    """Read the new stopped tasks, apply the poll; True when it showed anything new.

    The reads come first, so a failed one leaves the state as it was for the next poll.
    """
    state = watches[name]
    fresh = rollout.new_task_arns(state, ecs.stopped_task_arns(aws, cluster, state.deployment_id))
    tasks = ecs.describe_tasks(aws, cluster, fresh) if fresh else []
    state, observation = rollout.poll(state, payload, tasks)
    watches[name] = state
    if observation.progress:
        log.info(rollout.format_progress(name, state.deployment_id, observation.progress))
    for event in observation.new_events:
        log.info(rollout.format_event(name, event))
    for warning in observation.warnings:
        log.info(f"{name}: warning: {warning}")
    if observation.outcome:
        outcomes[name] = observation.outcome
        _report(log, name, observation.outcome)
    return bool(observation.progress or observation.new_events or observation.stopped)


def _report(log: Log, name: str, outcome: Outcome) -> None:
    log.info(f"{name}: {outcome.kind}: {outcome.reason}")
