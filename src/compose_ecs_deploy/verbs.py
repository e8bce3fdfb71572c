"""What each verb does, the same for both faces: settings in, results out through a Face.

The CLI and the action only parse their input into `Settings` and choose a verb; the work
and its order live here, and `edge.run` catches whatever ends it.
"""

from __future__ import annotations

from compose_ecs_deploy.edge import Face
from compose_ecs_deploy.errors import EXIT_FAILURE, EXIT_OK, ExitCode
from compose_ecs_deploy.settings import Settings


def render(settings: Settings, face: Face) -> ExitCode:
    """The RegisterTaskDefinition request as JSON; no AWS access."""
    from compose_ecs_deploy.core.taskdef import to_json
    from compose_ecs_deploy.render import render as render_request

    rendered = render_request(settings)
    for diagnostic in rendered.diagnostics:
        face.report(diagnostic)
    face.data(to_json(rendered.request))
    return EXIT_OK


def diff(settings: Settings, face: Face) -> ExitCode:
    """The rendered revision of each ECS service against the one it runs."""
    from compose_ecs_deploy.adapters.aws import Aws
    from compose_ecs_deploy.plan import make_plans, parse_targets, read_running
    from compose_ecs_deploy.render import prepare

    targets = parse_targets(settings)
    inputs = prepare(settings)
    aws = Aws(settings.region, max_retries=settings.max_retries)
    plans = make_plans(inputs, settings, targets, read_running(aws, settings, targets), {})
    for diagnostic in dict.fromkeys(d for p in plans for d in p.rendered.diagnostics):
        face.report(diagnostic)
    for plan in plans:
        if plan.changed:
            face.data("\n".join(plan.diff) + "\n")
        else:
            face.data(f"{plan.target.ecs_service}: no change from {plan.current_arn}\n")
    return EXIT_OK


def deploy(settings: Settings, face: Face) -> ExitCode:
    """Build, push, register, roll out, watch; outputs as soon as each is known."""
    from compose_ecs_deploy.adapters.aws import Aws
    from compose_ecs_deploy.deploy import deploy as run_deploy
    from compose_ecs_deploy.diagnostics import Diagnostic
    from compose_ecs_deploy.render import prepare
    from compose_ecs_deploy.report import failure_lines, outputs

    inputs = prepare(settings)
    aws = Aws(settings.region, max_retries=settings.max_retries)
    deployment = run_deploy(aws, settings, inputs, face.log, publish=face.outputs)
    face.outputs(outputs(deployment.result, deployment.images))
    face.summary(deployment)
    failures = failure_lines(deployment.result)
    for line in failures:
        face.report(Diagnostic.error("deployment-failed", line))
    return EXIT_FAILURE if failures else EXIT_OK


def run(settings: Settings, face: Face) -> ExitCode:
    """One compose service as a one-off task; the exit code is the task's (1 without one)."""
    from compose_ecs_deploy.adapters.aws import Aws
    from compose_ecs_deploy.diagnostics import Diagnostic
    from compose_ecs_deploy.render import prepare
    from compose_ecs_deploy.run_verb import run_service

    inputs = prepare(settings)
    aws = Aws(settings.region, max_retries=settings.max_retries)
    result = run_service(
        aws, settings, inputs, str(settings.run_service), settings.run_command, face.log
    )
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
