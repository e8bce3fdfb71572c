"""A thin wrapper of the CodeDeploy APIs an ECS blue/green deployment needs: domain
arguments in, plain data out. Every list follows ``nextToken`` to its end."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from compose_ecs_deploy.aws.client import Aws, call, call_once

# The statuses of a deployment that has not finished (API reference, "DeploymentInfo").
ACTIVE_STATUSES = ["Created", "Queued", "InProgress", "Ready", "Baking"]
# The statuses of a finished one: what a rollback's history reads.
FINISHED_STATUSES = ["Succeeded", "Failed", "Stopped"]
HISTORY_LIMIT = 1000  # deployment ids a rollback's history reads at most


def _pages(aws: Aws, operation: str, key: str, **params: Any) -> Iterator[str]:
    token = None
    while True:
        answer = call(
            aws, "codedeploy", operation, **params, **({"nextToken": token} if token else {})
        )
        yield from (str(item) for item in answer.get(key) or [])
        token = answer.get("nextToken")
        if not token:
            return


def ecs_applications(aws: Aws) -> list[str]:
    """Every application whose compute platform is ECS (ListApplications, then
    BatchGetApplications by hundreds: the API's limit)."""
    names = list(_pages(aws, "list_applications", "applications"))
    found: list[str] = []
    for start in range(0, len(names), 100):
        answer = call(
            aws, "codedeploy", "batch_get_applications", applicationNames=names[start : start + 100]
        )
        found += [
            str(a["applicationName"])
            for a in answer.get("applicationsInfo") or []
            if a.get("computePlatform") == "ECS"
        ]
    return found


def groups(aws: Aws, application: str, names: Sequence[str] | None = None) -> list[dict[str, Any]]:
    """The application's deployment groups (all when `names` is None), by hundreds."""
    wanted = (
        list(names)
        if names is not None
        else list(
            _pages(aws, "list_deployment_groups", "deploymentGroups", applicationName=application)
        )
    )
    found: list[dict[str, Any]] = []
    for start in range(0, len(wanted), 100):
        answer = call(
            aws,
            "codedeploy",
            "batch_get_deployment_groups",
            applicationName=application,
            deploymentGroupNames=wanted[start : start + 100],
        )
        found += list(answer.get("deploymentGroupsInfo") or [])
    return found


def active_deployments(aws: Aws, application: str, group: str) -> list[str]:
    return list(
        _pages(
            aws,
            "list_deployments",
            "deployments",
            applicationName=application,
            deploymentGroupName=group,
            includeOnlyStatuses=ACTIVE_STATUSES,
        )
    )


def finished_deployments(aws: Aws, application: str, group: str) -> list[dict[str, Any]]:
    """The group's finished deployments (ListDeployments, up to HISTORY_LIMIT ids, then
    BatchGetDeployments 25 ids a call: the API's limit), in no order: ListDeployments
    documents none, so the caller sorts by ``createTime``."""
    pages = _pages(
        aws,
        "list_deployments",
        "deployments",
        applicationName=application,
        deploymentGroupName=group,
        includeOnlyStatuses=FINISHED_STATUSES,
    )
    ids: list[str] = []
    for deployment_id in pages:
        ids.append(deployment_id)
        if len(ids) >= HISTORY_LIMIT:
            break
    found: list[dict[str, Any]] = []
    for start in range(0, len(ids), 25):
        answer = call(
            aws, "codedeploy", "batch_get_deployments", deploymentIds=ids[start : start + 25]
        )
        found += [dict(d) for d in answer.get("deploymentsInfo") or []]
    return found


def create_deployment(
    aws: Aws,
    application: str,
    group: str,
    appspec: Mapping[str, Any],
    description: str,
    rollback: Mapping[str, Any],
) -> str:
    """CreateDeployment with the AppSpec as content (revisionType AppSpecContent) and the
    `rollback` configuration for this deployment, tried once: a lost answer must not start a
    second deployment (the caller checks first)."""
    content = json.dumps(appspec, separators=(",", ":"))
    answer = call_once(
        aws,
        "codedeploy",
        "create_deployment",
        applicationName=application,
        deploymentGroupName=group,
        description=description[:512],
        autoRollbackConfiguration=dict(rollback),
        revision={
            "revisionType": "AppSpecContent",
            "appSpecContent": {
                "content": content,
                "sha256": hashlib.sha256(content.encode()).hexdigest(),
            },
        },
    )
    return str(answer["deploymentId"])


def deployment(aws: Aws, deployment_id: str) -> dict[str, Any]:
    return dict(
        call(aws, "codedeploy", "get_deployment", deploymentId=deployment_id)["deploymentInfo"]
    )


def target_ids(aws: Aws, deployment_id: str) -> list[str]:
    return list(_pages(aws, "list_deployment_targets", "targetIds", deploymentId=deployment_id))


def ecs_targets(aws: Aws, deployment_id: str, ids: Sequence[str]) -> list[dict[str, Any]]:
    """The ECSTarget of each id (BatchGetDeploymentTargets takes 25 a call)."""
    found: list[dict[str, Any]] = []
    for start in range(0, len(ids), 25):
        answer = call(
            aws,
            "codedeploy",
            "batch_get_deployment_targets",
            deploymentId=deployment_id,
            targetIds=list(ids[start : start + 25]),
        )
        found += [
            dict(t["ecsTarget"])
            for t in answer.get("deploymentTargets") or []
            if t.get("ecsTarget")
        ]
    return found


def stop_with_rollback(aws: Aws, deployment_id: str) -> dict[str, Any]:
    """StopDeployment with autoRollbackEnabled: CodeDeploy puts the original task set back."""
    return dict(
        call(
            aws,
            "codedeploy",
            "stop_deployment",
            deploymentId=deployment_id,
            autoRollbackEnabled=True,
        )
    )
