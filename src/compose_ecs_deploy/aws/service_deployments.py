"""A thin wrapper of ECS's service-deployment APIs: domain arguments in, plain data out."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime
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


LIST_PAGES = 10  # ListServiceDeployments pages of 100 read at most: 90 days of 10 a day


def history_pages(
    aws: Aws, cluster: str, service: str, *, chunk: int = 20, pages: int = LIST_PAGES
) -> Iterator[list[Past]]:
    """The service's deployments, newest first, `chunk` at a time, each with its target and
    source revisions' task definitions.

    ListServiceDeployments documents no order ("ListServiceDeployments", API reference), so
    every page (100 a page, at most `pages`) is read and sorted by createdAt here before any
    is judged. Then, per chunk, one DescribeServiceDeployments (each deployment's
    sourceServiceRevisions: what it replaced, which says which revision a rollback left) and
    one DescribeServiceRevisions (their task definitions): a caller that finds what it needs
    in the newest chunk reads no more."""
    briefs = newest_first(aws, cluster, service, pages)
    for start in range(0, len(briefs), chunk):
        part = briefs[start : start + chunk]
        full = describe(aws, [str(b["serviceDeploymentArn"]) for b in part])
        sources = {
            arn: [str(s.get("arn") or "") for s in d.get("sourceServiceRevisions") or []]
            for arn, d in full.items()
        }
        wanted = [str(b.get("targetServiceRevisionArn") or "") for b in part]
        described = revisions(aws, [a for a in wanted + _flat(sources.values()) if a])
        yield [_past(b, sources, described) for b in part]


def _flat(lists: Iterable[list[str]]) -> list[str]:
    return [item for found in lists for item in found]


def _past(
    brief: Mapping[str, Any],
    sources: Mapping[str, list[str]],
    described: Mapping[str, Mapping[str, Any]],
) -> Past:
    """One deployment as `rollback_candidates` judges it: status, target and source task
    definitions ('' and left out where DescribeServiceRevisions did not say)."""

    def task_definition(revision: str) -> str:
        return str(described.get(revision, {}).get("taskDefinition") or "")

    arn = str(brief["serviceDeploymentArn"])
    replaced = (task_definition(r) for r in sources.get(arn, []))
    return Past(
        str(brief.get("status", "")),
        task_definition(str(brief.get("targetServiceRevisionArn") or "")),
        arn,
        tuple(td for td in replaced if td),
    )


def newest_first(
    aws: Aws, cluster: str, service: str, pages: int = LIST_PAGES
) -> list[dict[str, Any]]:
    """Every page of ListServiceDeployments (up to `pages`), newest first by createdAt: the
    API documents no order, so the newest can only be known once every page is read."""
    found: list[dict[str, Any]] = []
    token: dict[str, str] = {}
    for _ in range(pages):
        answer = call(
            aws, "ecs", "list_service_deployments",
            cluster=cluster, service=service, maxResults=100, **token,
        )  # fmt: skip
        found += [b for b in answer.get("serviceDeployments", []) if b.get("serviceDeploymentArn")]
        if not answer.get("nextToken"):
            break
        token = {"nextToken": str(answer["nextToken"])}
    return sorted(found, key=_created, reverse=True)


def _created(brief: Mapping[str, Any]) -> float:
    """When the deployment was created, as seconds (botocore gives a datetime; none: oldest)."""
    when = brief.get("createdAt")
    return when.timestamp() if isinstance(when, datetime) else 0.0
