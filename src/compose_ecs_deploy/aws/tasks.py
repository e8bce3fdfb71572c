"""A thin wrapper of the ECS calls one-off tasks make: domain arguments in, plain data out."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from botocore.exceptions import ClientError

from compose_ecs_deploy.aws.client import Aws, call, translated
from compose_ecs_deploy.errors import AwsError


def latest_revision(aws: Aws, family: str) -> dict[str, Any] | None:
    """The family's latest ACTIVE revision, or None when the family has none yet (ECS
    answers ClientException "Unable to describe task definition")."""
    with translated("ecs:DescribeTaskDefinition"):
        try:
            answer = aws.client("ecs").describe_task_definition(
                taskDefinition=family, include=["TAGS"]
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ClientException":
                return None
            raise
    result = dict(answer["taskDefinition"])
    if answer.get("tags"):
        result["tags"] = answer["tags"]
    return result


def run_task(aws: Aws, request: Mapping[str, Any]) -> dict[str, Any]:
    """RunTask; retried by botocore, which is safe because the request has a clientToken."""
    answer = call(aws, "ecs", "run_task", **request)
    failures = answer.get("failures") or []
    tasks = answer.get("tasks") or []
    if failures or not tasks:
        why = (
            "; ".join(
                f"{f.get('reason')}{': ' + f['detail'] if f.get('detail') else ''}"
                for f in failures
            )
            or "no task was started"
        )
        raise AwsError(f"ecs:RunTask did not start {request.get('taskDefinition')}: {why}")
    return dict(tasks[0])


def describe_task(aws: Aws, cluster: str, task_arn: str) -> dict[str, Any] | None:
    """The task as DescribeTasks shows it, or None while ECS does not list it yet."""
    answer = call(aws, "ecs", "describe_tasks", cluster=cluster, tasks=[task_arn])
    tasks = answer.get("tasks") or []
    return dict(tasks[0]) if tasks else None


def stop_task(aws: Aws, cluster: str, task_arn: str, reason: str) -> dict[str, Any]:
    """StopTask (SIGTERM, then SIGKILL after the container's stop timeout); idempotent."""
    answer = call(aws, "ecs", "stop_task", cluster=cluster, task=task_arn, reason=reason[:255])
    return dict(answer.get("task") or {})
