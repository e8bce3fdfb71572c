"""Running one-off tasks: register the revision if it changed, RunTask in the ECS service's
network, wait until the task stops (or the run-timeout, or a cancel), and judge its exit.

`run-before` one-offs gate the rollout: each runs in order until one fails, and a failure
stops the deploy with nothing rolled out. The `run` verb runs one the same way. What a
one-off is and how it is planned is `oneoff_plan`'s.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from compose_ecs_deploy.aws import ecs, tasks
from compose_ecs_deploy.aws.careful import careful_write
from compose_ecs_deploy.aws.client import Aws
from compose_ecs_deploy.compose.taskdef import normalise
from compose_ecs_deploy.errors import Cancelled
from compose_ecs_deploy.report.console import Log
from compose_ecs_deploy.rollout.failure import Diagnosis, explain
from compose_ecs_deploy.rollout.oneoff_plan import Gate, OneOffPlan
from compose_ecs_deploy.rollout.verdicts import oneoff
from compose_ecs_deploy.rollout.verdicts.arns import last_part
from compose_ecs_deploy.rollout.verdicts.oneoff import Verdict
from compose_ecs_deploy.rollout.verdicts.stopped_tasks import stopped_task
from compose_ecs_deploy.rollout.watch import jittered
from compose_ecs_deploy.settings import Settings

OneOffKind = Literal["succeeded", "failed", "timed-out", "cancelled", "skipped", "dry-run"]


@dataclass
class OneOffResult:
    """What became of one one-off: for outputs, the summary and the failed task's logs.

    `task` is the last DescribeTasks answer and `verdict.container` the container that
    decided it; `request` is the registered task definition (its containers' log settings).
    """

    service: str
    kind: OneOffKind
    reason: str
    task_definition_arn: str = ""
    task_arn: str = ""
    task: dict[str, Any] | None = None
    verdict: Verdict | None = None
    request: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0
    url: str = ""
    diff: list[str] = field(default_factory=list)
    diagnoses: list[Diagnosis] = field(default_factory=list)

    @property
    def succeeded(self) -> bool:
        return self.kind in ("succeeded", "skipped", "dry-run")

    @property
    def exit_code(self) -> int | None:
        return self.verdict.exit_code if self.verdict else None

    def failure_line(self) -> str:
        return f"one-off {self.service}: {self.kind}: {self.reason}"


def run_before(
    aws: Aws,
    settings: Settings,
    gate: Gate | None,
    plans: list[OneOffPlan],
    deploy_changes: bool,
    log: Log,
) -> list[OneOffResult]:
    """Run each one-off in order until one fails; skipped on a no-op deploy or a dry run."""
    if gate is None:
        return []
    if settings.dry_run:
        results = [
            OneOffResult(
                p.service,
                "dry-run",
                "would run as a one-off task of "
                f"{p.request['family']}" + (" (registering a new revision)" if p.changed else ""),
            )
            for p in plans
        ]
    elif not deploy_changes and not settings.force_new_deployment:
        results = [
            OneOffResult(
                p.service,
                "skipped",
                "the deploy is a no-op (nothing "
                "changed, no force-new-deployment), so it was not run",
            )
            for p in plans
        ]
    else:
        results, failed = [], None
        for plan in plans:
            if failed is None:
                results.append(run(aws, settings, plan, gate.ecs_service, log))
                failed = None if results[-1].succeeded else plan.service
            else:
                results.append(
                    OneOffResult(plan.service, "skipped", f"not run: one-off {failed} failed first")
                )
        return results
    for result in results:
        log.info(f"{result.service}: one-off {result.kind}: {result.reason}")
    return results


def register(aws: Aws, settings: Settings, plan: OneOffPlan, log: Log) -> str:
    """The revision to run: the latest when unchanged, else a new one (retried with care)."""
    if not plan.changed and plan.latest is not None:
        log.info(
            f"{plan.service}: one-off task definition unchanged: {plan.latest['taskDefinitionArn']}"
        )
        return str(plan.latest["taskDefinitionArn"])
    family = str(plan.request["family"])
    before = plan.latest["taskDefinitionArn"] if plan.latest else None

    def landed() -> dict[str, Any] | None:
        latest = tasks.latest_revision(aws, family)
        if (
            latest
            and latest["taskDefinitionArn"] != before
            and (normalise(latest) == normalise(plan.request))
        ):
            return latest
        return None

    registered = careful_write(
        f"{plan.service}: RegisterTaskDefinition",
        lambda: ecs.register_task_definition(aws, plan.request),
        landed,
        settings.max_retries + 1,
        log,
    )
    log.info(f"{plan.service}: registered {registered['taskDefinitionArn']}")
    return str(registered["taskDefinitionArn"])


def run(
    aws: Aws,
    settings: Settings,
    plan: OneOffPlan,
    ecs_service: Mapping[str, Any],
    log: Log,
    command: Sequence[str] = (),
    clock: Callable[[], float] = time.monotonic,
) -> OneOffResult:
    """Register if needed, RunTask, wait until the task stops (or the timeout, or a cancel)."""
    name, cluster = plan.service, str(settings.cluster)
    with log.group(f"{name}: one-off task"):
        for notice in plan.rendered.diagnostics:
            if notice.service == name:
                log.info(notice.render())
        if plan.diff:
            for line in plan.diff:
                log.info(line)
        arn = register(aws, settings, plan, log)
        request = oneoff.run_task_request(
            cluster=cluster,
            task_definition=arn,
            service=ecs_service,
            started=oneoff.started_by(settings.image_tag),
            client_token=uuid.uuid4().hex,
            container=name,
            command=command,
        )
        started = clock()
        task = tasks.run_task(aws, request)
        result = OneOffResult(
            name,
            "failed",
            "",
            task_definition_arn=arn,
            task_arn=str(task["taskArn"]),
            request=plan.request,
            diff=plan.diff,
            url=oneoff.console_task_url(settings.region, cluster, str(task["taskArn"])),
        )
        log.info(f"{name}: started one-off task {result.task_arn} ({result.url})")
        try:
            _wait(aws, settings, result, task, log, clock)
        finally:
            result.seconds = clock() - started
        log.info(f"{name}: {result.kind}: {result.reason}")
    if result.kind == "failed" and result.task:  # its hint and last lines, under the error
        essential = frozenset(oneoff.essential_containers(result.request))
        result.diagnoses = explain(
            aws,
            name,
            [stopped_task(result.task, essential)],
            result.request,
            log_lines=settings.log_lines,
            region=str(settings.region),
            log=log,
        )
    return result


def _wait(
    aws: Aws,
    settings: Settings,
    result: OneOffResult,
    task: dict[str, Any],
    log: Log,
    clock: Callable[[], float],
) -> None:
    """Poll DescribeTasks (at once, then every poll interval, growing while nothing changes,
    jittered as the rollout's polls are)."""
    cluster, minutes = str(settings.cluster), settings.run_timeout_minutes
    deadline = clock() + minutes * 60
    shown = oneoff.state_of(task)
    log.info(oneoff.format_state(result.service, result.task_arn, shown))
    interval = 0.0
    try:
        while not oneoff.is_stopped(task):
            time.sleep(max(0.0, min(settings.pause(jittered(interval)), deadline - clock())))
            if clock() >= deadline:
                tasks.stop_task(
                    aws,
                    cluster,
                    result.task_arn,
                    f"compose-ecs-deploy: run-timeout of {minutes:g} minutes",
                )
                result.kind, result.task = "timed-out", task
                result.reason = (
                    f"task {last_part(result.task_arn)} did not stop "
                    f"within {minutes:g} minutes (run-timeout); it was stopped "
                    "(StopTask) and nothing was rolled out"
                )
                return
            task = tasks.describe_task(aws, cluster, result.task_arn) or task
            state = oneoff.state_of(task)
            if state != shown:
                log.info(oneoff.format_state(result.service, result.task_arn, state))
                shown, interval = state, settings.poll_interval
            else:
                interval = min(
                    max(interval * 1.5, settings.poll_interval), settings.max_poll_interval
                )
    except Cancelled as exc:
        tasks.stop_task(aws, cluster, result.task_arn, f"compose-ecs-deploy: {exc}")
        result.kind, result.task = "cancelled", task
        result.reason = (
            f"{exc}: task {last_part(result.task_arn)} was stopped "
            "(StopTask) and nothing was rolled out"
        )
        return
    result.task = task
    result.verdict = oneoff.verdict(task, oneoff.essential_containers(result.request))
    result.kind = "succeeded" if result.verdict.succeeded else "failed"
    result.reason = result.verdict.describe()
