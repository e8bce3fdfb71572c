"""The two writes of a deploy, RegisterTaskDefinition and UpdateService, retried with care.

botocore would retry a throttled or broken call blindly; for these two a lost answer then
means a second revision or a second deployment, so each is tried once and, after a
transient failure, retried only when a read shows that the failed attempt did not land.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from compose_ecs_deploy.adapters import ecs
from compose_ecs_deploy.adapters.aws import Aws
from compose_ecs_deploy.console import Log
from compose_ecs_deploy.core import rollout
from compose_ecs_deploy.core.taskdef import normalise
from compose_ecs_deploy.errors import AwsError
from compose_ecs_deploy.plan import Plan
from compose_ecs_deploy.settings import Settings

T = TypeVar("T")


def careful_write(
    what: str, perform: Callable[[], T], landed: Callable[[], T | None], attempts: int, log: Log
) -> T:
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
                raise AwsError(
                    f"{exc} (gave up after {attempts} attempts; none of them "
                    "changed anything, so a re-run is safe)"
                ) from exc
            delay = min(0.25 * 2 ** (attempt - 1), 8.0) * random.uniform(0.5, 1.0)
            attempt += 1
            log.info(f"{what}: {exc}; retrying in {delay:.1f} s (attempt {attempt} of {attempts})")
            time.sleep(delay)


def register(aws: Aws, settings: Settings, plan: Plan, log: Log) -> dict[str, Any]:
    request = plan.rendered.request
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

    return careful_write(
        f"{plan.target.ecs_service}: RegisterTaskDefinition",
        lambda: ecs.register_task_definition(aws, request),
        landed,
        settings.max_retries + 1,
        log,
    )


def update(
    aws: Aws,
    settings: Settings,
    name: str,
    task_definition: str,
    before: Mapping[str, Any],
    log: Log,
) -> dict[str, Any]:
    cluster = str(settings.cluster)
    known = {d.get("id") for d in before.get("deployments", [])}

    def landed() -> dict[str, Any] | None:
        service = ecs.describe_services(aws, cluster, [name])[name]
        primary = rollout.primary_deployment(service)
        if primary.get("taskDefinition") == task_definition and primary.get("id") not in known:
            return dict(service)
        return None

    return careful_write(
        f"{name}: UpdateService",
        lambda: ecs.update_service(aws, cluster, name, task_definition, force_new_deployment=True),
        landed,
        settings.max_retries + 1,
        log,
    )
