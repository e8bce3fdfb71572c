"""Why it failed, through the action as the runner runs it: a crash-looping deploy's log and
job summary show the failed container's last lines (read with a real GetLogEvents from the
stack's moto, where the simulator wrote what the container printed) and the hint; a value the
app printed is masked; a firelens container says where its logs went; and a role denied
logs:GetLogEvents still fails with ECS's reason and says what to add.

The deploys use an existing image (input `images`), so nothing is built: what is tested is the
failure path, not the build.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from compose_ecs_deploy.report.safe_text import markdown
from tests.action.test_runner_harness import CLUSTER, EXECUTION_ROLE, SERVICE, SHA, run
from tests.deploy.test_iam import (
    SETUP_CALLS,
    admin_session,
    as_moto_checks_it,
    policy,
    user_with,
)
from tests.support import runner, terraform
from tests.support.moto_process import moto_server
from tests.support.sim_logs import OUTPUTS

pytestmark = pytest.mark.stack
GROUP = f"/ecs/{SERVICE}"  # the default awslogs group of the family
INPUTS = {
    "compose-file": "compose.yaml",
    "images": "web=example/hello:2",
    "cluster": CLUSTER,
    "ecs-service": SERVICE,
    "aws-region": "us-east-1",
    "rollback-on-failure": "false",
}


def crash_loop(client: Any, **tags: str) -> None:
    """What Terraform made, with a service whose new tasks exit 3, and the log group."""
    ecs = client("ecs")
    ecs.create_cluster(clusterName=CLUSTER)
    first = terraform.first_revision(ecs, SERVICE, EXECUTION_ROLE, iam=client("iam"))
    scenario = {"simulator:scenario": "crash-loop", "simulator:exit-code": "3"}
    terraform.service(ecs, CLUSTER, SERVICE, first, tags={**scenario, **tags})
    client("logs").create_log_group(logGroupName=GROUP)


def test_a_crash_loop_shows_the_last_lines_and_the_hint(
    action, stack, docker_client, aws_env, aws_client, workspace
) -> None:
    crash_loop(aws_client)
    result = run(action, stack, docker_client, workspace, **INPUTS)
    assert result.exit_code == 1, result.describe()
    lines = [line for line in result.stdout.splitlines() if not line.startswith("::")]
    verdict = next(i for i, line in enumerate(lines) if line.startswith(f"{SERVICE}: failed:"))
    assert lines[verdict + 1].startswith(f"{SERVICE}: hint: container web exited with code 3")
    assert lines[verdict + 2].startswith(f"{SERVICE}: last 6 log lines of container web")
    assert lines[verdict + 3 : verdict + 9] == [f"  | {line}" for line in OUTPUTS["traceback"]]

    summary = result.summary
    assert "<details><summary>Last 6 log lines of container web, task" in summary, summary
    assert "KeyError: 'DATABASE_URL'" in summary and "</details>" in summary
    assert "hint: container web exited with code 3" in summary
    [error] = result.annotations("error")
    assert "EssentialContainerExited" in error.message and "hint:" in error.message


def test_a_secret_looking_value_the_app_prints_is_masked(
    action, stack, docker_client, aws_env, aws_client, workspace
) -> None:
    value = "dev-only-token"  # tests/apps/hello's plain API_TOKEN: a secret-looking name
    assert value in (workspace / "compose.yaml").read_text()
    crash_loop(aws_client, **{"simulator:output": "prints-its-token"})
    result = run(action, stack, docker_client, workspace, **INPUTS)
    assert result.exit_code == 1, result.describe()
    assert "  | config: API_TOKEN=***" in result.stdout, result.describe()
    assert "  | using token *** for the upstream API" in result.stdout
    assert "config: API_TOKEN=***" in result.summary
    leaking = [
        line
        for line in result.stdout.splitlines()
        if value in line and not line.startswith("::add-mask")
    ]
    assert leaking == [], leaking
    for where in (result.stderr, result.summary):
        assert value not in where


def test_a_firelens_container_says_where_its_logs_went(
    action, stack, docker_client, aws_env, aws_client, workspace
) -> None:
    compose = workspace / "compose.yaml"
    compose.write_text(
        compose.read_text().replace(
            "    ports:\n",
            (
                "    logging:\n      driver: awsfirelens\n      options:\n"
                "        Name: cloudwatch\n        log_group_name: /app/firelens\n    ports:\n"
            ),
            1,
        )
    )
    crash_loop(aws_client)
    result = run(action, stack, docker_client, workspace, **INPUTS)
    assert result.exit_code == 1, result.describe()
    where = "its logs went to the awsfirelens log driver (options: Name, log_group_name)"
    [line] = [line for line in result.stdout.splitlines() if where in line]
    assert "/app/firelens" not in line and "cloudwatch" not in line
    assert where in result.summary


@pytest.fixture
def enforced_moto(tmp_path: Path) -> Any:
    """A moto of our own with IAM enforced after the admin's three set-up calls."""
    with moto_server(
        tmp_path / "moto.log", {"INITIAL_NO_AUTH_ACTION_COUNT": str(SETUP_CALLS)}
    ) as url:
        admin = admin_session(url, "us-east-1")
        yield url, admin


def test_a_role_denied_the_log_read_still_fails_with_the_reason_and_says_what_to_add(
    action, stack, docker_client, aws_env, workspace, enforced_moto
) -> None:
    url, admin = enforced_moto
    crash_loop(lambda service: admin.client(service, endpoint_url=url))
    credentials = user_with(
        {"iam": admin.client("iam", endpoint_url=url)},
        as_moto_checks_it(policy("unused", without="OptionalFailedTaskLogs")),
    )
    result = runner.run_action(
        action.tag,
        workspace,
        INPUTS,
        stack=stack,
        client=docker_client,
        github=runner.GitHub(repository="example/hello", sha=SHA),
        env={"AWS_ENDPOINT_URL": url, **credentials},
    )
    assert result.exit_code == 1, result.describe()
    [error] = result.annotations("error")
    assert "EssentialContainerExited" in error.message
    assert "container web exited with code 3" in error.message
    needed = (
        f"logs:GetLogEvents was denied; add logs:GetLogEvents on arn:aws:logs:us-east-1:"
        f"123456789012:log-group:{GROUP}:* to the deploy role's policy (statement "
        "OptionalFailedTaskLogs in docs/iam-policy.json)"
    )
    assert needed in result.stdout, result.describe()
    # the summary writes text we did not make through its Markdown escaper (`*` → `&#42;`)
    assert markdown(needed) in result.summary
    assert "KeyError" not in result.stdout
