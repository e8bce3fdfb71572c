"""AWS's account-wide request throttling as token buckets, for the fault proxy's bucket mode.

A fleet of deploys in one account shares these buckets: every caller's request takes a token
from its action's bucket, and a request that finds the bucket empty is answered with the
service's throttling error and not forwarded (the request was denied, so nothing happened).
Each group below cites the page its figures come from; `Bucket` implements the algorithm
those pages describe:

- ECS API Reference, "Request throttling for the Amazon ECS API"
  (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/request-throttling.html):
  "Amazon ECS uses the token bucket algorithm"; a bucket's maximum capacity is the burst
  rate, its refill rate the sustained rate; each request removes one token; when the bucket
  is empty "you're throttled and the remaining requests within that second fail"; tokens
  that arrive while the bucket is full are discarded; the error is `ThrottlingException`
  ("Rate exceeded", HTTP 400).
- Amazon ECS Developer Guide, "AWS Fargate throttling quotas"
  (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/throttling.html): "the rate
  quota for calls to the Amazon ECS RunTask API is 20 calls per second (burst and
  sustained)", a bucket of its own on top of ECS's RunTask bucket.
- Amazon ECR User Guide, "Amazon ECR service quotas"
  (https://docs.aws.amazon.com/AmazonECR/latest/userguide/service-quotas.html): per-second
  rates per action (PutImage: 10 per second), with the bucket model and the errors of
  "Troubleshooting Amazon ECR error messages"
  (https://docs.aws.amazon.com/AmazonECR/latest/userguide/common-errors.html): "HTTP 429: Too
  Many Requests or ThrottleException", credits replenished each second. The quotas page gives
  one figure per action, so burst and refill are both that figure; the troubleshooting page
  gives GetAuthorizationToken's bucket whole (200 credits, 20 a second).
- CloudWatch Logs, "CloudWatch Logs quotas"
  (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/cloudwatch_limits_cwl.html):
  GetLogEvents 25 transactions per second per account per Region, 10 in some Regions.

Where a page leaves a point open, each documented possibility is served: ECR answers either
429 `ThrottleException` or 400 `ThrottlingException` (drawn from a seeded generator), and
GetLogEvents can be built at 25 or at 10 per second. Where a page gives no figure (ECR's
DescribeImages and BatchGetImage rates are not in the quotas table as stored), the group has
no bucket unless a test sets one with `overrides`; likewise DescribeRepositories.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

ECS_PAGE = "https://docs.aws.amazon.com/AmazonECS/latest/APIReference/request-throttling.html"
FARGATE_PAGE = "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/throttling.html"
ECR_PAGE = "https://docs.aws.amazon.com/AmazonECR/latest/userguide/service-quotas.html"
ECR_ERRORS_PAGE = "https://docs.aws.amazon.com/AmazonECR/latest/userguide/common-errors.html"
LOGS_PAGE = "https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/cloudwatch_limits_cwl.html"


@dataclass(frozen=True)
class Group:
    """One shared bucket: the actions that draw from it, its burst and refill, its source."""

    name: str
    actions: frozenset[str]
    burst: float | None  # None: the page gives no figure; no bucket unless overridden
    refill: float | None
    source: str


def _group(
    name: str, actions: str, burst: float | None, refill: float | None, source: str
) -> Group:
    return Group(name, frozenset(actions.split()), burst, refill, source)


GROUPS: tuple[Group, ...] = (
    # ECS API Reference, "Request throttling for the Amazon ECS API": burst / refill per second.
    _group(
        "ecs-task-definition-writes",
        "RegisterTaskDefinition DeregisterTaskDefinition",
        20,
        1,
        ECS_PAGE,
    ),
    _group("ecs-service-writes", "UpdateService CreateService DeleteService", 50, 5, ECS_PAGE),
    _group("ecs-service-reads", "DescribeServices ListServices", 100, 20, ECS_PAGE),
    _group("ecs-task-reads", "DescribeTasks ListTasks", 100, 20, ECS_PAGE),
    _group(
        "ecs-task-definition-reads",
        "DescribeTaskDefinition ListTaskDefinitions ListTaskDefinitionFamilies",
        50,
        20,
        ECS_PAGE,
    ),
    _group("ecs-task-writes", "RunTask StopTask", 100, 40, ECS_PAGE),
    _group(
        "ecs-service-deployment-reads",
        "DescribeServiceDeployments ListServiceDeployments DescribeServiceRevisions",
        50,
        20,
        ECS_PAGE,
    ),
    # Developer Guide, "AWS Fargate throttling quotas": RunTask 20 calls a second, burst and
    # sustained, in a bucket of Fargate's own (a RunTask needs a token from both).
    _group("fargate-run-task", "RunTask", 20, 20, FARGATE_PAGE),
    # ECR User Guide, "Amazon ECR service quotas": PutImage 10 per second.
    _group("ecr-put-image", "PutImage", 10, 10, ECR_PAGE),
    # "Troubleshooting Amazon ECR error messages": GetAuthorizationToken 20 a second, 200 burst.
    _group("ecr-get-authorization-token", "GetAuthorizationToken", 200, 20, ECR_ERRORS_PAGE),
    # Not in the quotas table as stored: no bucket unless a test sets one.
    _group("ecr-describe-repositories", "DescribeRepositories", None, None, ECR_PAGE),
    _group("ecr-describe-images", "DescribeImages", None, None, ECR_PAGE),
    _group("ecr-batch-get-image", "BatchGetImage", None, None, ECR_PAGE),
    # CloudWatch Logs quotas: GetLogEvents 25 per second (10 in some Regions: `logs_rate=10`).
    _group("logs-get-log-events", "GetLogEvents", 25, 25, LOGS_PAGE),
)

# What each service answers when a bucket is empty (status, error code, message).
ECS_THROTTLE = (400, "ThrottlingException", "Rate exceeded")
LOGS_THROTTLE = (400, "ThrottlingException", "Rate exceeded")
# "Troubleshooting Amazon ECR error messages": "HTTP 429: Too Many Requests or ThrottleException".
ECR_THROTTLES = (
    (429, "ThrottleException", "Too Many Requests"),
    (400, "ThrottlingException", "Rate exceeded"),
)
_ECR_ACTIONS = frozenset(
    {"PutImage", "DescribeImages", "BatchGetImage", "GetAuthorizationToken", "DescribeRepositories"}
)


@dataclass
class Bucket:
    """The token bucket of the ECS page: starts full; refills `refill` tokens a second, never
    past `burst`; each admitted request takes one token."""

    burst: float
    refill: float
    clock: Callable[[], float] = time.monotonic
    tokens: float = field(init=False)
    _last: float = field(init=False)

    def __post_init__(self) -> None:
        self.tokens = self.burst
        self._last = self.clock()

    def drain(self) -> None:
        self.tokens = 0

    def fill(self) -> None:
        now = self.clock()
        self.tokens = min(self.burst, self.tokens + (now - self._last) * self.refill)
        self._last = now

    def has_token(self) -> bool:
        self.fill()
        return self.tokens >= 1

    def take(self) -> None:
        self.tokens -= 1


@dataclass
class AccountBuckets:
    """Every documented bucket of one account and Region, shared by all callers.

    `overrides` replaces a group's (burst, refill) by name, so a test proves the mechanism
    in CI time (e.g. `{"ecs-task-definition-writes": (5, 1)}`) or gives an undocumented group
    a bucket; the groups in `drained` start empty, as when the account's other deploys have
    just spent them; `logs_rate=10` serves the Regions where GetLogEvents allows 10 a second.
    """

    overrides: Mapping[str, tuple[float, float]] = field(default_factory=dict)
    drained: frozenset[str] = frozenset()
    logs_rate: float = 25
    seed: int = 7
    clock: Callable[[], float] = time.monotonic
    admitted: Counter[str] = field(default_factory=Counter)
    throttled: Counter[str] = field(default_factory=Counter)

    def __post_init__(self) -> None:
        unknown = (set(self.overrides) | self.drained) - {group.name for group in GROUPS}
        if unknown:
            raise ValueError(f"no such bucket group: {', '.join(sorted(unknown))}")
        self._lock = threading.Lock()
        self._random = random.Random(self.seed)
        self._buckets: dict[str, list[Bucket]] = {}
        for group in GROUPS:
            burst, refill = self.overrides.get(group.name, (group.burst, group.refill))
            if group.name == "logs-get-log-events" and group.name not in self.overrides:
                burst = refill = self.logs_rate
            if burst is None or refill is None:
                continue
            bucket = Bucket(burst, refill, self.clock)
            if group.name in self.drained:
                bucket.drain()
            for action in group.actions:
                self._buckets.setdefault(action, []).append(bucket)

    def admit(self, action: str) -> tuple[int, str, str] | None:
        """None when every bucket of `action` has a token (one is taken from each), else the
        throttling answer (status, code, message) the service sends; nothing is taken then."""
        with self._lock:
            buckets = self._buckets.get(action, [])
            if all(bucket.has_token() for bucket in buckets):
                for bucket in buckets:
                    bucket.take()
                self.admitted[action] += 1
                return None
            self.throttled[action] += 1
            if action in _ECR_ACTIONS:
                return self._random.choice(ECR_THROTTLES)
            return LOGS_THROTTLE if action == "GetLogEvents" else ECS_THROTTLE
