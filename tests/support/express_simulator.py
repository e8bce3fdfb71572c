"""ECS Express Mode services (Create/Update/Describe/DeleteExpressGatewayService), served by the
stack's moto on top of the rollout simulator and its service deployments.

Why: moto has no Express APIs. An Express service is an ECS service that ECS creates and
deploys itself (canary, alarm rollback) behind a load balancer it also makes, so this module
keeps the service a moto Service (DescribeServices, ListTasks, TagResource see it as ECS does)
and runs its deployments through ``service_deployments`` (ListServiceDeployments,
DescribeServiceDeployments). ``install()`` after ``service_deployments.install()``
(``tests/support/moto_server.py`` does all three). The request/response shapes are botocore's
(1.44: the four operations, ``ECSExpressGatewayService``); each rule below names its source.

Sources (cited below by the short name in brackets)
    [create]   API reference, CreateExpressGatewayService (and the same text in botocore's model)
               https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_CreateExpressGatewayService.html
    [update]   API reference, UpdateExpressGatewayService (API_UpdateExpressGatewayService.html)
    [describe] API reference, DescribeExpressGatewayService (API_DescribeExpressGatewayService.html)
    [delete]   API reference, DeleteExpressGatewayService (API_DeleteExpressGatewayService.html)
    [guide-update] Developer Guide, "Updating an Amazon ECS Express Mode service"
               https://docs.aws.amazon.com/AmazonECS/latest/developerguide/express-service-update-full.html
    [guide-work]   Developer Guide, "Resources created by Amazon ECS Express Mode services"
               https://docs.aws.amazon.com/AmazonECS/latest/developerguide/express-service-work.html
    [guide-cli]    Developer Guide, "Create your first Express Mode service using the AWS CLI"
               https://docs.aws.amazon.com/AmazonECS/latest/developerguide/express-service-getting-started.html
    [service]  API reference, Service.resourceManagementType and ListServices.resourceManagementType
    [action]   aws-actions/amazon-ecs-deploy-express-service (index.js): an existing service is
               found with DescribeServices (status not INACTIVE); the wait is
               ListServiceDeployments(createdAt.after) + DescribeServiceDeployments to SUCCESSFUL;
               the URL is activeConfigurations[0].ingressPaths[0].endpoint
    [ecspresso] kayac/ecspresso#905: a real service's ingress path is printed as
               ``PUBLIC pr-xxxxxxxxxxxxxxx.ecs.ap-northeast-1.on.aws`` (no scheme)
    [terraform] hashicorp/terraform-provider-aws, ECS Express Gateway Service resource: a missing
               service is ResourceNotFoundException or InvalidParameterException "Resource not
               found"; a deleted one is found INACTIVE

Rules
    Create [create]: ``infrastructureRoleArn`` is required. Either ``taskDefinitionArn`` or
        ``primaryContainer`` (with an image); with ``taskDefinitionArn`` none of
        primaryContainer, executionRoleArn, taskRoleArn, cpu, memory, cpuArchitecture. That task
        definition "must have a container named Main with a single TCP port mapping that
        includes a container port and port name" and "FARGATE compatibility". ``serviceName``:
        up to 255 letters, numbers, underscores and hyphens, unique in the cluster; generated
        when omitted. ``healthCheckPath`` starts with ``/``; default ``/ping``. A container port
        defaults to 80; cpu 256 and memory 512 (the API reference; [guide-work] says 1024 and
        2048 for the console; only the primaryContainer path uses them). ``cluster`` defaults to
        ``default``, which Express creates when missing [guide-work]; another missing cluster is
        ClusterNotFoundException. Up to 50 tags. The service: Fargate, awsvpc, desiredCount =
        ``scalingTarget.minTaskCount`` (default 1), ``resourceManagementType`` ECS [service],
        status ACTIVE, and a service deployment for the creation (``currentDeployment``).
    Deployments [guide-update]: canary, 5 % of traffic, 3 minutes' bake, then 100 %, 3 minutes'
        bake, old tasks stopped; alarm-based rollback. Here: deploymentConfiguration CANARY
        (canaryPercent 5.0, canaryBakeTimeInMinutes 3, bakeTimeInMinutes 3, alarms with
        rollback), run by ``service_deployments`` (one tick = one simulated minute; its
        scenario tags apply to updates). The creation deployment always succeeds.
    Update [update]: ServiceNotFoundException for an unknown service, ServiceNotActiveException
        for a DRAINING or INACTIVE one. The same task-definition rules as Create; what is not
        given stays as it is ("the service keeps its current architecture"); the infrastructure
        role cannot change. Every update makes a new service revision and a deployment ("Amazon
        ECS creates a new service revision with updated configuration"); the answer's
        ``targetConfiguration`` is that revision.
    Describe [describe]: ``activeConfigurations`` are the revisions the service runs (both while
        a deployment shifts traffic, one after it), newest first; ``ingressPaths`` one PUBLIC
        endpoint (an internet-facing load balancer in the default VPC [guide-cli]); ``tags``
        only with include TAGS.
    Delete [delete]: "The service enters a DRAINING state ... After all tasks stop, the service
        and infrastructure are permanently removed": DRAINING at once (tasks stopped), INACTIVE
        two ticks later. ServiceNotFoundException for an unknown service,
        ServiceNotActiveException for a DRAINING or INACTIVE one.

What the docs leave open, served each way (a tag on the cluster chooses)
    ``simulator:express-endpoint``  host (default, as [ecspresso] shows) | https: the endpoint
        with ``https://`` (as the action's own tests write it).
    ``simulator:express-missing``   resource-not-found (default, [describe]'s error list) |
        invalid-parameter (InvalidParameterException "Resource not found", [terraform]): what
        Describe says of a service that does not exist.
    ``simulator:express-deleted``   inactive (default: an INACTIVE service is still described,
        [terraform]) | gone (once INACTIVE it is no longer found at all).
    ``simulator:express-taken``     the error for a Create of a name in use, and
    ``simulator:express-listed-after`` how many reads a new service stays unseen: see
        ``tests/support/express_reads.py``.

Scenario tags (on the service, as for ``service_deployments``): ``simulator:native-scenario``
    and ``simulator:native-fail-at`` make an update fail; with ``simulator:express-canary=crash``
    the canary's task also crashes when it does (stopCode EssentialContainerExited, exit code
    ``simulator:exit-code``, default 1, and what it printed, ``sim_logs``), started by the
    update's ECS deployment, as the cause of the alarm.

Not like real ECS
    No load balancer, target group, certificate, security group or scaling policy is made (the
    answers name none: the shapes have no place for them outside ``include``); the
    infrastructure role is not assumed or checked; ``statusReason`` texts, the generated
    names, the endpoint's host, the scaling limits' defaults (1 and 20 tasks) and the
    revision order in ``activeConfigurations`` are not documented; the default cluster is
    made without capacity providers.
"""

