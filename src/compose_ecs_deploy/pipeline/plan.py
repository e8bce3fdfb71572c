"""Planning a deploy: which ECS services, what they run now, and what they should run.

Everything here reads (DescribeServices, DescribeTaskDefinition, the ECR token) and
validates; nothing writes. A deploy that cannot work stops here, before the first build. The
plan is rendered once; the image references the build stage pushed (or, in a dry run, the
registry's) are laid over it afterwards (`with_images`), a pure step.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from compose_ecs_deploy.aws import ecs
from compose_ecs_deploy.aws.client import Aws
from compose_ecs_deploy.aws.parameters import bare_names, check_bare_parameters
from compose_ecs_deploy.compose.convert import select_services
from compose_ecs_deploy.compose.taskdef import SECRET_LOOKING_NAME, diff, strip_read_only
from compose_ecs_deploy.diagnostics import Diagnostic, Diagnostics
from compose_ecs_deploy.errors import DeployError, InputError
from compose_ecs_deploy.images.plan import BuildJob, jobs_for
from compose_ecs_deploy.loading.compose_cli import locate
from compose_ecs_deploy.loading.inputs import (
    Inputs,
    Rendered,
    build_request,
    with_images,
    without_x_ecs_keys,
)
from compose_ecs_deploy.report.console import Log
from compose_ecs_deploy.report.redact import looks_secret
from compose_ecs_deploy.rollout.controller import Refusal, choose
from compose_ecs_deploy.rollout.interface import Controller, Subject
from compose_ecs_deploy.rollout.oneoff_plan import (
    Gate,
    plan_gate,
    service_problems,
    without_one_offs,
)
from compose_ecs_deploy.rollout.verdicts import rolling as rollout
from compose_ecs_deploy.rollout.verdicts.arns import last_part
from compose_ecs_deploy.rollout.verdicts.express import TO_CREATE, is_express, to_create
from compose_ecs_deploy.rollout.verdicts.shape import TaskShape
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
        raise InputError("no ECS service given; pass --ecs-service NAME (action input ecs-service)")
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
            raise InputError(
                f"--ecs-service {line!r}: with several ECS services, say which "
                "compose services each runs: NAME=SERVICE[,SERVICE...]"
            )
        targets.append(Target(name, compose_services or settings.services))
    names = [t.ecs_service for t in targets]
    if len(set(names)) != len(names):
        raise InputError("an ECS service is named twice in --ecs-service")
    return targets


@dataclass
class Plan:
    """One ECS service's plan: what runs, what should run, the diff, and the controller
    that will roll it out (chosen from DescribeServices before any write; a `Refusal` when
    none handles the service, which `plan_deploy` turns into an error)."""

    target: Target
    running: Running
    rendered: Rendered
    diff: list[str]
    controller: Controller | Refusal
    prepared: Any = None  # what the controller's `prepare` read before any write
    shape: TaskShape = field(default_factory=TaskShape)

    @property
    def request(self) -> dict[str, Any]:
        """The request as it is diffed and registered: the rendered one, shaped for the
        service's kind (Express's `Main`)."""
        return self.shape.registered(self.rendered.request)

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
    def unfinished(self) -> Mapping[str, Any] | None:
        """The service's PRIMARY deployment when it has not COMPLETED: a re-run after
        --no-wait, a cancelled wait or a timeout finds it so, and must not say "unchanged"."""
        return rollout.unfinished_deployment(self.service)

    @property
    def essential(self) -> frozenset[str]:
        """The new revision's essential containers (DescribeTasks does not say which)."""
        return frozenset(
            str(c["name"])
            for c in self.request["containerDefinitions"]
            if c.get("essential", True) is not False
        )

    @property
    def subject(self) -> Subject:
        """What the service's controller needs of this plan."""
        return Subject(
            self.target.ecs_service,
            self.service,
            self.essential,
            self.prepared,
            self.shape.options(),
        )

    def with_images(self, images: Mapping[str, str]) -> Plan:
        """The same plan with the image references the build stage pushed, diffed again."""
        shaped = replace(self, rendered=with_images(self.rendered, images))
        return replace(shaped, diff=_diff(self.target, self.running, shaped.request))


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
    names = [t.ecs_service for t in targets]
    services = ecs.describe_services(aws, str(settings.cluster), names, absent_ok=settings.express)
    running = {name: Running(to_create(name), {}) for name in names if name not in services}
    for name, service in services.items():
        arn = str(service["taskDefinition"])
        latest = ecs.latest_task_definition(aws, last_part(arn).rsplit(":", 1)[0])
        if latest["taskDefinitionArn"] == arn:
            running[name] = Running(service, latest)
        else:
            running[name] = Running(service, ecs.describe_task_definition(aws, arn), latest)
    return running


