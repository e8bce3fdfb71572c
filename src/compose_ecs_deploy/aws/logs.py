"""CloudWatch Logs: a container's last lines, in one GetLogEvents call.

`startFromHead=False` with a `limit` returns the newest page of the stream, oldest line
first (CloudWatch Logs API reference, GetLogEvents), so one call gives the last N lines of a
stream of any length. Errors are sorted by their code here, for the caller to say in one
line what happened: reading logs never fails a deploy.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from botocore.exceptions import BotoCoreError, ClientError

from compose_ecs_deploy.aws.client import Aws, describe_client_error
from compose_ecs_deploy.errors import AwsError

ACTION = "logs:GetLogEvents"
MAX_EVENTS = 10_000  # the API's upper bound for `limit`

Problem = Literal["denied", "missing", "failed"]


@dataclass(frozen=True)
class LogRead:
    """The lines read (oldest first), or why none could be."""

    lines: tuple[str, ...] = ()
    problem: Problem | None = None
    detail: str = ""


_DENIED_CODES = frozenset({"AccessDeniedException", "AccessDenied", "UnauthorizedOperation"})


def last_lines(aws: Aws, *, group: str, stream: str, region: str, limit: int) -> LogRead:
    """The stream's last `limit` lines; a denial, a missing stream or any other failure is
    returned as a problem, never raised."""
    try:
        answer = aws.client("logs", region=region).get_log_events(
            logGroupName=group,
            logStreamName=stream,
            startFromHead=False,
            limit=min(limit, MAX_EVENTS),
        )
    except ClientError as exc:
        code = str(exc.response.get("Error", {}).get("Code", ""))
        detail = describe_client_error(ACTION, exc)
        if code in _DENIED_CODES or "was denied" in detail:
            return LogRead(problem="denied", detail=detail)
        if code == "ResourceNotFoundException":
            return LogRead(
                problem="missing", detail=str(exc.response.get("Error", {}).get("Message") or code)
            )
        return LogRead(problem="failed", detail=detail)
    except BotoCoreError as exc:
        return LogRead(problem="failed", detail=f"{ACTION} failed: {exc}")
    except AwsError as exc:  # the run's throttle budget ran out while GetLogEvents waited
        return LogRead(problem="failed", detail=str(exc))
    lines: list[str] = []
    for event in answer.get("events", []):
        lines.extend(str(event.get("message", "")).rstrip("\n").split("\n"))
    return LogRead(lines=tuple(lines[-limit:]))
