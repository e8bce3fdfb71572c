"""Which revision a rollback without --to goes to: the first candidate of the service's
history (`rollout/verdicts/history.py`; ECS's service deployments, or the pages its
controller's `history` gives) that is still ACTIVE (ECS refuses to deploy an INACTIVE one).
Shared by `rollback` and by `prune`, which never prunes it."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from compose_ecs_deploy.aws import ecs
from compose_ecs_deploy.aws import service_deployments as history
from compose_ecs_deploy.aws.client import Aws
from compose_ecs_deploy.errors import AwsError, HistoryUnreadable
from compose_ecs_deploy.report.console import Log
from compose_ecs_deploy.rollout.interface import Controller, Subject
from compose_ecs_deploy.rollout.verdicts.arns import last_part
from compose_ecs_deploy.rollout.verdicts.history import (
    Past,
    rollback_candidates,
    running_revision,
)
from compose_ecs_deploy.settings import Settings


def _active(aws: Aws, task_definition: str) -> dict[str, Any] | None:
    """The revision when it can be deployed (ACTIVE), else None."""
    revision = ecs.describe_task_definition(aws, task_definition)
    return revision if revision.get("status") == "ACTIVE" else None


def last_good(
    aws: Aws,
    cluster: str,
    name: str,
    current: str,
    log: Log,
    pages: Iterable[list[Past]] | None = None,
) -> dict[str, Any] | None:
    """The revision a rollback without --to goes to: the first ACTIVE candidate of the
    service's history (`pages`, else ECS's service deployments), read a page at a time; None
    when there is none. Raises HistoryUnreadable when the history cannot be read."""
    seen: list[Past] = []
    checked: set[str] = set()
    if pages is None:
        pages = history.history_pages(aws, cluster, name)
    try:
        for page in pages:
            seen += page
            for candidate in rollback_candidates(current, seen):
                if candidate in checked:
                    continue
                checked.add(candidate)
                revision = _active(aws, candidate)
                if revision is not None:
                    return revision
                log.info(f"{name}: {last_part(candidate)} is no longer ACTIVE; passed over")
    except AwsError as exc:
        raise HistoryUnreadable(
            f"ECS service {name}: the service-deployment history could not be read ({exc}); "
            "allow ecs:ListServiceDeployments, ecs:DescribeServiceDeployments and "
            "ecs:DescribeServiceRevisions"
        ) from exc
    return None


def by_history(
    aws: Aws,
    settings: Settings,
    name: str,
    service: dict[str, Any],
    controller: Controller | None,
    log: Log,
) -> dict[str, Any] | None:
    """`last_good` of the service as it is described, from the history its controller keeps
    (ECS's service deployments, or a CODE_DEPLOY group's own record, ECS's being empty for
    those); `controller` None (a kind no controller rolls out, such as EXTERNAL) reads ECS's.
    The one path by which `rollback` picks its target and `prune` keeps it."""
    pages = (
        None
        if controller is None
        else controller.history(aws, settings, Subject(name, service), log)
    )
    current = running_revision(service)
    return last_good(aws, str(settings.cluster), name, current, log, pages)
