"""The CodeDeploy simulator's answers, patched into moto's CodeDeploy responses in-process.

Why a module of its own: ``codedeploy_simulator`` decides what happens; this one turns its
state into the API's output shapes (CodeDeploy API reference: GetDeployment ->
``DeploymentInfo``, GetDeploymentTarget / BatchGetDeploymentTargets -> ``DeploymentTarget``
with an ``ECSTarget``, ListDeploymentTargets, BatchGetDeploymentGroups -> ``DeploymentGroupInfo``,
StopDeployment, ContinueDeployment, PutLifecycleEventHookExecutionStatus) and adds what moto
lacks: the target APIs, Stop/Continue, hook results, BatchGetDeploymentGroups and
``nextToken`` paging on every list. /moto-api/simulator/codedeploy-hook-invocations lists the
Lambda invocations a real CodeDeploy would have made, for a test to play the function. Every
answer is built from the shape's own member names (no empty placeholders), so it validates
against botocore's output shapes (tests/simulator/test_codedeploy_simulator.py checks each).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import parse_qs, urlsplit

from moto.codedeploy.models import CodeDeployBackend, DeploymentGroup, DeploymentInfo
from moto.codedeploy.responses import CodeDeployResponse
from moto.core.responses import ActionResult, EmptyResult
from moto.ecs.models import EC2ContainerServiceBackend

from tests.support import codedeploy_ecs, codedeploy_simulator
from tests.support.codedeploy_simulator import PAGE_SIZE, CodeDeployError, Sim, sim_of
from tests.support.ecs_simulator import _LOCK

_ORIGINALS: dict[str, Callable[..., Any]] = {}


def page(items: Sequence[str], token: str | None) -> dict[str, Any]:
    """One page of ``items`` and the token of the next, while more remain."""
    start = int(token) if token and str(token).isdigit() else 0
    result: dict[str, Any] = {"items": list(items[start : start + PAGE_SIZE])}
    if start + PAGE_SIZE < len(items):
        result["nextToken"] = str(start + PAGE_SIZE)
    return result


def _drop_empty(value: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in value.items() if v not in (None, {}, [], "")}


def group_info(group: DeploymentGroup) -> dict[str, Any]:
    """DeploymentGroupInfo (API reference), with only the members the group has."""
    return _drop_empty(
        {
            "applicationName": group.application.application_name,
            "deploymentGroupId": group.deployment_group_id,
            "deploymentGroupName": group.deployment_group_name,
            "deploymentConfigName": str(group.deployment_config_name),
            "serviceRoleArn": group.service_role_arn,
            "autoRollbackConfiguration": group.auto_rollback_configuration,
            "alarmConfiguration": group.alarm_configuration
            if isinstance(group.alarm_configuration, dict)
            else None,
            "deploymentStyle": group.deployment_style,
            "blueGreenDeploymentConfiguration": group.blue_green_deployment_configuration,
            "loadBalancerInfo": group.load_balancer_info,
            "computePlatform": group.application.compute_platform,
            "ecsServices": group.ecs_services,
        }
    )


def deployment_info(deployment: DeploymentInfo) -> dict[str, Any]:
    """DeploymentInfo (API reference, "DeploymentInfo")."""
    sim = sim_of(deployment)
    group = deployment.deployment_group
    overview = dict.fromkeys(
        ("Pending", "InProgress", "Succeeded", "Failed", "Skipped", "Ready"), 0
    )
    overview[sim.target_status if sim.target_status in overview else "Failed"] += 1
    return _drop_empty(
        {
            "applicationName": deployment.application_name,
            "deploymentGroupName": deployment.deployment_group_name,
            "deploymentConfigName": str(deployment.deployment_config_name),
            "deploymentId": deployment.deployment_id,
            "revision": deployment.revision,
            "status": deployment.status,
            "errorInformation": sim.error,
            "createTime": deployment.create_time,
            "startTime": deployment.start_time,
            "completeTime": deployment.complete_time,
            "deploymentOverview": overview,
            "description": deployment.description,
            "creator": deployment.creator,
            "autoRollbackConfiguration": deployment.auto_rollback_configuration,
            "rollbackInfo": sim.rollback,
            "deploymentStyle": group.deployment_style,
            "blueGreenDeploymentConfiguration": group.blue_green_deployment_configuration,
            "loadBalancerInfo": group.load_balancer_info,
            "computePlatform": "ECS",
            "deploymentStatusMessages": [],
        }
    ) | {"instanceTerminationWaitTimeStarted": sim.termination_started}


def _target_groups(deployment: DeploymentInfo) -> list[dict[str, Any]]:
    pairs = (deployment.deployment_group.load_balancer_info or {}).get(
        "targetGroupPairInfoList"
    ) or [{}]
    return list(pairs[0].get("targetGroups") or [])


def ecs_target(deployment: DeploymentInfo) -> dict[str, Any]:
    """A DeploymentTarget of type ECSTarget (API reference "ECSTarget", "ECSTaskSet")."""
    sim = sim_of(deployment)
    assert sim.service is not None
    groups = _target_groups(deployment)
    sets = []
    for index, (task_set, weight, label) in enumerate(
        ((sim.original, sim.weights[0], "Blue"), (sim.replacement, sim.weights[1], "Green"))
    ):
        if task_set is None:
            continue
        info = {
            "identifer": task_set.id,  # sic: the API's member name
            "desiredCount": int(getattr(task_set, "computedDesiredCount", 0)),
            "pendingCount": int(getattr(task_set, "pendingCount", 0)),
            "runningCount": int(getattr(task_set, "runningCount", 0)),
            "status": task_set.status,
            "trafficWeight": weight,
            "taskSetLabel": label,
        }
        if index < len(groups):
            info["targetGroup"] = groups[index]
        sets.append(info)
    events = [_drop_empty(dict(e)) for e in sim.events]
    return {
        "deploymentTargetType": "ECSTarget",
        "ecsTarget": {
            "deploymentId": deployment.deployment_id,
            "targetId": codedeploy_simulator.target_id(sim),
            "targetArn": sim.service.arn,
            "lastUpdatedAt": sim.updated,
            "lifecycleEvents": events,
            "status": sim.target_status,
            "taskSetsInfo": sets,
        },
    }


# --------------------------------------------------------------------------- backend patch


def _create_deployment(
    self: CodeDeployBackend,
    application_name: str,
    deployment_group_name: str,
    revision: dict[str, Any],
    *args: Any,
    **kwargs: Any,
) -> str:
    """CreateDeployment: one active deployment per group, ``d-`` ids, then the simulator."""
    with _LOCK:
        active = codedeploy_simulator.active_deployment(
            self, application_name, deployment_group_name
        )
        if active is not None:
            raise CodeDeployError(
                "DeploymentLimitExceededException",
                f"The Deployment Group '{deployment_group_name}' already has an active "
                f"Deployment '{active}'",
            )
        moto_id = _ORIGINALS["create_deployment"](
            self, application_name, deployment_group_name, revision, *args, **kwargs
        )
        deployment = self.deployments.pop(moto_id)
        deployment.deployment_id = codedeploy_simulator.new_deployment_id()
        self.deployments[deployment.deployment_id] = deployment
        codedeploy_simulator.create(self, deployment)
        return str(deployment.deployment_id)


def _create_service(self: EC2ContainerServiceBackend, *args: Any, **kwargs: Any) -> Any:
    with _LOCK:
        service = _ORIGINALS["create_service"](self, *args, **kwargs)
        codedeploy_ecs.on_create_service(self, service)
        return service


# --------------------------------------------------------------------------- responses


def _backend(self: CodeDeployResponse) -> CodeDeployBackend:
    return self.codedeploy_backend


def _deployment(self: CodeDeployResponse) -> DeploymentInfo:
    return _backend(self).get_deployment(self._get_param("deploymentId"))


def list_applications(self: CodeDeployResponse) -> ActionResult:
    found = page(sorted(_backend(self).applications), self._get_param("nextToken"))
    return ActionResult({"applications": found.pop("items"), **found})


def list_deployment_groups(self: CodeDeployResponse) -> ActionResult:
    name = self._get_param("applicationName")
    _backend(self).get_application(name)
    groups = sorted(_backend(self).deployment_groups.get(name, {}))
    found = page(groups, self._get_param("nextToken"))
    return ActionResult({"applicationName": name, "deploymentGroups": found.pop("items"), **found})


def list_deployments(self: CodeDeployResponse) -> ActionResult:
    backend = _backend(self)
    ids = backend.list_deployments(
        self._get_param("applicationName"),
        self._get_param("deploymentGroupName"),
        self._get_param("externalId"),
        self._get_param("includeOnlyStatuses"),
        self._get_param("createTimeRange", {}),
    )
    newest = sorted(ids, key=lambda i: backend.deployments[i].create_time, reverse=True)
    found = page(newest, self._get_param("nextToken"))
    return ActionResult({"deployments": found.pop("items"), **found})


def get_deployment(self: CodeDeployResponse) -> ActionResult:
    deployment = _deployment(self)
    codedeploy_simulator.tick(_backend(self), deployment)
    with _LOCK:
        return ActionResult({"deploymentInfo": deployment_info(deployment)})


def batch_get_deployments(self: CodeDeployResponse) -> ActionResult:
    backend = _backend(self)
    found = [
        backend.deployments[i]
        for i in self._get_param("deploymentIds") or []
        if i in backend.deployments
    ]
    for deployment in found:
        codedeploy_simulator.tick(backend, deployment)
    with _LOCK:
        return ActionResult({"deploymentsInfo": [deployment_info(d) for d in found]})


def get_deployment_group(self: CodeDeployResponse) -> ActionResult:
    group = _backend(self).get_deployment_group(
        self._get_param("applicationName"), self._get_param("deploymentGroupName")
    )
    return ActionResult({"deploymentGroupInfo": group_info(group)})


def batch_get_deployment_groups(self: CodeDeployResponse) -> ActionResult:
    """Found groups in order; the names not found in ``errorMessage`` (API reference)."""
    name = self._get_param("applicationName")
    groups = _backend(self).deployment_groups.get(name, {})
    _backend(self).get_application(name)
    wanted = self._get_param("deploymentGroupNames") or []
    result: dict[str, Any] = {
        "deploymentGroupsInfo": [group_info(groups[g]) for g in wanted if g in groups]
    }
    missing = [g for g in wanted if g not in groups]
    if missing:
        result["errorMessage"] = f"Deployment groups not found: {', '.join(missing)}"
    return ActionResult(result)


def _target(self: CodeDeployResponse, deployment: DeploymentInfo, target: str) -> dict[str, Any]:
    sim: Sim = sim_of(deployment)
    if sim.service is None or target != codedeploy_simulator.target_id(sim):
        raise CodeDeployError(
            "DeploymentTargetDoesNotExistException",
            f"The target {target} does not exist in deployment {deployment.deployment_id}.",
        )
    return ecs_target(deployment)


def list_deployment_targets(self: CodeDeployResponse) -> ActionResult:
    """The ECS target's id, filtered by TargetStatus (API reference, ListDeploymentTargets)."""
    deployment = _deployment(self)
    sim = sim_of(deployment)
    filters = self._get_param("targetFilters") or {}
    ids = [] if sim.service is None else [codedeploy_simulator.target_id(sim)]
    if filters.get("TargetStatus"):
        ids = [i for i in ids if sim.target_status in filters["TargetStatus"]]
    found = page(ids, self._get_param("nextToken"))
    return ActionResult({"targetIds": found.pop("items"), **found})