def make_plans(
    inputs: Inputs,
    settings: Settings,
    targets: list[Target],
    running: Mapping[str, Running],
    images: Mapping[str, str],
) -> list[Plan]:
    """Render every target over its base (the `task-definition` file when given, else the
    running revision) and diff it against the running one; raise with every problem found,
    before any write."""
    plans: list[Plan] = []
    problems: list[Any] = []
    everyone = frozenset(task_services(inputs, targets))
    for target in targets:
        current = running[target.ecs_service]
        controller = choose(target.ecs_service, current.service)
        selected = select_services(inputs.project, target.compose_services, Diagnostics())
        shape = (
            TaskShape()
            if isinstance(controller, Refusal) or not selected
            else controller.shape(settings, selected[0], inputs.project.x_ecs)
        )
        running_request = shape.base(strip_read_only(current.task_definition))
        base = inputs.base_file if inputs.base_file is not None else running_request
        try:
            rendered = build_request(
                without_x_ecs_keys(inputs, shape.service_keys()),
                settings,
                services=target.compose_services,
                base=base,
                images=images,
                other_tasks_services=everyone,
            )
        except InputError as exc:
            problems.extend(d for d in exc.diagnostics if d not in problems)
            continue
        shaped = [locate(d, inputs.project) for d in shape.problems(rendered.request)]
        problems.extend(d for d in shaped if d not in problems)
        plan = Plan(target, current, rendered, [], controller, shape=shape)
        plans.append(replace(plan, diff=_diff(target, current, plan.request)))
    if problems:
        raise InputError("the task definition is not valid", problems)
    return plans


def _diff(target: Target, running: Running, request: Mapping[str, Any]) -> list[str]:
    """The request against the revision the service runs, with both named in the header."""
    return diff(
        strip_read_only(running.task_definition),
        request,
        old_label=str(running.service["taskDefinition"] or "(no service yet)"),
        new_label=f"{target.ecs_service} (compose)",
        hide=looks_secret,
    )


def task_services(inputs: Inputs, targets: list[Target]) -> list[str]:
    """Every compose service that runs in one of the targets' tasks."""
    services: list[str] = []
    for target in targets:
        services += select_services(inputs.project, target.compose_services, Diagnostics())
    return list(dict.fromkeys(services))


def secret_looking_values(
    requests: Iterable[Mapping[str, Any]], build_args: Iterable[str] = ()
) -> list[str]:
    """Values under secret-looking names, masked before anything prints: plain environment
    entries, docker labels and log-driver options (a Splunk token) of the requests, and the
    build arguments (`NPM_TOKEN=...`)."""
    pairs: list[tuple[Any, Any]] = []
    for arg in build_args:
        name, _, value = arg.partition("=")
        pairs.append((name, value))
    for request in requests:
        for container in request.get("containerDefinitions", []):
            pairs += [(e.get("name"), e.get("value")) for e in container.get("environment", [])]
            pairs += list((container.get("dockerLabels") or {}).items())
            pairs += list(((container.get("logConfiguration") or {}).get("options") or {}).items())
    return [str(value) for name, value in pairs if SECRET_LOOKING_NAME.search(str(name)) and value]


def previous_images(running: Mapping[str, Running]) -> dict[str, str]:
    """Each container's image in the running revisions: whose inline cache the build
    reuses."""
    return {
        str(container.get("name")): str(container.get("image"))
        for current in running.values()
        for container in current.task_definition.get("containerDefinitions", [])
    }


def _prepared(aws: Aws, settings: Settings, plan: Plan, problems: list[Diagnostic]) -> Plan:
    """The plan with what its controller read and checked before any write (`prepare`);
    its problems join the others."""
    if isinstance(plan.controller, Refusal):
        return plan
    changing = plan.changed or settings.force_new_deployment
    try:
        found = plan.controller.prepare(aws, settings, plan.subject, plan.request, changing)
    except DeployError as exc:
        problems.extend(d for d in exc.diagnostics if d not in problems)
        return plan
    return replace(plan, prepared=found)


