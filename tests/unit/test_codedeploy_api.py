"""Every CodeDeploy list the tool reads follows `nextToken` to its end (aws/codedeploy.py).

The stack's simulator pages ListApplications and ListDeploymentGroups in the deploy tests; the
lists it cannot make long are stubbed here (botocore's Stubber, validated against the model):
a group has at most one active deployment and an ECS deployment one target, but CodeDeploy
documents `nextToken` on both, so a second page must be read, never dropped."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from botocore.stub import Stubber

from compose_ecs_deploy.aws import codedeploy as api
from compose_ecs_deploy.aws.client import Aws


@pytest.fixture
def stubbed(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Aws, Stubber]]:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    aws = Aws("us-east-1")
    with Stubber(aws.client("codedeploy")) as stubber:
        yield aws, stubber
        stubber.assert_no_pending_responses()


def _pages(stubber: Stubber, operation: str, key: str, params: dict[str, Any]) -> None:
    stubber.add_response(operation, {key: ["one"], "nextToken": "t1"}, params)
    stubber.add_response(operation, {key: ["two"]}, {**params, "nextToken": "t1"})


def test_active_deployments_read_every_page(stubbed: tuple[Aws, Stubber]) -> None:
    aws, stubber = stubbed
    params = {
        "applicationName": "app",
        "deploymentGroupName": "group",
        "includeOnlyStatuses": api.ACTIVE_STATUSES,
    }
    _pages(stubber, "list_deployments", "deployments", params)
    assert api.active_deployments(aws, "app", "group") == ["one", "two"]


def test_deployment_targets_read_every_page(stubbed: tuple[Aws, Stubber]) -> None:
    aws, stubber = stubbed
    _pages(stubber, "list_deployment_targets", "targetIds", {"deploymentId": "d-1"})
    assert api.target_ids(aws, "d-1") == ["one", "two"]


def test_applications_read_every_page_and_keep_the_ecs_ones(stubbed: tuple[Aws, Stubber]) -> None:
    aws, stubber = stubbed
    _pages(stubber, "list_applications", "applications", {})
    stubber.add_response(
        "batch_get_applications",
        {
            "applicationsInfo": [
                {"applicationName": "one", "computePlatform": "ECS"},
                {"applicationName": "two", "computePlatform": "Lambda"},
            ]
        },
        {"applicationNames": ["one", "two"]},
    )
    assert api.ecs_applications(aws) == ["one"]


def test_groups_read_every_page_then_in_batches(stubbed: tuple[Aws, Stubber]) -> None:
    aws, stubber = stubbed
    _pages(stubber, "list_deployment_groups", "deploymentGroups", {"applicationName": "app"})
    stubber.add_response(
        "batch_get_deployment_groups",
        {"deploymentGroupsInfo": [{"deploymentGroupName": "one"}, {"deploymentGroupName": "two"}]},
        {"applicationName": "app", "deploymentGroupNames": ["one", "two"]},
    )
    assert [g["deploymentGroupName"] for g in api.groups(aws, "app")] == ["one", "two"]
