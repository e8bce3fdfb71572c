"""The Express controller: ECS Express Mode services, which ECS creates, deploys (canary, 5 %
then all, with alarm rollback) and fronts with an HTTPS load balancer of its own.

Start: CreateExpressGatewayService when `--express` names a service that does not exist
(with the registered revision, the infrastructure role, the health-check path and the
`x-ecs` scaling and network settings), else UpdateExpressGatewayService with the new
revision; neither is sent again after a lost answer before a read shows it did not land
(`express_writes.py`). An unchanged service is read at plan time for its URL.
Then one DescribeServices gives the ECS deployment it started and its service
deployment, which is followed as the native controller follows a canary (per poll one
DescribeServices and one DescribeServiceDeployments; ECS rolls a failure back on its own; our
timeout asks StopServiceDeployment ROLLBACK). A failure is explained as a rolling one is: the
stopped tasks of our deployment (ListTasks startedBy, DescribeTasks), so their hints and log
lines follow. The URL is the first ingress endpoint (DescribeExpressGatewayService), with
`https://` once (`verdicts/express.url`).
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any

from compose_ecs_deploy.aws import ecs, service_deployments
from compose_ecs_deploy.aws import express as aws_express
from compose_ecs_deploy.aws.client import Aws
from compose_ecs_deploy.aws.model import check_value
from compose_ecs_deploy.diagnostics import Diagnostic
from compose_ecs_deploy.errors import AwsError
from compose_ecs_deploy.report.console import Log
from compose_ecs_deploy.rollout.express_writes import created, updated
from compose_ecs_deploy.rollout.interface import Polled, Started, Subject, Undoing
from compose_ecs_deploy.rollout.native import NativeController
from compose_ecs_deploy.rollout.verdicts import express
from compose_ecs_deploy.rollout.verdicts import native as native_rollout
from compose_ecs_deploy.rollout.verdicts.history import Past
from compose_ecs_deploy.rollout.verdicts.native import NativeState
from compose_ecs_deploy.rollout.verdicts.rolling import Outcome
from compose_ecs_deploy.rollout.verdicts.shape import TaskShape
from compose_ecs_deploy.rollout.verdicts.stopped_tasks import stopped_task
from compose_ecs_deploy.settings import Settings

SHAPES = {
    "scalingTarget": "ExpressGatewayScalingTarget",
    "networkConfiguration": "ExpressGatewayServiceNetworkConfiguration",
}


@dataclass(frozen=True)
class ExpressState:
    """An Express rollout: the followed service deployment, the service's ARN, its URL once
    known, and the failed tasks that explain a failure."""

    native: NativeState
    service_arn: str
    url: str = ""
    essential: frozenset[str] = frozenset()
    failed_tasks: tuple[Any, ...] = ()
    explained: bool = False


@dataclass(frozen=True)
class Found:
    """What `prepare` read of an Express service the run leaves unchanged: its URL."""

    url: str = ""


def _described(aws: Aws, settings: Settings, name: str, attempts: int = 5) -> dict[str, Any]:
    """The service right after its Create or Update: its ECS deployment and service
    deployment. ECS's reads are eventually consistent, so a service created a moment ago
    may not be listed yet: asked again, a second apart, a few times."""
    attempt = 1
    while True:
        try:
            return dict(ecs.describe_services(aws, str(settings.cluster), [name])[name])
        except AwsError:
            if attempt >= attempts:
                raise
            attempt += 1
            time.sleep(settings.pause(1.0))


class ExpressController:
    """Services whose `resourceManagementType` is ECS (Express), and those `--express`
    creates."""

    kind = "express"

    def __init__(self) -> None:
        self._native = NativeController()

    def handles(self, service: Mapping[str, Any]) -> bool:
        return express.is_express(service)

    def prepare(
        self,
        aws: Aws,
        settings: Settings,
        subject: Subject,
        request: Mapping[str, Any],
        changing: bool,
    ) -> Found | None:
        """DescribeServices (or its absence) said all that the start needs; an unchanged
        Express service is read for its URL (DescribeExpressGatewayService), which the
        outputs and the summary give on every run."""
        if changing or subject.service.get("status") == express.TO_CREATE:
            return None
        described = aws_express.describe(aws, str(subject.service.get("serviceArn", "")))
        return Found(url=express.url(express.endpoint_of(described or {})))

    def shape(self, settings: Settings, primary: str, x_ecs: Mapping[str, Any]) -> TaskShape:
        """Main from `primary`; the service's settings from `x-ecs`, checked against
        botocore's shapes (CreateExpressGatewayService's members)."""
        found: list[Diagnostic] = []
        for key, shape_name in SHAPES.items():
            if key in x_ecs:
                found += [
                    Diagnostic.error(
                        "x-ecs-value",
                        problem.message,
                        field=f"x-ecs.{key}" + (f".{problem.field}" if problem.path else ""),
                    )
                    for problem in check_value(x_ecs[key], shape_name)
                ]
        path = x_ecs.get("healthCheckPath")
        if path is not None and not (isinstance(path, str) and path.startswith("/")):
            found.append(
                Diagnostic.error(
                    "x-ecs-value",
                    f"{path!r} is not a path: it must start with / (e.g. /health)",
                    field="x-ecs.healthCheckPath",
                )
            )
        options = express.settings_from(x_ecs, settings.health_check_path)
        return express.ExpressShape(primary=primary, settings=options, found=tuple(found))

    def start(
        self, aws: Aws, settings: Settings, subject: Subject, revision: str, log: Log
    ) -> Started:
        name, cluster = subject.name, str(settings.cluster)
        if subject.service.get("status") == express.TO_CREATE:
            request: dict[str, Any] = {
                "serviceName": name,
                "cluster": cluster,
                "infrastructureRoleArn": str(settings.infrastructure_role_arn),
                "taskDefinitionArn": revision,
                **subject.options,
            }
            if settings.service_tags:
                request["tags"] = [{"key": k, "value": v} for k, v in settings.service_tags]
            answer = created(aws, settings, request, log)
            log.info(f"{name}: created the Express service {answer.get('serviceArn', '')}")
        else:
            request = {
                "serviceArn": str(subject.service["serviceArn"]),
                "taskDefinitionArn": revision,
                **subject.options,
            }
            answer = updated(aws, settings, name, request, subject.service, log)
        service = _described(aws, settings, name)
        state = native_rollout.start(name, revision, service, settings.wait_until, subject.service)
        configuration = answer.get("targetConfiguration") or {}
        endpoint = express.endpoint_of(answer) or express.endpoint_of(
            {"activeConfigurations": [configuration]}
        )
        begun = ExpressState(
            native=state,
            service_arn=str(answer.get("serviceArn") or service.get("serviceArn", "")),
            url=express.url(endpoint),
            essential=subject.essential,
        )
        lines = (f"{name}: URL {begun.url}",) if begun.url else ()
        outputs = {"url": begun.url} if begun.url else {}
        return Started(begun, state.ecs_deployment_id, lines, outputs)

    def follow(self, settings: Settings, subject: Subject) -> Started | None:
        return None  # ECS carries an unfinished deployment on; an unchanged service is left

    def poll(
        self, aws: Aws, settings: Settings, states: Mapping[str, Any], time_left: float
    ) -> Polled:
        """The native poll; then the URL once (DescribeExpressGatewayService) and, for a
        failure, its stopped tasks (ListTasks, DescribeTasks) once."""
        polled = self._native.poll(
            aws, settings, {n: s.native for n, s in states.items()}, time_left
        )
        lines = list(polled.lines)
        next_states: dict[str, ExpressState] = {}
        for name, previous in states.items():
            state = replace(previous, native=polled.states[name])
            outcome = native_rollout.verdict(state.native)
            if outcome is not None and not state.url:
                described = aws_express.describe(aws, state.service_arn)
                state = replace(state, url=express.url(express.endpoint_of(described or {})))
                if state.url:
                    lines.append(f"{name}: URL {state.url}")
            if outcome is not None and not outcome.succeeded and not state.explained:
                state = self._failed_tasks(aws, settings, state)
            next_states[name] = state
        return Polled(dict(next_states), tuple(lines), polled.new, polled.failed_read)

    def _failed_tasks(self, aws: Aws, settings: Settings, state: ExpressState) -> ExpressState:
        """The tasks of our ECS deployment that stopped for a reason of their own (not the
        scheduler's clean-up after the rollback)."""
        deployment = state.native.ecs_deployment_id
        if not deployment:
            return replace(state, explained=True)
        cluster = str(settings.cluster)
        try:
            arns = ecs.stopped_task_arns(aws, cluster, deployment)
            payloads = ecs.describe_tasks(aws, cluster, arns) if arns else []
        except AwsError:
            return replace(state, explained=True)
        tasks = tuple(
            task
            for task in (stopped_task(p, state.essential) for p in payloads)
            if task.cause != "scheduler"
        )
        return replace(state, failed_tasks=tasks, explained=True)

    def respond(
        self, aws: Aws, settings: Settings, state: ExpressState, log: Log, time_left: float
    ) -> ExpressState:
        return replace(
            state, native=self._native.respond(aws, settings, state.native, log, time_left)
        )

    def verdict(self, state: ExpressState) -> Outcome | None:
        outcome = native_rollout.verdict(state.native)
        if outcome is None or outcome.succeeded:
            return outcome
        return replace(outcome, tasks=tuple(state.failed_tasks))

    def expire(self, aws: Aws, settings: Settings, state: ExpressState, log: Log) -> Outcome:
        return self._native.expire(aws, settings, state.native, log)

    def cancelled(self, state: ExpressState, why: str) -> Outcome:
        return self._native.cancelled(state.native, why)

    def undo(
        self, aws: Aws, settings: Settings, subject: Subject, state: ExpressState, log: Log
    ) -> Undoing | None:
        self._native.undo(aws, settings, subject, state.native, log)
        return None

    def describe(self, state: ExpressState) -> str:
        return self._native.describe(state.native)

    def url(self, state: ExpressState | Found) -> str:
        return state.url

    def history(
        self, aws: Aws, settings: Settings, subject: Subject, log: Log
    ) -> Iterator[list[Past]]:
        return service_deployments.history_pages(aws, str(settings.cluster), subject.name)

    def status(self, aws: Aws, settings: Settings, subject: Subject) -> dict[str, Any]:
        return {}