@dataclass(frozen=True)
class Planned:
    """Everything read and validated before the first build or write, made once and handed
    down the pipeline: the settings as planned (run-before services left out of the default
    task selection), the build jobs, every service's plan, the run-before one-offs, and the
    bare SSM parameter names of their requests (each one found: else the plan stopped)."""

    settings: Settings
    jobs: list[BuildJob]
    targets: list[Target]
    running: dict[str, Running]
    plans: list[Plan]
    gate: Gate | None = None
    parameters: frozenset[str] = frozenset()  # the bare SSM parameter names, found


def plan_deploy(aws: Aws, settings: Settings, inputs: Inputs, log: Log) -> Planned:
    """Check the options, read the running services, validate every request and every
    run-before one-off; raise with every problem found."""
    settings = without_one_offs(settings, inputs)
    problems = service_problems(inputs, settings, settings.run_before, "run-before")
    if problems:
        raise InputError(problems[0].message, problems)
    problems = deploy_option_problems(settings)
    try:
        targets = parse_targets(settings)
    except InputError as exc:
        problems.extend(exc.diagnostics)
    if problems:
        raise InputError(problems[0].message, problems)
    jobs: list[BuildJob] = []
    try:
        jobs = jobs_for(inputs.project, inputs.images, settings, task_services(inputs, targets))
    except InputError as exc:
        problems.extend(exc.diagnostics)
    if jobs and not settings.image_tag:
        problems.append(
            Diagnostic.error(
                "image-tag-missing",
                "no image tag: pass --image-tag (action input image-tag; the "
                "commit SHA by default on a runner)",
            )
        )
    running = read_running(aws, settings, targets)
    problems += [
        Diagnostic.error("deployment-controller", choice.reason)
        for name, current in running.items()
        if isinstance(choice := choose(name, current.service), Refusal)
    ]
    problems += express_problems(settings, running)
    tag = str(settings.image_tag)
    # Validated with repository:tag; the registry's host comes with the login, after it.
    images = {job.service: f"{job.repository}:{tag}" for job in jobs}
    try:
        plans = make_plans(inputs, settings, targets, running, images)
    except InputError as exc:
        problems.extend(exc.diagnostics)
    else:
        plans = [_prepared(aws, settings, p, problems) for p in plans]
    if problems:
        raise InputError(problems[0].message, problems)
    for value in secret_looking_values((p.rendered.request for p in plans), settings.build_args):
        log.mask(value)
    first = running[plans[0].target.ecs_service]
    gate = plan_gate(
        aws,
        settings,
        inputs,
        ecs_service=first.service,
        base=(
            inputs.base_file
            if inputs.base_file is not None
            else strip_read_only(first.task_definition)
        ),
        family=str(plans[0].rendered.request["family"]),
        task_services=frozenset(s for p in plans for s in p.rendered.conversion.services),
        task_jobs=jobs,
    )
    # Every bare parameter name the run would register, the one-offs' too: one lookup, before
    # any write, whether or not the pre-flight checks run (--no-verify).
    one_offs = gate.plans if gate else []
    names = bare_names(
        [*(p.rendered.bare_names for p in plans), *(o.rendered.bare_names for o in one_offs)]
    )
    problems = check_bare_parameters(aws, names, log)
    if problems:
        raise InputError(problems[0].message, problems)
    found = frozenset(name.value_from for name in names)  # each found: else it stopped here
    return Planned(settings, jobs, targets, running, plans, gate, found)


def express_problems(settings: Settings, running: Mapping[str, Running]) -> list[Diagnostic]:
    """`--express` onto a service that is not an Express one, or creating one without the
    infrastructure role it needs: said before any write."""
    problems = []
    for name, current in running.items():
        if settings.express and not is_express(current.service):
            problems.append(
                Diagnostic.error(
                    "express",
                    f"ECS service {name} exists and is not an Express service; --express "
                    "(action input express) creates or updates Express services only: drop "
                    "it to deploy to this one, or name another --ecs-service",
                )
            )
        elif current.service.get("status") == TO_CREATE and not settings.infrastructure_role_arn:
            problems.append(
                Diagnostic.error(
                    "express",
                    f"ECS service {name} does not exist, and creating it as an Express service "
                    "needs its infrastructure role: pass --infrastructure-role-arn ARN (action "
                    "input infrastructure-role-arn), a role with the managed policy "
                    "AmazonECSInfrastructureRoleforExpressGatewayServices",
                )
            )
    return problems
