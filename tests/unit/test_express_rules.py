"""Express's pure rules (rollout/verdicts/express.py): the task renamed to Main and back, what
Express cannot hold, a preview's service name, the URL, and the sweep's reasons."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from compose_ecs_deploy.errors import InputError
from compose_ecs_deploy.rollout.verdicts import express
from compose_ecs_deploy.verbs.preview import max_age, stale_reason


def request(*containers: dict[str, Any], **task: Any) -> dict[str, Any]:
    return {"family": "web", "containerDefinitions": list(containers), **task}


WEB = {"name": "web", "image": "app:1", "portMappings": [{"containerPort": 8080}]}
WORKER = {
    "name": "worker",
    "image": "w:1",
    "dependsOn": [{"containerName": "web", "condition": "START"}],
}


def test_the_primary_is_registered_as_main_and_its_dependents_follow() -> None:
    shaped = express.to_register(request(WEB, WORKER), "web")
    main, worker = shaped["containerDefinitions"]
    assert main["name"] == "Main"
    assert main["portMappings"] == [{"containerPort": 8080, "name": "http"}]
    assert worker["dependsOn"] == [{"containerName": "Main", "condition": "START"}]
    assert request(WEB, WORKER)["containerDefinitions"][0]["name"] == "web"  # not mutated


def test_a_port_name_the_user_gave_is_kept() -> None:
    named = {**WEB, "portMappings": [{"containerPort": 8080, "name": "api"}]}
    assert express.to_register(request(named), "web")["containerDefinitions"][0][
        "portMappings"
    ] == [{"containerPort": 8080, "name": "api"}]


def test_the_running_revision_is_read_back_under_the_compose_name() -> None:
    running = express.to_register(request(WEB, WORKER), "web")
    assert express.from_running(running, "web") == {
        **request(WEB, WORKER),
        "containerDefinitions": [
            {**WEB, "portMappings": [{"containerPort": 8080, "name": "http"}]},
            WORKER,
        ],
    }


@pytest.mark.parametrize(
    ("ports", "words"),
    [
        ([], "has none"),
        ([{"containerPort": 80}, {"containerPort": 81}], "it has 2 (80, 81)"),
        ([{"containerPort": 53, "protocol": "udp"}], "port 53 is udp"),
    ],
)
def test_what_express_cannot_hold_names_the_field(ports: list[Any], words: str) -> None:
    (problem,) = express.problems(request({**WEB, "portMappings": ports}), "web")
    assert words in problem.message
    assert (problem.service, problem.field) == ("web", "ports")


def test_a_task_that_is_not_for_fargate_and_a_second_main_are_refused() -> None:
    found = express.problems(
        request(WEB, {"name": "Main", "image": "x"}, requiresCompatibilities=["EC2"]), "web"
    )
    assert [p.field for p in found] == [None, "x-ecs.requiresCompatibilities"]
    assert "already has a container Main" in found[0].message


@pytest.mark.parametrize(
    ("service", "name", "expected"),
    [
        ("web", "pr-12", "web-pr-12"),
        ("web", "feature/Login Page", "web-feature-Login-Page"),
        ("web", "--x--", "web-x"),
    ],
)
def test_a_preview_name_follows_ecs_rules(service: str, name: str, expected: str) -> None:
    assert express.preview_name(service, name) == expected


def test_a_long_preview_name_keeps_the_service_whole_and_a_hash() -> None:
    base = "s" * 240
    first = express.preview_name(base, "p" * 30 + "1")
    second = express.preview_name(base, "p" * 30 + "2")
    assert len(first) == len(second) == 255 and first != second
    assert first.startswith(f"{base}-ppp") and second.startswith(f"{base}-ppp")


def test_a_service_name_too_long_for_any_preview_is_refused_without_a_guess() -> None:
    with pytest.raises(ValueError, match="use a shorter ecs-service"):
        express.preview_name("s" * 252, "pr-10")


def test_a_preview_name_needs_a_letter_and_is_not_repeated() -> None:
    with pytest.raises(ValueError, match="no letter") as raised:
        express.preview_name("web", "!!!")
    assert "!!!" not in str(raised.value)


@pytest.mark.parametrize(
    "endpoint",
    [
        "web-abc.ecs.us-east-1.on.aws",
        "https://web-abc.ecs.us-east-1.on.aws",
        "HTTPS://web-abc.ecs.us-east-1.on.aws",
        "http://web-abc.ecs.us-east-1.on.aws",
        " https://https://web-abc.ecs.us-east-1.on.aws ",
    ],
)
def test_the_url_has_https_exactly_once(endpoint: str) -> None:
    assert express.url(endpoint) == "https://web-abc.ecs.us-east-1.on.aws"


def test_no_endpoint_is_no_url() -> None:
    assert express.url("") == "" and express.endpoint_of({}) == ""


NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)


def preview(pull_request: str, days_ago: float) -> dict[str, Any]:
    return {
        "tags": [{"key": "compose-ecs-deploy:pull-request", "value": pull_request}],
        "deployments": [{"createdAt": NOW - timedelta(days=days_ago)}],
    }


def test_the_sweep_deletes_closed_and_stale_previews_only() -> None:
    week = max_age("7d")
    assert stale_reason(preview("7", 1), {"7"}, week, NOW) == ""
    assert stale_reason(preview("8", 1), {"7"}, week, NOW) == "pull request 8 is not open"
    assert "more than 7d ago" in stale_reason(preview("7", 8), {"7"}, week, NOW)
    assert stale_reason(preview("8", 1), None, week, NOW) == ""  # no list: age alone


def updated(service: dict[str, Any], days_ago: float) -> dict[str, Any]:
    stamp = (NOW - timedelta(days=days_ago)).strftime(express.STAMP)
    return {**service, "tags": [*service["tags"], {"key": express.UPDATED_TAG, "value": stamp}]}


def test_the_sweep_judges_age_by_the_updated_at_tag_before_the_last_deployment() -> None:
    week = max_age("7d")
    # updated by `preview up` 2 days ago, though ECS last deployed 9 days ago (same revision)
    assert stale_reason(updated(preview("7", 9), 2), {"7"}, week, NOW) == ""
    reason = stale_reason(updated(preview("7", 1), 8), {"7"}, week, NOW)
    assert reason == "last updated 2026-11-28 12:00 UTC, more than 7d ago"
    broken = {**preview("7", 8), "tags": [{"key": express.UPDATED_TAG, "value": "soon"}]}
    assert "more than 7d ago" in stale_reason(broken, None, week, NOW)  # ECS's date, then


def test_a_preview_is_tagged_again_only_for_another_commit_or_pull_request() -> None:
    wanted = express.preview_tags("pr-7", "7", "abc", "2026-12-06T12:00:00Z")
    same = {t["key"]: t["value"] for t in wanted} | {express.UPDATED_TAG: "2026-12-01T00:00:00Z"}
    assert express.tags_to_refresh(same, wanted) == []
    assert express.tags_to_refresh({**same, express.COMMIT_TAG: "old"}, wanted) == wanted
    assert express.tags_to_refresh({}, wanted) == wanted


@pytest.mark.parametrize(("text", "hours"), [("7d", 168), ("36h", 36), ("90m", 1.5)])
def test_ages(text: str, hours: float) -> None:
    assert max_age(text) == timedelta(hours=hours)


def test_an_age_must_have_a_unit() -> None:
    with pytest.raises(InputError, match="is not an age"):
        max_age("7")


@pytest.mark.parametrize("text", ["3651d", "87649h", "9" * 40 + "d"])
def test_an_age_past_ten_years_is_refused_not_an_overflow(text: str) -> None:
    with pytest.raises(InputError, match="more than 3650 days"):
        max_age(text)
    assert max_age("3650d") == timedelta(days=3650)
