"""AWS faults through a proxy between boto3 and moto: retries, no duplicate writes, re-runs."""

from __future__ import annotations

import pytest

from compose_ecs_deploy.aws.throttle import ThrottleBudgetSpent
from compose_ecs_deploy.errors import AwsError
from tests.deploy.conftest import World
from tests.support.fault_proxy import FaultProxy, Rule
from tests.support.memory_log import MemoryLog

pytestmark = pytest.mark.stack
IMAGE = "example/app:2"
TRANSIENT = ("throttle", "500", "503", "reset", "slow")


def writes(world: World) -> tuple[int, int]:
    """Revisions of the family and deployments the simulator has seen started."""
    return len(world.revisions("web")), len(world.running("web")["deployments"])


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_deploy_survives_thirty_percent_transient_failures(
    world: World, proxy: FaultProxy, seed: int
) -> None:
    world.service("web", tags={"simulator:ticks": "2"})
    proxy.reseed(seed)
    proxy.rules["*"] = Rule(kinds=TRANSIENT, rate=0.3, delay=0.2)
    deployment, _ = world.deploy(world.settings(images=(f"app={IMAGE}",), max_retries=6))
    assert deployment.result.succeeded
    assert sum(proxy.injected.values()) > 0, "the scenario injected no fault"
    assert proxy.forwarded["RegisterTaskDefinition"] == 1
    assert proxy.forwarded["UpdateService"] == 1
    assert len(world.revisions("web")) == 2


def test_a_lost_answer_to_a_write_is_not_written_twice(world: World, proxy: FaultProxy) -> None:
    world.service("web", tags={"simulator:ticks": "1"})
    proxy.rules["RegisterTaskDefinition"] = Rule(kinds=("lost",), first=1)
    proxy.rules["UpdateService"] = Rule(kinds=("lost",), first=1)
    deployment, _ = world.deploy(world.settings(images=(f"app={IMAGE}",)))
    assert deployment.result.succeeded
    assert proxy.injected["RegisterTaskDefinition:lost"] == 1
    assert proxy.forwarded["RegisterTaskDefinition"] == 1
    assert proxy.forwarded["UpdateService"] == 1
    assert len(world.revisions("web")) == 2
    result = deployment.result.services[0]
    assert result.task_definition_arn == world.revisions("web")[-1]


def test_aws_down_past_the_retry_budget_fails_clearly_and_a_rerun_completes(
    world: World, proxy: FaultProxy
) -> None:
    world.service("web", tags={"simulator:ticks": "1"})
    proxy.rules["RegisterTaskDefinition"] = Rule(kinds=("503",))
    with pytest.raises(AwsError) as failure:
        world.deploy(world.settings(images=(f"app={IMAGE}",), max_retries=2))
    message = str(failure.value)
    assert message.startswith("ecs:RegisterTaskDefinition failed: ServiceUnavailableException")
    assert "gave up after 3 attempts" in message and "re-run is safe" in message
    assert proxy.forwarded["RegisterTaskDefinition"] == 0
    assert writes(world) == (1, 1)

    proxy.rules.clear()
    deployment, _ = world.deploy(world.settings(images=(f"app={IMAGE}",)))
    assert deployment.result.succeeded
    assert writes(world) == (2, 1)


def test_throttled_reads_are_retried_by_botocore(world: World, proxy: FaultProxy) -> None:
    world.service("web", tags={"simulator:ticks": "1"})
    proxy.rules["DescribeServices"] = Rule(kinds=("throttle",), first=3)
    proxy.rules["DescribeTaskDefinition"] = Rule(kinds=("reset",), first=1)
    deployment, aws = world.deploy(world.settings(images=(f"app={IMAGE}",)))
    assert deployment.result.succeeded
    assert proxy.injected["DescribeServices:throttle"] == 3
    assert aws.calls["ecs:DescribeServices"] == 2  # calls, not attempts: retries are inside


def test_throttling_past_the_budget_moves_nothing(world: World, proxy: FaultProxy) -> None:
    world.service("web")
    proxy.rules["UpdateService"] = Rule(kinds=("throttle",), rate=1.0)
    settings = world.settings(images=(f"app={IMAGE}",), throttle_timeout_minutes=0.02)
    with pytest.raises(ThrottleBudgetSpent) as failure:
        world.deploy(settings)
    message = str(failure.value)
    assert message.startswith("ecs:UpdateService was throttled by AWS: the account's request")
    assert "throttle-timeout 1s) and AWS refused the call each time, so it changed" in message
    assert "raise throttle-timeout, or ask AWS Support for a higher quota" in message
    assert "; service web was not moved to arn:aws:ecs:" in message
    assert proxy.seen["UpdateService"] > 2  # waited out, not given up after max-retries
    assert proxy.forwarded["UpdateService"] == 0
    assert len(world.revisions("web")) == 2  # registered once; the service was not moved
    assert len(world.running("web")["deployments"]) == 1


def test_a_throttled_register_past_the_budget_registers_nothing(
    world: World, proxy: FaultProxy
) -> None:
    world.service("web")
    proxy.rules["RegisterTaskDefinition"] = Rule(kinds=("throttle",), rate=1.0)
    settings = world.settings(images=(f"app={IMAGE}",), throttle_timeout_minutes=0.01)
    with pytest.raises(ThrottleBudgetSpent, match="no revision of web was registered and service"):
        world.deploy(settings)
    assert writes(world) == (1, 1)


def test_a_throttled_write_is_sent_again_without_a_landed_check(
    world: World, proxy: FaultProxy
) -> None:
    """ECS denied the throttled calls, so they did nothing: no read asks whether they landed."""
    world.service("web", tags={"simulator:ticks": "1"})
    proxy.rules["RegisterTaskDefinition"] = Rule(kinds=("throttle",), first=3)
    proxy.rules["UpdateService"] = Rule(kinds=("throttle",), first=3)
    log = MemoryLog()
    deployment, aws = world.deploy(world.settings(images=(f"app={IMAGE}",)), log)
    assert deployment.result.succeeded
    assert proxy.seen["RegisterTaskDefinition"] == proxy.seen["UpdateService"] == 4
    assert proxy.forwarded["RegisterTaskDefinition"] == proxy.forwarded["UpdateService"] == 1
    assert not [line for line in log.lines if "retrying in" in line or "went through" in line]
    assert aws.calls["ecs:DescribeServices"] == 2  # the plan's and the one poll: no checks
    assert aws.throttle.throttled == 6


def test_a_rerun_after_a_failed_update_reuses_the_registered_revision(
    world: World, proxy: FaultProxy
) -> None:
    world.service("web", tags={"simulator:ticks": "1"})
    proxy.rules["UpdateService"] = Rule(kinds=("503",))
    with pytest.raises(AwsError, match="UpdateService failed"):
        world.deploy(world.settings(images=(f"app={IMAGE}",), max_retries=1))
    assert writes(world) == (2, 1)  # registered, but the service was not moved

    proxy.rules.clear()
    deployment, aws = world.deploy(world.settings(images=(f"app={IMAGE}",)))
    assert deployment.result.succeeded
    assert aws.calls["ecs:RegisterTaskDefinition"] == 0
    assert writes(world) == (2, 1)
    assert world.running("web")["taskDefinition"] == world.revisions("web")[-1]
