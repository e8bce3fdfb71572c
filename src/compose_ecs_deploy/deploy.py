"""The `diff` and `deploy` verbs: plan against the running revision, register, roll out, watch.

The order is the contract: read everything and validate before any write; register only
what changed; update each service once; watch all of them in one DescribeServices call per
poll; roll a failed service back to the revision it ran before. Nothing is printed from the
pure parts; this module tells the `Log` what happened.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from compose_ecs_deploy.adapters import ecr, ecs
from compose_ecs_deploy.adapters.aws import Aws
from compose_ecs_deploy.adapters.ecr import RegistryLogin
from compose_ecs_deploy.build import (
    BuildJob,
    BuildOptions,
    BuiltImage,
    build_and_push,
    build_jobs,
    oci_labels,
    sanitise_tag,
)
from compose_ecs_deploy.core import rollout
from compose_ecs_deploy.core.convert import select_services
from compose_ecs_deploy.core.rollout import Outcome, WatchState
from compose_ecs_deploy.core.taskdef import SECRET_LOOKING_NAME, diff, normalise, strip_read_only
from compose_ecs_deploy.diagnostics import Diagnostic, Diagnostics
from compose_ecs_deploy.errors import AwsError, Cancelled, InputError
from compose_ecs_deploy.render import Inputs, Rendered, build_request, parse_pairs
from compose_ecs_deploy.settings import Settings, deploy_option_problems
from compose_ecs_deploy.timing import Stopwatch


class Log(Protocol):
    def info(self, line: str) -> None: ...
    def group(self, title: str) -> Any: ...
    def mask(self, value: str) -> None: ...


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
    service: dict[str, Any]
    current: dict[str, Any]
    rendered: Rendered
    diff: list[str]

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


@dataclass
class ServiceResult:
    target: Target
    changed: bool
    revision_before: str
    task_definition_arn: str
    deployment_id: str | None = None
    outcome: Outcome | None = None
    rollback: Outcome | None = None
    seconds: float = 0.0
    diff: list[str] = field(default_factory=list)
    images: dict[str, str] = field(default_factory=dict)
    console_url: str = ""

    @property
    def revision(self) -> str:
        return self.task_definition_arn.rsplit(":", 1)[-1]

    @property
    def succeeded(self) -> bool:
        return self.outcome is None or self.outcome.succeeded


@dataclass
class DeployResult:
    services: list[ServiceResult]
    dry_run: bool = False

    @property
    def succeeded(self) -> bool:
        return all(s.succeeded for s in self.services)


def console_url(region: str | None, cluster: str, service: str) -> str:
    region = region or "us-east-1"
    return (f"https://{region}.console.aws.amazon.com/ecs/v2/clusters/{cluster}/services/"
            f"{service}/deployments?region={region}")


@dataclass(frozen=True)
class Running:
    service: dict[str, Any]
    task_definition: dict[str, Any]


def read_running(aws: Aws, settings: Settings, targets: list[Target]) -> dict[str, Running]:
    """Each target's service and the revision it runs: the base of the new revision."""
    services = ecs.describe_services(aws, str(settings.cluster), [t.ecs_service for t in targets])
    return {
        name: Running(service, ecs.describe_task_definition(aws, service["taskDefinition"]))
        for name, service in services.items()
    }


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
        plans.append(Plan(target, current.service, current.task_definition, rendered, changes))
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
    """Each container's image in the running revisions: the build cache to pull first."""
    return {
        str(container.get("name")): str(container.get("image"))
        for current in running.values()
        for container in current.task_definition.get("containerDefinitions", [])
    }


def _watch(aws: Aws, settings: Settings, watches: dict[str, WatchState], log: Log,
           clock: Callable[[], float] = time.monotonic) -> dict[str, Outcome]:
    """Poll all services in one call per poll until each has an outcome.

    The first poll comes at once (a fast rollout is seen without waiting); then the interval
    grows from `poll_interval` to `max_poll_interval` while nothing changes. A `Cancelled`
    (SIGTERM/SIGINT) ends the wait at once, naming the deployments left running.
    """
    cluster = str(settings.cluster)
    deadline = clock() + settings.wait_timeout_minutes * 60
    outcomes: dict[str, Outcome] = {}
    interval = 0.0
    try:
        while pending := [name for name in watches if name not in outcomes]:
            time.sleep(max(0.0, min(interval, deadline - clock())))
            if clock() >= deadline:
                for name in pending:
                    outcomes[name] = _timed_out(watches[name], settings.wait_timeout_minutes)
                break
            payloads = ecs.describe_services(aws, cluster, pending)
            anything_new = False
            for name in pending:
                anything_new |= _observe(aws, cluster, name, payloads[name], watches, outcomes,
                                         log)
            interval = (settings.poll_interval if anything_new or interval == 0
                        else min(interval * 1.5, settings.max_poll_interval))
    except Cancelled as exc:
        for name in watches:
            if name not in outcomes:
                outcomes[name] = Outcome(
                    "cancelled", f"{exc}: stopped waiting for deployment "
                    f"{watches[name].deployment_id} of {name}; ECS carries on with it")
                log.info(f"{name}: {outcomes[name].reason}")
    return outcomes


