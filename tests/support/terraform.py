"""What a team's Terraform would have made before the first deploy, for the demo, the harness
and the tests to deploy over: a first task-definition revision with roles and size, its
network, the service on it (on the ECS or the CODE_DEPLOY controller), and a CODE_DEPLOY
service's CodeDeploy application and deployment group. One place, so that every test's world
is made the same way."""

from __future__ import annotations

import contextlib
from typing import Any

PLACEHOLDER_IMAGE = "public.ecr.aws/nginx/nginx:1"


def first_revision(
    ecs: Any,
    family: str,
    execution_role: str,
    iam: Any = None,
    *,
    container: str = "web",
    image: str = PLACEHOLDER_IMAGE,
    port: int | None = 8080,
    task_role: str | None = None,
) -> str:
    """Register the revision Terraform creates (`container` on `port`, FARGATE 256/512), with
    its execution role (and task role) made first (a deploy looks them up before writing); its
    ARN. `iam` is a client with the same credentials as `ecs` where the environment's would
    not do (IAM enforced)."""
    import boto3

    if iam is None:
        iam = boto3.client(
            "iam", endpoint_url=ecs.meta.endpoint_url, region_name=ecs.meta.region_name
        )
    roles(iam, execution_role, *([task_role] if task_role else []))
    definition: dict[str, Any] = {"name": container, "image": image, "essential": True}
    if port is not None:
        definition["portMappings"] = [{"containerPort": port}]
    return str(
        ecs.register_task_definition(
            family=family,
            requiresCompatibilities=["FARGATE"],
            networkMode="awsvpc",
            cpu="256",
            memory="512",
            executionRoleArn=execution_role,
            **({"taskRoleArn": task_role} if task_role else {}),
            containerDefinitions=[definition],
        )["taskDefinition"]["taskDefinitionArn"]
    )


def network(ec2: Any, name: str) -> dict[str, Any]:
    """The awsvpc network configuration Terraform gives a Fargate service: a VPC of its own
    with one subnet and one security group (a CodeDeploy AppSpec carries it over)."""
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    group = ec2.create_security_group(GroupName=name, Description=name, VpcId=vpc)["GroupId"]
    return {"awsvpcConfiguration": {"subnets": [subnet], "securityGroups": [group]}}


def service(
    ecs: Any,
    cluster: str,
    name: str,
    task_definition: str,
    *,
    desired: int = 1,
    tags: dict[str, str] | None = None,
    **extra: Any,
) -> None:
    """The Fargate service Terraform makes on `task_definition`; `tags` choose the
    simulator's scenario, `extra` is any other CreateService parameter."""
    ecs.create_service(
        cluster=cluster,
        serviceName=name,
        taskDefinition=task_definition,
        desiredCount=desired,
        launchType="FARGATE",
        tags=[{"key": k, "value": v} for k, v in (tags or {}).items()],
        **extra,
    )


def code_deploy_service(
    ecs: Any,
    codedeploy: Any,
    cluster: str,
    name: str,
    task_definition: str,
    *,
    application: str,
    group: str,
    container: str = "web",
    port: int = 8080,
    termination: int = 0,
    rollback: bool = True,
    **extra: Any,
) -> None:
    """A service on the CODE_DEPLOY controller behind a load balancer (`container` on `port`
    in the blue target group), and its CodeDeploy application and deployment group
    (`code_deploy_group`); `extra` goes to `service` (desired, tags, networkConfiguration...)."""
    region = ecs.meta.region_name
    service(
        ecs, cluster, name, task_definition,
        deploymentController={"type": "CODE_DEPLOY"},
        loadBalancers=[
            {
                "targetGroupArn": f"arn:aws:elasticloadbalancing:{region}:123456789012:"
                "targetgroup/blue/1",
                "containerName": container,
                "containerPort": port,
            }
        ],
        **extra,
    )  # fmt: skip
    code_deploy_group(
        codedeploy, application, group, cluster, name, termination=termination, rollback=rollback
    )


# The trust policy of a task role or task execution role (developer guide, "Amazon ECS task
# execution IAM role": ecs-tasks.amazonaws.com assumes it).
TASK_TRUST = (
    '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", '
    '"Principal": {"Service": "ecs-tasks.amazonaws.com"}}]}'
)


def roles(iam: Any, *arns: str) -> None:
    """The task and execution roles Terraform made (deploys look them up before writing)."""
    for arn in arns:
        with contextlib.suppress(iam.exceptions.EntityAlreadyExistsException):
            iam.create_role(RoleName=arn.rsplit("/", 1)[-1], AssumeRolePolicyDocument=TASK_TRUST)


def secret(store: Any, name: str, value: str) -> tuple[str, bool]:
    """The Secrets Manager secret `name` Terraform made (with `value` when it makes it now):
    its ARN, and whether it was made by this call (a deploy looks it up before writing)."""
    try:
        return str(store.describe_secret(SecretId=name)["ARN"]), False
    except store.exceptions.ResourceNotFoundException:
        return str(store.create_secret(Name=name, SecretString=value)["ARN"]), True


def code_deploy_group(
    codedeploy: Any,
    application: str,
    group: str,
    cluster: str,
    service: str,
    *,
    termination: int = 0,
    rollback: bool = True,
) -> None:
    """The CodeDeploy application and blue/green deployment group a Terraform module makes for
    a CODE_DEPLOY service (all at once, a termination wait of `termination` minutes, automatic
    rollback on failure when `rollback`, two target groups behind one production listener)."""
    codedeploy.create_application(applicationName=application, computePlatform="ECS")
    codedeploy.create_deployment_group(
        applicationName=application,
        deploymentGroupName=group,
        deploymentConfigName="CodeDeployDefault.ECSAllAtOnce",
        serviceRoleArn="arn:aws:iam::123456789012:role/codedeploy",
        deploymentStyle={
            "deploymentType": "BLUE_GREEN",
            "deploymentOption": "WITH_TRAFFIC_CONTROL",
        },
        blueGreenDeploymentConfiguration={
            "terminateBlueInstancesOnDeploymentSuccess": {
                "action": "TERMINATE",
                "terminationWaitTimeInMinutes": termination,
            },
            "deploymentReadyOption": {"actionOnTimeout": "CONTINUE_DEPLOYMENT"},
        },
        autoRollbackConfiguration={"enabled": rollback, "events": ["DEPLOYMENT_FAILURE"]},
        ecsServices=[{"serviceName": service, "clusterName": cluster}],
        loadBalancerInfo={
            "targetGroupPairInfoList": [
                {
                    "targetGroups": [{"name": "blue"}, {"name": "green"}],
                    "prodTrafficRoute": {
                        "listenerArns": ["arn:aws:elasticloadbalancing:listener/1"]
                    },
                }
            ]
        },
    )
