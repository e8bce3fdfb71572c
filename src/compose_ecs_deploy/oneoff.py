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
import json
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from compose_ecs_deploy.adapters import compose_cli, ecs, tasks
from compose_ecs_deploy.adapters.aws import Aws
from compose_ecs_deploy.build_plan import BuildJob, build_jobs, oci_labels
from compose_ecs_deploy.console import Log
from compose_ecs_deploy.core import oneoff
from compose_ecs_deploy.core.arns import last_part
from compose_ecs_deploy.core.oneoff import Verdict
from compose_ecs_deploy.core.stopped_tasks import stopped_task
from compose_ecs_deploy.core.taskdef import diff, normalise, strip_read_only
from compose_ecs_deploy.diagnostics import Diagnostic
from compose_ecs_deploy.errors import Cancelled, DeployError, InputError
from compose_ecs_deploy.failure import Diagnosis, diagnosis_markdown, explain
from compose_ecs_deploy.plan import Planned
from compose_ecs_deploy.render import Inputs, Rendered, build_request, parse_pairs
from compose_ecs_deploy.settings import Settings
from compose_ecs_deploy.writes import careful_write

OneOffKind = Literal["succeeded", "failed", "timed-out", "cancelled", "skipped", "dry-run"]


@dataclass
class OneOffResult:
    """What became of one one-off: for outputs, the summary and the failed task's logs.

    `task` is the last DescribeTasks answer and `verdict.container` the container that
    decided it; `request` is the registered task definition (its containers' log settings).
    """

    service: str
    kind: OneOffKind
    reason: str
    task_definition_arn: str = ""
    task_arn: str = ""
    task: dict[str, Any] | None = None
    verdict: Verdict | None = None
    request: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0
    url: str = ""
    diff: list[str] = field(default_factory=list)
    diagnoses: list[Diagnosis] = field(default_factory=list)

    @property
    def succeeded(self) -> bool:
        return self.kind in ("succeeded", "skipped", "dry-run")

    @property
    def exit_code(self) -> int | None:
        return self.verdict.exit_code if self.verdict else None

    def failure_line(self) -> str:
        return f"one-off {self.service}: {self.kind}: {self.reason}"


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


