"""Issue 23's figures: a fleet of N concurrent CLI deploys of N services in one account.

Every deploy's calls go through the fault proxy's bucket mode with ECS's documented figures
(tests/support/account_buckets.py: register 20 burst / 1 a second, service reads 100 / 20,
and so on), against a moto of the bench's own (no engine or registry is needed: each deploy
is given its image, so it registers, updates and waits). Each row shows the deploys that
succeeded, families with exactly one new revision, services with exactly one UpdateService,
throttled calls, reads per deploy per minute of waiting, and the fleet's wall time against
the floor the register bucket imposes: N - 20 seconds past its burst plus the rollout's own
time. On this 2-core machine the rollout's own time for N deploys at once is mostly the time
to start N Python processes (each imports boto3 and runs `docker compose config`), so it is
measured as such: the same N deploys through the same proxy with no limits, just before.

A second row group measures the polls alone: one deploy whose rollout never ends, watched
for three minutes at the default poll interval, and the reads it made per minute, against
what 100 such deploys may make under the DescribeServices and ListTasks refills (20 a
second each) with half of each left for everything else in the account.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

from tests.support import guard, terraform
from tests.support.account_buckets import AccountBuckets
from tests.support.fault_proxy import FaultProxy, api_action
from tests.support.moto_process import moto_server

from bench.table import Row
from compose_ecs_deploy.settings import TIME_SCALE

FLEETS = tuple(int(n) for n in os.environ.get("BENCH_FLEET_SIZES", "20 60 100").split())
REGION = "us-east-1"
CLUSTER = "fleet"
ROLE = "arn:aws:iam::123456789012:role/fleet-execution"
READS = ("DescribeServices", "ListTasks", "DescribeTasks")
REGISTER_BURST, REGISTER_REFILL = 20, 1.0
# Every documented group with room for any fleet: the same proxy and counting, no throttling.
UNLIMITED = {
    name: (1e9, 1e9)
    for name in (
        "ecs-task-definition-writes",
        "ecs-service-writes",
        "ecs-service-reads",
        "ecs-task-reads",
        "ecs-task-definition-reads",
    )
}
POLL_WATCH_MINUTES = 3.0
POLL_TARGET = 6.0  # per deploy per minute, each bucket: 100 x 6 / 60 = 10 a second, half of 20
COMPOSE = "services:\n  web:\n    image: example/web:1\n"


class CountingProxy(FaultProxy):
    """The fault proxy, also noting when each service's UpdateService and DescribeServices
    arrived (from the request body), so that reads are counted per minute of waiting."""

    def __post_init__(self) -> None:
        super().__post_init__()
        self.updates: dict[str, list[float]] = {}
        self.service_reads: list[tuple[float, tuple[str, ...]]] = []
        self._notes = threading.Lock()

    def serve(self, handler: BaseHTTPRequestHandler, body: bytes) -> None:
        action = api_action(dict(handler.headers), body)
        if action in ("UpdateService", "DescribeServices"):
            request = json.loads(body or b"{}")
            with self._notes:
                if action == "UpdateService":
                    self.updates.setdefault(str(request.get("service")), []).append(
                        time.monotonic()
                    )
                else:
                    names = tuple(str(s) for s in request.get("services", []))
                    self.service_reads.append((time.monotonic(), names))
        super().serve(handler, body)


@dataclass(frozen=True)
class Fleet:
    size: int
    succeeded: int
    one_revision: int
    one_update: int
    throttled: Counter[str]
    reads: float  # per deploy, during its wait
    reads_per_minute: float
    seconds: float
    failures: tuple[str, ...]  # the last line of each failed deploy's output


@contextmanager
def account(tmp: Path) -> Iterator[tuple[Any, str]]:
    """A moto of the bench's own with the rollout simulator; an ECS client straight to it."""
    with moto_server(tmp / "moto.log") as url:
        guard.guard(url, region=REGION, registry_hosts=())
        import boto3

        ecs = boto3.client("ecs", endpoint_url=url, region_name=REGION)  # type: ignore[call-overload]
        ecs.create_cluster(clusterName=CLUSTER)
        # the execution role Terraform made: every deploy looks it up before writing (verify)
        iam = boto3.client("iam", endpoint_url=url, region_name=REGION)  # type: ignore[call-overload]
        terraform.roles(iam, ROLE)
        yield ecs, url