def batch_get_deployment_targets(self: CodeDeployResponse) -> ActionResult:
    deployment = _deployment(self)
    ids = self._get_param("targetIds") or []
    if len(ids) > 25:
        raise CodeDeployError("DeploymentTargetListSizeExceededException", "At most 25 target ids.")
    with _LOCK:
        return ActionResult({"deploymentTargets": [_target(self, deployment, i) for i in ids]})


def get_deployment_target(self: CodeDeployResponse) -> ActionResult:
    deployment = _deployment(self)
    with _LOCK:
        return ActionResult(
            {"deploymentTarget": _target(self, deployment, self._get_param("targetId"))}
        )


def stop_deployment(self: CodeDeployResponse) -> ActionResult:
    deployment = _deployment(self)
    with _LOCK:
        rolled = codedeploy_simulator.stop(
            _backend(self), deployment, self._get_param("autoRollbackEnabled")
        )
    if rolled:
        return ActionResult({"status": "Pending", "statusMessage": "Stopping; rolling back."})
    return ActionResult({"status": "Succeeded", "statusMessage": "Deployment stopped."})


def continue_deployment(self: CodeDeployResponse) -> EmptyResult:
    """READY_WAIT (the default) from Ready, TERMINATION_WAIT during the termination wait."""
    deployment = _deployment(self)
    wait = self._get_param("deploymentWaitType") or "READY_WAIT"
    with _LOCK:
        sim = sim_of(deployment)
        if deployment.status not in codedeploy_simulator.ACTIVE:
            raise CodeDeployError(
                "DeploymentAlreadyCompletedException",
                f"The deployment {deployment.deployment_id} has already completed.",
            )
        if wait == "READY_WAIT" and deployment.status == "Ready":
            codedeploy_simulator.continue_ready(_backend(self), deployment)
        elif wait == "TERMINATION_WAIT" and sim.terminate_left is not None:
            sim.terminate_left = 1  # the next tick deletes the original task set
        else:
            raise CodeDeployError(
                "DeploymentIsNotInReadyStateException",
                f"The deployment {deployment.deployment_id} is not waiting for {wait}.",
            )
    return EmptyResult()


