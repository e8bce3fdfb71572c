"""Every throttled path of a deploy is waited out by the one mechanism (aws/throttle.py): a
one-off's RunTask, the failure verdict's GetLogEvents, ECR's API (whose throttling answers
are both documented kinds: 429 ThrottleException and 400 ThrottlingException). Each test
gives the path a bucket that starts empty and refills a token every few seconds (the fault
proxy's bucket mode, as if the account's other deploys had just spent it), so the first
calls are refused and a later one goes through."""

from __future__ import annotations

from typing import Any

import pytest

from compose_ecs_deploy.aws import ecr
from compose_ecs_deploy.aws.client import Aws
from tests.deploy.conftest import World
from tests.deploy.test_failure_logs import crash, logs  # noqa: F401 (a fixture)
from tests.deploy.test_oneoff import shop  # noqa: F401 (a fixture)
from tests.support.account_buckets import AccountBuckets
from tests.support.fault_proxy import FaultProxy
from tests.support.memory_log import MemoryLog

pytestmark = pytest.mark.stack
IMAGE = "example/app:2"


def starved(group: str) -> AccountBuckets:
    return AccountBuckets(overrides={group: (1, 0.25)}, drained=frozenset({group}))


def test_a_throttled_run_task_starts_its_one_off_once(shop: Any, proxy: FaultProxy) -> None:  # noqa: F811
    proxy.buckets = starved("ecs-task-writes")
    deployment, _, lines = shop.deploy(shop.settings())
    assert deployment.result.succeeded, lines
    assert proxy.buckets.throttled["RunTask"] >= 1
    assert proxy.forwarded["RunTask"] == 1  # one migration, however often it was refused


def test_throttled_log_reads_still_show_the_failed_containers_lines(
    world: World,
    logs: Any,  # noqa: F811
    proxy: FaultProxy,
) -> None:
    crash(world, logs)
    proxy.buckets = starved("logs-get-log-events")
    log = MemoryLog()
    deployment, _ = world.deploy(world.settings(images=(f"app={IMAGE}",)), log)
    assert not deployment.result.succeeded
    assert proxy.buckets.throttled["GetLogEvents"] >= 1
    assert any("log lines of container app" in line for line in log.lines), log.lines
    assert any("KeyError: 'DATABASE_URL'" in line for line in log.lines)


@pytest.mark.parametrize("seed", [1, 2])
def test_throttled_ecr_calls_are_waited_out_whichever_error_ecr_sends(
    aws_env: dict[str, str], aws_client: Any, proxy: FaultProxy, seed: int
) -> None:
    aws_client("ecr").create_repository(repositoryName="app")
    aws = Aws(aws_env["AWS_REGION"], max_retries=0)
    calls = {
        "ecr-describe-repositories": lambda: ecr.find_repository(aws, "app"),
        "ecr-get-authorization-token": lambda: ecr.login(aws),
    }
    throttled = 0
    for group, call in calls.items():
        proxy.buckets = AccountBuckets(
            overrides={group: (1, 0.5)}, drained=frozenset({group}), seed=seed
        )
        assert call() is not None
        throttled += proxy.buckets.throttled.total()
        assert proxy.buckets.throttled.total() >= 1, group
    assert aws.throttle.throttled == throttled  # max_retries 0: each refusal reaches the budget
