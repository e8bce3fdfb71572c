"""The writes and the wait of a deploy, for every kind of service through its controller.

For each planned service: register the revision if it changed, then let the service's
controller start the rollout (or follow one an earlier run left unfinished), and publish the
outputs after each write. Then one wait for all of them (`watch`), the failed tasks'
explanations right after the verdicts, and each controller's `undo` where an outcome asks for
it, itself waited for. This module never asks which kind a service is.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from compose_ecs_deploy.aws.client import Aws
from compose_ecs_deploy.errors import Cancelled
from compose_ecs_deploy.pipeline.plan import Plan
from compose_ecs_deploy.pipeline.results import DeployResult, ServiceResult, console_url
from compose_ecs_deploy.pipeline.writes import register
from compose_ecs_deploy.report.console import Log, RememberingLog
from compose_ecs_deploy.report.outputs import Publish, publish_nothing, service_outputs
from compose_ecs_deploy.rollout.controller import Refusal
from compose_ecs_deploy.rollout.failure import explain
from compose_ecs_deploy.rollout.interface import Controller
from compose_ecs_deploy.rollout.watch import Watched, watch
from compose_ecs_deploy.settings import Settings
from compose_ecs_deploy.timing import Stopwatch


def initial_results(settings: Settings, plans: Sequence[Plan]) -> dict[str, ServiceResult]:
    """Each service's result before anything was written: what it runs, what would change."""
    results: dict[str, ServiceResult] = {}
    for p in plans:
        name = p.target.ecs_service
        results[name] = ServiceResult(
            target=p.target,
            changed=p.changed,
            revision_before=p.current_arn,
            task_definition_arn=p.current_arn,
            diff=p.diff,
            images={
                c["name"]: c["image"]
                for c in p.rendered.request["containerDefinitions"]
                if c["name"] in p.rendered.conversion.services
            },
            console_url=console_url(settings.region, str(settings.cluster), name),
        )
    return results


def _controller(plan: Plan) -> Controller:
    """The plan's controller; a refused service never gets past `plan_deploy`."""
    if isinstance(plan.controller, Refusal):
        raise AssertionError(f"{plan.target.ecs_service} was planned without a controller")
    return plan.controller


def roll_out(
    aws: Aws,
    settings: Settings,
    plans: list[Plan],
    log: Log,
    stopwatch: Stopwatch,
    publish: Publish = publish_nothing,
) -> DeployResult:
    """Register each changed revision, start its rollout, watch, explain and undo failures.

    A service whose PRIMARY deployment has not COMPLETED is never "unchanged": its controller
    may follow that deployment to its end (an earlier run started it and did not wait).
    """
    log = log if isinstance(log, RememberingLog) else RememberingLog(log)
    for notice in dict.fromkeys(d for p in plans for d in p.rendered.diagnostics):
        log.info(notice.render())
    results = initial_results(settings, plans)
    for p in plans:
        name = p.target.ecs_service
        with log.group(f"{name}: task definition diff"):
            if p.changed:
                for line in p.diff:
                    log.info(line)
            else:
                log.info(f"{name}: no change from {p.current_arn}")
    if settings.dry_run:
        for p in plans:
            action = (
                "would register a new revision and update the service"
                if p.changed
                else "would watch the unfinished deployment"
                if p.unfinished
                else "would leave the service alone"
            )
            log.info(f"{p.target.ecs_service}: dry run: {action}")
        return DeployResult(list(results.values()), dry_run=True)

    started = time.monotonic()
    watched: dict[str, Watched] = {}
    try:
        for p in plans:
            _start(aws, settings, p, results, watched, log, stopwatch, publish)
        if settings.wait and watched:
            with log.group("waiting for the services to become stable"), stopwatch.phase("wait"):
                outcomes = watch(aws, settings, watched, log)
            for name, outcome in outcomes.items():
                results[name].outcome = outcome
                results[name].seconds = time.monotonic() - started
                entry = watched[name]
                if url := entry.controller.url(entry.state):  # known once the wait ends
                    results[name].kind_outputs["url"] = url
                if outcome.succeeded:
                    results[name].note = entry.controller.describe(entry.state)
            with stopwatch.phase("explain"):
                _explain(aws, settings, plans, results, log)
            with stopwatch.phase("rollback"):
                _undo(aws, settings, plans, results, watched, log)
    except Cancelled as exc:  # between an update and the wait: name what was started
        for name, entry in watched.items():
            if results[name].outcome is None:
                outcome = entry.controller.cancelled(entry.state, str(exc))
                results[name].outcome = outcome
                log.info(f"{name}: {outcome.reason}")
        if not watched:
            raise
    return DeployResult(list(results.values()))


