"""The CodeDeploy controller: ECS services whose deploymentController is CODE_DEPLOY.

ECS refuses UpdateService with a task definition for these services; a CodeDeploy deployment
replaces the task set instead (ECS API reference, UpdateService; CodeDeploy user guide, "What
happens during an Amazon ECS deployment"). So:
- `prepare`, before any build or write: the deployment group, named by
  --codedeploy-application and --codedeploy-deployment-group or found by its ``ecsServices``
  (ListApplications, BatchGetApplications, ListDeploymentGroups, BatchGetDeploymentGroups,
  every list to its last ``nextToken``; ecspresso finds it the same way); the AppSpec, built
  and checked against the new revision; and any deployment of the group still active
  (ListDeployments). CodeDeploy runs one deployment per group at a time
  (DeploymentLimitExceededException), so with one active nothing is registered: the run
  fails naming it, or follows it when it deploys the unchanged revision.
- `start`: CreateDeployment with the AppSpec as content (revisionType AppSpecContent), tried
  once: a lost answer must not start a second deployment. ``deployment-id`` and
  ``codedeploy-deployment-id`` both carry the CodeDeploy deployment id.
- `poll`, per service: GetDeployment, BatchGetDeploymentTargets for its ECS target (the ids
  from ListDeploymentTargets, read once), and ListTasks for the replacement task set's stopped
  tasks (startedBy = the task set's id), DescribeTasks only for new ones.
- Our timeout: StopDeployment with autoRollbackEnabled, then one GetDeployment to say what
  the service is left in. A cancel only ends our wait and says how to stop it (DESIGN.md).
- Rollback is CodeDeploy's (the group's automatic rollback, ``rollbackInfo``): `undo` never
  starts a second one.
- `status`: the group and its active deployment with its ECS target (lifecycle events, task
  sets and traffic weights), for the `status` verb; what cannot be read or found is said.
- `history`: the group's finished deployments (ListDeployments with includeOnlyStatuses,
  BatchGetDeployments), each with the task definition its AppSpec content deploys, for a
  rollback without --to (`verdicts/codedeploy_history.py`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any

import yaml

from compose_ecs_deploy.aws import codedeploy as api
from compose_ecs_deploy.aws import ecs
from compose_ecs_deploy.aws.client import Aws, read_once
from compose_ecs_deploy.diagnostics import Diagnostic
from compose_ecs_deploy.errors import AwsError, DeployError, HistoryUnreadable, InputError
from compose_ecs_deploy.loading.files import read_document
from compose_ecs_deploy.report.console import Log
from compose_ecs_deploy.report.status import codedeploy_part
from compose_ecs_deploy.rollout.interface import Polled, Started, Subject
from compose_ecs_deploy.rollout.verdicts import codedeploy as verdicts
from compose_ecs_deploy.rollout.verdicts.codedeploy import CodeDeployState
from compose_ecs_deploy.rollout.verdicts.codedeploy_appspec import (
    build,
    task_definition_of,
    with_revision,
)
from compose_ecs_deploy.rollout.verdicts.codedeploy_history import pasts
from compose_ecs_deploy.rollout.verdicts.history import Past
from compose_ecs_deploy.rollout.verdicts.rolling import Outcome
from compose_ecs_deploy.rollout.verdicts.shape import TaskShape
from compose_ecs_deploy.rollout.verdicts.stopped_tasks import stopped_task
from compose_ecs_deploy.settings import Settings

CONSOLE = "https://console.aws.amazon.com/codesuite/codedeploy/deployments/{id}?region={region}"
OUTPUT = "codedeploy-deployment-id"


@dataclass(frozen=True)
class Prepared:
    """What `prepare` found: the group, the AppSpec to send (its TaskDefinition still to be
    set), and a deployment of the group still active with the revision it deploys."""

    application: str
    group: str
    appspec: Mapping[str, Any]
    rollback: Mapping[str, Any]  # this deployment's autoRollbackConfiguration
    active: tuple[str, str] | None = None
    active_status: str = ""
    checked: tuple[str, ...] = ()  # what was found to be right, one line each, for verify


def _group_error(message: str) -> InputError:
    return InputError(message, [Diagnostic.error("codedeploy-group", message)])


def find_group(aws: Aws, settings: Settings, service: str) -> tuple[str, dict[str, Any]]:
    """(application, group): the named one, checked to deploy this service, or the one whose
    ecsServices lists the cluster and service; none or several is an error listing them.
    Looked up once a run: a rollback reads the group's history to choose its target, then
    prepares its deployment, and a prune reads the history alone (ListApplications,
    BatchGetApplications, ListDeploymentGroups and BatchGetDeploymentGroups at least)."""
    key = (
        "codedeploy-group", str(settings.cluster), service,
        settings.codedeploy_application or "", settings.codedeploy_deployment_group or "",
    )  # fmt: skip
    return read_once(aws, key, lambda: _find_group(aws, settings, service))


def _find_group(aws: Aws, settings: Settings, service: str) -> tuple[str, dict[str, Any]]:
    cluster = str(settings.cluster)
    application = settings.codedeploy_application
    name = settings.codedeploy_deployment_group
    applications = [application] if application else api.ecs_applications(aws)
    matches: list[tuple[str, dict[str, Any]]] = []
    for app in applications:
        for group in api.groups(aws, app, [name] if name else None):
            if verdicts.lists_service(group, cluster, service):
                matches.append((app, group))
            elif application and name:
                listed = ", ".join(
                    f"{s.get('clusterName')}/{s.get('serviceName')}"
                    for s in group.get("ecsServices") or []
                )
                raise _group_error(
                    f"ECS service {service}: CodeDeploy deployment group {app}/{name} deploys "
                    f"{listed or 'no ECS service'}, not {cluster}/{service}",
                )
    if application and name and not matches:
        raise _group_error(
            f"ECS service {service}: CodeDeploy application {application} has no "
            f"deployment group {name}",
        )
    if not matches:
        raise _group_error(verdicts.no_group(service, cluster, applications))
    if len(matches) > 1:
        found = [(app, str(g["deploymentGroupName"])) for app, g in matches]
        raise _group_error(verdicts.several_groups(service, found))
    return matches[0]


def _appspec(settings: Settings, subject: Subject, request: Mapping[str, Any]) -> Mapping[str, Any]:
    """The AppSpec from --codedeploy-appspec (or none), checked; every problem at once,
    each at its line in the file."""
    path = settings.codedeploy_appspec
    document = read_document(path, "CodeDeploy AppSpec") if path else None
    spec, problems = build(
        document.data if document else None,
        revision="<the new revision>",
        service_name=subject.name,
        service=subject.service,
        containers=request.get("containerDefinitions") or [],
    )
    if problems:
        if document is not None:
            problems = [p.located(path, document.line_of(p.field or "")) for p in problems]
        raise InputError(problems[0].message, problems)
    return spec


def _active_error(
    service: str,
    deployment_id: str,
    info: Mapping[str, Any],
    application: str,
    group: str,
    registered: str,
) -> DeployError:
    """One deployment per group at a time (CreateDeployment: DeploymentLimitExceededException)."""
    left = (
        f"{registered} was registered and stays for the next run"
        if registered
        else "nothing was registered"
    )
    message = (
        f"ECS service {service}: CodeDeploy deployment {deployment_id} is still "
        f"{info.get('status')} in {application}/{group}, and CodeDeploy runs one deployment "
        "per group at a time; wait for it, or stop it (aws deploy stop-deployment "
        f"--deployment-id {deployment_id}), and run again ({left})"
    )
    return DeployError(message, [Diagnostic.error("codedeploy-active", message)])


def _deploys(info: Mapping[str, Any]) -> str:
    """The task definition a deployment deploys, from its AppSpec content (revisionType
    AppSpecContent, or the older String: API reference, "RevisionLocation"); '' for a
    revision in S3 or GitHub, whose content CodeDeploy's answers do not carry."""
    revision = info.get("revision") or {}
    content = (revision.get("appSpecContent") or revision.get("string") or {}).get("content")
    if not isinstance(content, str) or not content:
        return ""
    try:
        return task_definition_of(yaml.safe_load(content))
    except yaml.YAMLError:
        return ""


