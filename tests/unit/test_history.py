"""Rollback targets and prune plans from recorded histories (rollout/verdicts/history.py)."""

from __future__ import annotations

import pytest

from compose_ecs_deploy.rollout.verdicts.history import (
    Past,
    Target,
    has_digest,
    has_tag,
    in_use_by,
    parse_to,
    prune_plan,
    rollback_candidates,
)

ARN = "arn:aws:ecs:us-east-1:123456789012:task-definition/web:{}"


def td(n: int) -> str:
    return ARN.format(n)


def history(*entries: tuple[str, int]) -> list[Past]:
    """Newest first, as ListServiceDeployments answers."""
    return [Past(status, td(n)) for status, n in entries]


def test_the_last_completed_revision_before_the_current_one() -> None:
    past = history(("SUCCESSFUL", 3), ("SUCCESSFUL", 2), ("SUCCESSFUL", 1))
    assert rollback_candidates(td(3), past) == [td(2), td(1)]


def test_a_revision_ecs_rolled_back_is_skipped_and_never_n_minus_one() -> None:
    # 4 failed and ECS rolled back to 3; 3 is current; 2 completed before it.
    past = history(("ROLLBACK_SUCCESSFUL", 4), ("SUCCESSFUL", 3), ("SUCCESSFUL", 2))
    assert rollback_candidates(td(3), past) == [td(2)]
    # 5 runs, 4 was rolled back earlier: 3, not 4 (N-1).
    past = history(("SUCCESSFUL", 5), ("ROLLBACK_SUCCESSFUL", 4), ("SUCCESSFUL", 3))
    assert rollback_candidates(td(5), past) == [td(3)]


def test_our_own_rollback_is_skipped_so_twice_goes_two_back() -> None:
    # 1, 2, 3 completed; we rolled back 3 -> 2 (an UpdateService to an older revision).
    past = history(("SUCCESSFUL", 2), ("SUCCESSFUL", 3), ("SUCCESSFUL", 2), ("SUCCESSFUL", 1))
    assert rollback_candidates(td(2), past) == [td(1)]


def test_a_redeploy_forward_is_not_a_rollback() -> None:
    # 2 rolled back to 1, then 2 deployed again (forward): from 2, go to 1.
    past = history(("SUCCESSFUL", 2), ("SUCCESSFUL", 1), ("SUCCESSFUL", 2), ("SUCCESSFUL", 1))
    assert rollback_candidates(td(2), past) == [td(1)]


def test_in_progress_stopped_and_unknown_revisions_are_not_targets() -> None:
    past = [
        Past("IN_PROGRESS", td(6)),
        Past("STOPPED", td(5)),
        Past("SUCCESSFUL", ""),
        Past("SUCCESSFUL", td(4)),
    ]
    assert rollback_candidates(td(6), past) == [td(4)]
    assert rollback_candidates(td(1), []) == []


def test_a_rollback_of_ours_after_ecs_rolled_one_back_skips_what_we_left() -> None:
    # 4 and 5 completed; 6 failed and ECS rolled back to 5; then we rolled back 5 -> 4. The
    # deployment that replaced 5 is our rollback, not ECS's rolled-back 6 listed between them:
    # rolling back again goes to 3, never forth to 5.
    past = history(
        ("SUCCESSFUL", 4),
        ("ROLLBACK_SUCCESSFUL", 6),
        ("SUCCESSFUL", 5),
        ("SUCCESSFUL", 4),
        ("SUCCESSFUL", 3),
    )
    assert rollback_candidates(td(4), past) == [td(3)]
    # The same when a deployment that never finished (STOPPED) lies between them.
    past = history(("SUCCESSFUL", 2), ("STOPPED", 4), ("SUCCESSFUL", 3), ("SUCCESSFUL", 1))
    assert rollback_candidates(td(2), past) == [td(1)]


def test_sources_say_which_revision_a_deployment_replaced() -> None:
    # DescribeServiceDeployments' sourceServiceRevisions: our rollback 5 -> 4 replaced 5 even
    # though a deployment of 7 (stopped at once) is listed between them; and a rollback of
    # ours still in progress (4 from 6) already rules 6 out.
    past = [
        Past("SUCCESSFUL", td(4), sources=(td(5),)),
        Past("STOPPED", td(7), sources=(td(5),)),
        Past("SUCCESSFUL", td(5), sources=(td(3),)),
        Past("SUCCESSFUL", td(3), sources=(td(2),)),
    ]
    assert rollback_candidates(td(4), past) == [td(3)]
    past = [
        Past("IN_PROGRESS", td(4), sources=(td(6),)),
        Past("SUCCESSFUL", td(6), sources=(td(4),)),
        Past("SUCCESSFUL", td(4), sources=(td(3),)),
        Past("SUCCESSFUL", td(3)),
    ]
    assert rollback_candidates(td(4), past) == [td(3)]
    # A deployment forward (a higher revision) rolls nothing back: its source stays a target.
    past = [Past("SUCCESSFUL", td(9), sources=(td(8),)), Past("SUCCESSFUL", td(8))]
    assert rollback_candidates(td(9), past) == [td(8)]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("12", Target(task_definition="web:12")),
        ("api:3", Target(task_definition="api:3")),
        (td(7), Target(task_definition=td(7))),
        ("v1.2.3", Target(image_tag="v1.2.3")),
        ("0a1b2c3", Target(image_tag="0a1b2c3")),
    ],
)
def test_to_forms(value: str, expected: Target) -> None:
    assert parse_to(value, "web") == expected


