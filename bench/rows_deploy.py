"""Rows about one deploy of the test app: where its time goes, which API calls it makes, how
long the CLI takes when nothing is built, and how much memory a full deploy needs.

Every service is tagged `simulator:ticks=1`, so the rollout completes at the first poll and
what is measured is the tool, not a simulated wait.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from collections import Counter
from collections.abc import Callable, Mapping
from pathlib import Path

from bench.lab import CLI, HELLO, ROOT, Lab, LabError, Run, new_sha
from bench.table import Row, spread, time_row
from compose_ecs_deploy.compose.taskdef import strip_read_only

RUNS = 5
WRITES = frozenset(
    {"ecs:RegisterTaskDefinition", "ecs:UpdateService", "ecr:CreateRepository", "ecr:PutImage"}
)
PHASES = (
    ("load", "load (docker compose config)"),
    ("plan", "plan (read the service, validate)"),
    ("build", "build (docker compose build, cache from the previous image)"),
    ("push", "push"),
    ("register", "register"),
    ("update", "update"),
    ("wait", "wait (rollout done at the first poll)"),
)


# --------------------------------------------------------------------------- 1. phases


def phase_rows(lab: Lab) -> list[Row]:
    """Median and spread of each phase over RUNS deploys, each of a new commit (a new tag,
    so each really builds and pushes), after one unmeasured deploy that put the app's
    layers into the repository (the steady state of a project that deploys often)."""
    service, repository = lab.service("phases"), lab.repository("phases")

    def once() -> Run:
        run = lab.deploy(lab.settings(service, ecr_repositories=(repository,), image_tag=new_sha()))
        if any(image.reused for image in run.deployment.images.values()):
            raise LabError("a new tag was found in ECR already; nothing was built")
        return run

    once()
    runs = [once() for _ in range(RUNS)]
    rows = []
    for key, label in PHASES:
        values = [
            r.load_seconds if key == "load" else r.deployment.phases.get(key, 0.0) for r in runs
        ]
        rows.append(time_row(f"deploy phase: {label}", values, None))
    rows.append(
        time_row(
            "deploy: whole (prepare + deploy, in-process)",
            [r.seconds for r in runs],
            None,
            detail="test app, new tag each run, simulator:ticks=1",
        )
    )
    return rows


# --------------------------------------------------------------------------- 2. API calls


def by_name(calls: Mapping[str, int], prefix: str = "") -> str:
    """`DescribeServices 2, UpdateService 1` for the calls under `prefix` (e.g. `ecs:`)."""
    items = sorted((k, v) for k, v in calls.items() if k.startswith(prefix) and v)
    return ", ".join(f"{k.removeprefix(prefix)} {v}" for k, v in items) or "none"


def ecs_count(calls: Mapping[str, int]) -> int:
    return sum(v for k, v in calls.items() if k.startswith("ecs:"))


def call_detail(run: Run) -> str:
    other = Counter({k: v for k, v in run.aws.calls.items() if not k.startswith("ecs:")})
    return (
        f"ECS before wait: {by_name(run.before_wait, 'ecs:')}; "
        f"wait: {by_name(run.during_wait, 'ecs:')}; other: {by_name(other)}"
    )


def changed_row(name: str, run: Run, services: int = 1) -> Row:
    """Issue 5: <= 4 ECS calls per changed service before waiting, then one
    DescribeServices per poll (for all services), DescribeTasks only when tasks stopped; and,
    since issue 23, at most one ListTasks per service and poll (README, "A fleet in one
    account": the stopped tasks are read when the counts show a stop or the rollout ends)."""
    before = ecs_count(run.before_wait)
    waited = run.during_wait
    polls_ok = (
        set(waited) <= {"ecs:DescribeServices", "ecs:ListTasks"}
        and waited["ecs:DescribeServices"] == 1
        and waited["ecs:ListTasks"] <= services
    )
    target = (
        f"ECS <= {4 * services} before wait, 1 DescribeServices per poll "
        "(+ 1 ListTasks a service), no DescribeTasks"
    )
    return Row(
        name,
        float(sum(run.aws.calls.values())),
        "calls",
        "",
        target,
        before <= 4 * services and polls_ok,
        call_detail(run),
    )


def unchanged_row(name: str, run: Run) -> Row:
    """Issue 5: nothing changed means at most 2 ECS calls and no write (and no push)."""
    ecs = ecs_count(run.aws.calls)
    pushed = [s for s, image in run.deployment.images.items() if not image.reused]
    writes = sorted(set(run.aws.calls) & WRITES)
    detail = call_detail(run) + (
        f"; pushed {', '.join(pushed)}" if pushed else "; nothing built or pushed"
    )
    return Row(
        name,
        float(sum(run.aws.calls.values())),
        "calls",
        "",
        "ECS <= 2, no write",
        ecs <= 2 and not writes and not pushed,
        detail,
    )


TWO_SERVICES = """\
    services:
      app:
        image: example/app:1
        ports: ["8080:8080"]
        environment: {GREETING: hello}
      worker:
        image: example/worker:1
        environment: {QUEUE: jobs}
    """


def call_rows(lab: Lab) -> list[Row]:
    """API calls by name for the four deploys issue 8 names, counted by `Aws.calls`."""
    service, repository, sha = lab.service("calls"), lab.repository("calls"), new_sha()
    settings = lab.settings(service, ecr_repositories=(repository,), image_tag=sha)
    first = lab.deploy(settings)
    again = lab.deploy(settings)
    given = lab.deploy(lab.settings(service, images=(f"web={lab.running_image(service)}",)))
    rows = [
        changed_row("API calls: first deploy (build, push, register, update)", first),
        unchanged_row("API calls: re-run of the same SHA", again),
        unchanged_row("API calls: no change (same image given)", given),
    ]
    web, worker = lab.service("calls-web", ("app",)), lab.service("calls-worker", ("worker",))
    with tempfile.TemporaryDirectory() as tmp:
        compose = Path(tmp) / "compose.yaml"
        compose.write_text(textwrap.dedent(TWO_SERVICES))
        two = lab.deploy(
            lab.settings(
                web,
                compose_files=(str(compose),),
                services=(),
                secrets=(),
                ecs_services=(f"{web}=app", f"{worker}=worker"),
                images=("app=example/app:2", "worker=example/worker:2"),
            )
        )
    rows.append(changed_row("API calls: two ECS services (web=app, worker=worker)", two, 2))
    return rows


# --------------------------------------------------------------------------- 3. CLI time


def timed(argv: list[str], check: Callable[[subprocess.CompletedProcess[str]], None]) -> float:
    """Wall time of one subprocess, from spawn to exit."""
    started = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, cwd=ROOT, timeout=300, check=False)
    seconds = time.perf_counter() - started
    check(done)
    return seconds


