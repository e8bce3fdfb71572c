"""The `render` verb: compose files in, the validated RegisterTaskDefinition request out as
JSON on stdout, notices on stderr; no AWS access (it imports no AWS client)."""

from __future__ import annotations

from compose_ecs_deploy.compose.taskdef import to_json
from compose_ecs_deploy.errors import EXIT_OK, ExitCode, InputError
from compose_ecs_deploy.loading.inputs import Rendered, build_request, prepare
from compose_ecs_deploy.report.face import Face
from compose_ecs_deploy.settings import Settings


def render(settings: Settings) -> Rendered:
    """The request, offline, from the files and options alone.

    A bare parameter name, wherever the request got it (`--secret`, a secrets file, x-ecs,
    the base file), is refused: it is taken only once SSM says the parameter exists
    (aws/parameters.py), which an offline render cannot ask."""
    rendered = build_request(prepare(settings), settings)
    problems = [
        name.refused(
            "render (offline) cannot ask SSM: give the parameter's ARN, or use diff or deploy, "
            "which look it up"
        )
        for name in rendered.bare_names
    ]
    if problems:
        problems = list(dict.fromkeys(problems))
        raise InputError(problems[0].message, problems)
    return rendered


def run(settings: Settings, face: Face) -> ExitCode:
    rendered = render(settings)
    for diagnostic in rendered.diagnostics:
        face.report(diagnostic)
    face.data(to_json(rendered.request))
    return EXIT_OK
