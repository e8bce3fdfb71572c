"""The `render` verb: compose files in, the validated RegisterTaskDefinition request out as
JSON on stdout, notices on stderr; no AWS access (it imports no AWS client)."""

from __future__ import annotations

from compose_ecs_deploy.compose.taskdef import to_json
from compose_ecs_deploy.diagnostics import Diagnostic
from compose_ecs_deploy.errors import EXIT_OK, ExitCode, InputError
from compose_ecs_deploy.loading.inputs import Rendered, build_request, prepare
from compose_ecs_deploy.report.face import Face
from compose_ecs_deploy.settings import Settings


def render(settings: Settings) -> Rendered:
    """The request, offline, from the files and options alone.

    A bare parameter name in the secrets is refused: it is taken only once SSM says the
    parameter exists (aws/parameters.py), which an offline render cannot ask."""
    inputs = prepare(settings)
    problems = [
        Diagnostic.error(
            "secret-arn",
            f"{binding.origin}: {binding.key}: the value is no ARN and no /PATH/NAME; a bare "
            "SSM parameter name is taken only once SSM says it exists, which render (offline) "
            "cannot ask (the value is not repeated here): give the parameter's ARN, or use "
            "diff or deploy, which look it up",
        )
        for binding in inputs.secrets
        if binding.bare
    ]
    if problems:
        raise InputError(problems[0].message, problems)
    return build_request(inputs, settings)


def run(settings: Settings, face: Face) -> ExitCode:
    rendered = render(settings)
    for diagnostic in rendered.diagnostics:
        face.report(diagnostic)
    face.data(to_json(rendered.request))
    return EXIT_OK
