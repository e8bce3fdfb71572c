"""RegisterTaskDefinition for a planned revision, retried with care (`aws.careful`), or the
revision an earlier run registered and did not use."""

from __future__ import annotations

from typing import Any

from compose_ecs_deploy.aws import ecs
from compose_ecs_deploy.aws.careful import careful_write
from compose_ecs_deploy.aws.client import Aws
from compose_ecs_deploy.aws.throttle import ThrottleBudgetSpent
from compose_ecs_deploy.compose.taskdef import normalise
from compose_ecs_deploy.pipeline.plan import Plan
from compose_ecs_deploy.report.console import Log
from compose_ecs_deploy.settings import Settings


def register(aws: Aws, settings: Settings, plan: Plan, log: Log) -> dict[str, Any]:
    request = plan.request
    family = str(request["family"])
    if plan.newer is not None and normalise(plan.newer) == normalise(request):
        log.info(
            f"{plan.target.ecs_service}: {plan.newer['taskDefinitionArn']} (registered "
            "by an earlier run that did not finish) is this revision; reusing it"
        )
        return plan.newer

    def landed() -> dict[str, Any] | None:
        latest = ecs.latest_task_definition(aws, family)
        if latest["taskDefinitionArn"] != plan.current_arn and normalise(latest) == normalise(
            request
        ):
            return latest
        return None

    try:
        return careful_write(
            f"{plan.target.ecs_service}: RegisterTaskDefinition",
            lambda: ecs.register_task_definition(aws, request),
            landed,
            settings.max_retries + 1,
            log,
        )
    except ThrottleBudgetSpent as exc:
        raise ThrottleBudgetSpent(
            f"{exc}; no revision of {family} was registered and service "
            f"{plan.target.ecs_service} was not moved, so a re-run starts afresh"
        ) from exc
