"""The simulated Express services (tests/support/express_simulator.py) over HTTP, on a moto
server of their own: create, the canary, update, a rollback by ECS, delete and its draining,
the rules of the task definition, each documented possibility, and every answer checked
against botocore's output shape."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.simulator.conftest import CLUSTER
from tests.simulator.test_service_deployments import valid

ROLE = "arn:aws:iam::123456789012:role/ecsInfrastructureRoleForExpressServices"
FINISHED = ("SUCCESSFUL", "STOPPED", "ROLLBACK_SUCCESSFUL", "ROLLBACK_FAILED")


def main_revision(ecs: Any, image: str = "app:1", **changes: Any) -> str:
    """A task definition Express accepts: Main, one named TCP port, FARGATE."""
    container = {
        "name": "Main",
        "image": image,
        "portMappings": [{"containerPort": 8080, "protocol": "tcp", "name": "http"}],
        "logConfiguration": {
            "logDriver": "awslogs",
            "options": {
                "awslogs-group": "/ecs/app",
                "awslogs-region": "us-east-1",
                "awslogs-stream-prefix": "ecs",
                "awslogs-create-group": "true",
            },
        },
        **changes.pop("container", {}),
    }
    request = {
        "family": "app",
        "containerDefinitions": [container],
        "requiresCompatibilities": ["FARGATE"],
        "networkMode": "awsvpc",
        "cpu": "256",
        "memory": "512",
        **changes,
    }
    return str(ecs.register_task_definition(**request)["taskDefinition"]["taskDefinitionArn"])


def create(ecs: Any, name: str = "web", **extra: Any) -> dict[str, Any]:
    answer = ecs.create_express_gateway_service(
        cluster=CLUSTER,
        serviceName=name,
        infrastructureRoleArn=ROLE,
        taskDefinitionArn=extra.pop("taskDefinitionArn", None) or main_revision(ecs),
        **extra,
    )
    return valid("CreateExpressGatewayService", answer)["service"]  # type: ignore[no-any-return]


def describe(ecs: Any, arn: str) -> dict[str, Any]:
    answer = ecs.describe_express_gateway_service(serviceArn=arn, include=["TAGS"])
    return valid("DescribeExpressGatewayService", answer)["service"]  # type: ignore[no-any-return]


def follow(ecs: Any, arn: str, limit: int = 40) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Describe the service until its current deployment finishes: (every deployment seen,
    the last service description)."""
    seen = []
    for _ in range(limit):
        service = describe(ecs, arn)
        (deployment,) = valid(
            "DescribeServiceDeployments",
            ecs.describe_service_deployments(serviceDeploymentArns=[service["currentDeployment"]]),
        )["serviceDeployments"]
        seen.append(deployment)
        if deployment["status"] in FINISHED:
            return seen, service
    raise AssertionError(f"not finished: {seen[-1]}")


def error(call: Any, **kwargs: Any) -> tuple[str, str]:
    with pytest.raises(ClientError) as caught:
        call(**kwargs)
    return caught.value.response["Error"]["Code"], caught.value.response["Error"]["Message"]


def test_create_is_an_ecs_service_with_a_creation_deployment_and_an_endpoint(ecs: Any) -> None:
    created = create(ecs, tags=[{"key": "team", "value": "web"}])
    assert created["status"]["statusCode"] == "ACTIVE"
    assert created["serviceArn"].endswith(f":service/{CLUSTER}/web")
    assert created["infrastructureRoleArn"] == ROLE
    (config,) = created["activeConfigurations"]
    assert config["healthCheckPath"] == "/ping"
    (path,) = config["ingressPaths"]
    assert path["accessType"] == "PUBLIC"
    assert path["endpoint"].endswith(".ecs.us-east-1.on.aws")
    assert not path["endpoint"].startswith("https://")
    (service,) = valid(
        "DescribeServices",
        ecs.describe_services(cluster=CLUSTER, services=["web"], include=["TAGS"]),
    )["services"]
    assert service["resourceManagementType"] == "ECS"
    assert service["deploymentConfiguration"]["strategy"] == "CANARY"
    assert service["launchType"] == "FARGATE"
    assert service["deployments"][0]["rolloutState"] == "IN_PROGRESS"
    assert service["tags"] == [{"key": "team", "value": "web"}]
    listed = valid(
        "ListServiceDeployments", ecs.list_service_deployments(cluster=CLUSTER, service="web")
    )["serviceDeployments"]
    assert [d["serviceDeploymentArn"] for d in listed] == [created["currentDeployment"]]
    seen, last = follow(ecs, created["serviceArn"])
    assert seen[-1]["status"] == "SUCCESSFUL"
    assert last["activeConfigurations"][0]["ingressPaths"] == config["ingressPaths"]
    assert (
        ecs.describe_services(cluster=CLUSTER, services=["web"])["services"][0]["deployments"][0][
            "rolloutState"
        ]
        == "COMPLETED"
    )


