"""The service-deployment history of rolling services (tests/support/service_history.py) over
HTTP: every deployment recorded with ECS's statuses, ECS's own rollbacks, DescribeService
Revisions, and every answer checked against botocore's output shapes."""

from __future__ import annotations

from typing import Any

import pytest

from tests.simulator.conftest import CLUSTER
from tests.simulator.test_service_deployments import valid

SERVICE = "web"


def revisions(ecs: Any, count: int) -> list[str]:
    return [
        ecs.register_task_definition(
            family=SERVICE,
            containerDefinitions=[
                {"name": "app", "image": f"repo/app:v{n}", "memory": 256},
                {"name": "agent", "image": "agent:1", "memory": 64, "essential": False},
            ],
        )["taskDefinition"]["taskDefinitionArn"]
        for n in range(1, count + 1)
    ]


def create(ecs: Any, task_definition: str, tags: dict[str, str] | None = None, **config: Any):
    ecs.create_service(
        cluster=CLUSTER,
        serviceName=SERVICE,
        taskDefinition=task_definition,
        desiredCount=2,
        launchType="FARGATE",
        deploymentConfiguration=config,
        tags=[{"key": k, "value": v} for k, v in (tags or {}).items()],
    )


def history(ecs: Any, **filters: Any) -> list[dict[str, Any]]:
    return valid(
        "ListServiceDeployments",
        ecs.list_service_deployments(cluster=CLUSTER, service=SERVICE, **filters),
    )["serviceDeployments"]


def settle(ecs: Any, polls: int = 12) -> dict[str, Any]:
    service: dict[str, Any] = {}
    for _ in range(polls):
        service = valid(
            "DescribeServices", ecs.describe_services(cluster=CLUSTER, services=[SERVICE])
        )["services"][0]
    return service


def target_of(ecs: Any, brief: dict[str, Any]) -> str:
    (revision,) = valid(
        "DescribeServiceRevisions",
        ecs.describe_service_revisions(serviceRevisionArns=[brief["targetServiceRevisionArn"]]),
    )["serviceRevisions"]
    return str(revision["taskDefinition"])


def test_every_update_is_a_service_deployment_newest_first(ecs) -> None:
    one, two, three = revisions(ecs, 3)
    create(ecs, one)
    (created,) = history(ecs)
    assert created["status"] == "SUCCESSFUL" and "finishedAt" in created
    ecs.update_service(cluster=CLUSTER, service=SERVICE, taskDefinition=two)
    pending = history(ecs)[0]
    assert pending["status"] == "PENDING"
    described = valid(
        "DescribeServices", ecs.describe_services(cluster=CLUSTER, services=[SERVICE])
    )["services"][0]
    assert described["currentServiceDeployment"] == pending["serviceDeploymentArn"]
    assert history(ecs)[0]["status"] == "IN_PROGRESS"
    settle(ecs)
    ecs.update_service(cluster=CLUSTER, service=SERVICE, taskDefinition=three)
    settle(ecs)
    ecs.update_service(cluster=CLUSTER, service=SERVICE, forceNewDeployment=True)
    settle(ecs)
    found = history(ecs)
    assert [b["status"] for b in found] == ["SUCCESSFUL"] * 4
    assert [target_of(ecs, b) for b in found] == [three, three, two, one]
    assert [b["createdAt"] for b in found] == sorted((b["createdAt"] for b in found), reverse=True)


def test_the_full_record_and_its_revisions(ecs) -> None:
    one, two = revisions(ecs, 2)
    create(ecs, one, deploymentCircuitBreaker={"enable": True, "rollback": True})
    ecs.update_service(cluster=CLUSTER, service=SERVICE, taskDefinition=two)
    settle(ecs)
    (record,) = valid(
        "DescribeServiceDeployments",
        ecs.describe_service_deployments(
            serviceDeploymentArns=[history(ecs)[0]["serviceDeploymentArn"]]
        ),
    )["serviceDeployments"]
    assert record["status"] == "SUCCESSFUL"
    assert record["deploymentCircuitBreaker"]["status"] == "MONITORING_COMPLETE"
    assert record["targetServiceRevision"]["runningTaskCount"] == 2
    source = record["sourceServiceRevisions"][0]["arn"]
    answer = valid(
        "DescribeServiceRevisions",
        ecs.describe_service_revisions(
            serviceRevisionArns=[record["targetServiceRevision"]["arn"], source, source + "9"]
        ),
    )
    assert [r["taskDefinition"] for r in answer["serviceRevisions"]] == [two, one]
    assert answer["serviceRevisions"][0]["containerImages"] == [
        {"containerName": "app", "image": "repo/app:v2"},
        {"containerName": "agent", "image": "agent:1"},
    ]
    assert answer["failures"] == [{"arn": source + "9", "reason": "MISSING"}]


