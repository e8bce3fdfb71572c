"""A fleet in one account: concurrent CLI deploys through the account's token buckets.

The fault proxy's bucket mode (tests/support/account_buckets.py) is the account: every
process's calls share its buckets, as every deploy of an account and Region shares ECS's.
The register bucket is shrunk (burst 5, refill 1 a second) so that 25 deploys prove in CI
time what 100 do against the real figures (scripts/bench fleet measures those).
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from compose_ecs_deploy.settings import TIME_SCALE
from tests.deploy.conftest import World
from tests.support.account_buckets import AccountBuckets
from tests.support.fault_proxy import FaultProxy

pytestmark = pytest.mark.stack
FLEET = 25
THROTTLE_LINE = re.compile(r"AWS throttling: (\d+) throttled calls? waited out, .*")


def cli(world: World, service: str, *extra: str) -> list[str]:
    return world.cli_argv(service, f"example/app:{service}", "--poll-interval", "1", *extra)


def run_all(argvs: list[list[str]], proxy: FaultProxy, cwd: Path) -> list[tuple[int, str]]:
    """Start every process at once, wait for all; (exit code, stdout + stderr) each."""
    # The polls at their real pace (not the stack's hundredth): the account's buckets are
    # what this fleet is about.
    env = {**os.environ, "AWS_ENDPOINT_URL": proxy.url, TIME_SCALE: "1"}
    processes = [
        subprocess.Popen(
            argv, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        for argv in argvs
    ]
    results = []
    for process in processes:
        output, _ = process.communicate(timeout=600)
        results.append((process.returncode, output))
    return results


@pytest.fixture
def account(aws_env: dict[str, str]) -> Iterator[FaultProxy]:
    """The account's buckets, with a register bucket of burst 5 and refill 1 a second."""
    buckets = AccountBuckets(overrides={"ecs-task-definition-writes": (5, 1)})
    proxy = FaultProxy(upstream=aws_env["AWS_ENDPOINT_URL"], buckets=buckets).start()
    yield proxy
    proxy.stop()


def test_a_fleet_of_deploys_waits_out_the_register_bucket_and_writes_once_each(
    world: World, account: FaultProxy
) -> None:
    names = [f"fleet-{n:02d}" for n in range(FLEET)]
    for name in names:
        world.service(name, tags={"simulator:ticks": "1"})
    results = run_all([cli(world, name) for name in names], account, world.workdir)
    failed = [(name, out) for name, (code, out) in zip(names, results, strict=True) if code]
    assert not failed, f"{len(failed)} of {FLEET} failed; first:\n{failed[0][1]}"
    assert account.buckets is not None
    assert account.buckets.throttled["RegisterTaskDefinition"] >= FLEET - 5
    assert account.forwarded["RegisterTaskDefinition"] == FLEET
    assert account.forwarded["UpdateService"] == FLEET
    for name in names:
        assert len(world.revisions(name)) == 2, name
        assert world.running(name)["taskDefinition"] == world.revisions(name)[-1]
    # each deploy that waited says so at its end, for the fleet's owners: every throttled
    # register (a write, sent once per try) is counted in the line of the deploy that sent it
    # (how many deploys waited depends on when each reached its register; the sum does not)
    said = [THROTTLE_LINE.search(out) for _, out in results]
    assert (
        sum(int(m.group(1)) for m in said if m)
        >= account.buckets.throttled["RegisterTaskDefinition"]
    )
    assert all("throttle-timeout sets" in m.group(0) for m in said if m)


def test_a_spent_throttle_budget_exits_1_saying_what_was_hit_and_what_to_do(
    world: World, aws_env: dict[str, str]
) -> None:
    world.service("lonely")
    buckets = AccountBuckets(overrides={"ecs-task-definition-writes": (0, 0.001)})
    proxy = FaultProxy(upstream=aws_env["AWS_ENDPOINT_URL"], buckets=buckets).start()
    try:
        [(code, output)] = run_all(
            [cli(world, "lonely", "--throttle-timeout", "0.05")], proxy, world.workdir
        )
    finally:
        proxy.stop()
    assert code == 1, output
    [line] = [line for line in output.splitlines() if line.startswith("error:")]
    assert line.startswith(
        "error: ecs:RegisterTaskDefinition was throttled by AWS: the account's request limit"
    )
    assert "waited 3s (3s in all this run, throttle-timeout 3s)" in line
    assert "no revision of lonely was registered and service lonely was not moved" in line
    assert "raise throttle-timeout, or ask AWS Support for a higher quota" in line
    assert len(world.revisions("lonely")) == 1
    assert proxy.forwarded["RegisterTaskDefinition"] == 0