from __future__ import annotations

import re
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from moto.core.exceptions import ServiceException
from moto.core.responses import ActionResult
from moto.core.utils import utcnow
from moto.ecs.exceptions import (
    ClusterNotFoundException,
    InvalidParameterException,
    ServiceNotFoundException,
)
from moto.ecs.models import EC2ContainerServiceBackend, Service, ecs_backends
from moto.ecs.responses import EC2ContainerServiceResponse

from tests.support import ecs_simulator, express_reads, service_deployments

ENDPOINT_TAG = "simulator:express-endpoint"
MISSING_TAG = "simulator:express-missing"
DELETED_TAG = "simulator:express-deleted"
CANARY_TAG = "simulator:express-canary"
DRAIN_TICKS = 2
DEFAULT_HEALTH_CHECK_PATH = "/ping"
NAME = re.compile(r"^[A-Za-z0-9_-]{1,255}$")
TASK_DEFINITION_ONLY = (
    "primaryContainer",
    "executionRoleArn",
    "taskRoleArn",
    "cpu",
    "memory",
    "cpuArchitecture",
)
EXPRESS_DEPLOYMENTS = {
    "strategy": "CANARY",
    "canaryConfiguration": {"canaryPercent": 5.0, "canaryBakeTimeInMinutes": 3},
    "bakeTimeInMinutes": 3,
    "maximumPercent": 200,
    "minimumHealthyPercent": 100,
}

_LOCK = threading.RLock()
_ORIGINALS: dict[str, Callable[..., Any]] = {}


