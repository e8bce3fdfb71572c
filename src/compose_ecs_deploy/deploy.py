"""The `deploy` verb: plan, build and push, register, roll out, watch, roll back.

The order is the contract: read everything and validate before any write (`plan`); build
and push (`build`); register only what changed and update each service once (`writes`);
watch every service in one DescribeServices call per poll (`watch`); point a failed service
back at the revision it ran before. This module strings the stages together and keeps the
result of each service for the outputs and the job summary (`report`).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field

from compose_ecs_deploy import oneoff
from compose_ecs_deploy.adapters import ecs
from compose_ecs_deploy.adapters.aws import Aws
from compose_ecs_deploy.build import BuildOptions, BuiltImage, build_and_push, registry_login
from compose_ecs_deploy.build_plan import sanitise_tag
from compose_ecs_deploy.console import Log, RememberingLog
from compose_ecs_deploy.core import native_rollout, rollout
from compose_ecs_deploy.core.native_rollout import NativeState
from compose_ecs_deploy.core.rollout import Outcome, WatchState
from compose_ecs_deploy.errors import Cancelled, InputError
from compose_ecs_deploy.failure import Diagnosis, explain
from compose_ecs_deploy.native_watch import watch_native
from compose_ecs_deploy.outputs import Publish, image_outputs, publish_nothing, service_outputs
from compose_ecs_deploy.plan import Plan, Target, plan_deploy, previous_images
from compose_ecs_deploy.render import Inputs
from compose_ecs_deploy.settings import Settings
from compose_ecs_deploy.timing import Stopwatch
from compose_ecs_deploy.watch import watch
from compose_ecs_deploy.writes import register, update


@dataclass
class ServiceResult:
    target: Target
    changed: bool
    revision_before: str
    task_definition_arn: str
    deployment_id: str | None = None
    outcome: Outcome | None = None
    rollback: Outcome | None = None
    seconds: float = 0.0
    diff: list[str] = field(default_factory=list)
    images: dict[str, str] = field(default_factory=dict)
    console_url: str = ""
    note: str = ""  # what ECS still does after our success (wait-until traffic-shifted)
    diagnoses: list[Diagnosis] = field(default_factory=list)

    @property
    def revision(self) -> str:
        return self.task_definition_arn.rsplit(":", 1)[-1]

    @property
    def succeeded(self) -> bool:
        return self.outcome is None or self.outcome.succeeded


@dataclass
class DeployResult:
    services: list[ServiceResult]
    dry_run: bool = False
    one_offs: list[oneoff.OneOffResult] = field(default_factory=list)

    @property
    def succeeded(self) -> bool:
        return all(s.succeeded for s in self.services) and all(o.succeeded for o in self.one_offs)

    @property
    def held_back(self) -> bool:
        """A run-before one-off failed, so no service was rolled out."""
        return not all(o.succeeded for o in self.one_offs)


def console_url(region: str | None, cluster: str, service: str) -> str:
    region = region or "us-east-1"
    return (
        f"https://{region}.console.aws.amazon.com/ecs/v2/clusters/{cluster}/services/"
        f"{service}/deployments?region={region}"
    )


@dataclass(frozen=True)
class Deployment:
    result: DeployResult
    images: dict[str, BuiltImage]
    phases: dict[str, float] = field(default_factory=dict)


def deploy(
    aws: Aws,
    settings: Settings,
    inputs: Inputs,
    log: Log,
    stopwatch: Stopwatch | None = None,
    *,
    publish: Publish = publish_nothing,
) -> Deployment:
    """Validate, build and push, run the one-offs, register what changed, update, watch,
    roll back.

    `publish` gets each group of outputs the moment it is known, so that a later failure
    (a register refused after the push) still leaves the images in the step's outputs.
    """
    stopwatch = stopwatch or Stopwatch()
    settings = oneoff.without_one_offs(settings, inputs)
    problems = oneoff.service_problems(inputs, settings, settings.run_before, "run-before")
    if problems:
        raise InputError(problems[0].message, problems)
    log = RememberingLog(log)  # the failure's log lines are masked with what the rest is
    with stopwatch.phase("plan"):
        planned = plan_deploy(aws, settings, inputs, log)
        gate = oneoff.plan_gate(aws, settings, inputs, planned)
    jobs, running = planned.jobs, planned.running
    if gate:
        jobs = jobs + gate.jobs
    credentials = registry_login(aws, log) if jobs else None
    plans = planned.plans
    tag = str(settings.image_tag)
    if credentials and settings.dry_run:  # show the image references a deploy would register
        plans = [
            p.with_images(
                {
                    job.service: f"{credentials.registry}/{job.repository}:{tag}"
                    for job in planned.jobs
                }
            )
            for p in plans
        ]
    built: dict[str, BuiltImage] = {}
    if settings.dry_run:
        for job in jobs:
            log.info(
                f"{job.service}: dry run: would build {job.context} and push "
                f"{credentials.registry if credentials else ''}/{job.repository}:{tag}"
            )
    elif jobs and credentials:
        built = build_and_push(
            aws,
            credentials,
            inputs.project,
            jobs,
            build_options(settings),
            log,
            previous_images(running),
            stopwatch,
        )
        publish(image_outputs(built))
        final = pushed_images(settings, built)
        own = gate.own_services if gate else frozenset()
        plans = [p.with_images({s: i for s, i in final.items() if s not in own}) for p in plans]
    if gate:
        with stopwatch.phase("run-before"):
            one_offs = oneoff.run_before(
                aws,
                settings,
                gate,
                oneoff.final_plans(inputs, settings, gate, final) if built else gate.plans,
                any(p.changed for p in plans),
                log,
            )
        publish(oneoff.outputs(one_offs))
        if not all(o.succeeded for o in one_offs):
            log.info("rollout not started: a run-before one-off did not succeed")
            return Deployment(
                DeployResult(list(_results(settings, plans).values()), one_offs=one_offs),
                built,
                stopwatch.seconds,
            )
        result = roll_out(aws, settings, plans, log, stopwatch, publish)
        result.one_offs = one_offs
        return Deployment(result, built, stopwatch.seconds)
    return Deployment(
        roll_out(aws, settings, plans, log, stopwatch, publish), built, stopwatch.seconds
    )


def build_options(settings: Settings) -> BuildOptions:
    return BuildOptions(
        tag=str(settings.image_tag),
        extra_tags=tuple(sanitise_tag(t) for t in settings.additional_tags),
        skip_existing=settings.skip_existing_image,
        registry_cache=settings.registry_cache,
        create_repository=settings.create_repository,
        scan_on_push=settings.scan_on_push,
        immutable_tags=settings.immutable_tags,
    )


def pushed_images(settings: Settings, built: Mapping[str, BuiltImage]) -> dict[str, str]:
    """What a task definition names for each built service: pinned by digest unless not."""
    return {s: (b.pinned if settings.pin_digest else b.tagged) for s, b in built.items()}


def _results(settings: Settings, plans: list[Plan]) -> dict[str, ServiceResult]:
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


def roll_out(
    aws: Aws,
    settings: Settings,
    plans: list[Plan],
    log: Log,
    stopwatch: Stopwatch,
    publish: Publish = publish_nothing,
) -> DeployResult:
    """Register each changed revision, update its service, watch, roll back failures.

    A service whose PRIMARY deployment has not COMPLETED is never "unchanged": when that
    deployment is of the revision this run would register, it is watched to its end (an
    earlier run started it and did not wait, or stopped waiting); otherwise it is deployed.
    """
    log = log if isinstance(log, RememberingLog) else RememberingLog(log)
    notices = dict.fromkeys(d for p in plans for d in p.rendered.diagnostics)
    for notice in notices:
        log.info(notice.render())
    results = _results(settings, plans)
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
    watches: dict[str, WatchState] = {}
    natives: dict[str, NativeState] = {}  # BLUE_GREEN, LINEAR, CANARY: ECS runs them
    try:
        for p in plans:
            _start(aws, settings, p, results, watches, natives, log, stopwatch, publish)
        if settings.wait and watches:
            with log.group("waiting for the services to become stable"), stopwatch.phase("wait"):
                deadline = time.monotonic() + settings.wait_timeout_minutes * 60  # one for both
                outcomes = watch(
                    aws, settings, {n: w for n, w in watches.items() if n not in natives}, log
                )
                outcomes.update(
                    watch_native(aws, settings, natives, log, deadline=deadline) if natives else {}
                )
            for name, outcome in outcomes.items():
                results[name].outcome = outcome
                results[name].seconds = time.monotonic() - started
                if name in natives and outcome.succeeded:
                    results[name].note = native_rollout.completion_note(natives[name])
            with stopwatch.phase("explain"):
                _explain(aws, settings, plans, results, log)
            with stopwatch.phase("rollback"):  # ECS, not UpdateService, reverses native ones
                _roll_back(
                    aws,
                    settings,
                    [p for p in plans if p.target.ecs_service not in natives],
                    results,
                    log,
                )
    except Cancelled as exc:  # between an update and the wait: name what was started
        for name, state in watches.items():
            if results[name].outcome is None:
                outcome = rollout.cancelled(state, str(exc))
                results[name].outcome = outcome
                log.info(f"{name}: {outcome.reason}")
        if not watches:
            raise
    return DeployResult(list(results.values()))


def _start(
    aws: Aws,
    settings: Settings,
    p: Plan,
    results: dict[str, ServiceResult],
    watches: dict[str, WatchState],
    natives: dict[str, NativeState],
    log: Log,
    stopwatch: Stopwatch,
    publish: Publish,
) -> None:
    """Register and update one service, or follow its unfinished (rolling) deployment, or
    leave it; the outputs are published after each write."""
    name = p.target.ecs_service
    result = results[name]
    unfinished = None if native_rollout.is_native(p.service) else p.unfinished
    if not p.changed and not settings.force_new_deployment:
        if unfinished is None:
            log.info(f"{name}: unchanged; service left alone (changed=false)")
            return
        watches[name] = rollout.start(
            name,
            p.current_arn,
            p.service,
            essential=p.essential,
            rollback_on_failure=settings.rollback_on_failure,
            deployment_id=str(unfinished.get("id")),
        )
        result.deployment_id = watches[name].deployment_id
        publish(service_outputs(results.values()))
        log.info(
            f"{name}: no change, but deployment {result.deployment_id} of this revision "
            f"is {unfinished.get('rolloutState') or 'not finished'} (an earlier run "
            "started it); following it to its end"
        )
        return
    if p.changed:
        with stopwatch.phase("register"):
            registered = register(aws, settings, p, log)
        result.task_definition_arn = str(registered["taskDefinitionArn"])
        log.info(f"{name}: registered {result.task_definition_arn}")
        publish(service_outputs(results.values()))
    with stopwatch.phase("update"):
        service = update(aws, settings, name, result.task_definition_arn, p.service, log)
    watches[name] = rollout.start(
        name,
        result.task_definition_arn,
        service,
        essential=p.essential,
        rollback_on_failure=settings.rollback_on_failure,
    )
    result.deployment_id = watches[name].deployment_id
    publish(service_outputs(results.values()))
    log.info(f"{name}: deployment {result.deployment_id} started ({result.console_url})")
    if native_rollout.is_native(service):
        natives[name] = native_rollout.start(
            name, result.task_definition_arn, service, settings.wait_until, before=p.service
        )
    elif settings.wait_until != "complete":
        log.info(
            f"{name}: notice: wait-until {settings.wait_until} applies to BLUE_GREEN, "
            f"LINEAR and CANARY deployments; this one is "
            f"{native_rollout.strategy(service)}, so the wait lasts until it is "
            "complete"
        )


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
        name = p.target.ecs_service
        result = results[name]
        if result.outcome is None or result.outcome.succeeded or not result.outcome.tasks:
            continue
        result.diagnoses = explain(
            aws,
            name,
            result.outcome.tasks,
            p.rendered.request,
            log_lines=settings.log_lines,
            region=str(settings.region),
            log=log,
        )


def _roll_back(
    aws: Aws, settings: Settings, plans: list[Plan], results: dict[str, ServiceResult], log: Log
) -> None:
    """Point each service whose verdict says "roll back" at its last COMPLETED revision,
    and wait for that; a rollback ECS has started is left to ECS (never a second one)."""
    watches: dict[str, WatchState] = {}
    for p in plans:
        name = p.target.ecs_service
        outcome = results[name].outcome
        if outcome is None or outcome.action not in ("roll-back", "ecs-rolls-back"):
            continue
        if outcome.action == "ecs-rolls-back":
            log.info(f"{name}: ECS rolls this service back; no rollback of ours")
            continue
        target = p.rollback_to
        if target == results[name].task_definition_arn:
            log.info(f"{name}: no COMPLETED revision to roll back to; {target} stays")
            continue
        log.info(f"{name}: rolling back to {target}")
        before = ecs.describe_services(aws, str(settings.cluster), [name])[name]
        service = update(aws, settings, name, target, before, log)
        watches[name] = rollout.start(name, target, service)
        results[name].revision_before = target
    if not watches:
        return
    with log.group("waiting for the rollback"):
        outcomes = watch(aws, settings, watches, log)
    for name, outcome in outcomes.items():
        results[name].rollback = outcome
