"""Waiting out account-wide throttling: one mechanism for every AWS call and registry push.

A fleet of deploys in one account shares ECS's token buckets (ECS API Reference, "Request
throttling for the Amazon ECS API"): RegisterTaskDefinition refills one token a second for
the whole account, so a hundred deploys at once are throttled for a minute or more, and that
is nobody's fault. A throttled call is therefore waited out, not failed, for as long as the
run's throttle budget (`--throttle-timeout`, default 10 minutes, for all throttled calls of
the run together) allows; `max-retries` stays for other transient errors.

Why a throttled call can simply be sent again, writes included: the ECS page says that when
the bucket is empty "you're throttled and the remaining requests within that second fail",
and the ECS API's common errors describe ThrottlingException as "The request was denied due
to request throttling": a throttled request was refused before it did anything, so sending
it again cannot register a second revision or start a second deployment. (A 5xx or a broken
connection says no such thing; those writes keep their landed-check, aws/careful.py.)

The waits are capped exponential backoff with full jitter, as AWS's "Timeouts, retries and
backoff with jitter" (Amazon Builders' Library) recommends: each wait is drawn uniformly from
0 up to min(cap, base x 2^attempt), so a fleet's retries spread over the refills instead of
arriving together. (botocore's standard retry mode, inside each read, backs off the same
way; the budget counts from the start of the first throttled attempt.) While waiting, one
line a minute says so.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from compose_ecs_deploy.errors import AwsError

T = TypeVar("T")

BASE_SECONDS = 1.0
CAP_SECONDS = 20.0
REPORT_EVERY = 60.0


class ThrottleBudgetSpent(AwsError):
    """The run's throttle budget ran out on a call AWS kept refusing: the call did nothing."""


def duration(seconds: float) -> str:
    """`1m20s`, `45s`: a wait the way a person reads it."""
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes}m{rest:02d}s" if minutes else f"{rest}s"


@dataclass
class ThrottleBudget:
    """How long one run may spend waiting out throttled calls, all of them together."""

    timeout_seconds: float = 600.0
    base_seconds: float = BASE_SECONDS
    cap_seconds: float = CAP_SECONDS
    notice: Callable[[str], None] = lambda line: None
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    jitter: Callable[[float, float], float] = random.uniform
    spent: float = 0.0
    throttled: int = 0  # throttled answers this run: the polls back off when it grows

    def call(
        self, what: str, attempt: Callable[[], T], throttled: Callable[[Exception], bool]
    ) -> T:
        """`attempt()` again while it raises what `throttled` recognises, until the budget is
        spent; then an AwsError that says what was hit, for how long, and what to do."""
        started: float | None = None
        tries = reported = 0
        while True:
            began = self.clock()
            try:
                result = attempt()
            except Exception as exc:
                if not throttled(exc):
                    raise
                self.throttled += 1
                started = began if started is None else started
                waited = self.clock() - started
                left = self.timeout_seconds - self.spent - waited
                if left <= 0:
                    self.spent += waited
                    raise ThrottleBudgetSpent(self._exhausted(what, waited)) from exc
                if waited >= (reported + 1) * REPORT_EVERY:
                    reported = int(waited // REPORT_EVERY)
                    self.notice(
                        f"{what} throttled by AWS (account-wide limit); waited "
                        f"{duration(waited)}, retrying"
                    )
                ceiling = min(self.cap_seconds, self.base_seconds * 2**tries)
                tries += 1
                self.sleep(min(self.jitter(0.0, ceiling), left))
                continue
            if started is not None:
                self.spent += self.clock() - started
            return result

    def _exhausted(self, what: str, waited: float) -> str:
        return (
            f"{what} was throttled by AWS: the account's request limit for it, shared by "
            f"every deploy in the account and Region, was hit; waited {duration(waited)} "
            f"({duration(self.spent)} in all this run, throttle-timeout "
            f"{duration(self.timeout_seconds)}) and AWS refused the call each time, so it "
            "changed nothing; run fewer deploys at once, raise throttle-timeout, or ask AWS "
            "Support for a higher quota"
        )
