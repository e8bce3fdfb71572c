"""Two points of Express that the documentation leaves open, served each way the docs allow
(a tag on the cluster chooses), for tests/support/express_simulator.py.

Why: a deploy whose CreateExpressGatewayService answer was lost reads before it sends the call
again, and a re-sent Create may be refused because the lost one took the name
(rollout/express_writes.py). Both halves of that depend on what the docs leave open, so the
stack must be able to show each:

- What a Create of a name already in use gets. API reference, CreateExpressGatewayService
  (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_CreateExpressGatewayService.html,
  the same text in botocore's model): `serviceName` "must be unique within the specified
  cluster"; its errors name no error for a taken name, and two fit it:
  InvalidParameterException ("The specified parameter isn't valid") and ClientException
  ("... specifying an identifier that isn't valid"). ``simulator:express-taken`` =
  ``invalid-parameter`` (default; with the message ECS gives CreateService for a name in use,
  "Creation of service was not idempotent.") | ``client``.
- When a new service is seen by reads. API reference, RunTask and CreateService (botocore's
  model too): "The Amazon ECS API follows an eventual consistency model ... the result of an
  API command you run that affects your Amazon ECS resources might not be immediately visible
  to all subsequent commands you run." ``simulator:express-listed-after`` = N (default 0): the
  first N reads of a service CreateExpressGatewayService made (DescribeServices naming it,
  DescribeExpressGatewayService) do not find it: DescribeServices gives it as a failure with
  reason MISSING (moto's and ECS's answer for a service that does not exist), Describe its
  not-found error.

Not like real ECS: how many reads a real service stays unseen, and the ClientException's
message, are not documented.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from moto.core.exceptions import ServiceException
from moto.core.responses import ActionResult
from moto.ecs.exceptions import EcsClientException, InvalidParameterException
from moto.ecs.models import Service
from moto.ecs.responses import EC2ContainerServiceResponse

TAKEN_TAG = "simulator:express-taken"
LISTED_AFTER_TAG = "simulator:express-listed-after"
TAKEN = ("invalid-parameter", "client")


def taken(tags: Mapping[str, str], name: str) -> ServiceException:
    """The refusal of a Create whose `name` is in use, as the cluster's tag chooses."""
    how = tags.get(TAKEN_TAG, "invalid-parameter")
    if how not in TAKEN:
        raise InvalidParameterException(f"{TAKEN_TAG} is one of {', '.join(TAKEN)}, not {how!r}")
    if how == "client":
        return EcsClientException(f"The service name {name} is already in use in this cluster.")
    return InvalidParameterException("Creation of service was not idempotent.")


def unseen_reads(tags: Mapping[str, str]) -> int:
    """How many reads a service just created stays unseen."""
    value = tags.get(LISTED_AFTER_TAG, "0")
    if not value.isdigit():
        raise InvalidParameterException(f"{LISTED_AFTER_TAG} is a number of reads, not {value!r}")
    return int(value)


def read_unseen(service: Service) -> bool:
    """True when this read of `service` does not see it yet (one of its unseen reads spent)."""
    left = int(getattr(service, "unseen_reads", 0))
    if left <= 0:
        return False
    service.unseen_reads = left - 1  # type: ignore[attr-defined]
    return True


def describe_services_hiding(
    original: Callable[[EC2ContainerServiceResponse], ActionResult],
) -> Callable[[EC2ContainerServiceResponse], ActionResult]:
    """DescribeServices as `original` answers it, less the services a read does not see yet,
    which become failures with reason MISSING."""

    def respond(self: EC2ContainerServiceResponse) -> ActionResult:
        result = original(self)
        body: dict[str, Any] = result.result  # type: ignore[assignment]
        seen, failures = [], list(body.get("failures") or [])
        for service in body.get("services") or []:
            if read_unseen(service):
                failures.append({"arn": str(service.arn), "reason": "MISSING"})
            else:
                seen.append(service)
        if len(seen) == len(body.get("services") or []):
            return result
        return ActionResult({**body, "services": seen, "failures": failures})

    return respond