def _timed_out(state: WatchState, minutes: float) -> Outcome:
    last = "; ".join(e.message for e in state.recent_events[-3:])
    return Outcome("timed-out", f"deployment {state.deployment_id} did not finish within "
                   f"{minutes:g} minutes" + (f"; last events: {last}" if last else ""))


def _observe(aws: Aws, cluster: str, name: str, payload: Mapping[str, Any],
             watches: dict[str, WatchState], outcomes: dict[str, Outcome], log: Log) -> bool:
    """Apply one poll's answer for one service; True when it showed anything new."""
    state, observation = rollout.step(watches[name], payload)
    watches[name] = state
    if observation.progress:
        log.info(rollout.format_progress(name, state.deployment_id, observation.progress))
    for event in observation.new_events:
        log.info(rollout.format_event(name, event))
    if observation.outcome:
        outcomes[name] = observation.outcome
    elif observation.tasks_stopped:
        why = rollout.explain_stopped_tasks(ecs.stopped_tasks(aws, cluster, name),
                                            state.task_definition)
        if why and state.circuit_breaker:
            log.info(f"{name}: {why} (the circuit breaker decides whether the rollout fails)")
        elif why:
            outcomes[name] = Outcome("failed", why)
    if name in outcomes:
        log.info(f"{name}: {outcomes[name].kind}: {outcomes[name].reason}")
    return bool(observation.progress or observation.new_events)


@dataclass(frozen=True)
class Deployment:
    result: DeployResult
    images: dict[str, BuiltImage]
    phases: dict[str, float] = field(default_factory=dict)


def deploy(aws: Aws, settings: Settings, inputs: Inputs, log: Log,
           stopwatch: Stopwatch | None = None) -> Deployment:
    """Validate, build and push, register what changed, update, watch, roll back."""
    stopwatch = stopwatch or Stopwatch()
    with stopwatch.phase("plan"):
        planned = _plan(aws, settings, inputs, log)
    jobs, targets, running, credentials = (planned.jobs, planned.targets, planned.running,
                                           planned.credentials)
    plans = planned.plans
    tag = str(settings.image_tag)
    built: dict[str, BuiltImage] = {}
    if settings.dry_run:
        for job in jobs:
            log.info(f"{job.service}: dry run: would build {job.spec.context} and push "
                     f"{credentials.registry if credentials else ''}/{job.repository}:{tag}")
    elif jobs and credentials:
        options = BuildOptions(
            tag=tag, extra_tags=tuple(sanitise_tag(t) for t in settings.additional_tags),
            skip_existing=settings.skip_existing_image,
            create_repository=settings.create_repository,
            scan_on_push=settings.scan_on_push, immutable_tags=settings.immutable_tags)
        built = build_and_push(aws, credentials, jobs, options, log, previous_images(running),
                               stopwatch)
        final = {s: (b.pinned if settings.pin_digest else b.tagged) for s, b in built.items()}
        with stopwatch.phase("plan"):
            plans = make_plans(inputs, settings, targets, running, final)
    return Deployment(roll_out(aws, settings, plans, log, stopwatch), built,
                      stopwatch.seconds)


@dataclass(frozen=True)
class Planned:
    """Everything read and validated before the first build or write."""

    jobs: list[BuildJob]
    targets: list[Target]
    running: dict[str, Running]
    credentials: RegistryLogin | None
    plans: list[Plan]


def _plan(aws: Aws, settings: Settings, inputs: Inputs, log: Log) -> Planned:
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
    credentials = ecr.login(aws) if jobs and not problems else None
    if credentials:
        log.mask(credentials.password)
        log.mask(credentials.token)
    tag = str(settings.image_tag)
    images = {job.service: f"{credentials.registry}/{job.repository}:{tag}"
              for job in jobs} if credentials else {}
    try:
        plans = make_plans(inputs, settings, targets, running, images)
    except InputError as exc:
        problems.extend(exc.diagnostics)
    if problems:
        raise InputError(problems[0].message, problems)
    for value in secret_looking_values(p.rendered.request for p in plans):
        log.mask(value)
    return Planned(jobs, targets, running, credentials, plans)


