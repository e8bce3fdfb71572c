"""The `rollback` verb: put a service back on an earlier revision, with one UpdateService.

It registers nothing (with `--dry-run` it writes nothing and says where it would go). The
target is `--to` (a revision, FAMILY:REV, an ARN or an image tag), else the last revision
that completed a deployment before the current one by ECS's own service-deployment history
(`rollout/verdicts/history.py`). The service's controller starts the rollout and the shared
watch loop waits for it, so a rollback is watched, explained and reported exactly like a
deploy, with the same outputs; a rollback that fails is itself undone the controller's way
(back onto the revision that ran).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import Any

from compose_ecs_deploy.aws import ecs
from compose_ecs_deploy.aws.client import Aws, session
from compose_ecs_deploy.aws.revisions import list_family
from compose_ecs_deploy.compose.taskdef import strip_read_only
from compose_ecs_deploy.diagnostics import Diagnostic
from compose_ecs_deploy.errors import (
    EXIT_FAILURE,
    EXIT_OK,
    AwsError,
    ExitCode,
    HistoryUnreadable,
    InputError,
)
from compose_ecs_deploy.pipeline.plan import parse_targets
from compose_ecs_deploy.pipeline.results import (
    Deployment,
    DeployResult,
    ServiceResult,
    console_url,
)
from compose_ecs_deploy.pipeline.rollback_target import by_history
from compose_ecs_deploy.report.console import Log, RememberingLog
from compose_ecs_deploy.report.face import Face
from compose_ecs_deploy.report.outputs import service_outputs
from compose_ecs_deploy.report.summary import failure_lines, outputs
from compose_ecs_deploy.rollout.controller import Refusal, choose
from compose_ecs_deploy.rollout.failure import explain
from compose_ecs_deploy.rollout.interface import Controller, Subject
from compose_ecs_deploy.rollout.verdicts.arns import last_part
from compose_ecs_deploy.rollout.verdicts.history import (
    family_revision,
    has_digest,
    has_tag,
    parse_to,
)
from compose_ecs_deploy.rollout.watch import Watched, watch
from compose_ecs_deploy.settings import Settings, refuse_bad_options

TAG_SEARCH = 100  # the newest revisions of the family searched for an image tag


@dataclass(frozen=True)
class RollbackOptions:
    """What `rollback` takes beyond the target: where to go (None: by history)."""

    to: str | None = None

    @classmethod
    def of(cls, settings: Settings) -> RollbackOptions:
        return cls(settings.rollback_to)


@dataclass(frozen=True)
class Choice:
    """One service's rollback: its controller, and the revision it goes to (described)."""

    controller: Controller
    service: dict[str, Any]
    revision: dict[str, Any]
    prepared: Any = None  # what the controller's `prepare` read before any write

    @property
    def arn(self) -> str:
        return str(self.revision["taskDefinitionArn"])

    def subject(self, name: str) -> Subject:
        return Subject(name, self.service, _essential(self.revision), self.prepared)


def run(settings: Settings, face: Face) -> ExitCode:
    """Choose each service's target, start the rollbacks, watch them like a deploy."""
    refuse_bad_options(settings)
    options = RollbackOptions.of(settings)
    names = [t.ecs_service for t in parse_targets(settings)]
    aws = session(settings, face.log)
    log = RememberingLog(face.log)
    cluster = str(settings.cluster)
    services = ecs.describe_services(aws, cluster, names)
    choices = {name: _choose(aws, settings, name, services[name], options, log) for name in names}
    choices = {name: _prepare(aws, settings, name, choice) for name, choice in choices.items()}
    result = DeployResult(
        [
            ServiceResult(
                target=t,
                changed=True,
                revision_before=str(services[t.ecs_service]["taskDefinition"]),
                task_definition_arn=choices[t.ecs_service].arn,
                images={
                    str(c["name"]): str(c["image"])
                    for c in choices[t.ecs_service].revision["containerDefinitions"]
                },
                console_url=console_url(settings.region, cluster, t.ecs_service),
            )
            for t in parse_targets(settings)
        ],
        dry_run=settings.dry_run,
    )
    started = time.monotonic()
    if settings.dry_run:  # the targets are chosen and checked; nothing is written
        for name, choice in choices.items():
            log.info(
                f"{name}: dry run: would roll back from "
                f"{last_part(str(services[name]['taskDefinition']))} to {last_part(choice.arn)}"
            )
        face.outputs(outputs(result, {}))
        face.summary(Deployment(result, {}, {"rollback": time.monotonic() - started}))
        return EXIT_OK
    watched = _start(aws, settings, choices, result, face, log)
    if settings.wait:
        _wait(aws, settings, choices, result, watched, log)
    for service in result.services:
        service.seconds = time.monotonic() - started
    face.outputs(outputs(result, {}))
    face.summary(Deployment(result, {}, {"rollback": time.monotonic() - started}))
    failures = failure_lines(result)
    for line in failures:
        face.report(Diagnostic.error("rollback-failed", line))
    return EXIT_FAILURE if failures else EXIT_OK


def _prepare(aws: Aws, settings: Settings, name: str, choice: Choice) -> Choice:
    """What the controller reads before any write (a CodeDeploy deployment group, its
    AppSpec checked against the revision), as a deploy's plan does."""
    subject = Subject(name, choice.service, _essential(choice.revision))
    request = strip_read_only(choice.revision)
    found = choice.controller.prepare(aws, settings, subject, request, True)
    return replace(choice, prepared=found)


