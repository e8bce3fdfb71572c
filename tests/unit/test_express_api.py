"""What the stack's simulator cannot produce for Express, stubbed (botocore's Stubber,
validated against the model): a service just created that DescribeServices does not list yet
(ECS's reads are eventually consistent), and the two errors ECS may give for a service that
does not exist, read the same way (aws/express.py); a re-sent Create refused because the lost
one made the service (rollout/express_writes.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from botocore.stub import Stubber

from compose_ecs_deploy.aws import careful
from compose_ecs_deploy.aws import express as api
from compose_ecs_deploy.aws.client import Aws
from compose_ecs_deploy.errors import AwsError
from compose_ecs_deploy.rollout import express, express_writes
from compose_ecs_deploy.settings import Settings
from tests.support.memory_log import MemoryLog

ARN = "arn:aws:ecs:us-east-1:123456789012:service/c/web"


@pytest.fixture
def stubbed(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Aws, Stubber]]:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.setattr(express.time, "sleep", lambda _seconds: None)
    aws = Aws("us-east-1", max_retries=0)
    with Stubber(aws.client("ecs")) as stubber:
        yield aws, stubber
        stubber.assert_no_pending_responses()


def _missing(stubber: Stubber) -> None:
    stubber.add_response(
        "describe_services",
        {"services": [], "failures": [{"arn": ARN, "reason": "MISSING"}]},
        {"cluster": "c", "services": ["web"]},
    )


def test_a_service_just_created_is_read_again_until_ecs_lists_it(
    stubbed: tuple[Aws, Stubber],
) -> None:
    aws, stubber = stubbed
    _missing(stubber)
    _missing(stubber)
    stubber.add_response(
        "describe_services",
        {"services": [{"serviceName": "web", "serviceArn": ARN, "status": "ACTIVE"}]},
        {"cluster": "c", "services": ["web"]},
    )
    assert (
        express._described(aws, Settings(compose_files=(), cluster="c"), "web")["serviceArn"] == ARN
    )


def test_a_service_never_listed_is_an_error_after_a_few_reads(
    stubbed: tuple[Aws, Stubber],
) -> None:
    aws, stubber = stubbed
    for _ in range(3):
        _missing(stubber)
    with pytest.raises(AwsError, match="ECS service web was not found in cluster c"):
        express._described(aws, Settings(compose_files=(), cluster="c"), "web", attempts=3)


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("ResourceNotFoundException", "The specified resource wasn't found."),
        ("InvalidParameterException", "Resource not found: " + ARN),
    ],
)
def test_a_missing_service_is_none_whichever_error_ecs_gives(
    stubbed: tuple[Aws, Stubber], code: str, message: str
) -> None:
    aws, stubber = stubbed
    stubber.add_client_error(
        "describe_express_gateway_service",
        code,
        message,
        400,
        {"serviceArn": ARN, "include": ["TAGS"]},
    )
    assert api.describe(aws, ARN) is None


def test_another_invalid_parameter_is_an_error(stubbed: tuple[Aws, Stubber]) -> None:
    aws, stubber = stubbed
    stubber.add_client_error(
        "describe_express_gateway_service",
        "InvalidParameterException",
        "serviceArn is malformed",
        400,
        {"serviceArn": ARN, "include": ["TAGS"]},
    )
    with pytest.raises(AwsError, match="serviceArn is malformed"):
        api.describe(aws, ARN)


@pytest.mark.parametrize(
    ("code", "result"),
    [("ServiceNotFoundException", "gone"), ("ServiceNotActiveException", "not-active")],
)
def test_delete_says_what_ecs_found(stubbed: tuple[Aws, Stubber], code: str, result: str) -> None:
    aws, _ = stubbed
    with Stubber(aws.client("ecs", retries=False)) as once:  # a write is tried once
        once.add_client_error("delete_express_gateway_service", code, "", 400, {"serviceArn": ARN})
        assert api.delete(aws, ARN) == result
        once.assert_no_pending_responses()


CREATE = {
    "serviceName": "web",
    "cluster": "c",
    "infrastructureRoleArn": "arn:aws:iam::123456789012:role/infra",
    "taskDefinitionArn": "arn:aws:ecs:us-east-1:123456789012:task-definition/web:1",
}


def _listed(stubber: Stubber) -> None:
    stubber.add_response(
        "describe_services",
        {
            "services": [
                {
                    "serviceName": "web",
                    "serviceArn": ARN,
                    "status": "ACTIVE",
                    "resourceManagementType": "ECS",
                }
            ]
        },
        {"cluster": "c", "services": ["web"]},
    )


@pytest.mark.parametrize("code", ["InvalidParameterException", "ClientException"])
def test_a_resent_create_refused_for_its_name_finds_the_service_the_lost_one_made(
    stubbed: tuple[Aws, Stubber], monkeypatch: pytest.MonkeyPatch, code: str
) -> None:
    """A 5xx after ECS acted; the read after it does not list the service yet; the re-sent
    Create is refused (the name is taken, with either error the API reference leaves open):
    the service is looked for again, never made twice."""
    aws, stubber = stubbed
    monkeypatch.setattr(express_writes.time, "sleep", lambda _seconds: None)
    monkeypatch.setattr(careful.time, "sleep", lambda _seconds: None)
    _missing(stubber)  # the landed check: not listed yet
    _missing(stubber)  # after the refusal: still not
    _listed(stubber)
    stubber.add_response(
        "describe_express_gateway_service",
        {"service": {"serviceArn": ARN, "serviceName": "web"}},
        {"serviceArn": ARN, "include": ["TAGS"]},
    )
    with Stubber(aws.client("ecs", retries=False)) as once:
        once.add_client_error("create_express_gateway_service", "ServerException", "", 500, CREATE)
        once.add_client_error(
            "create_express_gateway_service", code, "the name is in use", 400, CREATE
        )
        settings = Settings((), cluster="c", max_retries=2)
        found = express_writes.created(aws, settings, CREATE, MemoryLog())
        once.assert_no_pending_responses()
    assert found["serviceArn"] == ARN


def test_a_first_create_refused_is_an_error_with_no_read(stubbed: tuple[Aws, Stubber]) -> None:
    aws, _ = stubbed
    with Stubber(aws.client("ecs", retries=False)) as once:
        once.add_client_error(
            "create_express_gateway_service",
            "InvalidParameterException",
            "The task definition must have a container named Main.",
            400,
            CREATE,
        )
        with pytest.raises(AwsError, match="container named Main"):
            express_writes.created(aws, Settings((), cluster="c"), CREATE, MemoryLog())
