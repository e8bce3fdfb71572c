"""Where a container logged, and the masking of its lines."""

from __future__ import annotations

from compose_ecs_deploy.report.redact import MASK, mask
from compose_ecs_deploy.rollout.verdicts.container_logs import log_place

TASK_ID = "0c9f1e2d3b4a49d1a2b3c4d5e6f70819"


def revision(log_configuration: dict | None) -> dict:
    container = {"name": "web", "image": "app:1"}
    if log_configuration is not None:
        container["logConfiguration"] = log_configuration
    return {"containerDefinitions": [container]}


def test_awslogs_names_the_stream_prefix_container_task() -> None:
    place = log_place(
        revision(
            {
                "logDriver": "awslogs",
                "options": {
                    "awslogs-group": "/ecs/app",
                    "awslogs-region": "eu-west-1",
                    "awslogs-stream-prefix": "ecs",
                },
            }
        ),
        "web",
        TASK_ID,
        "us-east-1",
    )
    assert place.readable
    assert (place.group, place.region, place.stream) == (
        "/ecs/app",
        "eu-west-1",
        f"ecs/web/{TASK_ID}",
    )


def test_awslogs_without_a_region_uses_the_deploy_region() -> None:
    place = log_place(
        revision(
            {
                "logDriver": "awslogs",
                "options": {"awslogs-group": "/ecs/app", "awslogs-stream-prefix": "p"},
            }
        ),
        "web",
        TASK_ID,
        "us-east-1",
    )
    assert place.region == "us-east-1"


def test_awslogs_without_a_prefix_cannot_be_read_and_says_why() -> None:
    place = log_place(
        revision(
            {
                "logDriver": "awslogs",
                "options": {"awslogs-group": "/ecs/app", "awslogs-region": "eu-west-1"},
            }
        ),
        "web",
        TASK_ID,
        "x",
    )
    assert not place.readable
    assert "awslogs-stream-prefix" in place.describe() and "/ecs/app" in place.describe()


def test_other_drivers_name_their_options_never_their_values() -> None:
    place = log_place(
        revision(
            {
                "logDriver": "splunk",
                "options": {
                    "splunk-url": "https://splunk.example.com:8088",
                    "splunk-token": "tok-12345678",
                },
                "secretOptions": [{"name": "splunk-token", "valueFrom": "arn:aws:ssm:x"}],
            }
        ),
        "web",
        TASK_ID,
        "x",
    )
    text = place.describe()
    assert not place.readable
    assert "splunk" in text and "splunk-url" in text and "splunk-token" in text
    assert "example.com" not in text and "tok-12345678" not in text and "arn:" not in text


def test_no_log_configuration_says_so() -> None:
    assert "no logConfiguration" in log_place(revision(None), "web", TASK_ID, "x").describe()


def test_known_values_are_masked_longest_first() -> None:
    known = ["abcd1234", "abcd1234efgh"]
    assert mask("token abcd1234 and abcd1234efgh", known) == f"token {MASK} and {MASK}"
    assert mask("nothing here", known) == "nothing here"


def test_very_short_values_are_not_masked_everywhere() -> None:
    assert mask("a b c", ["a"]) == "a b c"


def test_secret_looking_names_have_their_printed_values_masked() -> None:
    assert mask("API_TOKEN=s3cr3t-value started") == f"API_TOKEN={MASK} started"
    assert mask('{"db_password": "hunter2!", "user": "app"}') == (
        f'{{"db_password": "{MASK}", "user": "app"}}'
    )
    assert mask("Authorization: Bearer") == f"Authorization: {MASK}"
    assert mask("GREETING=hello") == "GREETING=hello"


def test_passwords_in_urls_are_masked() -> None:
    assert mask("connecting to postgres://app:pa55word@db:5432/app") == (
        f"connecting to postgres://app:{MASK}@db:5432/app"
    )


def test_an_apps_line_is_never_a_workflow_command_and_one_cause_is_hinted_once() -> None:
    from compose_ecs_deploy.rollout.failure import ContainerLog, Diagnosis, format_diagnosis
    from compose_ecs_deploy.rollout.verdicts.hints import Hint

    hint = Hint("exited", "container web exited with code 3 by itself")
    said: set[str] = set()
    first = format_diagnosis(
        "svc",
        Diagnosis(
            "t1",
            hint,
            ContainerLog(
                "web", "t1", "awslogs group g, stream s (r)", lines=("::error::not ours", "ok")
            ),
        ),
        said,
    )
    assert first == [
        "svc: hint: container web exited with code 3 by itself",
        "svc: last 2 log lines of container web, task t1 (awslogs group g, stream s (r)):",
        "  | ::error::not ours",
        "  | ok",
    ]
    second = format_diagnosis(
        "svc",
        Diagnosis(
            "t2", hint, ContainerLog("web", "t2", "p", note="no log lines: the stream s is empty")
        ),
        said,
    )
    assert second == ["svc: container web of task t2: no log lines: the stream s is empty"]