class ServiceNotActiveException(ServiceException):
    """[update]/[delete] errors: the service is DRAINING or INACTIVE."""

    def __init__(self) -> None:
        super().__init__("ServiceNotActiveException", "Service is not ACTIVE.")


class ResourceNotFoundException(ServiceException):
    """[describe] errors: "The specified resource wasn't found." """

    def __init__(self, arn: str) -> None:
        super().__init__("ResourceNotFoundException", f"Resource not found: {arn}")


@dataclass
class Express:
    """Simulator state of one Express service, kept on its moto Service (reset with it)."""

    infrastructure_role_arn: str
    endpoint: str
    created_at: datetime
    updated_at: datetime
    revisions: dict[str, dict[str, Any]]  # task definition ARN -> its configuration payload
    drain_left: int | None = None


# --------------------------------------------------------------------------- helpers


def _cluster_tags(backend: EC2ContainerServiceBackend, cluster: str) -> dict[str, str]:
    found = backend.clusters.get(cluster.split("/")[-1])
    return {t["key"]: t["value"] for t in (getattr(found, "tags", None) or [])}


def _service_tags(service: Service) -> dict[str, str]:
    return {t["key"]: t["value"] for t in service.tags or []}


def _express(service: Service | None) -> Express | None:
    return getattr(service, "express", None)


def _split_arn(arn: str) -> tuple[str, str]:
    """(cluster, name) of ``arn:...:service/CLUSTER/NAME`` (or the short ``service/NAME``)."""
    parts = arn.split(":service/")[-1].split("/")
    return ("default", parts[0]) if len(parts) == 1 else (parts[0], parts[-1])


def _lookup(backend: EC2ContainerServiceBackend, arn: str) -> Service | None:
    cluster, name = _split_arn(arn)
    if cluster not in backend.clusters:
        raise ClusterNotFoundException
    service = backend.services.get(f"{cluster}:{name}")
    return service if _express(service) is not None else None


def _check_task_definition(backend: EC2ContainerServiceBackend, arn: str) -> None:
    """[create]/[update] taskDefinitionArn: Main, one TCP port mapping with a port and a
    name, FARGATE compatibility."""
    revision = backend.describe_task_definition(arn)
    main = next((c for c in revision.container_definitions if c.get("name") == "Main"), None)
    if main is None:
        raise InvalidParameterException("The task definition must have a container named Main.")
    mappings = main.get("portMappings") or []
    if len(mappings) != 1:
        raise InvalidParameterException(
            f"The container Main must have exactly one port mapping; it has {len(mappings)}."
        )
    (mapping,) = mappings
    if str(mapping.get("protocol", "tcp")).lower() != "tcp":
        raise InvalidParameterException("The port mapping of the container Main must be TCP.")
    if not mapping.get("containerPort") or not mapping.get("name"):
        raise InvalidParameterException(
            "The port mapping of the container Main must have a containerPort and a name."
        )
    if "FARGATE" not in (revision.requires_compatibilities or []):
        raise InvalidParameterException("The task definition must be compatible with FARGATE.")


def _check_request(backend: EC2ContainerServiceBackend, params: dict[str, Any]) -> None:
    """The rules Create and Update share [create][update]."""
    if params.get("taskDefinitionArn"):
        given = [key for key in TASK_DEFINITION_ONLY if params.get(key) is not None]
        if given:
            raise InvalidParameterException(
                f"taskDefinitionArn cannot be specified with {', '.join(given)}."
            )
        _check_task_definition(backend, params["taskDefinitionArn"])
    path = params.get("healthCheckPath")
    if path is not None and not str(path).startswith("/"):
        raise InvalidParameterException("healthCheckPath must start with a forward slash.")
    scaling = params.get("scalingTarget") or {}
    low, high = scaling.get("minTaskCount"), scaling.get("maxTaskCount")
    if low is not None and high is not None and int(low) > int(high):
        raise InvalidParameterException("minTaskCount must not exceed maxTaskCount.")


