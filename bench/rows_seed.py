"""The seed's manual pipeline (bench/seed_pipeline.py) against ours, side by side: wall time
and API calls for the same kind of change, and what each says when the new tasks crash.

The seed pipeline deploys by pushing `:latest` and forcing a new deployment of the revision
Terraform made (which names `:latest`); it never waits, so a crash loop goes unnoticed.
Ours registers a pinned revision, watches the rollout and names the failing task.
"""

from __future__ import annotations

import contextlib
import io
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from bench import seed_pipeline
from bench.lab import EXECUTION_ROLE, HELLO, ROOT, Lab, new_sha
from bench.rows_deploy import by_name, cli_argv
from bench.table import Row, time_row

RUNS = 3
CRASH_TAGS = {
    "simulator:scenario": "crash-loop",
    "simulator:exit-code": "3",
    "simulator:reason": "KeyError: 'DATABASE_URL'",
}
FAILURE_TARGET = "exit 1 naming task, container, exit code"


def counted_clients(lab: Lab) -> tuple[Any, Any, Counter[str]]:
    """The script's boto3 clients, with every call counted by name (botocore's event hook,
    as `Aws.calls` counts ours)."""
    import boto3

    calls: Counter[str] = Counter()

    def count(model: Any, **_: Any) -> None:
        calls[f"{model.service_model.service_name}:{model.name}"] += 1

    clients = []
    for service in ("ecr", "ecs"):
        client = boto3.client(
            service,
            endpoint_url=lab.info.endpoint_url,  # type: ignore[call-overload]
            region_name=lab.region,
        )
        client.meta.events.register("before-call.*.*", count)
        clients.append(client)
    return clients[0], clients[1], calls


def commit(app: Path, line: str) -> None:
    """A one-line change to the app's source."""
    with (app / "app.py").open("a") as source:
        source.write(f"# {line}\n")


def seed_once(lab: Lab, app: Path, repository: str, service: str) -> tuple[float, Counter[str]]:
    started = time.perf_counter()
    ecr, ecs, calls = counted_clients(lab)
    with contextlib.redirect_stdout(io.StringIO()):
        seed_pipeline.pipeline(
            ecr,
            ecs,
            lab.docker,
            context=app,
            repository=repository,
            cluster=lab.cluster(),
            service=service,
            buildargs={"BASE_IMAGE": lab.info.base_image},
        )
    return time.perf_counter() - started, calls


def side_by_side_rows(lab: Lab) -> list[Row]:
    """Wall time and API calls of one deploy of a one-line change, RUNS times each."""
    seed_service, seed_repo = lab.service("seed"), lab.repository("seed")
    our_service, our_repo = lab.service("ours"), lab.repository("ours")
    seed_times: list[float] = []
    our_times: list[float] = []
    seed_calls: Counter[str] = Counter()
    our_calls: Counter[str] = Counter()
    with tempfile.TemporaryDirectory() as tmp:
        seed_app, our_app = Path(tmp) / "seed", Path(tmp) / "ours"
        shutil.copytree(HELLO, seed_app)
        shutil.copytree(HELLO, our_app)
        for n in range(RUNS):
            commit(seed_app, f"seed change {n}")
            seconds, seed_calls = seed_once(lab, seed_app, seed_repo, seed_service)
            seed_times.append(seconds)
            commit(our_app, f"our change {n}")
            run = lab.deploy(
                lab.settings(
                    our_service,
                    ecr_repositories=(our_repo,),
                    compose_files=(str(our_app / "compose.yaml"),),
                    image_tag=new_sha(),
                )
            )
            our_times.append(run.seconds)
            our_calls = run.aws.calls
    ratio = statistics.median(our_times) / statistics.median(seed_times)
    return [
        time_row(
            "seed manual pipeline: one-line change",
            seed_times,
            None,
            no_target="none set",
            detail=f"API calls {sum(seed_calls.values())}: {by_name(seed_calls)}; "
            "does not wait, so it cannot know whether the rollout worked",
        ),
        time_row(
            "ours: the same change",
            our_times,
            None,
            no_target="none set",
            detail=f"API calls {sum(our_calls.values())}: {by_name(our_calls)}; "
            f"includes the wait until the rollout completed; ours/seed "
            f"{ratio:.2f}x",
        ),
    ]


