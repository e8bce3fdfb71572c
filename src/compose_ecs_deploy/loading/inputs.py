"""The `render` verb: compose files in, a validated RegisterTaskDefinition request out.

It is also the first half of `diff` and `deploy`, which pass a base revision from AWS; it
never touches AWS itself, so that a bad compose file costs no build and no API call.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from compose_ecs_deploy.aws.model import check_register_request, format_path
from compose_ecs_deploy.compose.bind_secrets import blame_bindings
from compose_ecs_deploy.compose.container_checks import BaseFile
from compose_ecs_deploy.compose.convert import Conversion, ConversionOptions, to_task_definition
from compose_ecs_deploy.compose.project import Project
from compose_ecs_deploy.compose.secrets import BareName, SecretBinding, parse_secret_lines
from compose_ecs_deploy.compose.taskdef import strip_read_only
from compose_ecs_deploy.compose.validate import validate
from compose_ecs_deploy.diagnostics import Diagnostic, Diagnostics
from compose_ecs_deploy.errors import DeployError, InputError
from compose_ecs_deploy.loading import compose_cli, files, values
from compose_ecs_deploy.settings import Settings


@dataclass(frozen=True)
class Rendered:
    project: Project
    conversion: Conversion
    diagnostics: tuple[Diagnostic, ...]
    # The request's bare SSM parameter names, located: SSM decides (aws/parameters.py).
    bare_names: tuple[BareName, ...] = ()

    @property
    def request(self) -> dict[str, Any]:
        return self.conversion.request


def with_images(rendered: Rendered, images: Mapping[str, str]) -> Rendered:
    """The same request with other image references (what the build stage pushed) laid over
    the containers they name: a pure step after the build, never a second render."""
    request = {
        **rendered.request,
        "containerDefinitions": [
            {**c, "image": images[c["name"]]} if c["name"] in images else c
            for c in rendered.request["containerDefinitions"]
        ],
    }
    return replace(rendered, conversion=replace(rendered.conversion, request=request))


def parse_pairs(pairs: tuple[str, ...], option: str) -> list[tuple[str, str]]:
    """`KEY=VALUE` options such as --build-arg; a malformed one is an input error."""
    parsed = []
    for number, pair in enumerate(pairs, 1):
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():  # a build argument may be a pasted secret: not repeated
            raise InputError(f"{option} #{number} is not KEY=VALUE (its text is not repeated here)")
        parsed.append((key.strip(), value))
    return parsed


def parse_images(pairs: tuple[str, ...], diagnostics: Diagnostics) -> dict[str, str]:
    images: dict[str, str] = {}
    for pair in pairs:
        service, sep, uri = pair.partition("=")
        if not sep or not service.strip() or not uri.strip():
            diagnostics.error(
                "image-syntax",
                f"--image {pair!r} is not SERVICE=URI; write e.g. "
                "--image app=123456789012.dkr.ecr.REGION.amazonaws.com/app:TAG",
            )
            continue
        if service.strip() in images:
            diagnostics.error(
                "image-twice",
                f"--image names service {service.strip()} twice (action input images); keep one",
            )
            continue
        images[service.strip()] = uri.strip()
    return images


def load_base(path: str, diagnostics: Diagnostics) -> tuple[dict[str, Any], BaseFile] | None:
    """The base file as a request (read-only fields stripped) and where it wrote what, or
    None with every problem in `diagnostics`; an unreadable file raises."""
    document = files.read_document(path, "base task definition")
    data, prefix = document.data, ""
    if isinstance(data, Mapping) and "taskDefinition" in data:
        data, prefix = data["taskDefinition"], "taskDefinition"
    if not isinstance(data, Mapping):
        diagnostics.add(
            Diagnostic.error(
                "base-not-mapping",
                f"the base task definition must be a JSON/YAML object (a "
                f"RegisterTaskDefinition request or a DescribeTaskDefinition answer), not "
                f"{type(data).__name__ if data is not None else 'an empty file'}",
                file=path,
                field=prefix or None,
                line=document.line_of(prefix) if prefix else None,
            )
        )
        return None
    request = strip_read_only(data)
    if prefix and isinstance(document.data.get("tags"), list) and "tags" not in request:
        request["tags"] = document.data["tags"]  # a Describe answer keeps them beside it
    problems = values.base_problems(document, request, prefix)
    for problem in problems:
        diagnostics.add(problem)
    if problems:
        return None
    at = f"{prefix}." if prefix else ""
    containers = request.get("containerDefinitions") or []
    lines = {
        str(c["name"]): document.line_of(f"{at}containerDefinitions[{i}]")
        for i, c in enumerate(containers)
    }
    return request, BaseFile(
        path,
        {key: line for key in request if (line := document.line_of(f"{at}{key}"))},
        {name: line for name, line in lines.items() if line},
    )


@dataclass(frozen=True)
class Inputs:
    """Everything read from disk once, shared by every ECS service a deploy renders."""

    project: Project
    images: Mapping[str, str]
    secrets: tuple[SecretBinding, ...]
    base_file: Mapping[str, Any] | None
    diagnostics: tuple[Diagnostic, ...]
    base_source: BaseFile | None = None  # where the base file wrote its values


def without_x_ecs_keys(inputs: Inputs, keys: tuple[str, ...]) -> Inputs:
    """The inputs with these top-level `x-ecs` keys left out of the task: they configure the
    service (Express's `scalingTarget`, ...), which its controller takes from the project."""
    x_ecs = inputs.project.x_ecs
    if not any(key in x_ecs for key in keys):
        return inputs
    kept = {key: value for key, value in x_ecs.items() if key not in keys}
    project = replace(inputs.project, extensions={**inputs.project.extensions, "x-ecs": kept})
    return replace(inputs, project=project)


def prepare(settings: Settings) -> Inputs:
    """Read the compose files, secrets and base file, and check every value read.

    A project that cannot be loaded, an unreadable file or a wrong value (an `x-ecs`
    block's, the base file's) raises here, with every problem found; problems with
    secrets or images travel on as diagnostics, reported with the conversion's own.
    """
    diagnostics = Diagnostics()
    images = parse_images(settings.images, diagnostics)
    secret_lines = [(text, "--secret") for text in settings.secrets]
    loaded: tuple[dict[str, Any], BaseFile] | None = None
    project: Project | None = None
    notices: list[Diagnostic] = []
    stops = False
    try:
        if settings.secrets_file:
            secret_lines += files.secret_lines(settings.secrets_file)
        if settings.task_definition is not None:
            before = len(diagnostics.items)
            loaded = load_base(settings.task_definition, diagnostics)
            stops = len(diagnostics.items) > before
        project, notices = compose_cli.load_project(
            settings.compose_files, settings.profiles, env=settings.environment or None
        )
    except DeployError as exc:
        for diagnostic in exc.diagnostics:
            diagnostics.add(diagnostic)
    if project is not None:
        for problem in values.project_problems(project):
            stops = True
            diagnostics.add(compose_cli.locate(problem, project))
    secrets = parse_secret_lines(secret_lines, diagnostics)
    if project is None or stops:
        first = next(d for d in diagnostics.items if d.severity == "error")
        raise InputError(first.message, diagnostics.items)
    base, source = loaded if loaded else (None, None)
    return Inputs(project, images, secrets, base, tuple(notices) + tuple(diagnostics.items), source)


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
    from_file = base is None or base is inputs.base_file
    options = ConversionOptions(
        services=settings.services if services is None else services,
        images={**inputs.images, **(images or {})},
        secrets=inputs.secrets,
        family=settings.family,
        region=settings.region,
        base=base if base is not None else inputs.base_file,
        base_label=settings.task_definition if base is None or base is inputs.base_file else None,
        other_tasks_services=other_tasks_services,
        strict=settings.strict,
        **(
            {"secrets_init_image": settings.secrets_init_image}
            if settings.secrets_init_image
            else {}
        ),
    )
    conversion = to_task_definition(inputs.project, options, diagnostics)
    bare: tuple[BareName, ...] = ()
    if conversion.services:
        bare = validate(
            conversion.request,
            diagnostics,
            compose_services=frozenset(conversion.services),
            origins={**conversion.origins, **_x_ecs_origins(inputs.project, conversion)},
            x_ecs_keys=frozenset(inputs.project.x_ecs),
            base_file=inputs.base_source if from_file else None,
        )
        bare = blame_bindings(bare, inputs.secrets, conversion.services[0])
    if not diagnostics.has_errors():
        _check_against_the_model(conversion.request, diagnostics)
    located = tuple(compose_cli.locate(d, inputs.project) for d in diagnostics.items)
    if any(d.severity == "error" for d in located):
        first = next(d for d in located if d.severity == "error")
        raise InputError(first.message, list(located))
    bare = tuple(replace(b, where=compose_cli.locate(b.where, inputs.project)) for b in bare)
    return Rendered(inputs.project, conversion, located, bare)


def _x_ecs_origins(project: Project, conversion: Conversion) -> dict[tuple[str, str], str]:
    """Container keys a service's x-ecs block set, so that ECS's rules name them there."""
    origins = {}
    for service in conversion.services:
        block = project.services[service].get("x-ecs") or {}
        origins.update({(service, str(key)): f"x-ecs.{key}" for key in block})
    return origins


def _check_against_the_model(request: Mapping[str, Any], diagnostics: Diagnostics) -> None:
    """botocore's validator and every enum, on the final request; a container's problem
    names its service."""
    containers = request.get("containerDefinitions") or []
    for problem in check_register_request(request):
        path = problem.path
        if len(path) >= 3 and path[0] == "containerDefinitions" and isinstance(path[1], int):
            diagnostics.error(
                "api-model",
                problem.message,
                service=str(containers[path[1]].get("name")),
                field=format_path(path[2:]),
            )
        else:
            diagnostics.error("api-model", problem.message, field=problem.field or None)