def _register_primary(
    backend: EC2ContainerServiceBackend, cluster: str, name: str, params: dict[str, Any]
) -> str:
    """The task definition Express makes from ``primaryContainer`` [guide-work]."""
    given = params["primaryContainer"]
    logs = given.get("awsLogsConfiguration") or {}
    container: dict[str, Any] = {
        "name": "Main",
        "image": given["image"],
        "essential": True,
        "portMappings": [
            {
                "containerPort": int(given.get("containerPort") or 80),
                "protocol": "tcp",
                "name": "main",
            }
        ],
        "environment": given.get("environment") or [],
        "secrets": given.get("secrets") or [],
        "logConfiguration": {
            "logDriver": "awslogs",
            "options": {
                "awslogs-group": logs.get("logGroup") or f"/aws/ecs/{cluster}/{name}",
                "awslogs-region": backend.region_name,
                "awslogs-stream-prefix": logs.get("logStreamPrefix") or "ecs",
                "awslogs-create-group": "true",
            },
        },
    }
    if given.get("command"):
        container["command"] = given["command"]
    revision = backend.register_task_definition(
        family=name,
        container_definitions=[container],
        volumes=None,
        network_mode="awsvpc",
        requires_compatibilities=["FARGATE"],
        cpu=str(params.get("cpu") or "256"),
        memory=str(params.get("memory") or "512"),
        execution_role_arn=params.get("executionRoleArn"),
        task_role_arn=params.get("taskRoleArn"),
        runtime_platform={
            "cpuArchitecture": params.get("cpuArchitecture") or "X86_64",
            "operatingSystemFamily": "LINUX",
        },
    )
    return str(revision.arn)


def _configuration(
    backend: EC2ContainerServiceBackend,
    service: Service,
    task_definition: str,
    params: dict[str, Any],
    previous: dict[str, Any] | None,
) -> dict[str, Any]:
    """An ExpressGatewayServiceConfiguration: what was given, else what was, else defaults."""
    revision = backend.describe_task_definition(task_definition)
    main = next((c for c in revision.container_definitions if c.get("name") == "Main"), {})
    before = previous or {}
    scaling = {
        "minTaskCount": 1,
        "maxTaskCount": 20,
        "autoScalingMetric": "AVERAGE_CPU",
        "autoScalingTargetValue": 60,
    }
    scaling.update(before.get("scalingTarget") or {})
    scaling.update(params.get("scalingTarget") or {})
    config: dict[str, Any] = {
        "serviceRevisionArn": service_deployments._revision_arn(service, task_definition),
        "taskDefinitionArn": task_definition,
        "cpu": str(revision.cpu or before.get("cpu") or "256"),
        "memory": str(revision.memory or before.get("memory") or "512"),
        "healthCheckPath": params.get("healthCheckPath")
        or before.get("healthCheckPath")
        or DEFAULT_HEALTH_CHECK_PATH,
        "scalingTarget": scaling,
        "ingressPaths": [{"accessType": "PUBLIC", "endpoint": _express_endpoint(service)}],
        "createdAt": utcnow(),
    }
    network = params.get("networkConfiguration") or before.get("networkConfiguration")
    if network:
        config["networkConfiguration"] = network
    for key, value in (
        ("executionRoleArn", getattr(revision, "execution_role_arn", None)),
        ("taskRoleArn", getattr(revision, "task_role_arn", None)),
    ):
        if value:
            config[key] = value
    if params.get("primaryContainer"):
        config["primaryContainer"] = params["primaryContainer"]
        config["cpuArchitecture"] = params.get("cpuArchitecture") or "X86_64"
    elif main:
        config["primaryContainer"] = {
            "image": main.get("image", ""),
            "containerPort": int((main.get("portMappings") or [{}])[0].get("containerPort", 80)),
        }
    return config


def _express_endpoint(service: Service) -> str:
    express = _express(service)
    return express.endpoint if express else ""


def _payload(service: Service, *, tags: bool) -> dict[str, Any]:
    """The ECSExpressGatewayService shape [describe]."""
    express = _express(service)
    assert express is not None
    code = {"ACTIVE": "ACTIVE", "DRAINING": "DRAINING"}.get(service.status, "INACTIVE")
    running = []
    for deployment in ecs_simulator._deployments(service):
        arn = deployment.get("taskDefinition")
        if arn in express.revisions and express.revisions[arn] not in running:
            running.append(express.revisions[arn])
    body: dict[str, Any] = {
        "cluster": service.cluster_arn,
        "serviceName": service.name,
        "serviceArn": service.arn,
        "infrastructureRoleArn": express.infrastructure_role_arn,
        "status": {"statusCode": code},
        "activeConfigurations": running if code == "ACTIVE" else [],
        "createdAt": express.created_at,
        "updatedAt": express.updated_at,
    }
    current = getattr(service, "current_service_deployment", None)
    if current:
        body["currentDeployment"] = current
    if tags:
        body["tags"] = list(service.tags or [])
    return body


