"""The native controller: BLUE_GREEN, LINEAR and CANARY deployments, which ECS runs itself.

UpdateService starts them, as it does a rolling update. Per poll: one DescribeServices for the
services (their events; it is also what moves the stack's simulated time) and one
DescribeServiceDeployments for their service deployments. The verdicts are
`verdicts/native.py`'s. At a PAUSE hook, `respond` runs the verify-command and makes the one
write ECS offers there, ContinueServiceDeployment (CONTINUE or ROLLBACK); undoing the
deployment is StopServiceDeployment(ROLLBACK), which our timeout asks for. It never calls
UpdateService to undo: a second update in the middle of a blue/green deployment would start
another one instead of reversing this one.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from compose_ecs_deploy.aws import ecs
from compose_ecs_deploy.aws import service_deployments as sd
from compose_ecs_deploy.aws.client import Aws
from compose_ecs_deploy.errors import AwsError
from compose_ecs_deploy.report.console import Log
from compose_ecs_deploy.rollout.interface import Polled, Started, Subject
from compose_ecs_deploy.rollout.service_update import UpdatesService, update
from compose_ecs_deploy.rollout.verdicts import native as native_rollout
from compose_ecs_deploy.rollout.verdicts import rolling as rollout
from compose_ecs_deploy.rollout.verdicts.express import is_express
from compose_ecs_deploy.rollout.verdicts.native import Hook, NativeState
from compose_ecs_deploy.rollout.verdicts.rolling import Outcome
from compose_ecs_deploy.rollout.verify_command import run_verify
from compose_ecs_deploy.settings import Settings, codedeploy_notice


class NativeController(UpdatesService):
    """ECS controller with the BLUE_GREEN, LINEAR or CANARY strategy."""

    kind = "native"

    def handles(self, service: Mapping[str, Any]) -> bool:
        return native_rollout.is_native(service) and not is_express(service)

    def start(
        self, aws: Aws, settings: Settings, subject: Subject, revision: str, log: Log
    ) -> Started:
        service = update(aws, settings, subject.name, revision, subject.service, log)
        state = native_rollout.start(
            subject.name, revision, service, settings.wait_until, before=subject.service
        )
        return Started(
            state, state.ecs_deployment_id, codedeploy_notice(settings, subject.name, self.kind)
        )

    def follow(self, settings: Settings, subject: Subject) -> Started | None:
        return None  # ECS carries an unfinished one on; an unchanged service is left alone

    def poll(
        self, aws: Aws, settings: Settings, states: Mapping[str, Any], time_left: float
    ) -> Polled:
        """One DescribeServices (events, and the deployment ARN while unknown), then one
        DescribeServiceDeployments for every deployment whose ARN is known."""
        cluster = str(settings.cluster)
        services = ecs.describe_services(aws, cluster, list(states))
        polled: dict[str, NativeState] = {}
        lines: list[str] = []
        for name, state in states.items():
            state, events = native_rollout.adopt(state, services[name])
            if not state.arn:
                state = native_rollout.with_arn(state, sd.latest_running(aws, cluster, name))
            polled[name] = state
            lines += [rollout.format_event(name, event) for event in events]
        new = bool(lines)
        arns = [state.arn for state in polled.values() if state.arn]
        payloads = sd.describe(aws, arns) if arns else {}
        for name, state in polled.items():
            payload = payloads.get(state.arn)
            if payload is None:
                continue
            polled[name], observation = native_rollout.step(state, payload)
            lines += observation.lines
            new |= bool(observation.lines or observation.awaiting)
        return Polled(dict(polled), tuple(lines), new)

    def respond(
        self, aws: Aws, settings: Settings, state: NativeState, log: Log, time_left: float
    ) -> NativeState:
        """Each PAUSE hook newly awaiting action: run verify-command and continue or roll
        back; without one, say how to continue it by hand and go on waiting."""
        if state.last is None:
            return state
        for hook in native_rollout.awaiting_hooks(state.last):
            if hook.hook_id not in state.gated_hooks:
                state = self._gate(aws, settings, state, hook, log, time_left)
        return state

    def _gate(
        self,
        aws: Aws,
        settings: Settings,
        state: NativeState,
        hook: Hook,
        log: Log,
        time_left: float,
    ) -> NativeState:
        name, command = state.service, settings.verify_command
        state = native_rollout.gated(state, hook)
        if not command:
            for line in native_rollout.format_hook(state, hook, settings.region):
                log.info(line)
            return state
        with log.group(f"{name}: verify-command at {hook.stage} (hook {hook.hook_id})"):
            environment = {
                **settings.environment,
                **native_rollout.verify_environment(state, hook, str(settings.cluster)),
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
            return state
        state = native_rollout.gate_failed(state, hook, command, result.exit_code, result.tail)
        log.info(
            f"{name}: verify-command failed; rolling back (ContinueServiceDeployment ROLLBACK)"
        )
        sd.act_on_hook(aws, state.arn, hook.hook_id, "ROLLBACK")
        return state

    def verdict(self, state: NativeState) -> Outcome | None:
        return native_rollout.verdict(state)

    def expire(self, aws: Aws, settings: Settings, state: NativeState, log: Log) -> Outcome:
        """Our timeout: with rollback-on-failure, `undo` once (StopServiceDeployment
        ROLLBACK), then the wait ends and ECS carries on alone."""
        stop = (
            settings.rollback_on_failure and bool(state.arn) and native_rollout.should_stop(state)
        )
        if stop:
            try:
                self.undo(aws, settings, Subject(state.service, {}), state, log)
            except AwsError as exc:  # e.g. it finished between the last poll and now
                log.info(f"{state.service}: {exc}")
                stop = False
        return native_rollout.timed_out(state, settings.wait_timeout_minutes, rolling_back=stop)

    def cancelled(self, state: NativeState, why: str) -> Outcome:
        return Outcome(
            "cancelled",
            f"{why}: stopped waiting; {native_rollout.left_to_ecs(state)}; ECS carries on with it",
        )

    def undo(
        self, aws: Aws, settings: Settings, subject: Subject, state: NativeState, log: Log
    ) -> None:
        """StopServiceDeployment(ROLLBACK): ECS reverses the deployment on its own."""
        sd.stop_with_rollback(aws, state.arn)

    def describe(self, state: NativeState) -> str:
        return native_rollout.completion_note(state)
