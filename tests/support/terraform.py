"""What a team's Terraform would have made before the first deploy: a first task-definition
revision with roles and size, for the demo and the harness to deploy over."""

from __future__ import annotations

from typing import Any

PLACEHOLDER_IMAGE = "public.ecr.aws/nginx/nginx:1"


def first_revision(ecs: Any, family: str, execution_role: str) -> str:
    """Register the revision Terraform creates (`web` on 8080, FARGATE 256/512); its ARN."""
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
