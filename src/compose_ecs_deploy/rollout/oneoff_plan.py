"""One-off tasks: compose services run once as ECS tasks, before a rollout or on their own.

`run-before` services (database migrations, asset uploads) gate the rollout: each is
rendered like any container (same build, images, secrets, environment and precedence) into
its own family `<family>-<service>`, over the task-level settings of the deployed revision
(roles, size, network mode, runtime platform; not its containers); a revision is registered
only when it differs from the family's latest; it runs with RunTask in the ECS service's own
network, launch type or capacity provider strategy and platform version; the tool waits
until it stops, one line per state change. Exit code 0 of its essential containers lets the
rollout start; anything else, a timeout (`run-timeout`, StopTask) or a cancel (StopTask)
stops the run with nothing rolled out. The `run` verb runs one service the same way, with
an optional command, and exits with its exit code.

Decisions where the issue was silent, written down here and in the README:
- The one-off takes the network settings of the first ECS service named (`ecs-service`).
- Secrets: plain `NAME=ARN` bindings go to the one-off's container (migrations need the
  database URL the app gets); `SERVICE.NAME=ARN` only to the service it names.
- Run-before services are never containers of the service's task: when `services` is not
  given, they are left out of the default selection (every built service).
- A run-before service with the same build section as a deployed service uses that
  service's image; one with its own build section is built too and needs its own
  `SERVICE=REPOSITORY` line, so that it never overwrites the app's tag.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from compose_ecs_deploy.aws import tasks
from compose_ecs_deploy.aws.client import Aws
from compose_ecs_deploy.compose.taskdef import diff, strip_read_only
from compose_ecs_deploy.diagnostics import Diagnostic
from compose_ecs_deploy.errors import DeployError, InputError
from compose_ecs_deploy.images.plan import BuildJob, jobs_for
from compose_ecs_deploy.loading import compose_cli
from compose_ecs_deploy.loading.inputs import (
    Inputs,
    Rendered,
    build_request,
    with_images,
)
from compose_ecs_deploy.report.redact import looks_secret
from compose_ecs_deploy.rollout.verdicts import oneoff
from compose_ecs_deploy.settings import Settings


@dataclass(frozen=True)
class OneOffPlan:
    """A one-off rendered and validated, with the family's latest revision to diff against."""

    service: str
    rendered: Rendered
    latest: dict[str, Any] | None
    diff: list[str]

    @property
    def request(self) -> dict[str, Any]:
        return self.rendered.request

    @property
    def changed(self) -> bool:
        return self.latest is None or bool(self.diff)

    def with_images(self, images: Mapping[str, str]) -> OneOffPlan:
        """The same one-off with the images the build stage pushed, diffed again."""
        return with_diff(self.service, with_images(self.rendered, images), self.latest)


def without_one_offs(settings: Settings, inputs: Inputs) -> Settings:
    """Leave run-before services out of the default task selection (every built service)."""
    if not settings.run_before or settings.services:
        return settings
    chosen = tuple(s for s in inputs.project.built_services if s not in settings.run_before)
    return dataclasses.replace(settings, services=chosen) if chosen else settings


def service_problems(
    inputs: Inputs, settings: Settings, services: Sequence[str], option: str
) -> list[Diagnostic]:
    """A one-off naming no active compose service: say whether a profile would enable it."""
    problems = []
    for name in services:
        if name in inputs.project.services:
            continue
        profiles = _profiles_of(settings, name)
        if profiles:
            message = (
                f"{option} {name}: the compose service is in profile "
                f"{', '.join(profiles)}, which is not enabled; add --profile "
                f"{profiles[0]} (action input profiles)"
            )
        else:
            known = ", ".join(sorted(inputs.project.services)) or "none"
            message = (
                f"{option} {name}: the compose project has no such service (it has: "
                f"{known}); check the name"
            )
        position = inputs.project.position_of(f"services.{name}")
        problems.append(
            Diagnostic.error(
                "one-off-unknown-service",
                message,
                service=name,
                file=position[0] if position else None,
                line=position[1] if position else None,
            )
        )
    return problems


def _profiles_of(settings: Settings, name: str) -> list[str]:
    """The service's profiles, from Compose with every profile enabled (`--profile '*'`)."""
    try:
        everything, _ = compose_cli.load_project(
            settings.compose_files, ["*"], env=settings.environment or None
        )
    except DeployError:
        return []
    return [str(p) for p in (everything.services.get(name) or {}).get("profiles") or []]


def twin_images(
    inputs: Inputs, services: Sequence[str], task_images: Mapping[str, str]
) -> dict[str, str]:
    """One-off services whose build section is a task service's: that service's image (the
    one pushed, or the one given with --image)."""
    project = inputs.project
    candidates = {**inputs.images, **task_images}
    images = {}
    for name in services:
        section = project.services.get(name, {}).get("build")
        if section is None or name in inputs.images:
            continue
        twin = next(
            (
                s
                for s in candidates
                if s != name and project.services.get(s, {}).get("build") == section
            ),
            None,
        )
        if twin is not None:
            images[name] = candidates[twin]
    return images