def roll_out(aws: Aws, settings: Settings, plans: list[Plan], log: Log,
             stopwatch: Stopwatch) -> DeployResult:
    """Register each changed revision, update its service, watch, roll back failures."""
    notices = dict.fromkeys(d for p in plans for d in p.rendered.diagnostics)
    for notice in notices:
        log.info(notice.render())
    results: dict[str, ServiceResult] = {}
    for p in plans:
        name = p.target.ecs_service
        results[name] = ServiceResult(
            target=p.target, changed=p.changed, revision_before=p.current_arn,
            task_definition_arn=p.current_arn, diff=p.diff,
            images={c["name"]: c["image"] for c in p.rendered.request["containerDefinitions"]
                    if c["name"] in p.rendered.conversion.services},
            console_url=console_url(settings.region, str(settings.cluster), name))
        with log.group(f"{name}: task definition diff"):
            if p.changed:
                for line in p.diff:
                    log.info(line)
            else:
                log.info(f"{name}: no change from {p.current_arn}")
    if settings.dry_run:
        for p in plans:
            action = ("would register a new revision and update the service" if p.changed
                      else "would leave the service alone")
            log.info(f"{p.target.ecs_service}: dry run: {action}")
        return DeployResult(list(results.values()), dry_run=True)

    started = time.monotonic()
    watches: dict[str, WatchState] = {}
    for p in plans:
        name = p.target.ecs_service
        result = results[name]
        if not p.changed and not settings.force_new_deployment:
            log.info(f"{name}: unchanged; service left alone (changed=false)")
            continue
        if p.changed:
            with stopwatch.phase("register"):
                registered = _register(aws, settings, p, log)
            result.task_definition_arn = str(registered["taskDefinitionArn"])
            log.info(f"{name}: registered {result.task_definition_arn}")
        with stopwatch.phase("update"):
            service = _update(aws, settings, name, result.task_definition_arn, p.service, log)
        watches[name] = rollout.start(name, result.task_definition_arn, service)
        result.deployment_id = watches[name].deployment_id
        log.info(f"{name}: deployment {result.deployment_id} started ({result.console_url})")

    if settings.wait and watches:
        with log.group("waiting for the services to become stable"), stopwatch.phase("wait"):
            outcomes = _watch(aws, settings, watches, log)
        for name, outcome in outcomes.items():
            results[name].outcome = outcome
            results[name].seconds = time.monotonic() - started
        with stopwatch.phase("rollback"):
            _roll_back(aws, settings, plans, results, log)
    return DeployResult(list(results.values()))


def _roll_back(aws: Aws, settings: Settings, plans: list[Plan],
               results: dict[str, ServiceResult], log: Log) -> None:
    """Point failed services back at the revision they ran before, and wait for it."""
    if not settings.rollback_on_failure:
        return
    watches: dict[str, WatchState] = {}
    for p in plans:
        name = p.target.ecs_service
        outcome = results[name].outcome
        if outcome is None or outcome.kind not in ("failed", "timed-out"):
            continue
        if p.circuit_breaker_rollback:
            log.info(f"{name}: the deployment circuit breaker rolls this service back")
            continue
        log.info(f"{name}: rolling back to {p.current_arn}")
        before = ecs.describe_services(aws, str(settings.cluster), [name])[name]
        service = _update(aws, settings, name, p.current_arn, before, log)
        watches[name] = rollout.start(name, p.current_arn, service)
    if not watches:
        return
    with log.group("waiting for the rollback"):
        outcomes = _watch(aws, settings, watches, log)
    for name, outcome in outcomes.items():
        results[name].rollback = outcome


T = TypeVar("T")


def _careful_write(what: str, perform: Callable[[], T], landed: Callable[[], T | None],
                   attempts: int, log: Log) -> T:
    """A write retried only after checking that the failed attempt did not land after all.

    botocore would retry a throttled or broken call blindly; for RegisterTaskDefinition and
    UpdateService a lost answer then means a second revision or a second deployment.
    """
    attempt = 1
    while True:
        try:
            return perform()
        except AwsError as exc:
            if not exc.transient:
                raise
            found = landed()
            if found is not None:
                log.info(f"{what}: the answer was lost, but the call went through; using it")
                return found
            if attempt >= attempts:
                raise AwsError(f"{exc} (gave up after {attempts} attempts; none of them "
                               "changed anything, so a re-run is safe)") from exc
            delay = min(0.25 * 2 ** (attempt - 1), 8.0) * random.uniform(0.5, 1.0)
            attempt += 1
            log.info(f"{what}: {exc}; retrying in {delay:.1f} s "
                     f"(attempt {attempt} of {attempts})")
            time.sleep(delay)


def _register(aws: Aws, settings: Settings, plan: Plan, log: Log) -> dict[str, Any]:
    request = plan.rendered.request
    family = str(request["family"])

    def landed() -> dict[str, Any] | None:
        latest = ecs.latest_task_definition(aws, family)
        if (latest["taskDefinitionArn"] != plan.current_arn
                and normalise(latest) == normalise(request)):
            return latest
        return None

    return _careful_write(f"{plan.target.ecs_service}: RegisterTaskDefinition",
                          lambda: ecs.register_task_definition(aws, request), landed,
                          settings.max_retries + 1, log)


def _update(aws: Aws, settings: Settings, name: str, task_definition: str,
            before: Mapping[str, Any], log: Log) -> dict[str, Any]:
    cluster = str(settings.cluster)
    known = {d.get("id") for d in before.get("deployments", [])}

    def landed() -> dict[str, Any] | None:
        service = ecs.describe_services(aws, cluster, [name])[name]
        primary = rollout.primary_deployment(service)
        if primary.get("taskDefinition") == task_definition and primary.get("id") not in known:
            return dict(service)
        return None

    return _careful_write(f"{name}: UpdateService",
                          lambda: ecs.update_service(aws, cluster, name, task_definition,
                                                     force_new_deployment=True),
                          landed, settings.max_retries + 1, log)
