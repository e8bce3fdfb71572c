"""ARNs as people read them: the last part of the resource, not the whole string."""

from __future__ import annotations


def last_part(arn: str) -> str:
    """What follows the ARN's last `/`: `web:3` of `arn:aws:ecs:REGION:ACCOUNT:task-definition/
    web:3`, a task's id, a service's name (a bare name comes back unchanged)."""
    return arn.rsplit("/", 1)[-1]
