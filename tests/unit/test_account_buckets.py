"""The account-wide token buckets the fault proxy enforces (tests/support/account_buckets)."""

from __future__ import annotations

import pytest

from tests.support.account_buckets import ECR_THROTTLES, AccountBuckets


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def admitted(buckets: AccountBuckets, action: str, times: int) -> int:
    return sum(buckets.admit(action) is None for _ in range(times))


def test_the_register_bucket_allows_its_burst_then_one_a_second() -> None:
    clock = Clock()
    buckets = AccountBuckets(clock=clock)
    assert admitted(buckets, "RegisterTaskDefinition", 25) == 20
    assert buckets.admit("DeregisterTaskDefinition") == (
        400,
        "ThrottlingException",
        "Rate exceeded",
    )
    clock.now += 3.5
    assert admitted(buckets, "RegisterTaskDefinition", 10) == 3
    assert buckets.throttled["RegisterTaskDefinition"] == 12
    assert buckets.admitted["RegisterTaskDefinition"] == 23


def test_a_full_bucket_discards_the_tokens_that_arrive() -> None:
    clock = Clock()
    buckets = AccountBuckets(clock=clock)
    clock.now += 3600
    assert admitted(buckets, "DescribeServices", 150) == 100


def test_groups_share_one_bucket_and_others_are_apart() -> None:
    buckets = AccountBuckets(clock=Clock())
    assert admitted(buckets, "DescribeServices", 60) == 60
    assert admitted(buckets, "ListServices", 60) == 40
    assert admitted(buckets, "ListTasks", 100) == 100  # its own bucket


def test_run_task_needs_a_token_from_ecs_and_from_fargate() -> None:
    clock = Clock()
    buckets = AccountBuckets(clock=clock)
    assert admitted(buckets, "RunTask", 30) == 20  # Fargate's 20, not ECS's 100
    assert admitted(buckets, "StopTask", 100) == 80  # ECS's bucket gave 20 to RunTask
    clock.now += 1
    assert admitted(buckets, "RunTask", 30) == 20  # Fargate refilled 20; ECS 40


def test_overrides_and_the_regions_where_get_log_events_allows_ten() -> None:
    buckets = AccountBuckets(overrides={"ecs-task-definition-writes": (5, 1)}, clock=Clock())
    assert admitted(buckets, "RegisterTaskDefinition", 25) == 5
    assert admitted(AccountBuckets(clock=Clock()), "GetLogEvents", 40) == 25
    assert admitted(AccountBuckets(logs_rate=10, clock=Clock()), "GetLogEvents", 40) == 10
    with pytest.raises(ValueError, match="no such bucket group: nope"):
        AccountBuckets(overrides={"nope": (1, 1)})


def test_a_drained_bucket_starts_empty_and_refills() -> None:
    clock = Clock()
    buckets = AccountBuckets(drained=frozenset({"ecs-service-writes"}), clock=clock)
    assert admitted(buckets, "UpdateService", 3) == 0
    clock.now += 1
    assert admitted(buckets, "UpdateService", 10) == 5
    with pytest.raises(ValueError, match="no such bucket group: nope"):
        AccountBuckets(drained=frozenset({"nope"}))


def test_undocumented_ecr_rates_have_no_bucket_unless_set() -> None:
    assert admitted(AccountBuckets(clock=Clock()), "DescribeImages", 500) == 500
    buckets = AccountBuckets(overrides={"ecr-describe-images": (2, 1)}, clock=Clock())
    assert admitted(buckets, "DescribeImages", 5) == 2


def test_ecr_answers_each_documented_throttling_error() -> None:
    buckets = AccountBuckets(clock=Clock())
    answers = {buckets.admit("PutImage") for _ in range(60)} - {None}
    assert answers == set(ECR_THROTTLES)