# --------------------------------------------------------------------------- planning


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
    return build_jobs(
        inputs.project,
        own,
        inputs.images,
        [line for line in settings.ecr_repositories if line.partition("=")[0].strip() in own],
        dict(parse_pairs(settings.build_args, "--build-arg")),
        oci_labels(settings.image_tag, settings.source_url),
        settings.platform,
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


def plan_gate(aws: Aws, settings: Settings, inputs: Inputs, planned: Planned) -> Gate | None:
    """Render and validate every run-before service, and read each family's latest revision;
    raise with every problem found. The first ECS service gives the base and the network."""
    if not settings.run_before or not planned.plans:
        return None
    first = planned.plans[0]
    running = planned.running[first.target.ecs_service]
    base = (
        inputs.base_file
        if inputs.base_file is not None
        else strip_read_only(running.task_definition)
    )
    task_services = frozenset(s for p in planned.plans for s in p.rendered.conversion.services)
    tag = str(settings.image_tag)
    task_images = {job.service: f"{job.repository}:{tag}" for job in planned.jobs}
    twins = twin_images(inputs, settings.run_before, task_images)
    jobs = own_build_jobs(inputs, settings, settings.run_before, twins)
    images = {**twins, **{job.service: f"{job.repository}:{tag}" for job in jobs}}
    family = str(first.rendered.request["family"])
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
    return Gate(plans, jobs, family, base, running.service, task_services)


def final_plans(
    inputs: Inputs, settings: Settings, gate: Gate, images: Mapping[str, str]
) -> list[OneOffPlan]:
    """The one-offs again, with the images the build stage pushed."""
    final = {
        **twin_images(inputs, gate.services, images),
        **{s: i for s, i in images.items() if s in gate.services},
    }
    return [
        with_diff(
            p.service,
            render(
                inputs,
                settings,
                p.service,
                family=gate.family,
                base=gate.base,
                images=final,
                task_services=gate.task_services,
            ),
            p.latest,
        )
        for p in gate.plans
    ]


def run_before(
    aws: Aws,
    settings: Settings,
    gate: Gate | None,
    plans: list[OneOffPlan],
    deploy_changes: bool,
    log: Log,
) -> list[OneOffResult]:
    """Run each one-off in order until one fails; skipped on a no-op deploy or a dry run."""
    if gate is None:
        return []
    if settings.dry_run:
        results = [
            OneOffResult(
                p.service,
                "dry-run",
                "would run as a one-off task of "
                f"{p.request['family']}" + (" (registering a new revision)" if p.changed else ""),
            )
            for p in plans
        ]
    elif not deploy_changes and not settings.force_new_deployment:
        results = [
            OneOffResult(
                p.service,
                "skipped",
                "the deploy is a no-op (nothing "
                "changed, no force-new-deployment), so it was not run",
            )
            for p in plans
        ]
    else:
        results, failed = [], None
        for plan in plans:
            if failed is None:
                results.append(run(aws, settings, plan, gate.ecs_service, log))
                failed = None if results[-1].succeeded else plan.service
            else:
                results.append(
                    OneOffResult(plan.service, "skipped", f"not run: one-off {failed} failed first")
                )
        return results
    for result in results:
        log.info(f"{result.service}: one-off {result.kind}: {result.reason}")
    return results


# --------------------------------------------------------------------------- running


def register(aws: Aws, settings: Settings, plan: OneOffPlan, log: Log) -> str:
    """The revision to run: the latest when unchanged, else a new one (retried with care)."""
    if not plan.changed and plan.latest is not None:
        log.info(
            f"{plan.service}: one-off task definition unchanged: {plan.latest['taskDefinitionArn']}"
        )
        return str(plan.latest["taskDefinitionArn"])
    family = str(plan.request["family"])
    before = plan.latest["taskDefinitionArn"] if plan.latest else None

    def landed() -> dict[str, Any] | None:
        latest = tasks.latest_revision(aws, family)
        if (
            latest
            and latest["taskDefinitionArn"] != before
            and (normalise(latest) == normalise(plan.request))
        ):
            return latest
        return None

    registered = careful_write(
        f"{plan.service}: RegisterTaskDefinition",
        lambda: ecs.register_task_definition(aws, plan.request),
        landed,
        settings.max_retries + 1,
        log,
    )
    log.info(f"{plan.service}: registered {registered['taskDefinitionArn']}")
    return str(registered["taskDefinitionArn"])


def run(
    aws: Aws,
    settings: Settings,
    plan: OneOffPlan,
    ecs_service: Mapping[str, Any],
    log: Log,
    command: Sequence[str] = (),
    clock: Callable[[], float] = time.monotonic,
) -> OneOffResult:
    """Register if needed, RunTask, wait until the task stops (or the timeout, or a cancel)."""
    name, cluster = plan.service, str(settings.cluster)
    with log.group(f"{name}: one-off task"):
        for notice in plan.rendered.diagnostics:
            if notice.service == name:
                log.info(notice.render())
        if plan.diff:
            for line in plan.diff:
                log.info(line)
        arn = register(aws, settings, plan, log)
        request = oneoff.run_task_request(
            cluster=cluster,
            task_definition=arn,
            service=ecs_service,
            started=oneoff.started_by(settings.image_tag),
            client_token=uuid.uuid4().hex,
            container=name,
            command=command,
        )
        started = clock()
        task = tasks.run_task(aws, request)
        result = OneOffResult(
            name,
            "failed",
            "",
            task_definition_arn=arn,
            task_arn=str(task["taskArn"]),
            request=plan.request,
            diff=plan.diff,
            url=oneoff.console_task_url(settings.region, cluster, str(task["taskArn"])),
        )
        log.info(f"{name}: started one-off task {result.task_arn} ({result.url})")
        try:
            _wait(aws, settings, result, task, log, clock)
        finally:
            result.seconds = clock() - started
        log.info(f"{name}: {result.kind}: {result.reason}")
    if result.kind == "failed" and result.task:  # its hint and last lines, under the error
        essential = frozenset(oneoff.essential_containers(result.request))
        result.diagnoses = explain(
            aws,
            name,
            [stopped_task(result.task, essential)],
            result.request,
            log_lines=settings.log_lines,
            region=str(settings.region),
            log=log,
        )
    return result


def _wait(
    aws: Aws,
    settings: Settings,
    result: OneOffResult,
    task: dict[str, Any],
    log: Log,
    clock: Callable[[], float],
) -> None:
    """Poll DescribeTasks (at once, then every poll interval, growing while nothing changes)."""
    cluster, minutes = str(settings.cluster), settings.run_timeout_minutes
    deadline = clock() + minutes * 60
    shown = oneoff.state_of(task)
    log.info(oneoff.format_state(result.service, result.task_arn, shown))
    interval = 0.0
    try:
        while not oneoff.is_stopped(task):
            time.sleep(max(0.0, min(interval, deadline - clock())))
            if clock() >= deadline:
                tasks.stop_task(
                    aws,
                    cluster,
                    result.task_arn,
                    f"compose-ecs-deploy: run-timeout of {minutes:g} minutes",
                )
                result.kind, result.task = "timed-out", task
                result.reason = (
                    f"task {last_part(result.task_arn)} did not stop "
                    f"within {minutes:g} minutes (run-timeout); it was stopped "
                    "(StopTask) and nothing was rolled out"
                )
                return
            task = tasks.describe_task(aws, cluster, result.task_arn) or task
            state = oneoff.state_of(task)
            if state != shown:
                log.info(oneoff.format_state(result.service, result.task_arn, state))
                shown, interval = state, settings.poll_interval
            else:
                interval = min(
                    max(interval * 1.5, settings.poll_interval), settings.max_poll_interval
                )
    except Cancelled as exc:
        tasks.stop_task(aws, cluster, result.task_arn, f"compose-ecs-deploy: {exc}")
        result.kind, result.task = "cancelled", task
        result.reason = (
            f"{exc}: task {last_part(result.task_arn)} was stopped "
            "(StopTask) and nothing was rolled out"
        )
        return
    result.task = task
    result.verdict = oneoff.verdict(task, oneoff.essential_containers(result.request))
    result.kind = "succeeded" if result.verdict.succeeded else "failed"
    result.reason = result.verdict.describe()


# --------------------------------------------------------------------------- reporting


def outputs(results: Sequence[OneOffResult]) -> dict[str, str]:
    """`run-task-arns` and `run-exit-codes`: JSON maps by compose service (ran ones only)."""
    ran = [r for r in results if r.task_arn]
    return {
        "run-task-arns": json.dumps({r.service: r.task_arn for r in ran}, sort_keys=True),
        "run-exit-codes": json.dumps({r.service: r.exit_code for r in ran}, sort_keys=True),
    }


def summary_sections(results: Sequence[OneOffResult]) -> list[str]:
    """One Markdown section per one-off: outcome, exit code, duration, link to the task."""
    parts: list[str] = []
    for r in results:
        parts += ["", f"### One-off task: {r.service}", ""]
        if not r.task_arn:
            parts.append(f"{r.kind}: {r.reason}")
            continue
        mark = "✅" if r.succeeded else "❌"
        code = "none" if r.exit_code is None else str(r.exit_code)
        parts += [
            "| outcome | exit code | duration | task |",
            "|---|---|---|---|",
            f"| {mark} {r.kind} | {code} | {r.seconds:.0f} s | "
            f"[{last_part(r.task_arn)}]({r.url}) |",
        ]
        if not r.succeeded:
            parts += ["", r.reason]
            for diagnosis in r.diagnoses:
                parts += ["", f"hint: {diagnosis.hint.text}"] if diagnosis.hint else []
                parts += diagnosis_markdown(diagnosis)
    return parts
