"""Issue 25's figures: what `rollback` costs, what `verify` adds to a deploy, and a prune of 200
revisions under the account's RegisterTaskDefinition bucket with two deploys beside it.

Against a moto of the bench's own with the simulators (no engine or registry: every deploy is
given its image), through the fault proxy, which counts the calls that reach moto and, for the
prune row, is the account: ECS's documented buckets (tests/support/account_buckets.py), where
DeregisterTaskDefinition shares RegisterTaskDefinition's 20 burst / 1 a second. The prune
runs at the product's own pace (one write every 2 s), so that row takes about 7 minutes.
"""

from __future__ import annotations

import contextlib
import gc
import io
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
from tests.support import terraform
from tests.support.account_buckets import AccountBuckets
from tests.support.fault_proxy import FaultProxy

from bench.rows_fleet import (
    CLUSTER,
    COMPOSE,
    REGION,
    ROLE,
    account,
    make_service,
    run_at_once,
)
from bench.table import Row, spread
from compose_ecs_deploy.aws.client import Aws
from compose_ecs_deploy.faces.cli import main
from compose_ecs_deploy.loading.inputs import prepare
from compose_ecs_deploy.pipeline.preflight import warm_clients
from compose_ecs_deploy.report.console import ConsoleLog
from compose_ecs_deploy.settings import TIME_SCALE, Settings, time_scale_from
from compose_ecs_deploy.timing import Stopwatch
from compose_ecs_deploy.verbs.deploy import deploy

TASK_ROLE = "arn:aws:iam::123456789012:role/fleet-task"
FAMILY_SIZE = 200
KEEP = 10
WRITES = ("RegisterTaskDefinition", "DeregisterTaskDefinition", "UpdateService", "CreateService")


@contextlib.contextmanager
def _pointed_at(url: str) -> Any:
    """This process's AWS calls go to `url` (the proxy) for the block."""
    before = os.environ.get("AWS_ENDPOINT_URL")
    os.environ["AWS_ENDPOINT_URL"] = url
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("AWS_ENDPOINT_URL", None)
        else:
            os.environ["AWS_ENDPOINT_URL"] = before


def _cli(*words: str) -> int:
    """The CLI in this process, its output kept off the table's stdout."""
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        return main(list(words))


def _target(service: str) -> list[str]:
    return ["--cluster", CLUSTER, "--ecs-service", service, "--region", REGION]


def _deploy(compose: Path, service: str, image: str, *extra: str) -> list[str]:
    """`deploy` of the compose file's web, given its image, to `service`."""
    return ["deploy", "-f", str(compose), "--service", "web", *_target(service),
            "--image", f"web={image}", *extra]  # fmt: skip


def _process(words: list[str]) -> list[str]:
    return [sys.executable, "-m", "compose_ecs_deploy", *words]


def rollback_rows(ecs: Any, url: str, compose: Path) -> list[Row]:
    """Four releases, then three rollbacks in a row (4 -> 3 -> 2 -> 1): each one's wall time
    and calls, with the simulator's one-poll rollout (poll interval 5 s; on the stack a
    hundredth of it, COMPOSE_ECS_DEPLOY_TIME_SCALE)."""
    make_service(ecs, "rb", {"simulator:ticks": "1"})
    proxy = FaultProxy(upstream=url).start()
    times: list[float] = []
    calls: list[Counter[str]] = []
    try:
        with _pointed_at(proxy.url):
            for n in range(1, 5):
                deployed = _cli(*_deploy(compose, "rb", f"example/web:{n}", "--poll-interval", "5"))
                if deployed != 0:
                    raise RuntimeError(f"deploy {n} of the rollback row failed")
            for _ in range(3):
                proxy.forwarded.clear()
                started = time.perf_counter()
                code = _cli("rollback", *_target("rb"), "--poll-interval", "5")
                times.append(time.perf_counter() - started)
                calls.append(Counter(proxy.forwarded))
                if code != 0:
                    raise RuntimeError("a rollback of the bench failed")
    finally:
        proxy.stop()
    writes = [{w: c[w] for w in WRITES if c[w]} for c in calls]
    before_wait = {k: v for k, v in calls[-1].items() if k not in ("DescribeServices", "ListTasks")}
    return [
        Row(
            "rollback: wall time (by history, 1-poll rollout, 3 in a row)",
            statistics.median(times),
            "s",
            spread(times),
            "1 UpdateService, nothing registered",
            all(w == {"UpdateService": 1} for w in writes),
            f"writes per rollback: {writes}; calls of the last: {sum(calls[-1].values())}, "
            f"besides the watch's reads: {dict(sorted(before_wait.items()))}",
        )
    ]


