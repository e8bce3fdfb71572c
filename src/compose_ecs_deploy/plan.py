"""Planning a deploy: which ECS services, what they run now, and what they should run.

Everything here reads (DescribeServices, DescribeTaskDefinition, the ECR token) and
validates; nothing writes. A deploy that cannot work stops here, before the first build.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from compose_ecs_deploy.adapters import ecr, ecs
from compose_ecs_deploy.adapters.aws import Aws
from compose_ecs_deploy.adapters.ecr import RegistryLogin
from compose_ecs_deploy.build import BuildJob, build_jobs, oci_labels
from compose_ecs_deploy.console import Log
from compose_ecs_deploy.core.arns import last_part
from compose_ecs_deploy.core.convert import select_services
from compose_ecs_deploy.core.taskdef import SECRET_LOOKING_NAME, diff, strip_read_only
from compose_ecs_deploy.diagnostics import Diagnostic, Diagnostics
from compose_ecs_deploy.errors import InputError
from compose_ecs_deploy.render import Inputs, Rendered, build_request, parse_pairs
from compose_ecs_deploy.settings import Settings, deploy_option_problems


@dataclass(frozen=True)
class Target:
    """One ECS service and the compose services that make up its task."""

    ecs_service: str
    compose_services: tuple[str, ...]


def parse_targets(settings: Settings) -> list[Target]:
    """`ecs-service` lines: `NAME` (its task is `services`) or `NAME=svc1,svc2`."""
    lines = [line.strip() for line in settings.ecs_services if line.strip()]
    if not lines:
        raise InputError("no ECS service given; pass --ecs-service NAME (action input "
                         "ecs-service)")
    if not settings.cluster:
        raise InputError("no cluster given; pass --cluster NAME (action input cluster)")
    targets: list[Target] = []
    for line in lines:
        name, sep, services = line.partition("=")
        name = name.strip()
        compose_services = tuple(s.strip() for s in services.split(",") if s.strip())
        if not name or (sep and not compose_services):
            raise InputError(f"--ecs-service {line!r} is not NAME or NAME=SERVICE[,SERVICE...]")
        if not sep and len(lines) > 1:
            raise InputError(f"--ecs-service {line!r}: with several ECS services, say which "
                             "compose services each runs: NAME=SERVICE[,SERVICE...]")
        targets.append(Target(name, compose_services or settings.services))
    names = [t.ecs_service for t in targets]
    if len(set(names)) != len(names):
        raise InputError("an ECS service is named twice in --ecs-service")
    return targets


@dataclass
class Plan:
    target: Target
    running: Running
    rendered: Rendered
    diff: list[str]

    @property
    def service(self) -> dict[str, Any]:
        return self.running.service

    @property
    def newer(self) -> dict[str, Any] | None:
        return self.running.newer

    @property
    def changed(self) -> bool:
        return bool(self.diff)

    @property
    def current_arn(self) -> str:
        return str(self.service["taskDefinition"])

    @property
    def circuit_breaker_rollback(self) -> bool:
        breaker = (self.service.get("deploymentConfiguration") or {}).get(
            "deploymentCircuitBreaker") or {}
        return bool(breaker.get("enable") and breaker.get("rollback"))


@dataclass(frozen=True)
class Running:
    service: dict[str, Any]
    task_definition: dict[str, Any]
    newer: dict[str, Any] | None = None


def read_running(aws: Aws, settings: Settings, targets: list[Target]) -> dict[str, Running]:
    """Each target's service, the revision it runs (the base of the new one), and the
    family's latest revision when that is another one (left by a run that failed after
    registering: if it is what we would register, it is used instead of a duplicate).

    The latest revision is asked for first; in the usual case it is the running one, and
    one call answers both questions.
    """
    services = ecs.describe_services(aws, str(settings.cluster), [t.ecs_service for t in targets])
    running = {}
    for name, service in services.items():
        arn = str(service["taskDefinition"])
        latest = ecs.latest_task_definition(aws, last_part(arn).rsplit(":", 1)[0])
        if latest["taskDefinitionArn"] == arn:
            running[name] = Running(service, latest)
        else:
            running[name] = Running(service, ecs.describe_task_definition(aws, arn), latest)
    return running


def make_plans(inputs: Inputs, settings: Settings, targets: list[Target],
               running: Mapping[str, Running], images: Mapping[str, str]) -> list[Plan]:
    """Render every target over its base (the `task-definition` file when given, else the
    running revision) and diff it against the running one; raise with every problem found,
    before any write."""
    plans: list[Plan] = []
    problems: list[Any] = []
    everyone = frozenset(task_services(inputs, targets))
    for target in targets:
        current = running[target.ecs_service]
        running_request = strip_read_only(current.task_definition)
        base = inputs.base_file if inputs.base_file is not None else running_request
        try:
            rendered = build_request(inputs, settings, services=target.compose_services,
                                     base=base, images=images, other_tasks_services=everyone)
        except InputError as exc:
            problems.extend(d for d in exc.diagnostics if d not in problems)
            continue
        arn = str(current.service["taskDefinition"])
        changes = diff(running_request, rendered.request, old_label=arn,
                       new_label=f"{target.ecs_service} (compose)")
        plans.append(Plan(target, current, rendered, changes))
    if problems:
        raise InputError("the task definition is not valid", problems)
    return plans


def task_services(inputs: Inputs, targets: list[Target]) -> list[str]:
    """Every compose service that runs in one of the targets' tasks."""
    services: list[str] = []
    for target in targets:
        services += select_services(inputs.project, target.compose_services, Diagnostics())
    return list(dict.fromkeys(services))