def test_a_circuit_breaker_rollback_is_one_rolled_back_deployment(ecs) -> None:
    one, two = revisions(ecs, 2)
    create(ecs, one, {"simulator:scenario": "circuit-breaker"})
    ecs.update_service(cluster=CLUSTER, service=SERVICE, taskDefinition=two)
    service = settle(ecs, 20)
    assert service["taskDefinition"] == one
    failed, created = history(ecs)
    assert failed["status"] == "ROLLBACK_SUCCESSFUL"
    assert "circuit breaker" in failed["statusReason"]
    assert target_of(ecs, failed) == two and target_of(ecs, created) == one
    (record,) = valid(
        "DescribeServiceDeployments",
        ecs.describe_service_deployments(serviceDeploymentArns=[failed["serviceDeploymentArn"]]),
    )["serviceDeployments"]
    assert record["deploymentCircuitBreaker"]["status"] == "TRIGGERED"
    assert record["rollback"]["serviceRevisionArn"] == created["targetServiceRevisionArn"]


def test_a_failure_without_rollback_is_stopped_and_a_superseded_one_too(ecs) -> None:
    one, two, three = revisions(ecs, 3)
    create(ecs, one, {"simulator:scenario": "crash-loop"},
           deploymentCircuitBreaker={"enable": True, "rollback": False})  # fmt: skip
    ecs.update_service(cluster=CLUSTER, service=SERVICE, taskDefinition=two)
    settle(ecs, 6)
    stopped = history(ecs)[0]
    assert stopped["status"] == "STOPPED"
    ecs.update_service(cluster=CLUSTER, service=SERVICE, taskDefinition=three)
    ecs.update_service(cluster=CLUSTER, service=SERVICE, taskDefinition=one)
    assert [b["status"] for b in history(ecs)] == ["PENDING", "STOPPED", "STOPPED", "SUCCESSFUL"]
    assert [b["serviceDeploymentArn"] for b in history(ecs, status=["STOPPED"])][1] == (
        stopped["serviceDeploymentArn"]
    )


def five_in_two_pages(ecs: Any, tags: dict[str, str] | None = None) -> tuple[dict, dict]:
    """A creation and four updates, listed three a page: both pages."""
    one, two = revisions(ecs, 2)
    create(ecs, one, tags)
    for n in range(4):
        ecs.update_service(cluster=CLUSTER, service=SERVICE, taskDefinition=(two, one)[n % 2])
    first = valid(
        "ListServiceDeployments",
        ecs.list_service_deployments(cluster=CLUSTER, service=SERVICE, maxResults=3),
    )
    rest = ecs.list_service_deployments(
        cluster=CLUSTER, service=SERVICE, maxResults=3, nextToken=first["nextToken"]
    )
    return first, rest


def test_pages_and_limits(ecs) -> None:
    first, rest = five_in_two_pages(ecs)
    assert len(first["serviceDeployments"]) == 3 and len(rest["serviceDeployments"]) == 2
    assert "nextToken" not in rest
    with pytest.raises(ecs.exceptions.InvalidParameterException):
        ecs.describe_service_revisions(serviceRevisionArns=[])


def test_native_and_code_deploy_services_keep_their_own_history(ecs) -> None:
    one, two = revisions(ecs, 2)
    create(ecs, one, strategy="BLUE_GREEN")
    ecs.update_service(cluster=CLUSTER, service=SERVICE, taskDefinition=two)
    update, creation = history(ecs)  # the native simulator's update, not a rolling one too
    assert (update["status"], creation["status"]) == ("PENDING", "SUCCESSFUL")
    ecs.create_service(
        cluster=CLUSTER,
        serviceName="cd",
        taskDefinition=one,
        desiredCount=1,
        deploymentController={"type": "CODE_DEPLOY"},
    )
    assert ecs.list_service_deployments(cluster=CLUSTER, service="cd")["serviceDeployments"] == []


def test_task_definitions_are_listed_in_pages_in_either_order(ecs) -> None:
    for family in ("b", "a"):
        for _ in range(3):
            ecs.register_task_definition(
                family=family, containerDefinitions=[{"name": "c", "image": "i", "memory": 8}]
            )
    ecs.deregister_task_definition(taskDefinition="a:2")

    def names(**params: Any) -> list[str]:
        answer = valid("ListTaskDefinitions", ecs.list_task_definitions(**params))
        return [arn.split("/")[-1] for arn in answer["taskDefinitionArns"]]

    assert names() == ["a:1", "a:3", "b:1", "b:2", "b:3"]
    assert names(familyPrefix="b", sort="DESC") == ["b:3", "b:2", "b:1"]
    assert names(status="INACTIVE") == ["a:2"]
    first = ecs.list_task_definitions(sort="DESC", maxResults=2)
    assert first["nextToken"]
    rest = ecs.list_task_definitions(sort="DESC", maxResults=2, nextToken=first["nextToken"])
    assert [a.split("/")[-1] for a in first["taskDefinitionArns"] + rest["taskDefinitionArns"]] == [
        "b:3", "b:2", "b:1", "a:3",
    ]  # fmt: skip
    ecs.delete_task_definitions(taskDefinitions=["a:2"])
    assert names(status="INACTIVE") == []
