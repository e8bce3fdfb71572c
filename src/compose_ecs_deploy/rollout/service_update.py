"""UpdateService onto a revision: the write that starts a rolling or native deployment, and
a rolling rollback; retried only after a read shows the failed attempt did not land. Also
what the two kinds that UpdateService starts share of the controller interface."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from compose_ecs_deploy.aws import ecs, service_deployments
from compose_ecs_deploy.aws.careful import careful_write
from compose_ecs_deploy.aws.client import Aws
from compose_ecs_deploy.aws.throttle import ThrottleBudgetSpent
from compose_ecs_deploy.report.console import Log
from compose_ecs_deploy.rollout.interface import Subject
from compose_ecs_deploy.rollout.verdicts import rolling as rollout
from compose_ecs_deploy.rollout.verdicts.history import Past
from compose_ecs_deploy.rollout.verdicts.shape import TaskShape
from compose_ecs_deploy.settings import Settings


class UpdatesService:
    """The calls the rolling and native controllers answer alike: the task needs nothing
    beyond what compose gives, DescribeServices said all that UpdateService needs, ECS
    makes no URL for such a service, and ECS's service deployments are its history."""

    def shape(self, settings: Settings, primary: str, x_ecs: Mapping[str, Any]) -> TaskShape:
        return TaskShape()

    def prepare(
        self,
        aws: Aws,
        settings: Settings,
        subject: Subject,
        request: Mapping[str, Any],
        changing: bool,
    ) -> None:
        return None

    def url(self, state: Any) -> str:
        return ""

    def history(
        self, aws: Aws, settings: Settings, subject: Subject, log: Log
    ) -> Iterator[list[Past]]:
        return service_deployments.history_pages(aws, str(settings.cluster), subject.name)

    def status(self, aws: Aws, settings: Settings, subject: Subject) -> dict[str, Any]:
        return {}


def update_landed(
    aws: Aws, cluster: str, name: str, revision: str, before: Mapping[str, Any]
) -> Callable[[], dict[str, Any] | None]:
    """The read that tells whether an update whose answer was lost went through: the
    service (DescribeServices), when its PRIMARY deployment is a new one onto `revision`.

    UpdateService and UpdateExpressGatewayService both start a new ECS deployment of the
    service onto the revision (API reference, UpdateService; UpdateExpressGatewayService:
    "creates a new service revision" and deploys it); a deployment that `before` (the
    service as the plan read it) already had is not ours, even onto the same revision."""
    known = {d.get("id") for d in before.get("deployments", [])}

    def landed() -> dict[str, Any] | None:
        service = ecs.describe_services(aws, cluster, [name])[name]
        primary = rollout.primary_deployment(service)
        if primary.get("taskDefinition") == revision and primary.get("id") not in known:
            return dict(service)
        return None

    return landed


def update(
    aws: Aws,
    settings: Settings,
    name: str,
    task_definition: str,
    before: Mapping[str, Any],
    log: Log,
) -> dict[str, Any]:
    cluster = str(settings.cluster)
    try:
        return careful_write(
            f"{name}: UpdateService",
            lambda: ecs.update_service(
                aws, cluster, name, task_definition, force_new_deployment=True
            ),
            update_landed(aws, cluster, name, task_definition, before),
            settings.max_retries + 1,
            log,
        )
    except ThrottleBudgetSpent as exc:
        raise ThrottleBudgetSpent(
            f"{exc}; service {name} was not moved to {task_definition} (a re-run reuses a "
            "revision this run registered)"
        ) from exc