DEPLOYMENT_ID = re.compile(r"d-[A-Z0-9]{9}")


def put_lifecycle_event_hook_execution_status(self: CodeDeployResponse) -> ActionResult:
    """A hook's Lambda function reports its result (API reference,
    PutLifecycleEventHookExecutionStatus, errors included)."""
    deployment_id = self._get_param("deploymentId")
    if not deployment_id:
        raise CodeDeployError(
            "DeploymentIdRequiredException", "At least one deployment ID must be specified."
        )
    if not DEPLOYMENT_ID.fullmatch(str(deployment_id)):
        raise CodeDeployError(
            "InvalidDeploymentIdException",
            "At least one of the deployment IDs was specified in an invalid format.",
        )
    deployment = _deployment(self)
    if deployment.deployment_group.application.compute_platform != "ECS":
        raise CodeDeployError(
            "UnsupportedActionForDeploymentTypeException",
            "This action is only supported for Lambda and ECS deployments.",
        )
    execution = str(self._get_param("lifecycleEventHookExecutionId") or "")
    with _LOCK:
        codedeploy_simulator.report_hook(deployment, execution, str(self._get_param("status")))
    return ActionResult({"lifecycleEventHookExecutionId": execution})


def hook_invocations(request: Any, url: str, headers: Any) -> tuple[int, dict[str, str], str]:
    """GET /moto-api/simulator/codedeploy-hook-invocations?region=R[&account=A]: each
    deployment's hook invocations (``codedeploy_simulator.invocations``), oldest first."""
    from moto.codedeploy.models import codedeploy_backends

    query = parse_qs(urlsplit(url).query)
    account = (query.get("account") or ["123456789012"])[0]
    region = (query.get("region") or ["us-east-1"])[0]
    backend = codedeploy_backends[account][region]
    with _LOCK:
        found = [
            item
            for deployment in sorted(backend.deployments.values(), key=lambda d: d.create_time)
            if hasattr(deployment, "sim")
            for item in codedeploy_simulator.invocations(deployment)
        ]
    return 200, {"Content-Type": "application/json"}, json.dumps(found)


