"""Waiting out account-wide throttling (aws/throttle.py): full jitter, a budget, a line a minute."""

from __future__ import annotations

import pytest

from compose_ecs_deploy.aws.throttle import CAP_SECONDS, ThrottleBudget, duration
from compose_ecs_deploy.errors import AwsError


class Refused(Exception):
    """A throttled answer."""


class World:
    """A clock that moves only when the budget sleeps, and the lines it printed."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []
        self.ceilings: list[float] = []
        self.lines: list[str] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def jitter(self, low: float, high: float) -> float:
        assert low == 0.0
        self.ceilings.append(high)
        return high  # the longest wait full jitter can draw

    def budget(self, timeout: float = 600.0) -> ThrottleBudget:
        return ThrottleBudget(
            timeout_seconds=timeout,
            notice=self.lines.append,
            clock=lambda: self.now,
            sleep=self.sleep,
            jitter=self.jitter,
        )


def refusing(times: int) -> object:
    calls = {"n": 0}

    def attempt() -> str:
        calls["n"] += 1
        if calls["n"] <= times:
            raise Refused("Rate exceeded")
        return "done"

    return attempt


def is_refused(exc: Exception) -> bool:
    return isinstance(exc, Refused)


def test_a_throttled_call_is_waited_out_with_capped_exponential_full_jitter() -> None:
    world = World()
    budget = world.budget()
    assert budget.call("ecs:RegisterTaskDefinition", refusing(8), is_refused) == "done"
    assert world.ceilings == [1, 2, 4, 8, 16, CAP_SECONDS, CAP_SECONDS, CAP_SECONDS]
    assert budget.throttled == 8
    assert budget.spent == pytest.approx(sum(world.sleeps))
    assert world.lines == [
        "ecs:RegisterTaskDefinition throttled by AWS (account-wide limit); waited 1m11s, retrying"
    ]


def test_one_line_a_minute_while_waiting() -> None:
    world = World()
    world.budget().call("ecs:UpdateService", refusing(20), is_refused)
    assert [line.split("waited ")[1] for line in world.lines] == [
        "1m11s, retrying",
        "2m11s, retrying",
        "3m11s, retrying",
        "4m11s, retrying",
        "5m11s, retrying",
    ]


def test_other_errors_pass_through_at_once() -> None:
    world = World()

    def broken() -> str:
        raise ValueError("not throttling")

    with pytest.raises(ValueError):
        world.budget().call("ecs:UpdateService", broken, is_refused)
    assert world.sleeps == []


def test_the_budget_is_for_the_whole_run_and_its_end_says_what_to_do() -> None:
    world = World()
    budget = world.budget(timeout=90)
    budget.call("ecs:RegisterTaskDefinition", refusing(5), is_refused)  # 31 s of waiting
    with pytest.raises(AwsError) as failure:
        budget.call("ecs:UpdateService", refusing(1000), is_refused)
    message = str(failure.value)
    assert message.startswith("ecs:UpdateService was throttled by AWS: the account's request")
    assert "waited 59s (1m30s in all this run, throttle-timeout 1m30s)" in message
    assert "so it changed nothing" in message
    assert "raise throttle-timeout, or ask AWS Support for a higher quota" in message
    assert budget.spent == pytest.approx(90)


def test_durations_read_as_people_say_them() -> None:
    assert [duration(s) for s in (0, 45, 60, 80.4, 600)] == [
        "0s",
        "45s",
        "1m00s",
        "1m20s",
        "10m00s",
    ]


def test_the_summary_and_the_log_say_what_waiting_out_throttling_cost() -> None:
    from compose_ecs_deploy.pipeline.results import DeployResult
    from compose_ecs_deploy.report.summary import summary_markdown, throttle_line

    assert throttle_line(DeployResult([])) is None
    assert "throttl" not in summary_markdown(DeployResult([]), {})
    result = DeployResult([], throttled_calls=7, throttle_waited=83.4)
    line = throttle_line(result)
    assert line is not None
    assert line.startswith("AWS throttling: 7 throttled calls waited out, 1m23s in all")
    assert "1m23s in all" in summary_markdown(result, {})
