"""CreateExpressGatewayService and UpdateExpressGatewayService, retried only after a read
shows that a failed attempt did not land (`aws.careful`), as RegisterTaskDefinition and
UpdateService are.

A lost answer (a timeout or a dropped connection after the request was sent) may hide a
service ECS did create, or a deployment it did start. Create has no client token (API
reference, CreateExpressGatewayService: its request members), so the check is a read: the
service of that name, Express and not INACTIVE, is the one the lost attempt made (the plan
found none, and a service name is unique in its cluster, same page, `serviceName`). Should
the read not show it yet (API reference, RunTask and CreateService: "The Amazon ECS API
follows an eventual consistency model") and the re-sent Create be refused (the name is taken:
InvalidParameterException or ClientException, the API reference leaves open which), the
service is looked for again, a second apart, before the refusal is believed: a second service
is never made. An Update
landed when the service's primary deployment is a new one onto the revision, the check an
UpdateService gets too (`service_update.update_landed`).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from botocore.exceptions import ClientError

from compose_ecs_deploy.aws import ecs
from compose_ecs_deploy.aws import express as aws_express
from compose_ecs_deploy.aws.careful import careful_write
from compose_ecs_deploy.aws.client import Aws
from compose_ecs_deploy.errors import AwsError
from compose_ecs_deploy.report.console import Log
from compose_ecs_deploy.rollout.service_update import update_landed
from compose_ecs_deploy.rollout.verdicts import express
from compose_ecs_deploy.settings import Settings

LOOKS = 5  # reads, a second apart, for a service a refused re-send says exists


def _existing(aws: Aws, cluster: str, name: str) -> dict[str, Any] | None:
    """The Express service `name` as DescribeExpressGatewayService gives it, or None."""
    found = ecs.describe_services(aws, cluster, [name], absent_ok=True).get(name)
    if found is None or not express.is_express(found):
        return None
    arn = str(found["serviceArn"])
    return aws_express.describe(aws, arn) or {"serviceArn": arn, "serviceName": name}


TAKEN = ("InvalidParameterException", "ClientException")


def _refused_as_taken(exc: AwsError) -> bool:
    """A refusal that may mean "the name is taken": the API reference names no error for it,
    and both InvalidParameterException ("The specified parameter isn't valid") and
    ClientException ("... specifying an identifier that isn't valid") fit; a read decides."""
    cause = exc.__cause__
    return isinstance(cause, ClientError) and (cause.response.get("Error", {}).get("Code") in TAKEN)


def created(aws: Aws, settings: Settings, request: Mapping[str, Any], log: Log) -> dict[str, Any]:
    """CreateExpressGatewayService once; after a lost answer, the service it made."""
    cluster, name = str(request["cluster"]), str(request["serviceName"])
    sent = 0

    def perform() -> dict[str, Any]:
        nonlocal sent
        sent += 1
        try:
            return aws_express.create(aws, request)
        except AwsError as exc:
            if sent == 1 or not _refused_as_taken(exc):
                raise
            for look in range(LOOKS):  # our lost attempt made it; ECS may not list it yet
                found = _existing(aws, cluster, name)
                if found is not None:
                    log.info(
                        f"{name}: CreateExpressGatewayService: made by the attempt "
                        "whose answer was lost; using it"
                    )
                    return found
                if look + 1 < LOOKS:
                    time.sleep(settings.pause(1.0))
            raise

    return careful_write(
        f"{name}: CreateExpressGatewayService",
        perform,
        lambda: _existing(aws, cluster, name),
        settings.max_retries + 1,
        log,
    )


def updated(
    aws: Aws,
    settings: Settings,
    name: str,
    request: Mapping[str, Any],
    before: Mapping[str, Any],
    log: Log,
) -> dict[str, Any]:
    """UpdateExpressGatewayService once; after a lost answer, resent only when no new
    deployment onto the revision shows that it landed."""
    revision = str(request["taskDefinitionArn"])
    return careful_write(
        f"{name}: UpdateExpressGatewayService",
        lambda: aws_express.update(aws, request),
        update_landed(aws, str(settings.cluster), name, revision, before),
        settings.max_retries + 1,
        log,
    )
