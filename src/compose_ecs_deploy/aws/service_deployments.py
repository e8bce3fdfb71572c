"""A thin wrapper of ECS's service-deployment APIs: domain arguments in, plain data out."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from compose_ecs_deploy.aws.client import Aws, call


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