def make_service(ecs: Any, name: str, tags: Mapping[str, str]) -> None:
    arn = ecs.register_task_definition(
        family=name,
        requiresCompatibilities=["FARGATE"],
        networkMode="awsvpc",
        cpu="256",
        memory="512",
        executionRoleArn=ROLE,
        containerDefinitions=[{"name": "web", "image": "example/web:0", "essential": True}],
    )["taskDefinition"]["taskDefinitionArn"]
    ecs.create_service(
        cluster=CLUSTER,
        serviceName=name,
        taskDefinition=arn,
        desiredCount=2,
        launchType="FARGATE",
        tags=[{"key": k, "value": v} for k, v in tags.items()],
    )


def argv(compose: Path, service: str, *extra: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "compose_ecs_deploy",
        "deploy",
        "-f",
        str(compose),
        "--service",
        "web",
        "--cluster",
        CLUSTER,
        "--ecs-service",
        service,
        "--region",
        REGION,
        "--image",
        f"web=example/web:{service}",
        *extra,
    ]


def run_at_once(commands: list[list[str]], proxy_url: str, tmp: Path) -> list[tuple[int, float]]:
    """Start every command at once; (exit code, monotonic exit time) of each."""
    # The polls at their real pace (not the stack's hundredth): the account's buckets and the
    # reads per minute at the default interval are what these rows measure.
    env = {**os.environ, "AWS_ENDPOINT_URL": proxy_url, TIME_SCALE: "1"}
    running = []
    for n, command in enumerate(commands):
        out = (tmp / f"out-{n}.log").open("wb")
        running.append(
            (subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT), out)
        )
    ended: dict[int, tuple[int, float]] = {}
    while len(ended) < len(running):
        for n, (process, out) in enumerate(running):
            if n not in ended and process.poll() is not None:
                ended[n] = (process.returncode, time.monotonic())
                out.close()
        time.sleep(0.05)
    return [ended[n] for n in range(len(running))]


def fleet(ecs: Any, url: str, tmp: Path, size: int, compose: Path, *, limits: bool = True) -> Fleet:
    """N deploys at once through the account's buckets (or, `limits=False`, through the same
    proxy without them: what this machine needs to run N deploys at once, unthrottled)."""
    kind = "limits" if limits else "free"
    names = [f"fleet-{kind}-{size}-{n:03d}" for n in range(size)]
    for name in names:
        make_service(ecs, name, {})
    buckets = AccountBuckets() if limits else AccountBuckets(overrides=UNLIMITED)
    proxy = CountingProxy(upstream=url, buckets=buckets).start()
    try:
        started = time.monotonic()
        results = run_at_once([argv(compose, name) for name in names], proxy.url, tmp)
        seconds = max(at for _, at in results) - started
    finally:
        proxy.stop()
    assert proxy.buckets is not None
    revisions = [
        len(ecs.list_task_definitions(familyPrefix=n)["taskDefinitionArns"]) for n in names
    ]
    waiting = 0.0
    reads = sum(proxy.buckets.admitted[a] + proxy.buckets.throttled[a] for a in READS[1:])
    for name, (_, ended) in zip(names, results, strict=True):
        updated = min(proxy.updates.get(name, [ended]))
        waiting += max(0.0, ended - updated)
        reads += sum(1 for at, asked in proxy.service_reads if name in asked and at >= updated)
    return Fleet(
        size=size,
        succeeded=sum(1 for code, _ in results if code == 0),
        one_revision=sum(1 for r in revisions if r == 2),
        one_update=sum(1 for n in names if len(proxy.updates.get(n, [])) == 1),
        throttled=proxy.buckets.throttled,
        reads=reads / size,
        reads_per_minute=reads / (waiting / 60) if waiting else 0.0,
        seconds=seconds,
        failures=tuple(
            last_error(tmp / f"out-{n}.log") for n, (code, _) in enumerate(results) if code
        ),
    )


