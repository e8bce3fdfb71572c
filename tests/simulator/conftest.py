"""The simulator's server and a client on it, shared by the simulator's test modules."""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config

from tests.support.moto_process import moto_server

CLUSTER = "sim"
# No proxy, ever: every request goes to the loopback server.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _post(url: str) -> None:
    with _OPENER.open(urllib.request.Request(url, data=b"", method="POST"), timeout=10):
        pass


@pytest.fixture(scope="session")
def endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The launcher on a free loopback port, stopped by its own PID at the end."""
    try:
        with moto_server(tmp_path_factory.mktemp("simulator") / "moto_server.log") as url:
            yield url
    except RuntimeError as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture
def ecs(endpoint: str) -> Any:
    """An ECS client on an emptied moto, with a cluster."""
    _post(f"{endpoint}/moto-api/reset")
    client = boto3.client(
        "ecs",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(proxies={}, retries={"max_attempts": 1}),
    )
    client.create_cluster(clusterName=CLUSTER)
    return client