def own_build_jobs(
    inputs: Inputs, settings: Settings, services: Sequence[str], twins: Mapping[str, str]
) -> list[BuildJob]:
    """Build jobs for one-offs built from a section of their own (SERVICE=REPO required)."""
    own = [
        s
        for s in services
        if "build" in inputs.project.services.get(s, {})
        and s not in twins
        and s not in inputs.images
    ]
    named = {line.partition("=")[0].strip() for line in settings.ecr_repositories if "=" in line}
    missing = [s for s in own if s not in named]
    if missing:
        raise InputError(
            f"run-before {missing[0]}: its build section is not that of a deployed service, so "
            f"it needs its own repository: add --ecr-repository {missing[0]}=REPOSITORY "
            f"(action input ecr-repository), or --image {missing[0]}=URI"
        )
    return jobs_for(
        inputs.project,
        inputs.images,
        settings,
        own,
        [line for line in settings.ecr_repositories if line.partition("=")[0].strip() in own],
    )


def render(
    inputs: Inputs,
    settings: Settings,
    service: str,
    *,
    family: str,
    base: Mapping[str, Any],
    images: Mapping[str, str],
    task_services: frozenset[str],
) -> Rendered:
    """The one-off's request: the service alone, over the base's task-level settings."""
    task_level = {k: v for k, v in base.items() if k != "containerDefinitions"}
    own_secrets = tuple(b for b in inputs.secrets if b.service in (None, service))
    return build_request(
        dataclasses.replace(inputs, secrets=own_secrets),
        dataclasses.replace(settings, family=oneoff.one_off_family(family, service)),
        services=(service,),
        base=task_level,
        images=images,
        other_tasks_services=task_services - {service},
    )


def with_diff(service: str, rendered: Rendered, latest: dict[str, Any] | None) -> OneOffPlan:
    """The plan: the rendered request diffed against the family's latest revision."""
    changes = diff(
        strip_read_only(latest) if latest else None,
        rendered.request,
        old_label=str(latest["taskDefinitionArn"]) if latest else "(no revision)",
        new_label=f"{service} (compose, one-off)",
        hide=looks_secret,
    )
    return OneOffPlan(service, rendered, latest, changes)


@dataclass(frozen=True)
class Gate:
    """The run-before one-offs of a deploy, validated before any build or write."""

    plans: list[OneOffPlan]
    jobs: list[BuildJob]
    family: str
    base: Mapping[str, Any]
    ecs_service: Mapping[str, Any]
    task_services: frozenset[str]

    @property
    def services(self) -> tuple[str, ...]:
        return tuple(p.service for p in self.plans)

    @property
    def own_services(self) -> frozenset[str]:
        """One-offs built from a section of their own (not a container of any task)."""
        return frozenset(job.service for job in self.jobs)


def plan_gate(
    aws: Aws,
    settings: Settings,
    inputs: Inputs,
    *,
    ecs_service: Mapping[str, Any],
    base: Mapping[str, Any],
    family: str,
    task_services: frozenset[str],
    task_jobs: Sequence[BuildJob],
) -> Gate | None:
    """Render and validate every run-before service, and read each family's latest revision;
    raise with every problem found. The first ECS service (`ecs_service`, as DescribeServices
    gave it, and its revision `base`) gives the base and the network."""
    if not settings.run_before:
        return None
    tag = str(settings.image_tag)
    task_images = {job.service: f"{job.repository}:{tag}" for job in task_jobs}
    twins = twin_images(inputs, settings.run_before, task_images)
    jobs = own_build_jobs(inputs, settings, settings.run_before, twins)
    images = {**twins, **{job.service: f"{job.repository}:{tag}" for job in jobs}}
    rendered: list[Rendered] = []
    problems: list[Diagnostic] = []
    for service in dict.fromkeys(settings.run_before):
        try:
            rendered.append(
                render(
                    inputs,
                    settings,
                    service,
                    family=family,
                    base=base,
                    images=images,
                    task_services=task_services,
                )
            )
        except InputError as exc:
            problems.extend(d for d in exc.diagnostics if d not in problems)
    if problems:
        raise InputError(problems[0].message, problems)
    plans = [
        with_diff(r.conversion.services[0], r, tasks.latest_revision(aws, str(r.request["family"])))
        for r in rendered
    ]
    return Gate(plans, jobs, family, base, ecs_service, task_services)


def final_plans(inputs: Inputs, gate: Gate, images: Mapping[str, str]) -> list[OneOffPlan]:
    """The one-offs with the images the build stage pushed (a twin's, or their own)."""
    final = {
        **twin_images(inputs, gate.services, images),
        **{s: i for s, i in images.items() if s in gate.services},
    }
    return [p.with_images(final) for p in gate.plans]
