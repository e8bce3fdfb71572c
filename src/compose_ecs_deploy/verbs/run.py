"""The `run` verb: one compose service as a one-off ECS task, with no rollout.

It is a one-off (`rollout.oneoff_plan`, `rollout.oneoff_run`) run on its own: what it refers
to is checked first (the pre-flight checks of a deploy; `--no-verify` skips them), the
service's image is built and pushed when it has a build section (skipped when the tag is in
ECR already), its `<family>-<service>` revision registered when it changed, and the task run
in the first ECS service's network, optionally with another command; the verb exits with the
task's exit code.
"""

from __future__ import annotations

from dataclasses import dataclass

from compose_ecs_deploy.aws import tasks
from compose_ecs_deploy.aws.client import Aws, session
from compose_ecs_deploy.aws.parameters import check_bare_parameters
from compose_ecs_deploy.compose.taskdef import strip_read_only
from compose_ecs_deploy.diagnostics import Diagnostic
from compose_ecs_deploy.errors import EXIT_FAILURE, EXIT_OK, ExitCode, InputError
from compose_ecs_deploy.images.build import (
    build_and_push,
    build_options,
    pushed_images,
    registry_login,
)
from compose_ecs_deploy.images.builder import find_builder
from compose_ecs_deploy.images.plan import BuildJob, jobs_for
from compose_ecs_deploy.loading.inputs import Inputs, prepare, with_images
from compose_ecs_deploy.pipeline.plan import parse_targets, previous_images, read_running
from compose_ecs_deploy.pipeline.preflight import Subject, preflight, warm_clients
from compose_ecs_deploy.report.console import Log, RememberingLog
from compose_ecs_deploy.report.face import Face
from compose_ecs_deploy.rollout.oneoff_plan import render, service_problems, with_diff
from compose_ecs_deploy.rollout.oneoff_run import OneOffResult
from compose_ecs_deploy.rollout.oneoff_run import run as run_one_off
from compose_ecs_deploy.settings import Settings, deploy_option_problems
from compose_ecs_deploy.timing import Stopwatch


@dataclass(frozen=True)
class RunOptions:
    """What `run` takes beyond deploy's options: the compose service, and the command that
    replaces its own (empty: the service's command)."""

    service: str
    command: tuple[str, ...] = ()

    @classmethod
    def of(cls, settings: Settings) -> RunOptions:
        return cls(str(settings.run_service), tuple(settings.run_command))


def run_service(
    aws: Aws, settings: Settings, inputs: Inputs, options: RunOptions, log: Log
) -> OneOffResult:
    """Build the service's image if it has a build section, then run it once with the
    first ECS service's network settings; no rollout."""
    service, command = options.service, options.command
    log = RememberingLog(log)  # the failure's log lines are masked with what the rest is
    problems = deploy_option_problems(settings)
    problems += service_problems(inputs, settings, [service], "run")
    targets = parse_targets(settings)[:1]
    jobs: list[BuildJob] = []
    if not problems:
        try:
            jobs = jobs_for(inputs.project, inputs.images, settings, [service])
        except InputError as exc:
            problems.extend(exc.diagnostics)
    if jobs and not settings.image_tag:
        problems.append(Diagnostic.error("image-tag-missing", "no image tag: pass --image-tag"))
    if problems:
        raise InputError(problems[0].message, problems)
    if jobs and settings.builder:  # a builder that is not there fails before any write
        log.info(f"build on {find_builder(settings.builder).line()}")
    running = read_running(aws, settings, targets)
    current = running[targets[0].ecs_service]
    # The task's family by the conversion's precedence: --family, x-ecs, the running one.
    family = settings.family or str(
        inputs.project.x_ecs.get("family") or current.task_definition["family"]
    )
    base = (
        inputs.base_file
        if inputs.base_file is not None
        else strip_read_only(current.task_definition)
    )
    everyone = frozenset(inputs.project.services)
    images = {job.service: f"{job.repository}:{settings.image_tag}" for job in jobs}
    rendered = render(
        inputs, settings, service, family=family, base=base, images=images, task_services=everyone
    )
    problems = check_bare_parameters(aws, rendered.bare_names, log)  # even with --no-verify
    if problems:
        raise InputError(problems[0].message, problems)
    bare = frozenset(name.value_from for name in rendered.bare_names)  # each one found
    latest = tasks.latest_revision(aws, str(rendered.request["family"]))
    if settings.verify:  # what the one-off refers to exists, before its first build or write
        own = frozenset(job.service for job in jobs)
        preflight(aws, Subject(settings, [rendered.request], own, {}, parameters=bare), log)
    if jobs:
        credentials = registry_login(aws, log)
        built = build_and_push(
            aws,
            credentials,
            inputs.project,
            jobs,
            build_options(settings),
            log,
            previous_images(running),
            Stopwatch(),
        )
        rendered = with_images(rendered, pushed_images(settings, built))
    return run_one_off(
        aws, settings, with_diff(service, rendered, latest), current.service, log, command
    )


def run(settings: Settings, face: Face) -> ExitCode:
    """One compose service as a one-off task; the exit code is the task's (1 without one)."""
    aws = session(settings, face.log)
    warm_clients(aws, settings)  # made while the compose files load and the plan reads ECS
    inputs = prepare(settings)
    result = run_service(aws, settings, inputs, RunOptions.of(settings), face.log)
    face.outputs(
        {
            "run-task-arn": result.task_arn,
            "exit-code": "" if result.exit_code is None else str(result.exit_code),
        }
    )
    if result.kind == "succeeded":
        return EXIT_OK
    face.report(Diagnostic.error("one-off-failed", result.failure_line()))
    return ExitCode(result.exit_code) if result.exit_code else EXIT_FAILURE
