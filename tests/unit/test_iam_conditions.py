"""The condition evaluator of tests/support/iam_conditions.py against IAM's documented rules
(IAM User Guide, "IAM JSON policy elements: Condition operators" and "Condition"), so that
what tests/deploy/test_iam_conditions.py shows with it is what IAM would decide."""

from __future__ import annotations

from tests.support.iam_conditions import Request, allowed, conditions_met, requests
from tests.support.iam_resources import Call

TD = "arn:aws:ecs:us-east-1:123456789012:task-definition/web:*"
CLUSTER = "arn:aws:ecs:us-east-1:123456789012:cluster/prod"


def test_a_missing_key_fails_a_condition_but_not_under_if_exists() -> None:
    assert not conditions_met({"ArnLike": {"ecs:task-definition": TD}}, {})
    assert conditions_met({"ArnLikeIfExists": {"ecs:task-definition": TD}}, {})
    assert not conditions_met({"StringEquals": {"ecs:CreateAction": "RegisterTaskDefinition"}}, {})


def test_arns_match_part_by_part_with_wildcards() -> None:
    web = {"ecs:task-definition": TD.replace("*", "12")}
    other = {"ecs:task-definition": TD.replace("web:*", "web-other:3")}
    assert conditions_met({"ArnLike": {"ecs:task-definition": TD}}, web)
    assert not conditions_met({"ArnLike": {"ecs:task-definition": TD}}, other)
    # `*` does not reach across parts: a region wildcard does not stand for an account too
    assert not conditions_met(
        {"ArnLike": {"ecs:cluster": "arn:aws:ecs:*:cluster/prod"}}, {"ecs:cluster": CLUSTER}
    )
    assert conditions_met(
        {"ArnEquals": {"ecs:cluster": "arn:aws:ecs:*:123456789012:cluster/prod"}},
        {"ecs:cluster": CLUSTER},
    )


def test_values_of_a_key_are_ored_keys_and_operators_anded_key_names_case_blind() -> None:
    block = {"StringEquals": {"ecs:CreateAction": ["RunTask", "RegisterTaskDefinition"]}}
    assert conditions_met(block, {"ecs:createaction": "RegisterTaskDefinition"})
    assert not conditions_met(
        block, {"ecs:CreateAction": "registertaskdefinition"}
    )  # values: exact
    both = {"StringEquals": {"a:x": "1", "a:y": "2"}, "ArnEquals": {"ecs:cluster": CLUSTER}}
    assert conditions_met(both, {"a:x": "1", "a:y": "2", "ecs:cluster": CLUSTER})
    assert not conditions_met(both, {"a:x": "1", "a:y": "3", "ecs:cluster": CLUSTER})


def test_a_deny_wins_and_an_allow_needs_action_resource_and_conditions() -> None:
    statement = {
        "Effect": "Allow",
        "Action": "ecs:UpdateService",
        "Resource": "arn:aws:ecs:us-east-1:123456789012:service/prod/web",
        "Condition": {"ArnLikeIfExists": {"ecs:task-definition": TD}},
    }
    request = Request(
        "ecs:updateservice", statement["Resource"], {"ecs:task-definition": TD[:-1] + "4"}
    )
    assert allowed({"Statement": [statement]}, request)
    deny = {**statement, "Effect": "Deny", "Condition": {}}
    assert not allowed({"Statement": [statement, deny]}, request)


def test_a_registration_with_tags_and_roles_is_also_a_tag_on_create_and_two_role_passes() -> None:
    call = Call(
        "ecs",
        "RegisterTaskDefinition",
        {"family": "web", "tags": [{"key": "a", "value": "b"}],
         "executionRoleArn": "arn:aws:iam::123456789012:role/exec"},
    )  # fmt: skip
    lines = [r.line() for r in requests(call, "us-east-1", "123456789012")]
    assert lines == [
        "ecs:RegisterTaskDefinition on *",
        "ecs:TagResource on arn:aws:ecs:us-east-1:123456789012:task-definition/web:1 "
        "(ecs:CreateAction=RegisterTaskDefinition)",
        "iam:PassRole on arn:aws:iam::123456789012:role/exec "
        "(iam:PassedToService=ecs-tasks.amazonaws.com)",
    ]
