"""A registry's 429 on the manifest PUT is waited out through the run's throttle budget."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from compose_ecs_deploy.aws.ecr import RegistryLogin
from compose_ecs_deploy.aws.throttle import ThrottleBudget, ThrottleBudgetSpent
from compose_ecs_deploy.images.engine import push
from compose_ecs_deploy.report.console import ConsoleLog

DIGEST = "sha256:" + "a" * 64
THROTTLED = {"error": "toomanyrequests: Rate exceeded", "errorDetail": {"message": "Rate exceeded"}}


class Engine:
    """The docker SDK's low-level push stream: `refusals` throttled pushes, then one that
    ends with the registry's digest."""

    def __init__(self, refusals: int) -> None:
        self.refusals = refusals
        self.pushes = 0
        self.api = self

    def push(self, repository: str, **_: Any) -> Iterator[dict[str, Any]]:
        self.pushes += 1
        yield {"status": "Preparing", "id": "layer1"}
        if self.pushes <= self.refusals:
            yield THROTTLED
            return
        yield {"status": "Pushed", "id": "layer1"}
        yield {"aux": {"Tag": "v1", "Digest": DIGEST, "Size": 1}}


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def budget(clock: Clock, timeout: float = 600.0) -> ThrottleBudget:
    return ThrottleBudget(timeout, clock=lambda: clock.now, sleep=clock.sleep)


LOGIN = RegistryLogin("registry.example", "AWS", "password", "token")


def test_a_throttled_push_is_waited_out_and_pushed_once_more() -> None:
    engine, clock = Engine(refusals=3), Clock()
    spent = budget(clock)
    digest = push(engine, "registry.example/app", "v1", LOGIN, ConsoleLog(), budget=spent)  # type: ignore[arg-type]
    assert digest == DIGEST
    assert engine.pushes == 4
    assert spent.throttled == 3 and 0 < spent.spent == clock.now


def test_a_push_throttled_past_the_budget_says_so() -> None:
    engine, clock = Engine(refusals=10_000), Clock()
    with pytest.raises(ThrottleBudgetSpent) as failure:
        push(engine, "registry.example/app", "v1", LOGIN, ConsoleLog(), budget=budget(clock, 60))  # type: ignore[arg-type]
    message = str(failure.value)
    assert message.startswith("pushing registry.example/app:v1 was throttled by AWS")
    assert "throttle-timeout 1m00s" in message
