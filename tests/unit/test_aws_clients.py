"""The run's clients (aws/client.py): one per service, made ahead on a thread of their own
(`warm`) while the plan waits, never twice, and which ones a run warms (preflight.warm_clients)."""

from __future__ import annotations

import threading
from typing import Any

import boto3
import pytest

from compose_ecs_deploy.aws.client import Aws
from compose_ecs_deploy.pipeline.preflight import warm_clients
from compose_ecs_deploy.settings import Settings


class _Made:
    """What the slow fake session makes: enough of a client for Aws to wrap."""

    def __init__(self, service: str) -> None:
        self.service = service
        self.meta = self
        self.events = self
        self.method_to_api_mapping: dict[str, str] = {}

    def register(self, *_: Any) -> None: ...


class _Slow:
    """Which clients boto3 made; each is made only once `release` is set (a model loading)."""

    def __init__(self) -> None:
        self.made: list[str] = []
        self.release = threading.Event()


@pytest.fixture
def slow(monkeypatch: pytest.MonkeyPatch) -> _Slow:
    slow = _Slow()

    def client(_: Any, service: str, **__: Any) -> _Made:
        slow.release.wait(5)
        slow.made.append(service)
        return _Made(service)

    monkeypatch.setattr(boto3.session.Session, "client", client)
    return slow


def _join_warming() -> None:
    for thread in threading.enumerate():
        if thread.name == "aws-clients":
            thread.join(5)


def test_a_warmed_client_is_made_once_in_the_background_and_reused(slow: _Slow) -> None:
    aws = Aws("eu-west-1")
    aws.warm([("iam", None), ("logs", "eu-west-1"), ("iam", None)])
    assert slow.made == []  # warm returned before the clients were made
    threading.Timer(0.1, slow.release.set).start()
    iam = aws.client("iam")  # asked for while it is being made: waited for, not made again
    logs = aws.client("logs")  # the deploy's Region is the client's default one
    assert (iam.service, logs.service) == ("iam", "logs")
    assert aws.client("iam") is iam
    _join_warming()
    assert slow.made == ["iam", "logs"]
    assert not aws.calls  # making a client sends nothing


def test_threads_asking_for_one_client_at_once_get_the_same_one(slow: _Slow) -> None:
    aws = Aws("eu-west-1")
    threading.Timer(0.1, slow.release.set).start()
    got: list[Any] = []
    threads = [threading.Thread(target=lambda: got.append(aws.client("ssm"))) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert slow.made == ["ssm"]
    assert all(client is got[0] for client in got)


def test_a_client_that_cannot_be_made_ahead_fails_where_it_is_used(
    monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    """No region: the warming thread gives up silently; the first real use raises."""
    monkeypatch.delenv("AWS_REGION", raising=False)
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    aws = Aws(None)
    aws.warm([("ecs", None)])
    _join_warming()
    assert capfd.readouterr() == ("", "")  # no traceback from the thread
    with pytest.raises(Exception, match="region"):
        aws.client("ecs")


class _Wanted:
    def __init__(self) -> None:
        self.wanted: list[tuple[str, str | None]] = []

    def warm(self, wanted: list[tuple[str, str | None]]) -> None:
        self.wanted = list(wanted)


def test_a_run_that_verifies_warms_ecs_iam_each_secret_store_and_logs() -> None:
    settings = Settings(
        compose_files=(),
        region="eu-west-1",
        secrets=(
            "DB=arn:aws:secretsmanager:eu-west-1:123456789012:secret:shop/db-AbCdEf",
            "api.KEY=arn:aws:ssm:us-east-2:123456789012:parameter/shop/key",
            "TOKEN=/shop/token",
        ),
    )
    aws = _Wanted()
    warm_clients(aws, settings)  # type: ignore[arg-type]
    assert aws.wanted == [
        ("ecs", None),
        ("iam", None),
        ("secretsmanager", "eu-west-1"),
        ("ssm", "us-east-2"),
        ("ssm", None),
        ("logs", None),
    ]


def test_a_run_that_does_not_verify_warms_only_ecs() -> None:
    aws = _Wanted()
    settings = Settings(compose_files=(), region="eu-west-1", verify=False, secrets=("DB=/x",))
    warm_clients(aws, settings)  # type: ignore[arg-type]
    assert aws.wanted == [("ecs", None)]
