"""A family's revisions: list them, and deregister or delete them at a pace that leaves the
account's shared budget to deploys.

ECS throttles per account and Region with token buckets ("Request throttling for the Amazon
ECS API", https://docs.aws.amazon.com/AmazonECS/latest/APIReference/request-throttling.html):
RegisterTaskDefinition and DeregisterTaskDefinition share one bucket of 20 tokens refilled at
1 per second; DeleteTaskDefinitions has its own of 5, refilled at 1 per second. A prune that
deregistered as fast as it could would empty the bucket every deploy in the account registers
from. So these writes are paced at half the refill rate (one every `PACE` seconds): the bucket
then refills faster than a prune drains it and stays near full for the deploys. A throttled
call (which did nothing) is waited out by the run's throttle budget, as every call is.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from compose_ecs_deploy.aws.client import Aws, call, call_once

PACE = 2.0  # seconds between two writes: half of the bucket's refill of 1 per second
DELETE_BATCH = 10  # DeleteTaskDefinitions takes at most 10 (API reference)


def list_family(aws: Aws, family: str, status: str) -> list[str]:
    """Every revision ARN of `family` with `status`, newest first (ListTaskDefinitions pages
    100 at a time)."""
    arns: list[str] = []
    token: dict[str, str] = {}
    while True:
        answer = call(
            aws,
            "ecs",
            "list_task_definitions",
            familyPrefix=family,
            status=status,
            sort="DESC",
            maxResults=100,
            **token,
        )
        arns += [str(arn) for arn in answer.get("taskDefinitionArns", [])]
        if not answer.get("nextToken"):
            return arns
        token = {"nextToken": str(answer["nextToken"])}


@dataclass
class Pacer:
    """One write every `pace` seconds at most. A throttled write is waited out by the run's
    throttle budget (aws/throttle.py), like every call."""

    aws: Aws
    pace: float = field(default_factory=lambda: PACE)  # tests may shorten PACE
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    _next: float = field(default=0.0)

    def write(self, operation: str, /, **params: Any) -> dict[str, Any]:
        """The write, once its slot comes (one attempt besides throttling: a lost answer is
        the caller's to check)."""
        delay = self._next - self.clock()
        if delay > 0:
            self.sleep(delay)
        self._next = self.clock() + self.pace
        return dict(call_once(self.aws, "ecs", operation, **params))


def deregister(pacer: Pacer, arn: str) -> None:
    """DeregisterTaskDefinition: the revision becomes INACTIVE (running tasks go on)."""
    pacer.write("deregister_task_definition", taskDefinition=arn)


def delete(pacer: Pacer, arns: Sequence[str]) -> tuple[list[str], list[tuple[str, str]]]:
    """DeleteTaskDefinitions, ten a call: (deleted, [(arn, ECS's reason)])."""
    deleted: list[str] = []
    failures: list[tuple[str, str]] = []
    for start in range(0, len(arns), DELETE_BATCH):
        batch = list(arns[start : start + DELETE_BATCH])
        answer = pacer.write("delete_task_definitions", taskDefinitions=batch)
        deleted += [str(t.get("taskDefinitionArn")) for t in answer.get("taskDefinitions", [])]
        failures += [(str(f.get("arn")), str(f.get("reason"))) for f in answer.get("failures", [])]
    return deleted, failures
