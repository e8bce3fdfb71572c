"""Why a task failed, in the deploy's own log: the hint and the failed container's last lines,
read with a real GetLogEvents from the stack's moto (the simulator writes what its containers
"printed", tests/support/sim_logs.py)."""

from __future__ import annotations

import textwrap
from typing import Any

import pytest

from compose_ecs_deploy.report.summary import failure_lines, summary_markdown
from tests.deploy.conftest import World
from tests.support.memory_log import MemoryLog
from tests.support.sim_logs import OUTPUTS

pytestmark = pytest.mark.stack
IMAGE = "example/app:2"
GROUP = "/ecs/web"  # the default awslogs group of family web


@pytest.fixture
def logs(aws_client) -> Any:
    return aws_client("logs")


def crash(world: World, logs: Any, *, group: bool = True, **tags: str) -> None:
    if group:
        logs.create_log_group(logGroupName=GROUP)
    world.service("web", scenario="crash-loop", tags={"simulator:exit-code": "3", **tags})


def test_a_crash_loop_shows_the_containers_last_lines_and_a_hint(world: World, logs) -> None:
    crash(world, logs)
    log = MemoryLog()
    deployment, aws = world.deploy(world.settings(images=(f"app={IMAGE}",)), log)
    result = deployment.result.services[0]
    assert result.outcome is not None and result.outcome.kind == "failed"
    tasks = len(result.outcome.tasks)
    assert tasks >= 1 and aws.calls["logs:GetLogEvents"] == tasks  # one call per task

    text = "\n".join(log.lines)
    verdict = next(i for i, line in enumerate(log.lines) if line.startswith("web: failed:"))
    after = log.lines[verdict + 1 :]
    assert after[0].startswith("web: hint: container app exited with code 3"), text
    assert after[1].startswith("web: last 6 log lines of container app"), text
    assert f"awslogs group {GROUP}, stream ecs/app/" in after[1]
    assert after[2:8] == [f"  | {line}" for line in OUTPUTS["traceback"]], text
    rollback = next(i for i, line in enumerate(log.lines) if "rolling back" in line)
    assert rollback > verdict + 7, "the lines come at the verdict, before the rollback"
    assert sum(line.startswith("web: hint:") for line in log.lines) == 1  # one cause, one hint

    [error] = failure_lines(deployment.result)
    assert "container app exited with code 3" in error and "; hint: container app" in error
    summary = summary_markdown(deployment.result, {})
    assert "<details><summary>Last 6 log lines of container app, task" in summary
    assert "KeyError: 'DATABASE_URL'" in summary and "</details>" in summary


def test_log_lines_zero_reads_nothing_and_still_hints(world: World, logs) -> None:
    crash(world, logs)
    log = MemoryLog()
    deployment, aws = world.deploy(world.settings(images=(f"app={IMAGE}",), log_lines=0), log)
    assert aws.calls["logs:GetLogEvents"] == 0
    assert any(line.startswith("web: hint: container app exited") for line in log.lines)
    assert "KeyError" not in "\n".join(log.lines)
    assert "<details>" not in summary_markdown(deployment.result, {})


def test_fewer_lines_when_asked(world: World, logs) -> None:
    crash(world, logs)
    log = MemoryLog()
    world.deploy(world.settings(images=(f"app={IMAGE}",), log_lines=2), log)
    body = [line for line in log.lines if line.startswith("  | ")]
    assert body and body[:2] == [f"  | {line}" for line in OUTPUTS["traceback"][-2:]]
    assert len(body) == 2 * sum("log lines of container" in line for line in log.lines)


def test_a_missing_log_group_is_said_in_one_line(world: World, logs) -> None:
    crash(world, logs, group=False)
    log = MemoryLog()
    # without verify, which would create the default group before the first write
    settings = world.settings(images=(f"app={IMAGE}",), verify=False)
    deployment, aws = world.deploy(settings, log)
    notes = [line for line in log.lines if "of task" in line and "no log lines" in line]
    assert len(notes) == aws.calls["logs:GetLogEvents"] >= 1
    assert GROUP in notes[0]
    assert not deployment.result.succeeded


def test_a_value_the_app_prints_is_masked(world: World, logs) -> None:
    (world.workdir / "compose.yaml").write_text(
        textwrap.dedent("""
        services:
          app:
            image: example/app:1
            environment: {API_TOKEN: tok-1234-abcd-5678, GREETING: hello}
    """)
    )
    crash(world, logs, **{"simulator:output": "prints-its-token"})
    log = MemoryLog()
    deployment, _ = world.deploy(world.settings(images=(f"app={IMAGE}",)), log)
    text = "\n".join(log.lines)
    summary = summary_markdown(deployment.result, {})
    assert "  | config: API_TOKEN=***" in text, text
    assert "  | using token *** for the upstream API" in text
    for where in (text, summary, "\n".join(failure_lines(deployment.result))):
        assert "tok-1234-abcd-5678" not in where


def test_a_firelens_container_says_where_its_logs_went(world: World, logs) -> None:
    (world.workdir / "compose.yaml").write_text(
        textwrap.dedent("""
        services:
          app:
            image: example/app:1
            logging:
              driver: awsfirelens
              options: {Name: cloudwatch, region: us-east-1, log_group_name: /app/firelens,
                        auto_create_group: "true"}
    """)
    )
    crash(world, logs)
    log = MemoryLog()
    deployment, aws = world.deploy(world.settings(images=(f"app={IMAGE}",)), log)
    assert aws.calls["logs:GetLogEvents"] == 0
    note = next(line for line in log.lines if "its logs went to" in line)
    assert (
        "the awsfirelens log driver (options: Name, auto_create_group, log_group_name, "
        "region)" in note
    )
    assert "/app/firelens" not in note and "cloudwatch" not in note
    assert "its logs went to" in summary_markdown(deployment.result, {})


def test_a_deploy_that_works_reads_no_logs(world: World, logs) -> None:
    logs.create_log_group(logGroupName=GROUP)
    world.service("web")
    deployment, aws = world.deploy(world.settings(images=(f"app={IMAGE}",)))
    assert deployment.result.succeeded
    assert aws.calls["logs:GetLogEvents"] == 0
    assert not deployment.result.services[0].diagnoses