def test_list_services_filters_on_resource_management_type(ecs: Any) -> None:
    create(ecs)
    ecs.create_service(cluster=CLUSTER, serviceName="plain", taskDefinition=main_revision(ecs))
    by = {
        kind: ecs.list_services(cluster=CLUSTER, resourceManagementType=kind)["serviceArns"]
        for kind in ("ECS", "CUSTOMER")
    }
    assert [a.split("/")[-1] for a in by["ECS"]] == ["web"]
    assert [a.split("/")[-1] for a in by["CUSTOMER"]] == ["plain"]


def test_an_update_is_a_canary_of_five_percent_then_all(ecs: Any) -> None:
    created = create(ecs)
    follow(ecs, created["serviceArn"])
    new = main_revision(ecs, "app:2")
    answer = valid(
        "UpdateExpressGatewayService",
        ecs.update_express_gateway_service(
            serviceArn=created["serviceArn"], taskDefinitionArn=new, healthCheckPath="/health"
        ),
    )["service"]
    assert answer["targetConfiguration"]["taskDefinitionArn"] == new
    assert answer["targetConfiguration"]["healthCheckPath"] == "/health"
    middle = describe(ecs, created["serviceArn"])
    assert middle["currentDeployment"] != created["currentDeployment"]
    assert len(middle["activeConfigurations"]) == 2
    seen, last = follow(ecs, created["serviceArn"])
    weights = [
        d["targetServiceRevision"]["requestedProductionTrafficWeight"]
        for d in seen
        if d.get("lifecycleStage") == "PRODUCTION_TRAFFIC_SHIFT"
    ]
    assert sorted(set(weights)) == [0.0, 5.0, 100.0]  # 0 as the stage begins
    assert seen[-1]["status"] == "SUCCESSFUL"
    (config,) = last["activeConfigurations"]
    assert config["taskDefinitionArn"] == new


def test_a_failed_canary_is_rolled_back_by_ecs_and_its_task_crashed(ecs: Any) -> None:
    created = create(ecs)
    follow(ecs, created["serviceArn"])
    ecs.tag_resource(
        resourceArn=created["serviceArn"],
        tags=[
            {"key": "simulator:native-scenario", "value": "alarm"},
            {"key": "simulator:express-canary", "value": "crash"},
            {"key": "simulator:exit-code", "value": "3"},
        ],
    )
    first = ecs.describe_services(cluster=CLUSTER, services=["web"])["services"][0]
    ecs.update_express_gateway_service(
        serviceArn=created["serviceArn"], taskDefinitionArn=main_revision(ecs, "app:2")
    )
    new_id = ecs.describe_services(cluster=CLUSTER, services=["web"])["services"][0]["deployments"][
        0
    ]["id"]
    seen, last = follow(ecs, created["serviceArn"])
    assert seen[-1]["status"] == "ROLLBACK_SUCCESSFUL"
    assert seen[-1]["alarms"]["triggeredAlarmNames"] == ["web-4xx-5xx"]
    (config,) = last["activeConfigurations"]
    assert config["taskDefinitionArn"] == first["taskDefinition"]
    stopped = ecs.list_tasks(cluster=CLUSTER, startedBy=new_id, desiredStatus="STOPPED")
    (task,) = ecs.describe_tasks(cluster=CLUSTER, tasks=stopped["taskArns"])["tasks"]
    assert task["stopCode"] == "EssentialContainerExited"
    assert task["containers"][0]["exitCode"] == 3