class CodeDeployController:
    """deploymentController.type CODE_DEPLOY: CodeDeploy blue/green deployments."""

    kind = "codedeploy"

    def handles(self, service: Mapping[str, Any]) -> bool:
        return verdicts.is_code_deploy(service)

    def prepare(
        self,
        aws: Aws,
        settings: Settings,
        subject: Subject,
        request: Mapping[str, Any],
        changing: bool,
    ) -> Prepared:
        spec = _appspec(settings, subject, request)
        application, found = find_group(aws, settings, subject.name)
        group = str(found["deploymentGroupName"])
        rollback = verdicts.rollback_configuration(
            found.get("autoRollbackConfiguration") or {}, settings.rollback_on_failure
        )
        ((_, target),) = spec["Resources"][0].items()
        lb = target["Properties"]["LoadBalancerInfo"]
        checked = (
            f"CodeDeploy deployment group {application}/{group} "
            f"(deploys {settings.cluster}/{subject.name})",
            f"load balancer container {lb['ContainerName']} port {lb['ContainerPort']} "
            "(in the new revision)",
        )
        active = api.active_deployments(aws, application, group)
        if not active:
            return Prepared(application, group, spec, rollback, checked=checked)
        info = api.deployment(aws, active[0])
        deploys = _deploys(info)
        if changing and deploys in ("", subject.current):
            raise _active_error(subject.name, active[0], info, application, group, "")
        # It deploys another revision: an earlier run's, if ours is the same (the register
        # reuses an identical latest revision); `start` follows it then, else stops.
        status = str(info.get("status"))
        return Prepared(application, group, spec, rollback, (active[0], deploys), status, checked)

    def start(
        self, aws: Aws, settings: Settings, subject: Subject, revision: str, log: Log
    ) -> Started:
        prepared: Prepared = subject.prepared
        if prepared.active is not None:
            if prepared.active[1] == revision:
                return self._follow(settings, subject, prepared.active[0], revision)
            raise _active_error(
                subject.name,
                prepared.active[0],
                {"status": prepared.active_status},
                prepared.application,
                prepared.group,
                revision,
            )
        deployment_id = api.create_deployment(
            aws,
            prepared.application,
            prepared.group,
            with_revision(prepared.appspec, revision),
            f"compose-ecs-deploy: {subject.name} to {revision}",
            prepared.rollback,
        )
        state = verdicts.start(
            subject.name, deployment_id, revision, settings.wait_until, subject.essential
        )
        link = CONSOLE.format(id=deployment_id, region=settings.region)
        line = (
            f"{subject.name}: CodeDeploy deployment {deployment_id} created in "
            f"{prepared.application}/{prepared.group} ({link})"
        )
        return Started(state, deployment_id, (line,), {OUTPUT: deployment_id})

    def follow(self, settings: Settings, subject: Subject) -> Started | None:
        """The group's active deployment, when it deploys the unchanged revision (an earlier
        run started it and did not wait): watched to its end."""
        prepared: Prepared | None = subject.prepared
        if prepared is None or prepared.active is None or prepared.active[1] != subject.current:
            return None
        return self._follow(settings, subject, prepared.active[0], subject.current)

    def _follow(
        self, settings: Settings, subject: Subject, deployment_id: str, revision: str
    ) -> Started:
        state = verdicts.start(
            subject.name, deployment_id, revision, settings.wait_until, subject.essential
        )
        line = (
            f"{subject.name}: CodeDeploy deployment {deployment_id} of this revision is still "
            "active (an earlier run started it); following it to its end"
        )
        return Started(state, deployment_id, (line,), {OUTPUT: deployment_id})

    def poll(
        self, aws: Aws, settings: Settings, states: Mapping[str, Any], time_left: float
    ) -> Polled:
        """Each deployment, its ECS target and its replacement's new stopped tasks; a read
        that fails keeps that service's state for the next poll."""
        polled: dict[str, Any] = {}
        lines: list[str] = []
        new = failed = False
        for name, state in states.items():
            try:
                state, info, target, tasks = self._read(aws, str(settings.cluster), state)
            except AwsError as exc:
                failed = True
                polled[name] = state
                lines.append(f"{name}: reading CodeDeploy failed ({exc}); trying again")
                continue
            polled[name], said = verdicts.step(state, info, target, tasks)
            lines += said
            new |= bool(said)
        if failed and not polled:
            raise AwsError("reading the CodeDeploy deployments failed")
        return Polled(polled, tuple(lines), new, failed)

    def _read(
        self, aws: Aws, cluster: str, state: CodeDeployState
    ) -> tuple[CodeDeployState, dict[str, Any], dict[str, Any] | None, list[Any]]:
        info = api.deployment(aws, state.deployment_id)
        if not state.target_ids:
            state = replace(state, target_ids=tuple(api.target_ids(aws, state.deployment_id)))
        targets = api.ecs_targets(aws, state.deployment_id, state.target_ids)
        target = targets[0] if targets else None
        replacement = (verdicts.replacement_of(target) if target else "") or state.replacement
        tasks: list[Any] = []
        if replacement:
            fresh = verdicts.new_task_arns(state, ecs.stopped_task_arns(aws, cluster, replacement))
            if fresh:
                tasks = [
                    stopped_task(t, state.essential)
                    for t in ecs.describe_tasks(aws, cluster, fresh)
                ]
        return state, info, target, tasks

    def respond(self, aws: Aws, settings: Settings, state: Any, log: Log, time_left: float) -> Any:
        return state  # CodeDeploy runs the AppSpec's hooks (Lambda functions) itself

    def verdict(self, state: CodeDeployState) -> Outcome | None:
        return verdicts.verdict(state)

    def expire(self, aws: Aws, settings: Settings, state: CodeDeployState, log: Log) -> Outcome:
        """Our timeout: with rollback-on-failure, StopDeployment with autoRollbackEnabled,
        then one GetDeployment for the rollback deployment CodeDeploy started."""
        stop = settings.rollback_on_failure and state.status in verdicts.ACTIVE
        if stop:
            try:
                api.stop_with_rollback(aws, state.deployment_id)
                state, _ = verdicts.step(state, api.deployment(aws, state.deployment_id), None)
            except AwsError as exc:  # e.g. it finished between the last poll and now
                log.info(f"{state.service}: {exc}")
                stop = False
        return verdicts.timed_out(state, settings.wait_timeout_minutes, stop)

    def cancelled(self, state: CodeDeployState, why: str) -> Outcome:
        return verdicts.cancelled(state, why)

    def undo(self, aws: Aws, settings: Settings, subject: Subject, state: Any, log: Log) -> None:
        """CodeDeploy rolls back by the group's automatic rollback; never a second one."""
        return None

    def describe(self, state: CodeDeployState) -> str:
        return verdicts.completion_note(state)

    def shape(self, settings: Settings, primary: str, x_ecs: Mapping[str, Any]) -> TaskShape:
        return TaskShape()

    def url(self, state: CodeDeployState) -> str:
        return ""

    def history(
        self, aws: Aws, settings: Settings, subject: Subject, log: Log
    ) -> Iterator[list[Past]]:
        """CodeDeploy's record of the group (ECS's service deployments follow only the ECS
        controller's): its finished deployments, newest first, in one page."""
        try:
            application, found = find_group(aws, settings, subject.name)
            group = str(found["deploymentGroupName"])
            infos = api.finished_deployments(aws, application, group)
        except AwsError as exc:
            raise HistoryUnreadable(
                f"ECS service {subject.name}: CodeDeploy's deployment history could not be "
                f"read ({exc}); allow codedeploy:ListDeployments and "
                "codedeploy:BatchGetDeployments"
            ) from exc
        log.info(
            f"{subject.name}: reading CodeDeploy's {len(infos)} finished deployments of "
            f"{application}/{group}"
        )
        yield pasts((info, _deploys(info)) for info in infos)

    def status(self, aws: Aws, settings: Settings, subject: Subject) -> dict[str, Any]:
        """The group (named or found, as a deploy finds it) and its active deployment."""
        try:
            application, found = find_group(aws, settings, subject.name)
        except (InputError, AwsError) as exc:
            return {"codeDeploy": codedeploy_part(None, None, None, None, str(exc))}
        group = str(found["deploymentGroupName"])
        try:
            active = api.active_deployments(aws, application, group)
            info = api.deployment(aws, active[0]) if active else None
            ids = api.target_ids(aws, active[0]) if active else []
            targets = api.ecs_targets(aws, active[0], ids) if ids else []
        except AwsError as exc:
            problem = f"the deployments of {application}/{group} could not be read ({exc})"
            return {"codeDeploy": codedeploy_part(application, group, None, None, problem)}
        target = targets[0] if targets else None
        return {"codeDeploy": codedeploy_part(application, group, info, target)}