@pytest.mark.parametrize("value", ["", "0", "web:", ":3", "a b", "x" * 129, "$(id)", "-rf", "v1\n"])
def test_to_refuses_what_is_none_of_them(value: str) -> None:
    with pytest.raises(ValueError, match="--to takes"):
        parse_to(value, "web")


def test_tags_and_short_shas() -> None:
    sha = "0a1b2c3d4e5f60718293a4b5c6d7e8f901234567"
    images = [f"123.dkr.ecr.us-east-1.amazonaws.com/app:{sha}@sha256:{'a' * 64}", "agent:1"]
    assert has_tag(images, sha) and has_tag(images, sha[:7]) and has_tag(images, "1")
    assert not has_tag(images, sha[:6]) and not has_tag(images, "latest")
    assert not has_tag(["registry:5000/app"], "5000/app")


def test_prune_keeps_the_newest_the_used_and_the_rollback_target() -> None:
    active = [td(n) for n in range(1, 9)]
    used = in_use_by(
        [
            {
                "serviceName": "web",
                "taskDefinition": td(8),
                "deployments": [
                    {"status": "PRIMARY", "taskDefinition": td(8), "rolloutState": "IN_PROGRESS"},
                    {"status": "ACTIVE", "taskDefinition": td(2), "rolloutState": "COMPLETED"},
                ],
            },
            {"serviceName": "worker", "taskDefinition": "web:1", "deployments": []},
        ]
    )
    plan = prune_plan(active, 3, used, rollback_target=td(4))
    assert [(p.task_definition.rsplit(":", 1)[-1], p.goes) for p in plan] == [
        ("8", False), ("7", False), ("6", False), ("5", True), ("4", False), ("3", True),
        ("2", False), ("1", False),
    ]  # fmt: skip
    why = {p.task_definition.rsplit(":", 1)[-1]: p.why for p in plan}
    assert why["4"] == "the rollback target"
    assert why["2"] == "service web runs it (active deployment)"
    assert why["1"] == "service worker runs it"
    assert why["5"] == "older than the newest 3"


def test_prune_keeps_what_a_code_deploy_services_task_sets_run() -> None:
    """A CODE_DEPLOY service lists no deployments: its task sets carry the revisions (the
    replacement before its traffic shift, the original through the termination wait)."""
    active = [td(n) for n in range(1, 7)]
    used = in_use_by(
        [
            {
                "serviceName": "web",
                "taskDefinition": td(4),
                "deployments": [],
                "taskSets": [
                    {"status": "PRIMARY", "taskDefinition": td(4), "externalId": "d-1"},
                    {"status": "ACTIVE", "taskDefinition": td(5), "externalId": "d-2"},
                    {"status": "DRAINING", "taskDefinition": td(2)},
                ],
            }
        ]
    )
    plan = prune_plan(active, 1, used, rollback_target=td(3))
    why = {p.task_definition.rsplit(":", 1)[-1]: (p.goes, p.why) for p in plan}
    assert why == {
        "6": (False, "one of the newest 1"),
        "5": (False, "service web runs it (ACTIVE task set)"),
        "4": (False, "service web runs it (PRIMARY task set)"),
        "3": (False, "the rollback target"),
        "2": (False, "service web still drains it (DRAINING task set)"),
        "1": (True, "older than the newest 1"),
    }


def test_a_commit_sha_matches_the_tags_ci_gives_it() -> None:
    """The full SHA matches a short-SHA tag (`${GITHUB_SHA::7}`), and either matches the
    `sha-` tags of docker/metadata-action (`type=sha`: `sha-ad132f5`, or the full SHA with
    `format=long`); images by digest or on a registry with a port keep their tag."""
    sha = "ad132f5e0a1b2c3d4e5f60718293a4b5c6d7e8f9"
    assert has_tag(["registry:5000/app:ad132f5"], sha)
    assert has_tag([f"ghcr.io/o/app:sha-ad132f5@sha256:{'a' * 64}"], sha)
    assert has_tag([f"ghcr.io/o/app:sha-{sha}"], "ad132f5")
    assert not has_tag(["app:ad132f5"], "ad132f6e0a1b2c3d4e5f60718293a4b5c6d7e8f9")
    assert not has_tag(["app:ad132f"], sha)  # six digits: too short to stand for a commit
    assert not has_tag(["app:sha-ad132f5"], "sha-ad132f")


def test_to_an_image_digest_finds_the_revision_that_pins_it() -> None:
    digest = "sha256:" + "c" * 64
    assert parse_to(digest, "web") == Target(image_digest=digest)
    assert has_digest([f"123.dkr.ecr.us-east-1.amazonaws.com/app:v2@{digest}"], digest)
    assert has_digest([f"registry:5000/app@{digest}"], digest)
    assert not has_digest([f"app@sha256:{'d' * 64}", "app:v2"], digest)
    with pytest.raises(ValueError, match="--to takes"):
        parse_to("sha256:" + "c" * 63, "web")