def last_error(path: Path) -> str:
    lines = path.read_text(errors="replace").splitlines()
    errors = [line for line in lines if line.startswith("error:")]
    return (errors or lines or ["(no output)"])[-1]


def fleet_row(result: Fleet, free: Fleet) -> Row:
    """The floor: the register bucket's N - 20 seconds past its burst, plus the rollout's own
    time, which on this machine is what N deploys at once take without any throttling."""
    floor = max(0.0, (result.size - REGISTER_BURST) / REGISTER_REFILL) + free.seconds
    limit = 1.5 * floor + 30
    n = result.size
    met = (
        result.succeeded == result.one_revision == result.one_update == n
        and result.seconds <= limit
    )
    throttled = ", ".join(f"{k} {v}" for k, v in sorted(result.throttled.items())) or "none"
    return Row(
        f"fleet of {n}: deploys ok / one revision / one update; wall time",
        round(result.seconds, 1),
        "s",
        "",
        f"{n} / {n} / {n}; <= {limit:.0f} s (1.5 x floor {floor:.0f} s + 30 s)",
        met,
        detail=(
            f"throttled calls: {throttled}; reads per deploy during its wait "
            f"{result.reads:.1f} ({result.reads_per_minute:.1f} a minute: short waits); the "
            f"same {n} deploys unthrottled (this machine starting {n} CLIs at once) "
            f"{free.seconds:.1f} s, {free.succeeded} ok"
            + "".join(f"; failed: {line[:300]}" for line in (*result.failures, *free.failures))
        ),
        text=(
            f"{result.succeeded} / {result.one_revision} / {result.one_update}; "
            f"{result.seconds:.1f} s"
        ),
    )


def poll_rows(ecs: Any, url: str, tmp: Path, compose: Path) -> list[Row]:
    """One deploy whose rollout never ends, watched for three minutes at the defaults."""
    name = "fleet-polls"
    make_service(ecs, name, {"simulator:scenario": "slow"})
    proxy = CountingProxy(upstream=url, buckets=AccountBuckets()).start()
    try:
        command = argv(compose, name, "--wait-timeout", str(POLL_WATCH_MINUTES), "--no-rollback")
        [(_, ended)] = run_at_once([command], proxy.url, tmp)
    finally:
        proxy.stop()
    assert proxy.buckets is not None
    updated = proxy.updates[name][0]
    minutes = (ended - updated) / 60
    services = sum(1 for at, _ in proxy.service_reads if at >= updated) / minutes
    tasks = sum(proxy.buckets.admitted[a] for a in READS[1:]) / minutes
    rows = []
    for label, value in (("DescribeServices", services), ("ListTasks + DescribeTasks", tasks)):
        fleet_rate = value * 100 / 60
        rows.append(
            Row(
                f"reads per deployed service per minute of waiting: {label}",
                round(value, 1),
                "",
                "",
                f"<= {POLL_TARGET:g} (100 deploys: <= 10/s of the 20/s refill)",
                value <= POLL_TARGET,
                detail=(
                    f"one deploy, a rollout that never ends, watched {POLL_WATCH_MINUTES:g} min "
                    f"at the default poll interval; 100 such deploys: {fleet_rate:.1f}/s"
                ),
            )
        )
    return rows


def fleet_rows(_lab: object = None) -> list[Row]:
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        compose = tmp / "compose.yaml"
        compose.write_text(COMPOSE)
        with account(tmp) as (ecs, url):
            rows = poll_rows(ecs, url, tmp, compose)
            for size in FLEETS:
                free = fleet(ecs, url, tmp, size, compose, limits=False)
                rows.append(fleet_row(fleet(ecs, url, tmp, size, compose), free))
    return rows
