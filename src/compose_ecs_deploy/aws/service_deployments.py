"""A thin wrapper of ECS's service-deployment APIs: domain arguments in, plain data out."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from compose_ecs_deploy.aws.client import Aws, call
from compose_ecs_deploy.rollout.verdicts.history import Past


def describe(aws: Aws, arns: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Each service deployment by ARN (the API takes twenty a call); missing ones are left out."""
    found: dict[str, dict[str, Any]] = {}
    for start in range(0, len(arns), 20):
        answer = call(
            aws,
            "ecs",
            "describe_service_deployments",
            serviceDeploymentArns=list(arns[start : start + 20]),
        )
        for deployment in answer.get("serviceDeployments", []):
            found[str(deployment["serviceDeploymentArn"])] = deployment
    return found


def latest_running(aws: Aws, cluster: str, service: str) -> str:
    """The newest PENDING or IN_PROGRESS service deployment's ARN, or '' when there is none."""
    answer = call(
        aws,
        "ecs",
        "list_service_deployments",
        cluster=cluster,
        service=service,
        status=["PENDING", "IN_PROGRESS"],
    )
    deployments = sorted(
        answer.get("serviceDeployments", []),
        key=lambda d: str(d.get("createdAt", "")),
        reverse=True,
    )
    return str(deployments[0]["serviceDeploymentArn"]) if deployments else ""


def stop_with_rollback(aws: Aws, arn: str) -> None:
    """StopServiceDeployment ROLLBACK: ECS reverses the deployment to its source revision."""
    call(aws, "ecs", "stop_service_deployment", serviceDeploymentArn=arn, stopType="ROLLBACK")


def act_on_hook(aws: Aws, arn: str, hook_id: str, action: str) -> None:
    """ContinueServiceDeployment: CONTINUE or ROLLBACK a PAUSE hook awaiting action."""
    call(
        aws,
        "ecs",
        "continue_service_deployment",
        serviceDeploymentArn=arn,
        hookId=hook_id,
        action=action,
    )


def revisions(aws: Aws, arns: Sequence[str]) -> dict[str, dict[str, Any]]:
    """DescribeServiceRevisions, twenty a call: each service revision by ARN (its task
    definition, its container images); ones ECS no longer knows are left out."""
    found: dict[str, dict[str, Any]] = {}
    unique = list(dict.fromkeys(arns))
    for start in range(0, len(unique), 20):
        answer = call(
            aws,
            "ecs",
            "describe_service_revisions",
            serviceRevisionArns=unique[start : start + 20],
        )
        for revision in answer.get("serviceRevisions", []):
            found[str(revision["serviceRevisionArn"])] = revision
    return found


def history_pages(
    aws: Aws, cluster: str, service: str, *, page_size: int = 20, pages: int = 5
) -> Iterator[list[Past]]:
    """The service's deployments, newest first, a page at a time, each with its target
    revision's task definition (one ListServiceDeployments and one DescribeServiceRevisions
    a page): a caller that finds what it needs in the first page reads no more."""
    token: str | None = None
    for _ in range(pages):
        answer = call(
            aws,
            "ecs",
            "list_service_deployments",
            cluster=cluster,
            service=service,
            maxResults=page_size,
            **({"nextToken": token} if token else {}),
        )
        briefs = sorted(
            answer.get("serviceDeployments", []),
            key=lambda d: str(d.get("createdAt", "")),
            reverse=True,
        )
        targets = [str(b.get("targetServiceRevisionArn") or "") for b in briefs]
        described = revisions(aws, [t for t in targets if t])
        yield [
            Past(
                str(b.get("status", "")),
                str(described.get(t, {}).get("taskDefinition") or ""),
                str(b.get("serviceDeploymentArn", "")),
            )
            for b, t in zip(briefs, targets, strict=True)
        ]
        token = answer.get("nextToken")
        if not token:
            return
