"""The service-deployment history held to the pages it cites, rule by rule: a revision per
deployment and immutable (developerguide/service-revision.html), both orders of an unordered
list, StopServiceDeployment of a rolling deployment (developerguide/stop-service-deployment
.html), ListServiceDeployments' errors, and a deleted service's history gone
(developerguide/service-deployment.html). Every answer is checked against botocore's shapes."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.simulator.conftest import CLUSTER
from tests.simulator.test_service_deployments import valid
from tests.simulator.test_service_history import (
    SERVICE,
    create,
    five_in_two_pages,
    history,
    revisions,
    settle,
)


def networks(endpoint: str, count: int) -> list[dict[str, Any]]:
    """awsvpc configurations on subnets of moto's EC2 (CreateService checks they exist)."""
    ec2 = boto3.client(
        "ec2", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="testing",
        aws_secret_access_key="testing", config=Config(proxies={}),
    )  # fmt: skip
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    group = ec2.create_security_group(GroupName="sim", Description="sim", VpcId=vpc)["GroupId"]
    return [
        {
            "awsvpcConfiguration": {
                "subnets": [
                    ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.9.{n}.0/24")["Subnet"]["SubnetId"]
                ],
                "securityGroups": [group],
                "assignPublicIp": "DISABLED",
            }
        }
        for n in range(count)
    ]


def describe(ecs: Any, arn: str) -> dict[str, Any]:
    (found,) = valid(
        "DescribeServiceDeployments", ecs.describe_service_deployments(serviceDeploymentArns=[arn])
    )["serviceDeployments"]
    return found


def test_each_deployment_has_a_revision_of_its_own_and_it_never_changes(ecs, endpoint) -> None:
    one, two = revisions(ecs, 2)
    first, second = networks(endpoint, 2)
    ecs.create_service(
        cluster=CLUSTER, serviceName=SERVICE, taskDefinition=one, desiredCount=1,
        launchType="FARGATE", networkConfiguration=first,
    )  # fmt: skip
    for step in ({"taskDefinition": two}, {"forceNewDeployment": True}, {"taskDefinition": one}):
        ecs.update_service(cluster=CLUSTER, service=SERVICE, **step)
        settle(ecs)
    ecs.update_service(cluster=CLUSTER, service=SERVICE, networkConfiguration=second)
    first_subnets, second_subnets = (n["awsvpcConfiguration"]["subnets"] for n in (first, second))
    found = history(ecs)  # "This parameter triggers a new service deployment"
    targets = [b["targetServiceRevisionArn"] for b in found]
    assert len(set(targets)) == 5  # "a new service revision when you ... update a service"
    described = valid(
        "DescribeServiceRevisions", ecs.describe_service_revisions(serviceRevisionArns=targets)
    )["serviceRevisions"]
    assert [r["taskDefinition"] for r in described] == [one, one, two, two, one]
    subnets = [r["networkConfiguration"]["awsvpcConfiguration"]["subnets"] for r in described]
    assert subnets == [second_subnets] + [first_subnets] * 4  # "A service revision is immutable"
    newest = describe(ecs, found[1]["serviceDeploymentArn"])
    assert [s["arn"] for s in newest["sourceServiceRevisions"]] == [targets[2]]
    assert newest["sourceServiceRevisions"][0]["runningTaskCount"] == 0  # drained by now
    with_desired = ecs.update_service(cluster=CLUSTER, service=SERVICE, desiredCount=2)
    assert len(history(ecs)) == 5  # desiredCount "doesn't trigger a new service deployment"
    assert with_desired["service"]["desiredCount"] == 2


def test_a_revision_outlives_its_task_definition(ecs) -> None:
    one, two = revisions(ecs, 2)
    create(ecs, one)
    ecs.update_service(cluster=CLUSTER, service=SERVICE, taskDefinition=two)
    settle(ecs)
    ecs.deregister_task_definition(taskDefinition=one)
    ecs.delete_task_definitions(taskDefinitions=[one])  # what `prune --delete` does
    created = history(ecs)[1]["targetServiceRevisionArn"]
    (revision,) = valid(
        "DescribeServiceRevisions", ecs.describe_service_revisions(serviceRevisionArns=[created])
    )["serviceRevisions"]
    assert revision["taskDefinition"] == one  # "A service revision is immutable"
    assert [i["image"] for i in revision["containerImages"]] == ["repo/app:v1", "agent:1"]


def test_ecs_rolls_back_to_the_last_good_revision_without_making_one(ecs) -> None:
    one, two = revisions(ecs, 2)
    create(ecs, one, {"simulator:scenario": "circuit-breaker"})
    ecs.update_service(cluster=CLUSTER, service=SERVICE, taskDefinition=two)
    settle(ecs, 20)
    ecs.update_service(cluster=CLUSTER, service=SERVICE, forceNewDeployment=True)
    latest, failed, created = history(ecs)
    assert (
        describe(ecs, failed["serviceDeploymentArn"])["rollback"]["serviceRevisionArn"]
        == (created["targetServiceRevisionArn"])
    )
    # The rollback's deployment runs the creation's revision, so the next one comes from it.
    sources = describe(ecs, latest["serviceDeploymentArn"])["sourceServiceRevisions"]
    assert [s["arn"] for s in sources] == [created["targetServiceRevisionArn"]]


