"""Waiting for rollouts of every kind: the polls, the sleeps and the lines; no decisions.

Each poll asks every controller once for all of its services still watched (`poll`, reads
only), lets it act on what it found (`respond`), and takes each service's `verdict`. The first
poll comes at once (a fast rollout is seen without waiting); the interval then grows from
`poll_interval` to `max_poll_interval` while nothing changes, steps back one growth when
something does, and doubles after a failed or throttled read; each sleep is jittered, so a
fleet started together does not poll together (against a local stand-in under test only,
`Settings.pause` shortens each sleep; the deadline never is). A fleet's polls share the
account's read buckets (ECS API Reference, "Request throttling for the Amazon ECS API");
README, "A fleet in one account", computes the budget. A read that fails (a 5xx, a broken
connection, throttling past the run's throttle budget) is tried again, and only the wait
timeout (`expire`) or a cancel (`cancelled`) ends the wait. A read that can never work (a
denial, a validation error) ends it at once, as an error that names the action.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from compose_ecs_deploy.aws.client import Aws
from compose_ecs_deploy.errors import AwsError, Cancelled
from compose_ecs_deploy.report.console import Log
from compose_ecs_deploy.rollout.interface import Controller
from compose_ecs_deploy.rollout.verdicts.rolling import Outcome
from compose_ecs_deploy.settings import Settings


@dataclass
class Watched:
    """One service's rollout while it is watched: its controller and its latest state."""

    controller: Controller
    state: Any


def watch(
    aws: Aws,
    settings: Settings,
    watched: dict[str, Watched],
    log: Log,
    clock: Callable[[], float] = time.monotonic,
) -> dict[str, Outcome]:
    """Poll every service until each has an outcome; `watched` holds each final state.

    A `Cancelled` (SIGTERM/SIGINT) ends the wait at once, naming the deployments left to ECS.
    """
    deadline = clock() + settings.wait_timeout_minutes * 60
    outcomes: dict[str, Outcome] = {}
    interval = 0.0
    try:
        while pending := [name for name in watched if name not in outcomes]:
            time.sleep(max(0.0, min(settings.pause(jittered(interval)), deadline - clock())))
            throttled = aws.throttle.throttled
            if clock() >= deadline:
                for name in pending:
                    entry = watched[name]
                    outcomes[name] = entry.controller.expire(aws, settings, entry.state, log)
                    _report(log, name, outcomes[name])
                break
            new, failed = False, False
            for controller, names in _by_controller(watched, pending):
                try:
                    polled = controller.poll(
                        aws, settings, {n: watched[n].state for n in names}, deadline - clock()
                    )
                except AwsError as exc:
                    if not exc.transient:  # a denial or a bad request: another try won't help
                        raise
                    failed = True
                    log.info(
                        f"reading the services failed ({exc}); trying again in "
                        f"{settings.pause(_backoff(settings, interval)):.1f} s (the wait goes "
                        "on until its timeout)"
                    )
                    continue
                for line in polled.lines:
                    log.info(line)
                new |= polled.new
                failed |= polled.failed_read
                for name, state in polled.states.items():
                    state = controller.respond(aws, settings, state, log, deadline - clock())
                    watched[name].state = state
                    outcome = controller.verdict(state)
                    if outcome is not None:
                        outcomes[name] = outcome
                        _report(log, name, outcome)
            if failed or aws.throttle.throttled > throttled:
                interval = _backoff(settings, interval)
            else:
                interval = next_interval(settings, interval, changed=new)
    except Cancelled as exc:
        for name, entry in watched.items():
            if name not in outcomes:
                outcomes[name] = entry.controller.cancelled(entry.state, str(exc))
                log.info(f"{name}: {outcomes[name].reason}")
    return outcomes


def _by_controller(
    watched: dict[str, Watched], pending: list[str]
) -> list[tuple[Controller, list[str]]]:
    """The pending services grouped by controller, in the order they were started."""
    groups: dict[int, tuple[Controller, list[str]]] = {}
    for name in pending:
        controller = watched[name].controller
        groups.setdefault(id(controller), (controller, []))[1].append(name)
    return list(groups.values())


def jittered(interval: float) -> float:
    """The interval, give or take a fifth (AWS's "Timeouts, retries and backoff with
    jitter"): deploys started together spread their polls instead of meeting at each one."""
    return interval * random.uniform(0.8, 1.2)


def next_interval(settings: Settings, interval: float, *, changed: bool) -> float:
    """poll_interval first; then it grows by half while nothing changes, up to
    max_poll_interval, and a change steps it back one growth, not to the start, so that a
    rollout with steady progress is polled at a pace a fleet's read buckets can carry."""
    if interval == 0:
        return settings.poll_interval
    if changed:
        return max(settings.poll_interval, interval / 1.5)
    return min(interval * 1.5, settings.max_poll_interval)


def _backoff(settings: Settings, interval: float) -> float:
    """After a failed or throttled read: double the interval, from poll_interval up to
    max_poll_interval; the next calm poll brings it back down."""
    return min(max(interval * 2, settings.poll_interval), settings.max_poll_interval)


def _report(log: Log, name: str, outcome: Outcome) -> None:
    log.info(f"{name}: {outcome.kind}: {outcome.reason}")
