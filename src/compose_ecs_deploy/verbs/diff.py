"""The `diff` verb: each ECS service's rendered revision against the one it runs, as the
plan of a deploy sees it; it reads AWS and writes nothing."""

from __future__ import annotations

from compose_ecs_deploy.aws.client import session
from compose_ecs_deploy.aws.parameters import bare_names, check_bare_parameters
from compose_ecs_deploy.errors import EXIT_OK, ExitCode, InputError
from compose_ecs_deploy.loading.inputs import prepare
from compose_ecs_deploy.pipeline.plan import make_plans, parse_targets, read_running
from compose_ecs_deploy.report.face import Face
from compose_ecs_deploy.settings import Settings


def run(settings: Settings, face: Face) -> ExitCode:
    targets = parse_targets(settings)
    inputs = prepare(settings)
    aws = session(settings, face.log)
    plans = make_plans(inputs, settings, targets, read_running(aws, settings, targets), {})
    names = bare_names(p.rendered.bare_names for p in plans)
    problems = check_bare_parameters(aws, names, face.log)  # masked before the diff prints
    if problems:
        raise InputError(problems[0].message, problems)
    for diagnostic in dict.fromkeys(d for p in plans for d in p.rendered.diagnostics):
        face.report(diagnostic)
    for plan in plans:
        if plan.changed:
            face.data("\n".join(plan.diff) + "\n")
        else:
            face.data(f"{plan.target.ecs_service}: no change from {plan.current_arn}\n")
    return EXIT_OK