def test_an_alarm_rollback_names_the_alarms_it_triggered(ecs) -> None:
    one, two = revisions(ecs, 2)
    alarms = {"alarmNames": ["web-5xx"], "enable": True, "rollback": True}
    create(ecs, one, {"simulator:scenario": "alarm"}, alarms=alarms)
    ecs.update_service(cluster=CLUSTER, service=SERVICE, taskDefinition=two)
    settle(ecs, 8)
    record = describe(ecs, history(ecs)[0]["serviceDeploymentArn"])
    assert record["status"] == "ROLLBACK_SUCCESSFUL"
    assert record["alarms"] == {  # ServiceDeploymentAlarms: "triggeredAlarmNames"
        "status": "TRIGGERED", "alarmNames": ["web-5xx"], "triggeredAlarmNames": ["web-5xx"],
    }  # fmt: skip


def test_the_list_is_served_in_either_order(ecs) -> None:
    first, rest = five_in_two_pages(ecs, {"simulator:history-order": "oldest-first"})
    created = [b["createdAt"] for b in first["serviceDeployments"] + rest["serviceDeployments"]]
    assert len(created) == 5 and created == sorted(created)
    ecs.tag_resource(
        resourceArn=first["serviceDeployments"][0]["serviceArn"],
        tags=[{"key": "simulator:history-order", "value": "sideways"}],
    )
    with pytest.raises(ClientError, match="history-order"):
        ecs.list_service_deployments(cluster=CLUSTER, service=SERVICE)


def test_stop_with_rollback_reverses_a_rolling_deployment(ecs) -> None:
    one, two = revisions(ecs, 2)
    create(ecs, one, {"simulator:scenario": "slow"})
    ecs.update_service(cluster=CLUSTER, service=SERVICE, taskDefinition=two)
    arn, created = (b["serviceDeploymentArn"] for b in history(ecs))
    with pytest.raises(ecs.exceptions.InvalidParameterException):
        ecs.stop_service_deployment(serviceDeploymentArn=arn, stopType="ABORT")
    assert valid(
        "StopServiceDeployment",
        ecs.stop_service_deployment(serviceDeploymentArn=arn, stopType="ROLLBACK"),
    ) == {"serviceDeploymentArn": arn}
    seen = [describe(ecs, arn)]
    while seen[-1]["status"] != "ROLLBACK_SUCCESSFUL" and len(seen) < 10:
        service = settle(ecs, 1)
        seen.append(describe(ecs, arn))
    assert list(dict.fromkeys(s["status"] for s in seen)) == [
        "ROLLBACK_REQUESTED", "ROLLBACK_IN_PROGRESS", "ROLLBACK_SUCCESSFUL",
    ]  # fmt: skip
    assert (
        seen[-1]["rollback"]["serviceRevisionArn"]
        == (describe(ecs, created)["targetServiceRevision"]["arn"])
    )
    assert service["taskDefinition"] == one
    with pytest.raises(ecs.exceptions.ConflictException):
        ecs.stop_service_deployment(serviceDeploymentArn=arn)


def test_ninety_days_are_kept(ecs) -> None:
    one, two = revisions(ecs, 2)
    with pytest.raises(ClientError, match="created-days-ago"):
        create(ecs, one, {"simulator:created-days-ago": "a while"})
    assert ecs.list_services(cluster=CLUSTER)["serviceArns"] == []
    create(ecs, one, {"simulator:created-days-ago": "120"})
    assert history(ecs) == []  # "the most recent 90-day history"
    ecs.update_service(cluster=CLUSTER, service=SERVICE, taskDefinition=two)
    (update,) = history(ecs)
    (source,) = describe(ecs, update["serviceDeploymentArn"])["sourceServiceRevisions"]
    (revision,) = valid(
        "DescribeServiceRevisions",
        ecs.describe_service_revisions(serviceRevisionArns=[source["arn"]]),
    )["serviceRevisions"]
    assert revision["taskDefinition"] == one
    assert (update["createdAt"] - revision["createdAt"]).days == 120  # made 120 days ago


def test_the_documented_errors(ecs) -> None:
    (one,) = revisions(ecs, 1)
    create(ecs, one)
    with pytest.raises(ecs.exceptions.ServiceNotFoundException):
        ecs.list_service_deployments(cluster=CLUSTER, service="nope")
    with pytest.raises(ecs.exceptions.ClusterNotFoundException):
        ecs.list_service_deployments(cluster="nope", service=SERVICE)
    with pytest.raises(ecs.exceptions.InvalidParameterException):
        ecs.list_service_deployments(cluster=CLUSTER, service=SERVICE, nextToken="not-ours")
    with pytest.raises(ecs.exceptions.InvalidParameterException):
        ecs.list_service_deployments(cluster=CLUSTER, service=SERVICE, maxResults=101)
    with pytest.raises(ecs.exceptions.InvalidParameterException):
        ecs.list_service_deployments(cluster=CLUSTER, service=SERVICE, status=["COMPLETED"])
    with pytest.raises(ecs.exceptions.InvalidParameterException):
        ecs.describe_service_deployments(serviceDeploymentArns=["x"] * 21)


def test_a_deleted_service_has_no_history(ecs) -> None:
    (one,) = revisions(ecs, 1)
    create(ecs, one)
    (created,) = history(ecs)
    ecs.delete_service(cluster=CLUSTER, service=SERVICE, force=True)
    assert history(ecs) == []
    deployment = created["serviceDeploymentArn"]
    assert valid(
        "DescribeServiceDeployments",
        ecs.describe_service_deployments(serviceDeploymentArns=[deployment]),
    )["failures"] == [{"arn": deployment, "reason": "MISSING"}]
    revision = created["targetServiceRevisionArn"]
    assert valid(
        "DescribeServiceRevisions", ecs.describe_service_revisions(serviceRevisionArns=[revision])
    )["failures"] == [{"arn": revision, "reason": "MISSING"}]