def must_succeed(done: subprocess.CompletedProcess[str]) -> None:
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        raise LabError(f"{Path(done.args[0]).name} exited {done.returncode}: " + " | ".join(tail))


def cli_argv(lab: Lab, service: str, *extra: str) -> list[str]:
    return [
        str(CLI),
        "deploy",
        "-f",
        str(HELLO / "compose.yaml"),
        "--service",
        "web",
        "--cluster",
        lab.cluster(),
        "--ecs-service",
        service,
        "--region",
        lab.region,
        *extra,
    ]


def cli_rows(lab: Lab) -> list[Row]:
    """`compose-ecs-deploy deploy` with the image given (a new one each run, so each run
    registers and rolls out), against the seed's deploy half doing the same as a script."""
    service = lab.service("cli")
    registry = lab.info.registry_host
    ours = [
        # an image outside ECR: nothing pushes it, and verify says SKIP for it (issue 25)
        timed(cli_argv(lab, service, "--image", f"web=example/hello-cli:{n}"), must_succeed)
        for n in range(RUNS)
    ]
    seed_service = lab.service("cli-seed")
    described = lab.client("ecs").describe_task_definition(
        taskDefinition=f"{service}", include=["TAGS"]
    )
    request = strip_read_only(described)
    request["family"] = seed_service
    seed = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in range(RUNS):
            for container in request["containerDefinitions"]:
                if container["name"] == "web":
                    container["image"] = f"{registry}/hello-seed:{n}"
            path = Path(tmp) / f"taskdef-{n}.json"
            path.write_text(json.dumps(request))
            seed.append(
                timed(
                    [
                        sys.executable,
                        "-m",
                        "bench.seed_pipeline",
                        "deploy",
                        "--task-definition",
                        str(path),
                        "--cluster",
                        lab.cluster(),
                        "--service",
                        seed_service,
                    ],
                    must_succeed,
                )
            )
    ratio = statistics.median(ours) / statistics.median(seed)
    return [
        time_row(
            "CLI deploy, image given, rollout done at first poll",
            ours,
            0.8,
            detail="subprocess wall time; new image each run: register + update + 1 poll",
        ),
        time_row(
            "for scale: seed script deploy half (register, update, 1 describe)",
            seed,
            None,
            no_target="none set",
            detail=f"subprocess, boto3 only; ours/seed {ratio:.2f}x",
        ),
    ]


# --------------------------------------------------------------------------- 5. memory


def peak_rss(argv: list[str]) -> tuple[float, float]:
    """Peak resident memory (MB) of a subprocess and the floor of that measurement: os.wait4's
    ru_maxrss, taken by bench/peak_rss.py (see there why not from this process)."""
    helper = [sys.executable, "-I", "-S", str(ROOT / "bench" / "peak_rss.py")]
    with tempfile.TemporaryDirectory() as tmp:
        result = Path(tmp) / "rss.json"
        done = subprocess.run(
            [*helper, str(result), *argv],
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=600,
            check=False,
        )
        if done.returncode != 0 or not result.exists():
            tail = (done.stdout + done.stderr).strip().splitlines()[-3:]
            raise LabError(f"the deploy exited {done.returncode}: " + " | ".join(tail))
        measured = json.loads(result.read_text())
    return measured["maxrss_kib"] * 1024 / 1e6, measured["floor_kib"] * 1024 / 1e6


def rss_rows(lab: Lab) -> list[Row]:
    """Peak RSS of `compose-ecs-deploy deploy` building, pushing and rolling out the app."""
    service, repository = lab.service("rss"), lab.repository("rss")
    measured = [
        peak_rss(
            cli_argv(
                lab,
                service,
                "--ecr-repository",
                repository,
                "--image-tag",
                new_sha(),
                "--poll-interval",
                "5",
            )
        )
        for _ in range(3)
    ]
    values = [peak for peak, _ in measured]
    median = statistics.median(values)
    return [
        Row(
            "peak RSS of a full deploy (CLI: build, push, roll out)",
            round(median, 1),
            "MB",
            spread(values, "MB"),
            "< 150 MB",
            median < 150,
            "os.wait4 ru_maxrss of the CLI (or its largest child, docker compose), "
            f"forked from a {max(f for _, f in measured):.0f} MB helper; new tag each run",
        )
    ]