def _settings(compose: Path, image: str, secret: str, *, verify: bool) -> Settings:
    return Settings(
        compose_files=(str(compose),),
        services=("web",),
        cluster=CLUSTER,
        ecs_services=("vf",),
        region=REGION,
        images=(f"web={image}",),
        secrets=(f"DB={secret}", "KEY=/bench/key"),
        poll_interval=1.0,
        max_poll_interval=5.0,
        time_scale=time_scale_from(os.environ),  # the stack's COMPOSE_ECS_DEPLOY_TIME_SCALE
        verify=verify,
        environment=dict(os.environ),
    )


VERIFY_RUNS = int(os.environ.get("BENCH_VERIFY_RUNS", "7"))


def verify_rows(ecs: Any, url: str, compose: Path, secret: str) -> list[Row]:
    """The same deploy (a new image each time, so that each one writes) with and without
    verify, alternating, `BENCH_VERIFY_RUNS` each, in the CLI's order (the session, its
    clients started, the compose files loaded, the deploy): the calls verify adds, its
    phase's time, and what it adds to the deploy's wall time, in this process and as CLI
    processes. Beside each, the same reads made directly with boto3 in this process, to tell
    the machine's load from our code; each of those in-process runs with the bench's own
    objects frozen (`_heap_of_a_process`). The revision has two roles, a Secrets Manager
    secret, an SSM parameter and the default log group."""
    ecs.register_task_definition(
        family="vf", requiresCompatibilities=["FARGATE"], networkMode="awsvpc", cpu="256",
        memory="512", executionRoleArn=ROLE, taskRoleArn=TASK_ROLE,
        containerDefinitions=[{"name": "web", "image": "example/web:0", "essential": True}],
    )  # fmt: skip
    ecs.create_service(
        cluster=CLUSTER, serviceName="vf", taskDefinition="vf", desiredCount=1,
        launchType="FARGATE", tags=[{"key": "simulator:ticks", "value": "1"}],
    )  # fmt: skip
    phase: list[float] = []
    wall: dict[bool, list[float]] = {True: [], False: []}
    direct: list[float] = []
    reads_alone: list[float] = []
    counts: dict[bool, Counter[str]] = {}
    with _pointed_at(url):
        for n in range(2 * VERIFY_RUNS + 1):  # the first (a warm-up) makes the default group
            verify = n % 2 == 1
            settings = _settings(compose, f"example/web:v{n}", secret, verify=verify)
            stopwatch = Stopwatch()
            with _heap_of_a_process():
                started = time.perf_counter()
                aws = Aws(settings.region, max_retries=settings.max_retries)
                warm_clients(aws, settings)
                inputs = prepare(settings)
                done = deploy(aws, settings, inputs, ConsoleLog(stream=io.StringIO()), stopwatch)
                seconds = time.perf_counter() - started
            if not done.result.succeeded:
                raise RuntimeError("a deploy of the verify row failed")
            if n:
                counts[verify] = Counter(aws.calls)
                wall[verify].append(seconds)
            if n and verify:
                phase.append(stopwatch.seconds["verify"])
                with _heap_of_a_process():
                    made, alone = _direct_reads(url, secret)
                direct.append(made)
                reads_alone.append(alone)
    added = counts[True] - counts[False]
    reads = sum(added.values())
    cli_wall, cli_cpu = _cli_deploys(url, compose, secret)
    load = f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    median = statistics.median(phase)
    with_, without = statistics.median(wall[True]), statistics.median(wall[False])
    return [
        Row(
            "verify: reads added to a deploy (2 roles, a secret, a parameter, a log group)",
            float(reads),
            "calls",
            "",
            "<= 6",
            reads <= 6,
            ", ".join(f"{name} {n}" for name, n in sorted(added.items())),
        ),
        Row(
            "verify: its time in a deploy, against moto",
            median,
            "s",
            spread(phase),
            "< 0.3 s",
            median < 0.3,
            f"the verify phase of {len(phase)} deploys (its clients made ahead, while the "
            f"compose files loaded and the plan read ECS; 5 reads in parallel); {load}",
        ),
        Row(
            "verify: added to a deploy's wall time (median with - median without)",
            with_ - without,
            "s",
            "",
            "< 0.3 s",
            with_ - without < 0.3,
            f"{len(wall[True])} deploys with verify {with_:.3f} s ({spread(wall[True])}), "
            f"{len(wall[False])} without {without:.3f} s ({spread(wall[False])}), alternating; "
            "each from its session to its end, compose loading included, with the bench's "
            "own objects frozen from the cycle collector (as in a process of its own)",
        ),
        Row(
            "verify: added to a CLI deploy (its own process: median with - median --no-verify)",
            statistics.median(cli_wall[True]) - statistics.median(cli_wall[False]),
            "s",
            "",
            "< 0.3 s",
            statistics.median(cli_wall[True]) - statistics.median(cli_wall[False]) < 0.3,
            f"{len(cli_wall[True])} `compose-ecs-deploy deploy` with verify "
            f"{statistics.median(cli_wall[True]):.3f} s ({spread(cli_wall[True])}), as many "
            f"with --no-verify {statistics.median(cli_wall[False]):.3f} s "
            f"({spread(cli_wall[False])}), alternating; CPU of the process "
            f"{statistics.median(cli_cpu[True]):.3f} s against "
            f"{statistics.median(cli_cpu[False]):.3f} s",
        ),
        Row(
            "verify's reads made directly with boto3 in the bench process (the machine's share)",
            statistics.median(direct),
            "s",
            spread(direct),
            "",
            None,
            "a new session, its 4 clients, the 5 reads one after another, beside each verify "
            "(the bench's objects frozen likewise); "
            f"the 5 reads alone with clients made: {statistics.median(reads_alone):.3f} s "
            f"({spread(reads_alone)}); {load}",
        ),
    ]