def _endpoint(backend: EC2ContainerServiceBackend, cluster: str, name: str) -> str:
    """A host like [ecspresso]'s, with ``https://`` when the cluster asks for it."""
    host = f"{name[:20].lower()}-{uuid.uuid4().hex[:15]}.ecs.{backend.region_name}.on.aws"
    scheme = _cluster_tags(backend, cluster).get(ENDPOINT_TAG, "host")
    if scheme not in ("host", "https"):
        raise InvalidParameterException(f"{ENDPOINT_TAG} is host or https, not {scheme!r}")
    return f"https://{host}" if scheme == "https" else host


def _not_found(backend: EC2ContainerServiceBackend, arn: str) -> ServiceException:
    cluster, _ = _split_arn(arn)
    how = _cluster_tags(backend, cluster).get(MISSING_TAG, "resource-not-found")
    if how == "invalid-parameter":
        return InvalidParameterException(f"Resource not found: {arn}")
    return ResourceNotFoundException(arn)


# --------------------------------------------------------------------------- operations


def _create(backend: EC2ContainerServiceBackend, params: dict[str, Any]) -> Service:
    """[create]: the service, its revision, and the creation's service deployment."""
    if not params.get("infrastructureRoleArn"):
        raise InvalidParameterException("infrastructureRoleArn is required.")
    if not params.get("taskDefinitionArn") and not (params.get("primaryContainer") or {}).get(
        "image"
    ):
        raise InvalidParameterException("Specify a taskDefinitionArn or a primaryContainer.")
    _check_request(backend, params)
    cluster = str(params.get("cluster") or "default").split("/")[-1]
    if cluster not in backend.clusters:
        if cluster != "default":
            raise ClusterNotFoundException
        backend.create_cluster("default")  # [guide-work]: "if it does not already exist"
    name = params.get("serviceName") or f"express-{uuid.uuid4().hex[:12]}"
    if not NAME.match(name):
        raise InvalidParameterException(
            "serviceName can contain up to 255 letters, numbers, underscores and hyphens."
        )
    tags = _cluster_tags(backend, cluster)
    unseen = express_reads.unseen_reads(tags)
    existing = backend.services.get(f"{cluster}:{name}")
    if existing is not None and existing.status != "INACTIVE":
        raise express_reads.taken(tags, name)  # [create] serviceName: unique in the cluster
    if len(params.get("tags") or []) > 50:
        raise InvalidParameterException("A service can have up to 50 tags.")
    task_definition = params.get("taskDefinitionArn") or _register_primary(
        backend, cluster, name, params
    )
    task_definition = str(backend.describe_task_definition(task_definition).arn)
    network = params.get("networkConfiguration")
    desired = int((params.get("scalingTarget") or {}).get("minTaskCount") or 1)
    service = backend.create_service(
        cluster,
        name,
        desired,
        task_definition_str=task_definition,
        tags=list(params.get("tags") or []),
        launch_type="FARGATE",
        network_configuration={
            "awsvpcConfiguration": {
                "subnets": network.get("subnets") or [],
                "securityGroups": network.get("securityGroups") or [],
            }
        }
        if network
        else None,
    )
    now = utcnow()
    service.unseen_reads = unseen  # type: ignore[attr-defined]
    service.resource_management_type = "ECS"  # type: ignore[attr-defined]
    service.express = Express(  # type: ignore[attr-defined]
        infrastructure_role_arn=params["infrastructureRoleArn"],
        endpoint=_endpoint(backend, cluster, name),
        created_at=now,
        updated_at=now,
        revisions={},
    )
    service.express.revisions[task_definition] = _configuration(  # type: ignore[attr-defined]
        backend, service, task_definition, params, None
    )
    ecs_simulator._merge_configuration(service, {**EXPRESS_DEPLOYMENTS, **_alarms(name)})
    deployment = ecs_simulator._primary(service)
    assert deployment is not None
    # The creation is a deployment like any other (the action waits for it [action]): it stays
    # IN_PROGRESS until its service deployment succeeds, which then marks it COMPLETED.
    ecs_simulator._touch(
        deployment,
        rolloutState="IN_PROGRESS",
        rolloutStateReason=f"ECS deployment {deployment['id']} in progress.",
    )
    sim = ecs_simulator._sim(service)
    sim.last_completed = None
    rollout = sim.rollouts.get(deployment["id"])
    if rollout is not None:
        rollout.scenario = ecs_simulator.Scenario(name=ecs_simulator.STUCK)
    service_deployments._start(service, deployment, None)
    service_deployments._state(service)[0].scenario = service_deployments.NativeScenario()
    return service


