"""A write retried with care: only after a read shows that the failed attempt did not land.

botocore would retry a broken call blindly; for RegisterTaskDefinition, UpdateService and
RunTask a lost answer then means a second revision, deployment or task, so each is tried once
and, after a transient failure (a 5xx, a broken connection), retried only when `landed` finds
nothing. Throttling never gets here: AWS refused the call before it did anything, so the
client waits it out and sends it again (aws/throttle.py).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import TypeVar

from compose_ecs_deploy.errors import AwsError
from compose_ecs_deploy.report.console import Log

T = TypeVar("T")


def careful_write(
    what: str, perform: Callable[[], T], landed: Callable[[], T | None], attempts: int, log: Log
) -> T:
    """A write retried only after checking that the failed attempt did not land after all.

    botocore would retry a broken call blindly; for RegisterTaskDefinition and UpdateService
    a lost answer then means a second revision or a second deployment.
    """
    attempt = 1
    while True:
        try:
            return perform()
        except AwsError as exc:
            if not exc.transient:
                raise
            found = landed()
            if found is not None:
                log.info(f"{what}: the answer was lost, but the call went through; using it")
                return found
            if attempt >= attempts:
                raise AwsError(
                    f"{exc} (gave up after {attempts} attempts; none of them "
                    "changed anything, so a re-run is safe)"
                ) from exc
            delay = min(0.25 * 2 ** (attempt - 1), 8.0) * random.uniform(0.5, 1.0)
            attempt += 1
            log.info(f"{what}: {exc}; retrying in {delay:.1f} s (attempt {attempt} of {attempts})")
            time.sleep(delay)