@contextlib.contextmanager
def _heap_of_a_process() -> Iterator[None]:
    """The block runs as if in a process of its own as far as Python's cycle collector goes:
    the bench's own objects (earlier deploys' sessions and models, the rows so far) are
    collected and frozen first, so that the collections the block's allocations start walk
    only what the block made, as in a CLI process. Without it, each botocore model loaded in
    the block started full collections over the bench's heap, which doubled what verify's
    four clients seemed to add (0.25 s against 0.09 s, measured 2026-12-06)."""
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _cli_deploys(
    url: str, compose: Path, secret: str
) -> tuple[dict[bool, list[float]], dict[bool, list[float]]]:
    """The same deploy as the CLI runs it, a process each (imports, compose, plan, the
    checks, the rollout), with verify and with --no-verify, alternating: wall and CPU
    seconds of each process."""
    wall: dict[bool, list[float]] = {True: [], False: []}
    cpu: dict[bool, list[float]] = {True: [], False: []}
    secrets = ["--secret", f"DB={secret}", "--secret", "KEY=/bench/key"]
    for n in range(2 * VERIFY_RUNS):
        verify = n % 2 == 0
        words = _deploy(compose, "vf", f"example/web:cli{n}", *secrets, "--poll-interval", "5")
        before = os.times()
        started = time.perf_counter()
        done = subprocess.run(
            _process(words + ([] if verify else ["--no-verify"])),
            env={**os.environ, "AWS_ENDPOINT_URL": url},
            capture_output=True,
            text=True,
            check=False,
        )
        wall[verify].append(time.perf_counter() - started)
        after = os.times()
        used = after.children_user + after.children_system
        cpu[verify].append(used - before.children_user - before.children_system)
        if done.returncode != 0:
            raise RuntimeError(f"a CLI deploy of the verify row failed: {done.stderr[-500:]}")
    return wall, cpu


def _direct_reads(url: str, secret: str) -> tuple[float, float]:
    """The seconds a plain boto3 script takes for verify's 5 reads: with its clients made
    first, and the reads alone."""
    started = time.perf_counter()
    session = boto3.session.Session(region_name=REGION)
    clients = {
        name: session.client(name, endpoint_url=url)  # type: ignore[call-overload]
        for name in ("iam", "secretsmanager", "ssm", "logs")
    }
    made = time.perf_counter()
    for role in (ROLE, TASK_ROLE):
        clients["iam"].get_role(RoleName=role.rsplit("/", 1)[-1])
    clients["secretsmanager"].describe_secret(SecretId=secret)
    clients["ssm"].get_parameters(Names=["/bench/key"], WithDecryption=False)
    clients["logs"].describe_log_groups(logGroupNamePrefix="/ecs/vf", limit=50)
    ended = time.perf_counter()
    return ended - started, ended - made