def test_delete_drains_then_the_service_is_inactive(ecs: Any) -> None:
    created = create(ecs)
    deleted = valid(
        "DeleteExpressGatewayService",
        ecs.delete_express_gateway_service(serviceArn=created["serviceArn"]),
    )["service"]
    assert deleted["status"]["statusCode"] == "DRAINING"
    code, _ = error(ecs.delete_express_gateway_service, serviceArn=created["serviceArn"])
    assert code == "ServiceNotActiveException"
    code, _ = error(
        ecs.update_express_gateway_service,
        serviceArn=created["serviceArn"],
        healthCheckPath="/x",
    )
    assert code == "ServiceNotActiveException"
    states = [describe(ecs, created["serviceArn"])["status"]["statusCode"] for _ in range(3)]
    assert states == ["DRAINING", "INACTIVE", "INACTIVE"]
    assert ecs.list_tasks(cluster=CLUSTER, serviceName="web")["taskArns"] == []
    again = create(ecs)  # an INACTIVE name can be used again
    assert again["status"]["statusCode"] == "ACTIVE"


def test_a_deleted_service_can_be_gone_altogether(ecs: Any) -> None:
    ecs.tag_resource(
        resourceArn=ecs.describe_clusters(clusters=[CLUSTER])["clusters"][0]["clusterArn"],
        tags=[{"key": "simulator:express-deleted", "value": "gone"}],
    )
    created = create(ecs)
    ecs.delete_express_gateway_service(serviceArn=created["serviceArn"])
    describe(ecs, created["serviceArn"])
    code, _ = error(ecs.describe_express_gateway_service, serviceArn=created["serviceArn"])
    assert code == "ResourceNotFoundException"
    code, _ = error(ecs.delete_express_gateway_service, serviceArn=created["serviceArn"])
    assert code == "ServiceNotFoundException"


@pytest.mark.parametrize(
    ("how", "code"),
    [
        ("resource-not-found", "ResourceNotFoundException"),
        ("invalid-parameter", "InvalidParameterException"),
    ],
)
def test_a_missing_service_is_described_either_way_the_docs_allow(
    ecs: Any, how: str, code: str
) -> None:
    arn = ecs.describe_clusters(clusters=[CLUSTER])["clusters"][0]["clusterArn"]
    ecs.tag_resource(resourceArn=arn, tags=[{"key": "simulator:express-missing", "value": how}])
    missing = f"arn:aws:ecs:us-east-1:123456789012:service/{CLUSTER}/nothing"
    found, message = error(ecs.describe_express_gateway_service, serviceArn=missing)
    assert found == code
    assert "Resource not found" in message
    found, _ = error(ecs.update_express_gateway_service, serviceArn=missing, healthCheckPath="/")
    assert found == "ServiceNotFoundException"


def test_the_endpoint_can_carry_its_scheme(ecs: Any) -> None:
    arn = ecs.describe_clusters(clusters=[CLUSTER])["clusters"][0]["clusterArn"]
    ecs.tag_resource(
        resourceArn=arn, tags=[{"key": "simulator:express-endpoint", "value": "https"}]
    )
    endpoint = create(ecs)["activeConfigurations"][0]["ingressPaths"][0]["endpoint"]
    assert endpoint.startswith("https://") and endpoint.count("https://") == 1


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"container": {"name": "app"}}, "container named Main"),
        ({"container": {"portMappings": []}}, "exactly one port mapping"),
        ({"container": {"portMappings": [{"containerPort": 80, "protocol": "udp", "name": "u"}]}},
         "must be TCP"),
        ({"container": {"portMappings": [{"containerPort": 80}]}}, "containerPort and a name"),
        ({"requiresCompatibilities": ["EC2"], "networkMode": "bridge"}, "FARGATE"),
    ],
)  # fmt: skip
def test_the_task_definition_rules(ecs: Any, changes: dict[str, Any], words: str) -> None:
    revision = main_revision(ecs, **changes)
    code, message = error(
        ecs.create_express_gateway_service,
        cluster=CLUSTER,
        serviceName="web",
        infrastructureRoleArn=ROLE,
        taskDefinitionArn=revision,
    )
    assert code == "InvalidParameterException"
    assert words in message
    assert ecs.list_services(cluster=CLUSTER)["serviceArns"] == []


def test_a_task_definition_excludes_the_container_settings(ecs: Any) -> None:
    code, message = error(
        ecs.create_express_gateway_service,
        cluster=CLUSTER,
        serviceName="web",
        infrastructureRoleArn=ROLE,
        taskDefinitionArn=main_revision(ecs),
        cpu="512",
    )
    assert (code, "cpu" in message) == ("InvalidParameterException", True)


