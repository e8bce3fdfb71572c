"""The `render` verb: compose files in, the validated RegisterTaskDefinition request out as
JSON on stdout, notices on stderr; no AWS access (it imports no AWS client)."""

from __future__ import annotations

from compose_ecs_deploy.compose.taskdef import to_json
from compose_ecs_deploy.errors import EXIT_OK, ExitCode
from compose_ecs_deploy.loading.inputs import Rendered, build_request, prepare
from compose_ecs_deploy.report.face import Face
from compose_ecs_deploy.settings import Settings


def render(settings: Settings) -> Rendered:
    """The request, offline, from the files and options alone."""
    return build_request(prepare(settings), settings)


def run(settings: Settings, face: Face) -> ExitCode:
    rendered = render(settings)
    for diagnostic in rendered.diagnostics:
        face.report(diagnostic)
    face.data(to_json(rendered.request))
    return EXIT_OK
