"""The `deploy` verb: plan once, build and push, run the one-offs, then roll out and report.

The order is the contract. Everything is read and validated before the first build or write
(`pipeline.plan`, one `Planned` value handed down); the images are built and pushed and laid
over the plan; the run-before one-offs gate the rollout; each service's controller rolls it
out and is watched (`rollout.roll_out`); the report turns the result into outputs, a summary
and error lines. Nothing here asks which kind of deployment a service has.
"""

from __future__ import annotations

from compose_ecs_deploy.aws.client import Aws, session
from compose_ecs_deploy.diagnostics import Diagnostic
from compose_ecs_deploy.errors import EXIT_FAILURE, EXIT_OK, ExitCode
from compose_ecs_deploy.images.build import (
    BuiltImage,
    build_and_push,
    build_options,
    pushed_images,
    registry_login,
)
from compose_ecs_deploy.images.builder import find_builder
from compose_ecs_deploy.loading.inputs import Inputs, prepare
from compose_ecs_deploy.pipeline.plan import plan_deploy, previous_images
from compose_ecs_deploy.pipeline.preflight import Subject, preflight, warm_clients
from compose_ecs_deploy.pipeline.results import Deployment, DeployResult
from compose_ecs_deploy.report import oneoffs as oneoff_report
from compose_ecs_deploy.report.console import Log, RememberingLog
from compose_ecs_deploy.report.face import Face
from compose_ecs_deploy.report.outputs import Publish, image_outputs, publish_nothing
from compose_ecs_deploy.report.summary import failure_lines, outputs, throttle_line
from compose_ecs_deploy.rollout.oneoff_plan import final_plans
from compose_ecs_deploy.rollout.oneoff_run import run_before
from compose_ecs_deploy.rollout.roll_out import initial_results, roll_out
from compose_ecs_deploy.settings import Settings
from compose_ecs_deploy.timing import Stopwatch


def run(settings: Settings, face: Face, aws: Aws | None = None) -> ExitCode:
    """Build, push, register, roll out, watch; outputs as soon as each is known. `aws` is the
    run's session when a later step of the same run (the action's `prune-keep`) reuses what
    this one read, such as a CODE_DEPLOY service's deployment group; else one of its own."""
    aws = aws or session(settings, face.log)
    warm_clients(aws, settings)  # made while the compose files load and the plan reads ECS
    inputs = prepare(settings)
    deployment = deploy(aws, settings, inputs, face.log, publish=face.outputs)
    deployment.result.throttled_calls = aws.throttle.throttled
    deployment.result.throttle_waited = aws.throttle.spent
    if (said := throttle_line(deployment.result)) is not None:
        face.log.info(said)
    face.outputs(outputs(deployment.result, deployment.images))
    face.summary(deployment)
    failures = failure_lines(deployment.result)
    for line in failures:
        face.report(Diagnostic.error("deployment-failed", line))
    return EXIT_FAILURE if failures else EXIT_OK


def deploy(
    aws: Aws,
    settings: Settings,
    inputs: Inputs,
    log: Log,
    stopwatch: Stopwatch | None = None,
    *,
    publish: Publish = publish_nothing,
) -> Deployment:
    """Validate, build and push, run the one-offs, register what changed, roll out, watch,
    roll back.

    `publish` gets each group of outputs the moment it is known, so that a later failure
    (a register refused after the push) still leaves the images in the step's outputs.
    """
    stopwatch = stopwatch or Stopwatch()
    log = RememberingLog(log)  # the failure's log lines are masked with what the rest is
    with stopwatch.phase("plan"):
        planned = plan_deploy(aws, settings, inputs, log)
    settings, gate, plans = planned.settings, planned.gate, planned.plans
    jobs = planned.jobs + (gate.jobs if gate else [])
    writes = settings.force_new_deployment or gate or jobs or any(p.changed for p in plans)
    if jobs and settings.builder:  # a builder that is not there fails before any write
        log.info(f"build on {find_builder(settings.builder).line()}")
    # The login (a read) comes first: its password is masked before any group is opened.
    credentials = registry_login(aws, log) if jobs else None
    if settings.verify and writes:  # nothing is written to an unchanged service: no checks
        with stopwatch.phase("verify"):
            preflight(aws, Subject.of(planned), log, create=not settings.dry_run)
    tag = str(settings.image_tag)
    built: dict[str, BuiltImage] = {}
    if settings.dry_run:
        if credentials:  # show the image references a deploy would register
            plans = [
                p.with_images(
                    {
                        j.service: f"{credentials.registry}/{j.repository}:{tag}"
                        for j in planned.jobs
                    }
                )
                for p in plans
            ]
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
            previous_images(planned.running),
            stopwatch,
        )
        publish(image_outputs(built))
        own = gate.own_services if gate else frozenset()
        final = pushed_images(settings, built)
        plans = [p.with_images({s: i for s, i in final.items() if s not in own}) for p in plans]
    if gate is None:
        return Deployment(
            roll_out(aws, settings, plans, log, stopwatch, publish), built, stopwatch.seconds
        )
    with stopwatch.phase("run-before"):
        one_offs = run_before(
            aws,
            settings,
            gate,
            final_plans(inputs, gate, pushed_images(settings, built)) if built else gate.plans,
            any(p.changed for p in plans),
            log,
        )
    publish(oneoff_report.outputs(one_offs))
    if not all(o.succeeded for o in one_offs):
        log.info("rollout not started: a run-before one-off did not succeed")
        result = DeployResult(list(initial_results(settings, plans).values()), one_offs=one_offs)
        return Deployment(result, built, stopwatch.seconds)
    result = roll_out(aws, settings, plans, log, stopwatch, publish)
    result.one_offs = one_offs
    return Deployment(result, built, stopwatch.seconds)
