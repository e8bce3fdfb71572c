"""ECS's service-deployment history as rollback reads it (aws/service_deployments.py), on
answers the stack's simulator does not give: ListServiceDeployments documents no order (API
reference, "ListServiceDeployments"), so an answer oldest first, across pages, must still
give the newest deployments first; and each deployment's sourceServiceRevisions
(DescribeServiceDeployments) become the task definitions it replaced. botocore's Stubber
checks every request and answer against the model."""

from __future__ import annotations

from datetime import UTC, datetime

from botocore.stub import Stubber

from compose_ecs_deploy.aws import service_deployments as history
from compose_ecs_deploy.aws.client import Aws
from compose_ecs_deploy.rollout.verdicts.history import Past

PREFIX = "arn:aws:ecs:us-east-1:123456789012"


def deployment(n: int) -> str:
    return f"{PREFIX}:service-deployment/c/web/d{n}"


def revision(n: int) -> str:
    return f"{PREFIX}:service-revision/c/web/r{n}"


def td(n: int) -> str:
    return f"{PREFIX}:task-definition/web:{n}"


def brief(n: int, status: str) -> dict[str, object]:
    return {
        "serviceDeploymentArn": deployment(n),
        "status": status,
        "createdAt": datetime(2026, 12, n, tzinfo=UTC),
        "targetServiceRevisionArn": revision(n),
    }


def test_an_answer_oldest_first_across_pages_is_read_newest_first() -> None:
    """Deployments of web:1..4 (4 our rollback to 2, replacing 3), listed oldest first over
    two pages: all are read, then judged newest first, each with what it replaced."""
    aws = Aws("us-east-1", max_retries=0)
    with Stubber(aws.client("ecs")) as stubber:
        _answer(stubber)
        (page,) = list(history.history_pages(aws, "c", "web"))
        stubber.assert_no_pending_responses()
    assert page == [
        Past("SUCCESSFUL", td(2), deployment(4), (td(3),)),
        Past("SUCCESSFUL", td(3), deployment(3), (td(2),)),
        Past("SUCCESSFUL", td(2), deployment(2), (td(1),)),
        Past("SUCCESSFUL", td(1), deployment(1), ()),
    ]


def _answer(stubber: Stubber) -> None:
    """The four deployments, oldest first over two pages, then what describing them gives."""
    listing = {"cluster": "c", "service": "web", "maxResults": 100}
    stubber.add_response(
        "list_service_deployments",
        {"serviceDeployments": [brief(1, "SUCCESSFUL"), brief(2, "SUCCESSFUL")], "nextToken": "t"},
        listing,
    )
    stubber.add_response(
        "list_service_deployments",
        {"serviceDeployments": [brief(3, "SUCCESSFUL"), brief(4, "SUCCESSFUL")]},
        {**listing, "nextToken": "t"},
    )
    newest = [4, 3, 2, 1]
    sources = {4: 3, 3: 2, 2: 1}  # deployment 4 (target web:2) replaced web:3, and so on
    replaced = {n: [{"arn": revision(sources[n])}] if n in sources else [] for n in newest}
    stubber.add_response(
        "describe_service_deployments",
        {
            "serviceDeployments": [
                {"serviceDeploymentArn": deployment(n), "sourceServiceRevisions": replaced[n]}
                for n in newest
            ],
            "failures": [],
        },
        {"serviceDeploymentArns": [deployment(n) for n in newest]},
    )
    targets = {1: 1, 2: 2, 3: 3, 4: 2}  # revision rN's task definition
    stubber.add_response(
        "describe_service_revisions",
        {
            "serviceRevisions": [
                {"serviceRevisionArn": revision(n), "taskDefinition": td(targets[n])}
                for n in newest
            ],
            "failures": [],
        },
        {"serviceRevisionArns": [revision(n) for n in newest]},
    )
