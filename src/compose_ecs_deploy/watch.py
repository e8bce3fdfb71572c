"""Waiting for rollouts: one DescribeServices per poll for every service being deployed.

The decisions are `core.rollout.step`'s; this loop only polls, sleeps, asks for stopped
tasks when the step says tasks stopped, and tells the log what is new.
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
from compose_ecs_deploy.errors import Cancelled
from compose_ecs_deploy.settings import Settings


def watch(aws: Aws, settings: Settings, watches: dict[str, WatchState], log: Log,
           clock: Callable[[], float] = time.monotonic) -> dict[str, Outcome]:
    """Poll all services in one call per poll until each has an outcome.

    The first poll comes at once (a fast rollout is seen without waiting); then the interval
    grows from `poll_interval` to `max_poll_interval` while nothing changes. A `Cancelled`
    (SIGTERM/SIGINT) ends the wait at once, naming the deployments left running.
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
                    outcomes[name] = _timed_out(watches[name], settings.wait_timeout_minutes)
                break
            payloads = ecs.describe_services(aws, cluster, pending)
            anything_new = False
            for name in pending:
                anything_new |= _observe(aws, cluster, name, payloads[name], watches, outcomes,
                                         log)
            interval = (settings.poll_interval if anything_new or interval == 0
                        else min(interval * 1.5, settings.max_poll_interval))
    except Cancelled as exc:
        for name in watches:
            if name not in outcomes:
                outcomes[name] = Outcome(
                    "cancelled", f"{exc}: stopped waiting for deployment "
                    f"{watches[name].deployment_id} of {name}; ECS carries on with it")
                log.info(f"{name}: {outcomes[name].reason}")
    return outcomes


def _timed_out(state: WatchState, minutes: float) -> Outcome:
    last = "; ".join(e.message for e in state.recent_events[-3:])
    return Outcome("timed-out", f"deployment {state.deployment_id} did not finish within "
                   f"{minutes:g} minutes" + (f"; last events: {last}" if last else ""))


def _observe(aws: Aws, cluster: str, name: str, payload: Mapping[str, Any],
             watches: dict[str, WatchState], outcomes: dict[str, Outcome], log: Log) -> bool:
    """Apply one poll's answer for one service; True when it showed anything new."""
    state, observation = rollout.step(watches[name], payload)
    watches[name] = state
    if observation.progress:
        log.info(rollout.format_progress(name, state.deployment_id, observation.progress))
    for event in observation.new_events:
        log.info(rollout.format_event(name, event))
    if observation.outcome:
        outcomes[name] = observation.outcome
    elif observation.tasks_stopped:
        why = rollout.explain_stopped_tasks(ecs.stopped_tasks(aws, cluster, name),
                                            state.task_definition)
        if why and state.circuit_breaker:
            log.info(f"{name}: {why} (the circuit breaker decides whether the rollout fails)")
        elif why:
            outcomes[name] = Outcome("failed", why)
    if name in outcomes:
        log.info(f"{name}: {outcomes[name].kind}: {outcomes[name].reason}")
    return bool(observation.progress or observation.new_events)
