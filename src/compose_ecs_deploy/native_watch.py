"""Waiting for BLUE_GREEN, LINEAR and CANARY deployments, which ECS runs itself.

Per poll: one DescribeServices for the services (their events; it is also what moves the
stack's simulated time) and one DescribeServiceDeployments for their service deployments. The
decisions are `core.native_rollout`'s; this loop polls, sleeps, prints, runs the
verify-command at a PAUSE hook and makes the two writes ECS offers for these deployments:
ContinueServiceDeployment (CONTINUE or ROLLBACK at a hook) and StopServiceDeployment(ROLLBACK)
at our timeout. It never calls UpdateService: a second update in the middle of a blue/green
deployment would start another one instead of reversing this one.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from compose_ecs_deploy.adapters import ecs
from compose_ecs_deploy.adapters import service_deployments as sd
from compose_ecs_deploy.adapters.aws import Aws
from compose_ecs_deploy.console import Log
from compose_ecs_deploy.core import native_rollout, rollout
from compose_ecs_deploy.core.native_rollout import Hook, NativeState
from compose_ecs_deploy.core.rollout import Outcome
from compose_ecs_deploy.errors import AwsError, Cancelled
from compose_ecs_deploy.settings import Settings
from compose_ecs_deploy.verify import run_verify


def watch_native(
    aws: Aws,
    settings: Settings,
    states: dict[str, NativeState],
    log: Log,
    clock: Callable[[], float] = time.monotonic,
    *,
    deadline: float | None = None,
) -> dict[str, Outcome]:
    """Poll until each service deployment has an outcome, the timeout, or a cancel.

    `deadline` (on `clock`) is the end of the whole wait when rolling services of the same
    deploy were waited for first; by default the wait timeout starts now.

    At the timeout, with rollback-on-failure, each deployment still PENDING or IN_PROGRESS is
    stopped with ROLLBACK once, and the wait ends: ECS carries the rollback out on its own. A
    cancel stops nothing and says where each deployment is.
    """
    cluster = str(settings.cluster)
    if deadline is None:
        deadline = clock() + settings.wait_timeout_minutes * 60
    outcomes: dict[str, Outcome] = {}
    interval = 0.0
    try:
        while pending := [name for name in states if name not in outcomes]:
            time.sleep(max(0.0, min(interval, deadline - clock())))
            if clock() >= deadline:
                for name in pending:
                    outcomes[name] = _time_out(aws, settings, states[name], log)
                break
            anything_new = _poll(
                aws, settings, cluster, pending, states, outcomes, log, deadline - clock()
            )
            interval = (
                settings.poll_interval
                if anything_new or interval == 0
                else min(interval * 1.5, settings.max_poll_interval)
            )
    except Cancelled as exc:
        for name in states:
            if name not in outcomes:
                outcomes[name] = Outcome(
                    "cancelled",
                    f"{exc}: stopped waiting; "
                    f"{native_rollout.left_to_ecs(states[name])}; ECS "
                    "carries on with it",
                )
                log.info(f"{name}: {outcomes[name].reason}")
    return outcomes


def _poll(
    aws: Aws,
    settings: Settings,
    cluster: str,
    pending: list[str],
    states: dict[str, NativeState],
    outcomes: dict[str, Outcome],
    log: Log,
    time_left: float,
) -> bool:
    """One DescribeServices and one DescribeServiceDeployments; True when anything was new."""
    anything_new = False
    services = ecs.describe_services(aws, cluster, pending)
    for name in pending:
        state, events = native_rollout.adopt(states[name], services[name])
        if not state.arn:
            state = native_rollout.with_arn(state, sd.latest_running(aws, cluster, name))
        states[name] = state
        for event in events:
            log.info(rollout.format_event(name, event))
        anything_new |= bool(events)
    arns = [states[name].arn for name in pending if states[name].arn]
    payloads = sd.describe(aws, arns) if arns else {}
    for name in pending:
        payload = payloads.get(states[name].arn)
        if payload is None:
            continue
        state, observation = native_rollout.step(states[name], payload)
        states[name] = state
        for line in observation.lines:
            log.info(line)
        for hook in observation.awaiting:
            _gate(aws, settings, cluster, name, hook, states, log, time_left)
        if observation.outcome:
            outcomes[name] = observation.outcome
            log.info(f"{name}: {outcomes[name].kind}: {outcomes[name].reason}")
        anything_new |= bool(observation.lines or observation.awaiting)
    return anything_new


def _gate(
    aws: Aws,
    settings: Settings,
    cluster: str,
    name: str,
    hook: Hook,
    states: dict[str, NativeState],
    log: Log,
    time_left: float,
) -> None:
    """A PAUSE hook awaits action: run verify-command and continue or roll back; without one,
    say how to continue it by hand and go on waiting."""
    state = states[name]
    command = settings.verify_command
    if not command:
        for line in native_rollout.format_hook(state, hook, settings.region):
            log.info(line)
        return
    with log.group(f"{name}: verify-command at {hook.stage} (hook {hook.hook_id})"):
        environment = {
            **settings.environment,
            **native_rollout.verify_environment(state, hook, cluster),
        }
        result = run_verify(
            command, environment, settings.environment.get("GITHUB_WORKSPACE"), time_left
        )
        for line in result.output:
            log.info(f"{name}: verify: {line}")
    if result.passed:
        log.info(
            f"{name}: verify-command passed; continuing the deployment "
            "(ContinueServiceDeployment CONTINUE)"
        )
        sd.act_on_hook(aws, state.arn, hook.hook_id, "CONTINUE")
        return
    states[name] = native_rollout.gate_failed(state, hook, command, result.exit_code, result.tail)
    log.info(f"{name}: verify-command failed; rolling back (ContinueServiceDeployment ROLLBACK)")
    sd.act_on_hook(aws, state.arn, hook.hook_id, "ROLLBACK")


def _time_out(aws: Aws, settings: Settings, state: NativeState, log: Log) -> Outcome:
    """Our timeout: one StopServiceDeployment(ROLLBACK) when asked for, then leave it to ECS."""
    stop = settings.rollback_on_failure and bool(state.arn) and native_rollout.should_stop(state)
    if stop:
        try:
            sd.stop_with_rollback(aws, state.arn)
        except AwsError as exc:  # e.g. it finished between the last poll and now
            log.info(f"{state.service}: {exc}")
            stop = False
    outcome = native_rollout.timed_out(state, settings.wait_timeout_minutes, rolling_back=stop)
    log.info(f"{state.service}: {outcome.kind}: {outcome.reason}")
    return outcome
