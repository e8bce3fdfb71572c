"""Rows about the rollout watch: how fast a crash is seen, what a poll costs, and that a
flaky start is not a failure.

Each deploy gives the image (nothing is built) to a service of desired count 2 whose rollout
the simulator plays by its tags; the sequence of ECS reads is recorded from botocore's
before-call event, and a poll is one DescribeServices with the reads that follow it.
"""

from __future__ import annotations

from typing import Any

from tests.support.memory_log import MemoryLog

from bench.lab import ACCOUNT, EXECUTION_ROLE, HELLO, Lab
from bench.table import Row, spread
from compose_ecs_deploy.aws.client import Aws
from compose_ecs_deploy.loading.inputs import prepare
from compose_ecs_deploy.verbs.deploy import Deployment, deploy

RUNS = 5


def _service(lab: Lab, what: str, tags: dict[str, str]) -> str:
    """A first revision and a steady service of two tasks, tagged with the scenario."""
    ecs = lab.client("ecs")
    name = lab.name(what)
    arn = ecs.register_task_definition(
        family=name,
        requiresCompatibilities=["FARGATE"],
        networkMode="awsvpc",
        cpu="256",
        memory="512",
        executionRoleArn=EXECUTION_ROLE,
        containerDefinitions=[
            {
                "name": "web",
                "image": f"{ACCOUNT}.example/web:0",
                "essential": True,
                "portMappings": [{"containerPort": 8080}],
            }
        ],
    )["taskDefinition"]["taskDefinitionArn"]
    ecs.create_service(
        cluster=lab.cluster(),
        serviceName=name,
        taskDefinition=arn,
        desiredCount=2,
        launchType="FARGATE",
        tags=[{"key": k, "value": v} for k, v in tags.items()],
    )
    return name


def _deploy(lab: Lab, service: str) -> tuple[Deployment, list[str]]:
    """One deploy without a build or a rollback; returns it and its ECS reads in order."""
    settings = lab.settings(
        service,
        images=(f"web={HELLO.name}-web:bench",),
        rollback_on_failure=False,
        wait_timeout_minutes=1.0,
    )
    aws = Aws(settings.region, max_retries=settings.max_retries)
    reads: list[str] = []

    def record(model: Any, **_: Any) -> None:
        reads.append(model.name)

    aws.client("ecs").meta.events.register("before-call.ecs.*", record)
    deployment = deploy(aws, settings, prepare(settings), MemoryLog())
    return deployment, reads


def _polls(reads: list[str]) -> list[list[str]]:
    """The reads split into polls; the plan's DescribeServices (the first) is not a poll."""
    polls: list[list[str]] = []
    for name in reads[1:]:
        if name == "DescribeServices":
            polls.append([])
        if polls:
            polls[-1].append(name)
    return polls


def crash_rows(lab: Lab) -> list[Row]:
    """Polls from the first poll that sees a stopped task to the verdict, for tasks that run
    and then exit with no health check (failedTasks stays 0); and the calls of each poll."""
    counts: list[float] = []
    per_poll: list[int] = []
    for index in range(RUNS):
        service = _service(
            lab,
            f"crash-{index}",
            {"simulator:scenario": "crash-after-running", "simulator:exit-code": "3"},
        )
        deployment, reads = _deploy(lab, service)
        outcome = deployment.result.services[0].outcome
        polls = _polls(reads)
        per_poll += [sum(1 for r in p if r in ("DescribeServices", "ListTasks")) for p in polls]
        first = next((i for i, p in enumerate(polls) if "DescribeTasks" in p), None)
        if outcome is None or outcome.kind != "failed" or first is None:
            return [
                Row(
                    "rollout: polls from first stopped task to verdict",
                    None,
                    "",
                    "",
                    "<= 2",
                    False,
                    detail=f"no failure verdict: {outcome}",
                )
            ]
        counts.append(len(polls) - first)
    worst = max(counts)
    calls = max(per_poll)
    return [
        Row(
            "rollout: polls from first stopped task to verdict (crash after running, no "
            "health check)",
            worst,
            "polls",
            spread(counts, "polls"),
            "<= 2",
            worst <= 2,
            detail=f"worst of {RUNS} deploys, desired 2; failedTasks stays 0 in them",
        ),
        Row(
            "rollout: calls per poll (DescribeServices + ListTasks)",
            calls,
            "calls",
            spread([float(c) for c in per_poll], "calls"),
            "<= 2",
            calls <= 2,
            detail="most in any poll of those deploys; DescribeTasks only for new ARNs",
        ),
    ]


def flaky_rows(lab: Lab) -> list[Row]:
    """Deploys whose first task fails to start on an i/o timeout, or whose tasks wait for
    capacity: none may be reported as failed."""
    false_failures = 0
    runs = 0
    for scenario in ("flaky-start", "capacity"):
        for index in range(RUNS):
            service = _service(lab, f"{scenario}-{index}", {"simulator:scenario": scenario})
            deployment, _ = _deploy(lab, service)
            runs += 1
            false_failures += not deployment.result.succeeded
    return [
        Row(
            "rollout: false failures (flaky start, capacity wait)",
            false_failures,
            "",
            "",
            "0",
            false_failures == 0,
            detail=f"{runs} deploys: {RUNS} flaky-start, {RUNS} capacity",
        )
    ]


def rollout_rows(lab: Lab) -> list[Row]:
    return crash_rows(lab) + flaky_rows(lab)