def _essential(revision: dict[str, Any]) -> frozenset[str]:
    return frozenset(
        str(c["name"])
        for c in revision.get("containerDefinitions", [])
        if c.get("essential", True) is not False
    )


def _start(
    aws: Aws,
    settings: Settings,
    choices: dict[str, Choice],
    result: DeployResult,
    face: Face,
    log: Log,
) -> dict[str, Watched]:
    watched: dict[str, Watched] = {}
    for service_result in result.services:
        name = service_result.target.ecs_service
        choice = choices[name]
        subject = choice.subject(name)
        log.info(
            f"{name}: rolling back from {last_part(subject.current)} to {last_part(choice.arn)}"
        )
        begun = choice.controller.start(aws, settings, subject, choice.arn, log)
        watched[name] = Watched(choice.controller, begun.state)
        service_result.deployment_id = begun.deployment_id
        service_result.kind_outputs.update(begun.outputs)  # codedeploy-deployment-id, as deploy's
        face.outputs(service_outputs(result.services))
        log.info(f"{name}: deployment {begun.deployment_id} started ({service_result.console_url})")
        for line in begun.lines:
            log.info(line)
    return watched


def _wait(
    aws: Aws,
    settings: Settings,
    choices: dict[str, Choice],
    result: DeployResult,
    watched: dict[str, Watched],
    log: RememberingLog,
) -> None:
    """Watch like a deploy; explain a failure; let its controller undo it (back onto the
    revision that ran) and watch that too."""
    with log.group("waiting for the rollback"):
        outcomes = watch(aws, settings, watched, log)
    undoing: dict[str, Watched] = {}
    for service_result in result.services:
        name = service_result.target.ecs_service
        outcome = service_result.outcome = outcomes.get(name)
        if outcome is None or outcome.succeeded:
            continue
        choice = choices[name]
        if outcome.tasks:
            service_result.diagnoses = explain(
                aws, name, outcome.tasks, choice.revision, log_lines=settings.log_lines,
                region=str(settings.region), log=log,
            )  # fmt: skip
        if outcome.action == "roll-back":
            subject = choice.subject(name)
            entry = watched[name]
            undone = entry.controller.undo(aws, settings, subject, entry.state, log)
            if undone is not None:
                undoing[name] = Watched(entry.controller, undone.state)
    if undoing:
        with log.group("waiting for the service to return to the revision it ran"):
            for name, outcome in watch(aws, settings, undoing, log).items():
                next(s for s in result.services if s.target.ecs_service == name).rollback = outcome


def _choose(
    aws: Aws,
    settings: Settings,
    name: str,
    service: dict[str, Any],
    options: RollbackOptions,
    log: Log,
) -> Choice:
    """The service's controller (refused before any write) and its target revision."""
    controller = choose(name, service)
    if isinstance(controller, Refusal):
        raise InputError(controller.reason)
    current = str(service["taskDefinition"])
    if options.to is not None:
        revision = _named(aws, name, current, options.to)
    else:
        revision = _by_history(aws, settings, name, service, controller, log)
    if revision["taskDefinitionArn"] == current:
        raise InputError(
            f"ECS service {name} already runs {last_part(current)}; nothing to roll back "
            "(pass --to another revision)"
        )
    return Choice(controller, service, revision)


def _by_history(
    aws: Aws,
    settings: Settings,
    name: str,
    service: dict[str, Any],
    controller: Controller,
    log: Log,
) -> dict[str, Any]:
    try:
        revision = by_history(aws, settings, name, service, controller, log)
    except HistoryUnreadable as exc:
        raise HistoryUnreadable(f"{exc}; or pass --to REVISION") from exc
    if revision is None:
        raise InputError(
            f"ECS service {name}: nothing to roll back to: no earlier revision completed a "
            "deployment in the service's history (ECS keeps 90 days; a CODE_DEPLOY service's is "
            "its deployment group's); pass --to REVISION"
        )
    log.info(
        f"{name}: going to {last_part(str(revision['taskDefinitionArn']))}, the last revision "
        "that completed a deployment before this one"
    )
    return revision


def _named(aws: Aws, name: str, current: str, value: str) -> dict[str, Any]:
    """`--to`: a revision, FAMILY:REV, an ARN, or the newest revision with that image tag."""
    family = (family_revision(current) or (last_part(current), 0))[0]
    try:
        target = parse_to(value, family)
    except ValueError as exc:
        raise InputError(str(exc)) from exc
    if target.task_definition:
        try:
            revision = ecs.describe_task_definition(aws, target.task_definition)
        except AwsError as exc:
            raise InputError(
                f"--to {value}: task definition {target.task_definition} could not be read "
                f"({exc}); check the revision"
            ) from exc
        if revision.get("status") != "ACTIVE":
            raise InputError(
                f"--to {value}: {last_part(str(revision.get('taskDefinitionArn')))} is "
                f"{revision.get('status')}; ECS deploys only ACTIVE revisions"
            )
        return revision
    for arn in list_family(aws, family, "ACTIVE")[:TAG_SEARCH]:
        revision = ecs.describe_task_definition(aws, arn)
        images = [str(c.get("image", "")) for c in revision["containerDefinitions"]]
        if (
            has_digest(images, target.image_digest)
            if target.image_digest
            else has_tag(images, target.image_tag)
        ):
            return revision
    what = "digest" if target.image_digest else "tag"
    raise InputError(
        f"--to: no ACTIVE revision of {family} (of the newest {TAG_SEARCH}) has an image with "
        f"the {what} given (not repeated here: a tag-shaped value may be a token pasted by "
        f"mistake); check the {what}, or pass a revision"
    )
