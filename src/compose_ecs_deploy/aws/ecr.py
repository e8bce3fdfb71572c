"""A thin ECR wrapper: repositories, existing tags, and the registry login token."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from compose_ecs_deploy.aws.client import Aws, call, translated
from compose_ecs_deploy.errors import AwsError


@dataclass(frozen=True)
class RegistryLogin:
    registry: str
    username: str
    password: str
    token: str


@dataclass(frozen=True)
class Repository:
    name: str
    uri: str


def find_repository(aws: Aws, name: str) -> Repository | None:
    with translated("ecr:DescribeRepositories"):
        try:
            answer = aws.client("ecr").describe_repositories(repositoryNames=[name])
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "RepositoryNotFoundException":
                return None
            raise
    repository = answer["repositories"][0]
    return Repository(repository["repositoryName"], repository["repositoryUri"])


def create_repository(
    aws: Aws, name: str, *, scan_on_push: bool, immutable_tags: bool
) -> Repository:
    answer = call(
        aws,
        "ecr",
        "create_repository",
        repositoryName=name,
        imageScanningConfiguration={"scanOnPush": scan_on_push},
        imageTagMutability="IMMUTABLE" if immutable_tags else "MUTABLE",
    )
    repository = answer["repository"]
    return Repository(repository["repositoryName"], repository["repositoryUri"])


def login(aws: Aws) -> RegistryLogin:
    """Decode GetAuthorizationToken's `AWS:password` for the registry it names."""
    answer: dict[str, Any] = call(aws, "ecr", "get_authorization_token")
    data = answer.get("authorizationData") or []
    if not data:
        raise AwsError("ecr:GetAuthorizationToken returned no authorization data")
    token = str(data[0]["authorizationToken"])
    username, _, password = base64.b64decode(token).decode().partition(":")
    registry = str(data[0]["proxyEndpoint"]).removeprefix("https://").removeprefix("http://")
    return RegistryLogin(
        registry=registry.rstrip("/"), username=username, password=password, token=token
    )
