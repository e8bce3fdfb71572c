"""Service revisions, one per service deployment, immutable; and DescribeServiceRevisions.

Why: the rolling (``service_history``) and native (``service_deployments``) service deployments
name their source and target *service revisions*, and the day-two verbs read a revision's task
definition with DescribeServiceRevisions. ECS's rules for them ("Amazon ECS service revisions",
https://docs.aws.amazon.com/AmazonECS/latest/developerguide/service-revision.html, "Service
revision lifecycle"):

- "Amazon ECS automatically creates a new service revision when you create a service, or update
  a service property that starts a deployment": one per deployment, so two deployments of one
  task definition (a forced redeploy, a rollback by UpdateService) have two revisions;
- "Amazon ECS doesn't create a new service revision for a rollback operation. Amazon ECS uses
  the last successful service revision for the rollback": the deployment ECS's own rollback
  starts (circuit breaker, alarms, StopServiceDeployment) runs an existing revision (``share``);
- "A service revision is immutable": its launch type, platform, network configuration and
  container images are the service's when it was made, whatever the service is updated to
  later, and a revision outlives its task definition (``prune --delete`` deletes INACTIVE
  ones);
- "Amazon ECS deletes the service revision when you delete a service": a deleted (INACTIVE)
  service's revisions are MISSING.

DescribeServiceRevisions (API reference): 1 to 20 ARNs, else InvalidParameterException; an
ARN ECS does not know is a failure with reason MISSING; each ServiceRevision gives the task
definition, launch type, platform, network configuration and ``containerImages`` (each
container's name and image, from the task definition).

An Express service's configuration names its revision before the deployment starts
(``prepare``); the deployment then takes that revision. Revisions live on moto's Service
(reset with it). Not like real ECS: no imageDigest (ECS resolves each tag to a digest at the
deployment's start), no load balancers, service registries or capacity providers.
"""

from __future__ import annotations

import copy
import uuid
from datetime import timedelta
from typing import Any

from moto.core.utils import utcnow
from moto.ecs.exceptions import InvalidParameterException
from moto.ecs.models import EC2ContainerServiceBackend, Service
from moto.utilities.utils import get_partition


def _store(service: Service, name: str) -> dict[Any, Any]:
    """A table kept on moto's Service, so that /moto-api/reset clears it with the service."""
    found = getattr(service, name, None)
    if found is None:
        found = {}
        setattr(service, name, found)
    return found  # type: ignore[no-any-return]


def ecs_arn(service: Service, resource: str) -> str:
    """The ARN of an ECS `resource` (e.g. `service-revision/cluster/service/id`) in the
    service's partition, Region and account."""
    account = str(service.arn).split(":")[4]
    partition = get_partition(service.region_name)
    return f"arn:{partition}:ecs:{service.region_name}:{account}:{resource}"


def _create(service: Service, task_definition: str | None) -> str:
    """A new revision: a snapshot of what the service deploys now."""
    arn = ecs_arn(
        service,
        f"service-revision/{service.cluster_name}/{service.name}/{uuid.uuid4().int % 10**19}",
    )
    containers = (
        service._backend.describe_task_definition(task_definition).container_definitions
        if task_definition
        else []
    )
    snapshot: dict[str, Any] = {
        "serviceRevisionArn": arn,
        "serviceArn": service.arn,
        "clusterArn": service.cluster_arn,
        "taskDefinition": task_definition,
        "containerImages": [
            {"containerName": c["name"], "image": c["image"]} for c in containers if c.get("image")
        ],
        "guardDutyEnabled": False,
        "createdAt": utcnow(),
    }
    if service.launch_type:
        snapshot["launchType"] = service.launch_type
    if service.launch_type == "FARGATE":
        snapshot.update(platformVersion=service.platform_version or "1.4.0", platformFamily="Linux")
    network = getattr(service, "network_configuration", None)
    if network:
        snapshot["networkConfiguration"] = copy.deepcopy(network)
    _store(service, "service_revisions")[arn] = snapshot
    return arn


def prepare(service: Service, task_definition: str | None) -> str:
    """The revision the service's next deployment of `task_definition` will take."""
    prepared = _store(service, "prepared_revisions")
    if task_definition not in prepared:
        prepared[task_definition] = _create(service, task_definition)
    return str(prepared[task_definition])


def of_deployment(service: Service, deployment_id: str, task_definition: str | None) -> str:
    """The revision a DescribeServices deployment runs: made when the deployment started."""
    bound = _store(service, "deployment_revisions")
    if deployment_id not in bound:
        prepared = _store(service, "prepared_revisions")
        bound[deployment_id] = prepared.pop(task_definition, None) or _create(
            service, task_definition
        )
    return str(bound[deployment_id])


def share(service: Service, deployment_id: str, arn: str) -> None:
    """A rollback's deployment runs the revision it rolls back to; no new one is made."""
    _store(service, "deployment_revisions")[deployment_id] = arn


def backdate(service: Service, arn: str, by: timedelta) -> None:
    """A revision made `by` earlier (a service that has run for months)."""
    _store(service, "service_revisions")[arn]["createdAt"] -= by


def service_of(backend: EC2ContainerServiceBackend, arn: str, kind: str) -> Service | None:
    """The service named by .../<kind>/<cluster>/<service>/<id>, while it is not deleted."""
    parts = arn.split(f":{kind}/")[-1].split("/")
    if len(parts) != 3:
        return None
    service = backend.services.get(f"{parts[0]}:{parts[1]}")
    return service if service is not None and service.status == "ACTIVE" else None


def describe(
    backend: EC2ContainerServiceBackend, arns: list[str]
) -> tuple[list[dict[str, Any]], list[dict[str, str]]]:
    """DescribeServiceRevisions' serviceRevisions and failures."""
    if not arns or len(arns) > 20:
        raise InvalidParameterException("serviceRevisionArns must have 1 to 20 entries.")
    found, failures = [], []
    for arn in arns:
        service = service_of(backend, arn, "service-revision")
        snapshot = _store(service, "service_revisions").get(arn) if service is not None else None
        if snapshot is None:
            failures.append({"arn": arn, "reason": "MISSING"})
            continue
        found.append(copy.deepcopy(snapshot))
    return found, failures
