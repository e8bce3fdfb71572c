"""Hostile input to the verbs added since the corpus (issue #22): rollback, status, prune,
init and verify, through the CLI, each checked as tests/deploy/test_hostile.py checks a
deploy (exit 1, an `error:` line, no traceback, no secret, nothing the runner would execute,
under 30 s) and, after all of them, nothing written: the service still runs its revision
with its one deployment, and no revision was registered or deregistered. (`preview down` of
a hostile name makes it an ECS service name, verdicts/express.preview_name, and finds no
preview to delete: exit 0, so it is not a case here.)

The service has a second revision it does not run, so that a rollback `--to 2` would write
(an UpdateService) if its options let it: a poll interval of 1e300 once passed and crashed
the watch after the write.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.deploy.conftest import CLUSTER, EXECUTION_ROLE, World
from tests.deploy.test_hostile import CANARY, PAYLOADS, Case, _problems
from tests.support.forker import Job, run_all

pytestmark = pytest.mark.stack

TARGET = ["--cluster", CLUSTER, "--ecs-service", "web"]
NUMBERS = ("1e300", "inf", "nan", "0", "-5")


def cases() -> list[tuple[Case, list[str], dict[str, str]]]:
    """(case, argv, files or specials to make in its directory)."""
    found: list[tuple[Case, list[str], dict[str, str]]] = []

    def add(case_id: str, argv: list[str], expect: tuple[str, ...] = (), **special: str) -> None:
        found.append((Case(case_id, expect=expect), argv, special))

    for value in NUMBERS:
        add(f"rollback-poll-interval-{value}", ["rollback", *TARGET, "--to", "2",
            "--poll-interval", value], ("poll-interval",))  # fmt: skip
        add(f"rollback-wait-timeout-{value}", ["rollback", *TARGET, "--to", "2",
            "--wait-timeout", value], ("wait-timeout",))  # fmt: skip
    add("rollback-poll-interval-301", ["rollback", *TARGET, "--to", "2", "--poll-interval",
        "301"], ("poll-interval",))  # fmt: skip
    add("rollback-poll-interval-0.5", ["rollback", *TARGET, "--to", "2", "--poll-interval",
        "0.5"], ("poll-interval",))  # fmt: skip
    add("rollback-wait-timeout-25h", ["rollback", *TARGET, "--to", "2", "--wait-timeout",
        "1441"], ("wait-timeout",))  # fmt: skip
    add("rollback-max-retries-huge", ["rollback", *TARGET, "--to", "2", "--max-retries", "99"],
        ("max-retries",))  # fmt: skip
    for key, payload in PAYLOADS.items():
        add(f"rollback-to-{key}", ["rollback", *TARGET, "--to", payload], ("--to",))
        for verb in ("rollback", "status", "prune", "init"):
            extra = {"prune": ["--keep", "3"], "init": ["-o", "out.yaml"]}.get(verb, [])
            add(f"{verb}-cluster-{key}", [verb, "--cluster", payload, "--ecs-service", "web",
                *extra], ("cluster",))  # fmt: skip
            add(f"{verb}-service-{key}", [verb, "--cluster", CLUSTER, "--ecs-service", payload,
                *extra], ("ECS service",))  # fmt: skip
        add(f"verify-cluster-{key}", ["verify", "-f", "compose.yaml", "--service", "app",
            "--cluster", payload, "--ecs-service", "web"], ("cluster",))  # fmt: skip
    for keep in ("0", "-1"):
        add(f"prune-keep-{keep}", ["prune", *TARGET, "--keep", keep], ("--keep",))
    for option in ("codedeploy-application", "codedeploy-deployment-group"):
        add(f"prune-{option}-long", ["prune", *TARGET, "--keep", "3", f"--{option}", "a" * 101],
            (option, "1 to 100 characters"))  # fmt: skip
    init = ["init", *TARGET, "-o"]
    # a FIFO nobody reads is ENXIO when opened without blocking; a directory EISDIR
    add("init-output-fifo", [*init, "pipe"], ("cannot write",), pipe="fifo")
    add("init-output-directory", [*init, "."], ("cannot write",))
    add("init-output-proc", [*init, "/proc/self/environ"], ("system directory",))
    add("init-output-dev", [*init, "/dev/full"], ("system directory",))
    add("init-output-link-to-dev", [*init, "z"], ("system directory",), z="/dev/null")
    return found


def test_the_corpus_is_named_once() -> None:
    ids = [case.id for case, _, _ in cases()]
    assert len(ids) == len(set(ids)) and len(ids) >= 60


def test_hostile_input_to_the_day_two_verbs_stops_cleanly_and_writes_nothing(
    world: World, aws_env: dict[str, str], tmp_path: Path
) -> None:
    first = world.service("web")
    world.ecs.register_task_definition(
        family="web", requiresCompatibilities=["FARGATE"], networkMode="awsvpc", cpu="256",
        memory="512", executionRoleArn=EXECUTION_ROLE,
        containerDefinitions=[{"name": "app", "image": "example/app:2", "essential": True}],
    )  # fmt: skip
    revisions = world.revisions("web")
    environment = {**os.environ, **aws_env, "CANARY_TOKEN": CANARY}
    secrets = [CANARY, aws_env["AWS_SECRET_ACCESS_KEY"]]
    jobs, run = [], cases()
    for case, argv, special in run:
        directory = tmp_path / case.id
        directory.mkdir()
        (directory / "compose.yaml").write_text((world.workdir / "compose.yaml").read_text())
        for name, kind in special.items():
            if kind == "fifo":
                os.mkfifo(directory / name)
            else:
                (directory / name).symlink_to(kind)
        jobs.append(Job("cli", argv, str(directory), environment))
    problems = []
    for (case, _, _), job, result in zip(run, jobs, run_all(jobs), strict=True):
        problems += _problems(case, "cli", result, Path(job.cwd), secrets)
    assert not problems, f"{len(problems)} runs went wrong:\n" + "\n".join(problems)
    service = world.running("web")
    assert service["taskDefinition"] == first and len(service["deployments"]) == 1
    assert world.revisions("web") == revisions
