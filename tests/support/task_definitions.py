"""ListTaskDefinitions as ECS pages and sorts it, served by the stack's moto.

Why: moto's ListTaskDefinitions returns every ARN of the status at once, in insertion order,
and ignores ``sort``, ``maxResults`` and ``nextToken``. A family of a few hundred revisions
(what `prune` exists for) is listed by ECS 100 at a time, and `prune` and `rollback --to TAG`
walk it newest first. ``install()`` patches moto's ECS response in the server's process
(``tests/support/moto_server.py``).

Rules (API reference "ListTaskDefinitions",
https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ListTaskDefinitions.html)
    ``familyPrefix``: "limits the listed task definitions to task definition revisions that
    belong to that family" (the full name, not a prefix). ``status``: ACTIVE by default,
    INACTIVE or DELETE_IN_PROGRESS. ``sort``: ASC by default, "lexicographically by family
    name and in ascending numerical order by revision so that the newest task definitions in a
    family are listed last"; DESC the reverse. ``maxResults`` 1..100; without it "up to 100
    results and a nextToken value if applicable".
Not like real ECS
    The same page says INACTIVE revisions are listed "as long as an active task or service
    still references them", while DeregisterTaskDefinition says they "remain discoverable in
    your account indefinitely"; every INACTIVE revision is listed here. A deleted revision
    (DeleteTaskDefinitions) is gone at once: moto drops it instead of keeping it
    DELETE_IN_PROGRESS while tasks use it. The nextToken is an offset.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from moto.core.responses import ActionResult
from moto.ecs.exceptions import InvalidParameterException
from moto.ecs.responses import EC2ContainerServiceResponse

STATUSES = ("ACTIVE", "INACTIVE", "DELETE_IN_PROGRESS")
_ORIGINALS: dict[str, Callable[..., Any]] = {}


def _list_task_definitions(self: EC2ContainerServiceResponse) -> ActionResult:
    family = self._get_param("familyPrefix")
    status = self._get_param("status") or "ACTIVE"
    order = self._get_param("sort") or "ASC"
    if status not in STATUSES or order not in ("ASC", "DESC"):
        raise InvalidParameterException("status or sort is not one of its valid values.")
    limit = int(self._get_param("maxResults") or 100)
    if not 1 <= limit <= 100:
        raise InvalidParameterException("maxResults must be between 1 and 100.")
    token = str(self._get_param("nextToken") or "0")
    start = int(token) if token.isdigit() else 0
    found = sorted(
        (
            (td.family, td.revision, td.arn)
            for revisions in self.ecs_backend.task_definitions.values()
            for td in revisions.values()
            if td.status == status and (family is None or td.family == family)
        ),
        reverse=order == "DESC",
    )
    page: dict[str, Any] = {"taskDefinitionArns": [arn for *_, arn in found[start : start + limit]]}
    if start + limit < len(found):
        page["nextToken"] = str(start + limit)
    return ActionResult(page)


def install() -> None:
    """Replace moto's ListTaskDefinitions answer; calling it again is a no-op."""
    if _ORIGINALS:
        return
    _ORIGINALS["list_task_definitions"] = EC2ContainerServiceResponse.list_task_definitions
    EC2ContainerServiceResponse.list_task_definitions = _list_task_definitions  # type: ignore[method-assign]
