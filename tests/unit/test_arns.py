"""The one helper for "the last part of an ARN"."""

from __future__ import annotations

import pytest

from compose_ecs_deploy.rollout.verdicts.arns import last_part


@pytest.mark.parametrize(
    ("arn", "part"),
    [
        ("arn:aws:ecs:us-east-1:123456789012:task-definition/web:3", "web:3"),
        ("arn:aws:ecs:us-east-1:123456789012:task/prod/0123456789abcdef", "0123456789abcdef"),
        ("arn:aws:ecs:us-east-1:123456789012:service/prod/web", "web"),
        ("web", "web"),
    ],
)
def test_last_part(arn: str, part: str) -> None:
    assert last_part(arn) == part