def prune_rows(ecs: Any, url: str, compose: Path, tmp: Path) -> list[Row]:
    """`prune --keep 10` of a family of 200 ACTIVE revisions at the product's pace, through
    the account's buckets, with two deploys of other services started 30 s in; the same two
    deploys just before, with nothing else in the account, for comparison."""
    make_service(ecs, "pr", {"simulator:ticks": "1"})
    for n in range(FAMILY_SIZE - 3):
        ecs.register_task_definition(
            family="pr", containerDefinitions=[{"name": "web", "image": f"x:{n}", "memory": 8}]
        )
    for name in ("da", "db"):
        make_service(ecs, name, {"simulator:ticks": "2"})
    proxy = FaultProxy(upstream=url, buckets=AccountBuckets()).start()
    pair = [_process(_deploy(compose, name, f"example/web:{name}-{{}}", "--poll-interval", "1"))
            for name in ("da", "db")]  # fmt: skip
    try:
        begun = time.monotonic()
        alone = run_at_once([[w.format(1) for w in c] for c in pair], proxy.url, tmp)
        alone_times = [end - begun for _, end in alone]
        for release in ("pr-1", "pr-2"):  # two releases: the rollback target is one it keeps
            (done,) = run_at_once([_process(_deploy(compose, "pr", f"example/web:{release}"))],
                                  proxy.url, tmp)  # fmt: skip
            if done[0]:
                raise RuntimeError("a deploy of the prune row's family failed")
        started = time.monotonic()
        prune = subprocess.Popen(
            _process(["prune", *_target("pr"), "--keep", str(KEEP)]),
            env={**os.environ, "AWS_ENDPOINT_URL": proxy.url, TIME_SCALE: "1"},  # real pace
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        time.sleep(30)
        begun = time.monotonic()
        beside = run_at_once([[w.format(2) for w in c] for c in pair], proxy.url, tmp)
        output, _ = prune.communicate(timeout=1800)
        seconds = time.monotonic() - started
    finally:
        proxy.stop()
    assert proxy.buckets is not None
    throttled = dict(proxy.buckets.throttled)
    pages = ecs.get_paginator("list_task_definitions").paginate(
        familyPrefix="pr", status="INACTIVE"
    )
    gone = sum(len(page["taskDefinitionArns"]) for page in pages)
    ok = prune.returncode == 0 and all(code == 0 for code, _ in beside + alone)
    times = [end - begun for _, end in beside]
    said = [line for line in output.splitlines() if line.startswith("deregistered=")]
    return [
        Row(
            f"prune of {FAMILY_SIZE} revisions (--keep {KEEP}) beside 2 deploys, account bucket",
            seconds,
            "s",
            "",
            "both deploys succeed, none throttled into failure",
            ok and not throttled.get("RegisterTaskDefinition"),
            f"prune exit {prune.returncode}, {gone} INACTIVE after it ({', '.join(said)}); "
            "the 2 deploys "
            f"beside it: exit {[c for c, _ in beside]} in {_seconds(times)} (alone, just "
            f"before: {_seconds(alone_times)}); throttled calls: {throttled or 'none'}",
        )
    ]


def _seconds(values: list[float]) -> str:
    return " and ".join(f"{v:.1f}" for v in values) + " s"


@contextlib.contextmanager
def _account() -> Iterator[tuple[Any, str, Path, str, Path]]:
    """The bench's moto with what Terraform made for these rows: the two roles, a secret and
    a parameter; yields the ECS client, moto's URL, the compose file, the secret's ARN and
    a scratch folder."""
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        compose = tmp / "compose.yaml"
        compose.write_text(COMPOSE)
        with account(tmp) as (ecs, url):
            clients = {
                name: boto3.client(name, endpoint_url=url, region_name=REGION)  # type: ignore[call-overload]
                for name in ("iam", "secretsmanager", "ssm")
            }
            terraform.roles(clients["iam"], ROLE, TASK_ROLE)
            secret = clients["secretsmanager"].create_secret(Name="bench/db", SecretString="x")
            clients["ssm"].put_parameter(Name="/bench/key", Value="k", Type="SecureString")
            yield ecs, url, compose, str(secret["ARN"]), tmp


def daytwo_rows(_lab: object = None) -> list[Row]:
    with _account() as (ecs, url, compose, secret, tmp):
        rows = rollback_rows(ecs, url, compose)
        rows += verify_rows(ecs, url, compose, secret)
        rows += prune_rows(ecs, url, compose, tmp)
    return rows


def verify_only_rows(_lab: object = None) -> list[Row]:
    """The verify rows alone (the whole group takes ~7 minutes, for the prune)."""
    with _account() as (ecs, url, compose, secret, _):
        return verify_rows(ecs, url, compose, secret)
