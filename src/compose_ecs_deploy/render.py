"""The `render` verb: compose files in, a validated RegisterTaskDefinition request out.

It is also the first half of `diff` and `deploy`, which pass a base revision from AWS; it
never touches AWS itself, so that a bad compose file costs no build and no API call.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from compose_ecs_deploy.adapters import compose_cli, files
from compose_ecs_deploy.adapters.aws_model import check_register_request
from compose_ecs_deploy.core.convert import Conversion, ConversionOptions, to_task_definition
from compose_ecs_deploy.core.project import Project
from compose_ecs_deploy.core.secrets import SecretBinding, parse_secret_lines
from compose_ecs_deploy.core.taskdef import strip_read_only
from compose_ecs_deploy.core.validate import validate
from compose_ecs_deploy.diagnostics import Diagnostic, Diagnostics
from compose_ecs_deploy.errors import DeployError, InputError
from compose_ecs_deploy.settings import Settings


@dataclass(frozen=True)
class Rendered:
    project: Project
    conversion: Conversion
    diagnostics: tuple[Diagnostic, ...]

    @property
    def request(self) -> dict[str, Any]:
        return self.conversion.request


def parse_pairs(pairs: tuple[str, ...], option: str) -> list[tuple[str, str]]:
    """`KEY=VALUE` options such as --build-arg; a malformed one is an input error."""
    parsed = []
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise InputError(f"{option} {pair!r} is not KEY=VALUE")
        parsed.append((key.strip(), value))
    return parsed


def parse_images(pairs: tuple[str, ...], diagnostics: Diagnostics) -> dict[str, str]:
    images: dict[str, str] = {}
    for pair in pairs:
        service, sep, uri = pair.partition("=")
        if not sep or not service.strip() or not uri.strip():
            diagnostics.error("image-syntax",
                              f"--image {pair!r} is not SERVICE=URI; write e.g. "
                              "--image app=123456789012.dkr.ecr.REGION.amazonaws.com/app:TAG")
            continue
        images[service.strip()] = uri.strip()
    return images


def load_base(path: str | None, diagnostics: Diagnostics) -> dict[str, Any] | None:
    if path is None:
        return None
    document = files.parse_document(path)
    if not isinstance(document, Mapping) or not isinstance(
        document.get("taskDefinition", document), Mapping
    ):
        diagnostics.add(Diagnostic.error(
            "base-not-mapping", "the base task definition must be a JSON/YAML object (a "
            "RegisterTaskDefinition request or a DescribeTaskDefinition answer)", file=path))
        return None
    return strip_read_only(document)


@dataclass(frozen=True)
class Inputs:
    """Everything read from disk once, shared by every ECS service a deploy renders."""

    project: Project
    images: Mapping[str, str]
    secrets: tuple[SecretBinding, ...]
    base_file: Mapping[str, Any] | None
    diagnostics: tuple[Diagnostic, ...]


def prepare(settings: Settings) -> Inputs:
    """Read the compose files, secrets and base file.

    Only a project that cannot be loaded raises here; problems with secrets, images or the
    base file travel on as diagnostics, so they are reported with the conversion's own.
    """
    diagnostics = Diagnostics()
    images = parse_images(settings.images, diagnostics)
    secret_lines = [(text, "--secret") for text in settings.secrets]
    try:
        if settings.secrets_file:
            secret_lines += files.secret_lines(settings.secrets_file)
        base = load_base(settings.task_definition, diagnostics)
        project, notices = compose_cli.load_project(settings.compose_files, settings.profiles,
                                                    env=settings.environment or None)
    except DeployError as exc:
        for diagnostic in exc.diagnostics:
            diagnostics.add(diagnostic)
        parse_secret_lines(secret_lines, diagnostics)
        raise InputError(str(exc), diagnostics.items) from exc
    secrets = parse_secret_lines(secret_lines, diagnostics)
    return Inputs(project, images, secrets, base, tuple(notices) + tuple(diagnostics.items))


def build_request(
    inputs: Inputs,
    settings: Settings,
    *,
    services: tuple[str, ...] | None = None,
    base: Mapping[str, Any] | None = None,
    images: Mapping[str, str] | None = None,
    other_tasks_services: frozenset[str] = frozenset(),
) -> Rendered:
    """Convert and validate for one task; raise InputError with every problem found.

    `base` (the running revision) takes the place of the base file; `images` (what the build
    stage pushed) is laid over the `--image` options; `other_tasks_services` are the services
    of the other ECS services deployed with this one, whose images are not this task's.
    """
    diagnostics = Diagnostics()
    for diagnostic in inputs.diagnostics:
        diagnostics.add(diagnostic)
    options = ConversionOptions(
        services=settings.services if services is None else services,
        images={**inputs.images, **(images or {})},
        secrets=inputs.secrets,
        family=settings.family,
        region=settings.region,
        base=base if base is not None else inputs.base_file,
        other_tasks_services=other_tasks_services,
        strict=settings.strict,
    )
    conversion = to_task_definition(inputs.project, options, diagnostics)
    if conversion.services:
        validate(conversion.request, diagnostics,
                 compose_services=frozenset(conversion.services), origins=conversion.origins)
    if not diagnostics.has_errors():
        for problem in check_register_request(conversion.request):
            diagnostics.error("api-model", problem)
    located = tuple(compose_cli.locate(d, inputs.project) for d in diagnostics.items)
    if any(d.severity == "error" for d in located):
        first = next(d for d in located if d.severity == "error")
        raise InputError(first.message, list(located))
    return Rendered(project=inputs.project, conversion=conversion, diagnostics=located)


def render(settings: Settings) -> Rendered:
    """The `render` verb: offline, from the files and options alone."""
    return build_request(prepare(settings), settings)