RESPONSES: dict[str, Callable[..., Any]] = {
    "list_applications": list_applications,
    "list_deployment_groups": list_deployment_groups,
    "list_deployments": list_deployments,
    "get_deployment": get_deployment,
    "batch_get_deployments": batch_get_deployments,
    "get_deployment_group": get_deployment_group,
    "batch_get_deployment_groups": batch_get_deployment_groups,
    "list_deployment_targets": list_deployment_targets,
    "batch_get_deployment_targets": batch_get_deployment_targets,
    "get_deployment_target": get_deployment_target,
    "stop_deployment": stop_deployment,
    "continue_deployment": continue_deployment,
    "put_lifecycle_event_hook_execution_status": put_lifecycle_event_hook_execution_status,
}


def install() -> None:
    """Patch moto's CodeDeploy (and ECS CreateService) in this process; again is a no-op."""
    from moto.ecs.models import EC2ContainerServiceBackend as Ecs

    with _LOCK:
        if _ORIGINALS:
            return
        _ORIGINALS["create_deployment"] = CodeDeployBackend.create_deployment
        CodeDeployBackend.create_deployment = _create_deployment  # type: ignore[method-assign]
        _ORIGINALS["create_service"] = Ecs.create_service
        Ecs.create_service = _create_service  # type: ignore[method-assign]
        for name, func in RESPONSES.items():
            setattr(CodeDeployResponse, name, func)
        from moto.moto_api._internal.urls import url_paths

        url_paths["{0}/moto-api/simulator/codedeploy-hook-invocations"] = hook_invocations
