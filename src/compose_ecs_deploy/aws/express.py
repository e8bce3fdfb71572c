"""A thin wrapper of ECS's Express APIs (Create/Update/Describe/DeleteExpressGatewayService):
domain arguments in, plain data out, no decisions.

The APIs name a service by its ARN, which is the ECS service's own (DescribeServices gives
it; CreateExpressGatewayService answers with it). What "no such service" looks like differs:
Update and Delete answer ServiceNotFoundException; the API reference lists
ResourceNotFoundException for Describe, and Terraform's AWS provider also meets
InvalidParameterException "Resource not found" there. A service that is being deleted, or
was, is ServiceNotActiveException for Update and Delete.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from botocore.exceptions import ClientError

from compose_ecs_deploy.aws.client import Aws, action_name, call_once, translated

GONE = ("ServiceNotFoundException", "ResourceNotFoundException")
NOT_ACTIVE = "ServiceNotActiveException"
Deleted = Literal["deleting", "gone", "not-active"]


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def is_gone(exc: ClientError) -> bool:
    """The error says that there is no such service, in any of the ways ECS says it."""
    message = str(exc.response.get("Error", {}).get("Message", ""))
    return _code(exc) in GONE or (
        _code(exc) == "InvalidParameterException" and "resource not found" in message.lower()
    )


def create(aws: Aws, request: Mapping[str, Any]) -> dict[str, Any]:
    """CreateExpressGatewayService, tried once: a blind retry could make a second service
    of a generated name, or fail on the first one's name."""
    return dict(call_once(aws, "ecs", "create_express_gateway_service", **request)["service"])


def update(aws: Aws, request: Mapping[str, Any]) -> dict[str, Any]:
    """UpdateExpressGatewayService, tried once: a retry would start a second deployment."""
    return dict(call_once(aws, "ecs", "update_express_gateway_service", **request)["service"])


def describe(aws: Aws, arn: str) -> dict[str, Any] | None:
    """DescribeExpressGatewayService with its tags, or None when there is no such service."""
    with translated(action_name("ecs", "describe_express_gateway_service")):
        try:
            answer = aws.client("ecs").describe_express_gateway_service(
                serviceArn=arn, include=["TAGS"]
            )
        except ClientError as exc:
            if is_gone(exc):
                return None
            raise
    return dict(answer["service"])


def delete(aws: Aws, arn: str) -> Deleted:
    """DeleteExpressGatewayService: "deleting" (ECS drains it now), "gone" (no such service)
    or "not-active" (already draining or deleted)."""
    with translated(action_name("ecs", "delete_express_gateway_service")):
        try:
            aws.client("ecs", retries=False).delete_express_gateway_service(serviceArn=arn)
        except ClientError as exc:
            if is_gone(exc):
                return "gone"
            if _code(exc) == NOT_ACTIVE:
                return "not-active"
            raise
    return "deleting"


def list_arns(aws: Aws, cluster: str) -> list[str]:
    """The cluster's Express services: ListServices with resourceManagementType ECS, every
    page (botocore's paginator follows nextToken)."""
    with translated(action_name("ecs", "list_services")):
        pages = (
            aws.client("ecs")
            .get_paginator("list_services")
            .paginate(cluster=cluster, resourceManagementType="ECS")
        )
        return [arn for page in pages for arn in page.get("serviceArns", [])]