def _alarms(name: str) -> dict[str, Any]:
    """[guide-work] "Metric alarm for detecting faulty deployments"; [guide-update] rollback."""
    return {"alarms": {"alarmNames": [f"{name}-4xx-5xx"], "enable": True, "rollback": True}}


def _update(backend: EC2ContainerServiceBackend, params: dict[str, Any]) -> Service:
    """[update]: a new revision of the configuration and its deployment."""
    service = _lookup(backend, str(params.get("serviceArn", "")))
    express = _express(service)
    if service is None or express is None:
        raise ServiceNotFoundException
    if service.status != "ACTIVE":
        raise ServiceNotActiveException()
    _check_request(backend, params)
    current = str(service.task_definition)
    if params.get("taskDefinitionArn"):
        target = str(backend.describe_task_definition(params["taskDefinitionArn"]).arn)
    elif params.get("primaryContainer"):
        target = _register_primary(backend, service.cluster_name, service.name, params)
    else:
        target = current
    config = _configuration(backend, service, target, params, express.revisions.get(current))
    express.revisions[target] = config
    express.updated_at = utcnow()
    scaling = config["scalingTarget"]
    desired = min(max(service.desired_count, scaling["minTaskCount"]), scaling["maxTaskCount"])
    backend.update_service(
        {
            "cluster": service.cluster_name,
            "service": service.name,
            "task_definition": target,
            "desired_count": desired,
            "force_new_deployment": target == current,
        }
    )
    return service


def _delete(backend: EC2ContainerServiceBackend, arn: str) -> Service:
    """[delete]: DRAINING now, its tasks stopped; INACTIVE after DRAIN_TICKS ticks."""
    service = _lookup(backend, arn)
    express = _express(service)
    if service is None or express is None:
        raise ServiceNotFoundException
    if service.status != "ACTIVE":
        raise ServiceNotActiveException()
    sim = ecs_simulator._sim(service)
    ecs_simulator._stop_rollout_tasks(sim.rollouts.values(), "express service deletion")
    service.status = "DRAINING"
    service.desired_count = 0
    express.drain_left = DRAIN_TICKS
    express.updated_at = utcnow()
    ecs_simulator._sync_counts(backend, service)
    return service


def _tick(backend: EC2ContainerServiceBackend, service: Service) -> None:
    """A draining Express service moves towards INACTIVE; every other tick is as before."""
    express = _express(service)
    if express is not None and express.drain_left is not None and service.status == "DRAINING":
        express.drain_left -= 1
        if express.drain_left <= 0:
            service.status = "INACTIVE"
            service.deployments = []
            if _cluster_tags(backend, service.cluster_name).get(DELETED_TAG) == "gone":
                backend.services.pop(f"{service.cluster_name}:{service.name}", None)
        return
    _ORIGINALS["tick"](backend, service)


def _advance(service: Service, native: service_deployments.NativeDeployment) -> None:
    """service_deployments' tick; when an Express update fails with
    ``simulator:express-canary=crash``, its canary task crashed first."""
    before = native.status
    _ORIGINALS["advance"](service, native)
    failed = native.status in ("ROLLBACK_REQUESTED", "STOPPED") and before == "IN_PROGRESS"
    if failed and _express(service) and _service_tags(service).get(CANARY_TAG) == "crash":
        account = str(service.arn).split(":")[4]
        backend = ecs_backends[account][service.region_name]
        rollout = ecs_simulator._sim(service).rollouts.get(native.deployment_id)
        if rollout is not None:
            (task,) = ecs_simulator._start_tasks(backend, service, rollout, 1)
            rollout.scenario = ecs_simulator.Scenario.from_tags(service.tags)
            ecs_simulator._fail_tasks(rollout, [task], started=True)


