"""When a rolling watch reads its deployment's stopped tasks: only when the counts show a stop.

ECS's ListTasks and DescribeTasks share one token bucket for the whole account and Region (ECS
API Reference, "Request throttling for the Amazon ECS API": a burst of 100, then 20 a second),
so a fleet of a hundred deploys that each read their stopped tasks at every poll would spend
that bucket on reads that find nothing. A stop shows in the DescribeServices answer the poll
reads anyway (API_Deployment): `failedTasks` rises (a task that never launched, never reached
RUNNING or failed a health check), fewer tasks run (a RUNNING task only leaves by stopping),
or fewer run and wait together. The tasks are also read before any verdict (the deployment
completed, failed, or left the list) and every STOPPED_EVERY polls, which catches a task that
stopped and was replaced between two polls, so a crash is never missed, only seen a few polls
later at worst.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from compose_ecs_deploy.rollout.verdicts.rolling import WatchState, completed

STOPPED_EVERY = 4


def _count(deployment: Mapping[str, Any], key: str) -> int:
    return int(deployment.get(key, 0) or 0)


def wants_stopped_tasks(state: WatchState, payload: Mapping[str, Any]) -> bool:
    """Whether this poll reads the stopped tasks of `state`'s deployment (see the module)."""
    deployments: Sequence[Mapping[str, Any]] = payload.get("deployments", [])
    ours = next((d for d in deployments if d.get("id") == state.deployment_id), None)
    before = state.ours
    if ours is None or before is None or state.polls % STOPPED_EVERY == 0:
        return True
    running, pending = _count(ours, "runningCount"), _count(ours, "pendingCount")
    was_running, was_pending = _count(before, "runningCount"), _count(before, "pendingCount")
    return (
        _count(ours, "failedTasks") > _count(before, "failedTasks")
        or running < was_running
        or running + pending < was_running + was_pending
        or str(ours.get("rolloutState", "")) in ("COMPLETED", "FAILED")
        or completed(ours, len(deployments))
    )
