"""What a team's Terraform would have made before the first deploy: a first task-definition
revision with roles and size, for the demo and the harness to deploy over."""

from __future__ import annotations

import contextlib
from typing import Any

PLACEHOLDER_IMAGE = "public.ecr.aws/nginx/nginx:1"


def first_revision(ecs: Any, family: str, execution_role: str, iam: Any = None) -> str:
    """Register the revision Terraform creates (`web` on 8080, FARGATE 256/512), with its
    execution role (a deploy looks it up before writing); its ARN. `iam` is a client with the
    same credentials as `ecs` where the environment's would not do (IAM enforced)."""
    import boto3

    if iam is None:
        iam = boto3.client(
            "iam", endpoint_url=ecs.meta.endpoint_url, region_name=ecs.meta.region_name
        )
    roles(iam, execution_role)
    return str(
        ecs.register_task_definition(
            family=family,
            requiresCompatibilities=["FARGATE"],
            networkMode="awsvpc",
            cpu="256",
            memory="512",
            executionRoleArn=execution_role,
            containerDefinitions=[
                {
                    "name": "web",
                    "image": PLACEHOLDER_IMAGE,
                    "essential": True,
                    "portMappings": [{"containerPort": 8080}],
                }
            ],
        )["taskDefinition"]["taskDefinitionArn"]
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