def test_a_primary_container_makes_the_task_definition(ecs: Any) -> None:
    answer = ecs.create_express_gateway_service(
        serviceName="img",
        infrastructureRoleArn=ROLE,
        executionRoleArn="arn:aws:iam::123456789012:role/exec",
        primaryContainer={"image": "nginx:1", "containerPort": 8080},
    )
    created = valid("CreateExpressGatewayService", answer)["service"]
    assert created["serviceArn"].endswith(":service/default/img")  # the default cluster, made
    (config,) = created["activeConfigurations"]
    revision = ecs.describe_task_definition(taskDefinition=config["taskDefinitionArn"])
    (main,) = revision["taskDefinition"]["containerDefinitions"]
    assert main["name"] == "Main"
    assert main["portMappings"][0]["containerPort"] == 8080
    assert config["cpu"] == "256" and config["memory"] == "512"


def test_names_and_paths_follow_the_rules(ecs: Any) -> None:
    revision = main_revision(ecs)
    for field, value in (("serviceName", "has.dots"), ("healthCheckPath", "health")):
        code, _ = error(
            ecs.create_express_gateway_service,
            **{
                "cluster": CLUSTER,
                "serviceName": "web",
                "infrastructureRoleArn": ROLE,
                "taskDefinitionArn": revision,
                field: value,
            },
        )
        assert code == "InvalidParameterException", field
    create(ecs)
    code, message = error(
        ecs.create_express_gateway_service,
        cluster=CLUSTER,
        serviceName="web",
        infrastructureRoleArn=ROLE,
        taskDefinitionArn=revision,
    )
    assert code == "InvalidParameterException" and "idempotent" in message
    code, _ = error(
        ecs.create_express_gateway_service,
        cluster="nope",
        serviceName="web",
        infrastructureRoleArn=ROLE,
        taskDefinitionArn=revision,
    )
    assert code == "ClusterNotFoundException"


def tag(ecs: Any, key: str, value: str) -> None:
    arn = ecs.describe_clusters(clusters=[CLUSTER])["clusters"][0]["clusterArn"]
    ecs.tag_resource(resourceArn=arn, tags=[{"key": key, "value": value}])


@pytest.mark.parametrize(
    ("how", "code"),
    [("invalid-parameter", "InvalidParameterException"), ("client", "ClientException")],
)
def test_a_create_of_a_name_in_use_is_refused_either_way_the_docs_allow(
    ecs: Any, how: str, code: str
) -> None:
    """API reference: the name "must be unique within the specified cluster"; which error a
    taken name gets is not said, and both errors listed fit (tests/support/express_reads.py)."""
    tag(ecs, "simulator:express-taken", how)
    created = create(ecs)
    found, _ = error(
        ecs.create_express_gateway_service,
        cluster=CLUSTER,
        serviceName="web",
        infrastructureRoleArn=ROLE,
        taskDefinitionArn=main_revision(ecs),
    )
    assert found == code
    assert describe(ecs, created["serviceArn"])["serviceArn"] == created["serviceArn"]
    assert len(ecs.list_services(cluster=CLUSTER)["serviceArns"]) == 1


def test_a_new_service_can_stay_unseen_for_a_few_reads(ecs: Any) -> None:
    """The ECS API's eventual consistency (API reference, RunTask, CreateService): with
    simulator:express-listed-after=2 the first two reads miss the service, the third sees it."""
    tag(ecs, "simulator:express-listed-after", "2")
    arn = create(ecs)["serviceArn"]
    unseen = valid("DescribeServices", ecs.describe_services(cluster=CLUSTER, services=["web"]))
    assert unseen["services"] == [] and unseen["failures"] == [{"arn": arn, "reason": "MISSING"}]
    code, _ = error(ecs.describe_express_gateway_service, serviceArn=arn)
    assert code == "ResourceNotFoundException"
    seen = valid("DescribeServices", ecs.describe_services(cluster=CLUSTER, services=["web"]))
    assert [s["serviceArn"] for s in seen["services"]] == [arn] and seen["failures"] == []
    assert describe(ecs, arn)["serviceArn"] == arn