# --------------------------------------------------------------------------- responses


def _response_create(self: EC2ContainerServiceResponse) -> ActionResult:
    with ecs_simulator._LOCK, _LOCK:
        service = _create(self.ecs_backend, self._get_params())
        return ActionResult({"service": _payload(service, tags=True)})


def _response_update(self: EC2ContainerServiceResponse) -> ActionResult:
    with ecs_simulator._LOCK, _LOCK:
        service = _update(self.ecs_backend, self._get_params())
        body = _payload(service, tags=False)
        express = _express(service)
        assert express is not None
        return ActionResult(
            {
                "service": {
                    "serviceArn": body["serviceArn"],
                    "cluster": body["cluster"],
                    "serviceName": body["serviceName"],
                    "status": body["status"],
                    "targetConfiguration": express.revisions[str(service.task_definition)],
                    "createdAt": body["createdAt"],
                    "updatedAt": body["updatedAt"],
                }
            }
        )


def _response_describe(self: EC2ContainerServiceResponse) -> ActionResult:
    """One tick (as DescribeServices), then the service [describe]."""
    arn = str(self._get_param("serviceArn", ""))
    backend = self.ecs_backend
    with ecs_simulator._LOCK, _LOCK:
        service = _lookup(backend, arn)
        if service is None or express_reads.read_unseen(service):
            raise _not_found(backend, arn)
        ecs_simulator.tick(backend, service)
        if _lookup(backend, arn) is None:
            raise _not_found(backend, arn)
        include = self._get_param("include") or []
        return ActionResult({"service": _payload(service, tags="TAGS" in include)})


def _response_delete(self: EC2ContainerServiceResponse) -> ActionResult:
    with ecs_simulator._LOCK, _LOCK:
        service = _delete(self.ecs_backend, str(self._get_param("serviceArn", "")))
        return ActionResult({"service": _payload(service, tags=False)})


def _response_list_services(self: EC2ContainerServiceResponse) -> ActionResult:
    """ListServices' resourceManagementType filter [service] (moto ignores it)."""
    result: ActionResult = _ORIGINALS["response_list_services"](self)
    wanted = self._get_param("resourceManagementType")
    if not wanted:
        return result
    backend = self.ecs_backend
    arns = []
    for arn in result.result["serviceArns"]:  # type: ignore[index]
        cluster, name = _split_arn(arn)
        service = backend.services.get(f"{cluster}:{name}")
        kind = getattr(service, "resource_management_type", "CUSTOMER")
        if kind == wanted:
            arns.append(arn)
    return ActionResult({"serviceArns": arns})


_RESPONSES: dict[str, Callable[[EC2ContainerServiceResponse], ActionResult]] = {
    "create_express_gateway_service": _response_create,
    "update_express_gateway_service": _response_update,
    "describe_express_gateway_service": _response_describe,
    "delete_express_gateway_service": _response_delete,
}


def install() -> None:
    """Add the four Express APIs to moto's ECS responses; needs ``service_deployments``
    installed first; calling it again is a no-op."""
    with _LOCK:
        if _ORIGINALS:
            return
        if not ecs_simulator.installed():
            raise RuntimeError("install the rollout simulator and service deployments first")
        _ORIGINALS["tick"] = ecs_simulator.tick
        ecs_simulator.tick = _tick
        _ORIGINALS["advance"] = service_deployments._advance
        service_deployments._advance = _advance
        _ORIGINALS["response_list_services"] = EC2ContainerServiceResponse.list_services
        EC2ContainerServiceResponse.list_services = _response_list_services  # type: ignore[method-assign]
        EC2ContainerServiceResponse.describe_services = express_reads.describe_services_hiding(  # type: ignore[method-assign]
            EC2ContainerServiceResponse.describe_services
        )
        for name, func in _RESPONSES.items():
            setattr(EC2ContainerServiceResponse, name, func)