def _start(
    aws: Aws,
    settings: Settings,
    p: Plan,
    results: dict[str, ServiceResult],
    watched: dict[str, Watched],
    log: Log,
    stopwatch: Stopwatch,
    publish: Publish,
) -> None:
    """Register and start one service's rollout, or follow its unfinished one, or leave it;
    the outputs are published after each write."""
    name = p.target.ecs_service
    result = results[name]
    controller = _controller(p)
    if not p.changed and not settings.force_new_deployment:
        followed = controller.follow(settings, p.subject)
        if followed is None:
            log.info(f"{name}: unchanged; service left alone (changed=false)")
            if url := controller.url(p.subject.prepared):  # what prepare read (Express)
                result.kind_outputs["url"] = url
                publish(service_outputs(results.values()))
            return
        watched[name] = Watched(controller, followed.state)
        result.deployment_id = followed.deployment_id
        result.kind_outputs.update(followed.outputs)
        publish(service_outputs(results.values()))
        for line in followed.lines:
            log.info(line)
        return
    if p.changed:
        with stopwatch.phase("register"):
            registered = register(aws, settings, p, log)
        result.task_definition_arn = str(registered["taskDefinitionArn"])
        log.info(f"{name}: registered {result.task_definition_arn}")
        publish(service_outputs(results.values()))
    with stopwatch.phase("update"):
        begun = controller.start(aws, settings, p.subject, result.task_definition_arn, log)
    watched[name] = Watched(controller, begun.state)
    result.deployment_id = begun.deployment_id
    result.kind_outputs.update(begun.outputs)
    publish(service_outputs(results.values()))
    log.info(f"{name}: deployment {result.deployment_id} started ({result.console_url})")
    for line in begun.lines:
        log.info(line)


def _explain(
    aws: Aws,
    settings: Settings,
    plans: list[Plan],
    results: dict[str, ServiceResult],
    log: RememberingLog,
) -> None:
    """Right after the verdict, before any rollback: each failed task's hint and its failed
    container's last log lines, under the error in the log (failure.py)."""
    for p in plans:
        result = results[p.target.ecs_service]
        if result.outcome is None or result.outcome.succeeded or not result.outcome.tasks:
            continue
        result.diagnoses = explain(
            aws,
            p.target.ecs_service,
            result.outcome.tasks,
            p.request,
            log_lines=settings.log_lines,
            region=str(settings.region),
            log=log,
        )


def _undo(
    aws: Aws,
    settings: Settings,
    plans: list[Plan],
    results: dict[str, ServiceResult],
    watched: dict[str, Watched],
    log: Log,
) -> None:
    """Each controller undoes the rollouts whose verdict says "roll back", and the undoing
    is waited for; a rollback ECS has started is left to ECS (never a second one)."""
    undoing: dict[str, Watched] = {}
    for p in plans:
        name = p.target.ecs_service
        outcome = results[name].outcome
        if outcome is None or outcome.action not in ("roll-back", "ecs-rolls-back"):
            continue
        if outcome.action == "ecs-rolls-back":
            log.info(f"{name}: ECS rolls this service back; no rollback of ours")
            continue
        entry = watched[name]
        undone = entry.controller.undo(aws, settings, p.subject, entry.state, log)
        if undone is not None:
            undoing[name] = Watched(entry.controller, undone.state)
            results[name].revision_before = undone.revision
    if not undoing:
        return
    with log.group("waiting for the rollback"):
        outcomes = watch(aws, settings, undoing, log)
    for name, outcome in outcomes.items():
        results[name].rollback = outcome