def secret_looking_values(requests: Iterable[Mapping[str, Any]]) -> list[str]:
    """Plain environment values under secret-looking names: masked before anything prints."""
    return [
        str(entry.get("value"))
        for request in requests
        for container in request.get("containerDefinitions", [])
        for entry in container.get("environment", [])
        if SECRET_LOOKING_NAME.search(str(entry.get("name"))) and entry.get("value")
    ]


def previous_images(running: Mapping[str, Running]) -> dict[str, str]:
    """Each container's image in the running revisions: whose inline cache the build
    reuses."""
    return {
        str(container.get("name")): str(container.get("image"))
        for current in running.values()
        for container in current.task_definition.get("containerDefinitions", [])
    }


@dataclass(frozen=True)
class Planned:
    """Everything read and validated before the first build or write."""

    jobs: list[BuildJob]
    targets: list[Target]
    running: dict[str, Running]
    credentials: RegistryLogin | None
    plans: list[Plan]


def plan_deploy(aws: Aws, settings: Settings, inputs: Inputs, log: Log) -> Planned:
    """Check the options, read the running services, validate every request."""
    problems = deploy_option_problems(settings)
    try:
        targets = parse_targets(settings)
    except InputError as exc:
        problems.extend(exc.diagnostics)
    if problems:
        raise InputError(problems[0].message, problems)
    jobs: list[BuildJob] = []
    try:
        jobs = build_jobs(
            inputs.project, task_services(inputs, targets), inputs.images,
            settings.ecr_repositories, dict(parse_pairs(settings.build_args, "--build-arg")),
            oci_labels(settings.image_tag, settings.source_url), settings.platform)
    except InputError as exc:
        problems.extend(exc.diagnostics)
    if jobs and not settings.image_tag:
        problems.append(Diagnostic.error(
            "image-tag-missing", "no image tag: pass --image-tag (action input image-tag; the "
            "commit SHA by default on a runner)"))
    running = read_running(aws, settings, targets)
    tag = str(settings.image_tag)
    # Validated with repository:tag; the registry's host comes with the login, after it.
    images = {job.service: f"{job.repository}:{tag}" for job in jobs}
    try:
        plans = make_plans(inputs, settings, targets, running, images)
    except InputError as exc:
        problems.extend(exc.diagnostics)
    if problems:
        raise InputError(problems[0].message, problems)
    for value in secret_looking_values(p.rendered.request for p in plans):
        log.mask(value)
    credentials = ecr.login(aws) if jobs else None
    if credentials:
        log.mask(credentials.password)
        log.mask(credentials.token)
        if settings.dry_run:  # show the image references a deploy would register
            plans = make_plans(inputs, settings, targets, running, {
                job.service: f"{credentials.registry}/{job.repository}:{tag}" for job in jobs})
    return Planned(jobs, targets, running, credentials, plans)