def seed_crash_service(lab: Lab, repository: str) -> str:
    """A service on a revision naming `repo:latest` (Terraform's, as in the seed document),
    rolled out once, then tagged so that the next deployment crash-loops."""
    ecs = lab.client("ecs")
    service = lab.service("seed-crash")
    arn = ecs.register_task_definition(
        family=service,
        requiresCompatibilities=["FARGATE"],
        networkMode="awsvpc",
        cpu="256",
        memory="512",
        executionRoleArn=EXECUTION_ROLE,
        containerDefinitions=[
            {
                "name": "web",
                "essential": True,
                "image": f"{lab.info.registry_host}/{repository}:latest",
                "portMappings": [{"containerPort": 8080}],
            }
        ],
    )["taskDefinition"]["taskDefinitionArn"]
    ecs.update_service(cluster=lab.cluster(), service=service, taskDefinition=arn)
    described = ecs.describe_services(cluster=lab.cluster(), services=[service])
    ecs.tag_resource(
        resourceArn=described["services"][0]["serviceArn"],
        tags=[{"key": k, "value": v} for k, v in CRASH_TAGS.items()],
    )
    return service


def stopped_tasks(lab: Lab, service: str, polls: int = 3) -> int:
    """Let the simulated rollout run a few ticks, then count the tasks ECS stopped."""
    ecs = lab.client("ecs")
    for _ in range(polls):
        ecs.describe_services(cluster=lab.cluster(), services=[service])
    return len(
        ecs.list_tasks(cluster=lab.cluster(), serviceName=service, desiredStatus="STOPPED")[
            "taskArns"
        ]
    )


def mentions_failure(output: str) -> bool:
    """Whether the output reports the crash: an exited container or the stop code. (The
    update-service answer it prints predates the new tasks; its events are about the
    previous rollout and its tags are the simulator's, so they report nothing.)"""
    return any(
        word in output
        for word in (
            "EssentialContainerExited",
            "Essential container",
            "exited with",
            "exit code 3",
        )
    )


def crash_rows(lab: Lab) -> list[Row]:
    """Both deploy a new image whose tasks crash (exit code 3); what does each say?"""
    seed_repo = lab.repository("seed-crash")
    seed_service = seed_crash_service(lab, seed_repo)
    seed = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.seed_pipeline",
            "pipeline",
            "--context",
            str(HELLO),
            "--repository",
            seed_repo,
            "--cluster",
            lab.cluster(),
            "--service",
            seed_service,
            "--build-arg",
            f"BASE_IMAGE={lab.info.base_image}",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
        check=False,
    )
    output = seed.stdout + seed.stderr
    stopped = stopped_tasks(lab, seed_service)
    said = (
        "names the failure"
        if mentions_failure(output)
        else f"says nothing of it ({len(output.splitlines())} lines of build, push and "
        "update-service output)"
    )
    seed_row = Row(
        "on a crash loop: seed manual pipeline",
        float(seed.returncode),
        "",
        "",
        FAILURE_TARGET,
        seed.returncode == 1 and mentions_failure(output),
        f"{said}; meanwhile ECS stopped {stopped} tasks of the new deployment",
        text=f"exit {seed.returncode}",
    )

    our_service = lab.service("ours-crash", tags=CRASH_TAGS)
    ours = subprocess.run(
        cli_argv(
            lab,
            our_service,
            "--ecr-repository",
            lab.repository("ours-crash"),
            "--image-tag",
            new_sha(),
            "--poll-interval",
            "5",
        ),
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
        check=False,
    )
    errors = [line for line in ours.stderr.splitlines() if line.startswith("error:")]
    line = errors[0] if errors else "(no error line)"
    named = all(part in line for part in ("task ", "container web", "code 3"))
    our_row = Row(
        "on a crash loop: ours",
        float(ours.returncode),
        "",
        "",
        FAILURE_TARGET,
        ours.returncode == 1 and named,
        line,
        text=f"exit {ours.returncode}",
    )
    return [seed_row, our_row]


def seed_rows(lab: Lab) -> list[Row]:
    return side_by_side_rows(lab) + crash_rows(lab)
