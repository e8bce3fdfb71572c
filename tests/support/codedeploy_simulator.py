"""CodeDeploy blue/green deployments of ECS services, simulated in the stack's moto.

Why: moto's CodeDeploy backend stores deployments that stay ``Created`` for ever and has no
deployment targets, StopDeployment or ContinueDeployment, so a tool that follows a CodeDeploy
deployment cannot be tested against it. This module moves them the way AWS documents, on the
ECS side through ``codedeploy_ecs`` (task sets, their tasks, the service's taskDefinition).
``install()`` after ``ecs_simulator.install()``; ``tests/support/moto_server.py`` does both.
The answers are served by ``codedeploy_api``; botocore speaks CodeDeploy's JSON 1.1 protocol
(``X-Amz-Target: CodeDeploy_20141006.*``) to it, as it does to AWS.

Simulated time: one tick per GetDeployment or BatchGetDeployments that names the deployment
(a rollback deployment also moves with the one that triggered it). One tick is one simulated
minute where a wait is given in minutes.

Rules, each with its page (CodeDeploy user guide unless said otherwise):
- Lifecycle ("What happens during an Amazon ECS deployment", deployment-steps-ecs.html, and
  "AppSpec 'hooks' section", reference-appspec-file-structure-hooks.html#appspec-hooks-ecs):
  the ECS target's events, in order, are BeforeInstall, Install, AfterInstall,
  AllowTestTraffic, AfterAllowTestTraffic, BeforeAllowTraffic, AllowTraffic, AfterAllowTraffic.
  Only BeforeInstall, AfterInstall, AfterAllowTestTraffic, BeforeAllowTraffic and
  AfterAllowTraffic take a hook ("Start, Install, TestTraffic, AllowTraffic, and End events in
  the deployment cannot be scripted"); an event with no hook runs no operation and succeeds at
  once. A hook is InProgress for ``simulator:codedeploy-event-ticks`` ticks (default 1), then
  Succeeded, or Failed when the service's ``simulator:codedeploy-fail-hook`` names its event:
  the deployment fails with errorInformation HOOK_EXECUTION_FAILURE (a validation test that
  fails "stops, is rolled back, and marked failed", tutorial-ecs-deployment-with-hooks.html).
- Hook executions (API reference, PutLifecycleEventHookExecutionStatus; user guide, "Step 3:
  Create your lifecycle hook Lambda functions", tutorial-ecs-with-hooks-create-hooks.html):
  when a hooked event starts, CodeDeploy invokes the hook's Lambda function with the
  ``DeploymentId`` and a ``LifecycleEventHookExecutionId``; the function reports Succeeded or
  Failed through PutLifecycleEventHookExecutionStatus. No Lambda runs here: each invocation is
  recorded (``invocations``, served at /moto-api/simulator/codedeploy-hook-invocations) for a
  test to play the function. A reported status ends the event at the next tick (Failed fails
  the deployment as above). Until one is reported the tags above decide, unless the service's
  ``simulator:codedeploy-hooks`` is ``lambda``: then, as in AWS, only the report ends a hook.
  Its errors: DeploymentIdRequiredException (no deploymentId), InvalidDeploymentIdException (not a
  deployment id), DeploymentDoesNotExistException, InvalidLifecycleEventHookExecutionIdException
  (no such execution of this deployment), InvalidLifecycleEventHookExecutionStatusException
  (other than Succeeded or Failed: "only Succeeded and Failed can be passed successfully"),
  LifecycleEventAlreadyCompletedException (the event ended, or was already reported).
- Install creates the replacement task set (``codedeploy_ecs``); it succeeds once its tasks run.
  With the service's ``simulator:scenario`` = crash-loop (the rollout simulator's tag, with its
  ``simulator:exit-code`` / ``simulator:reason``) every tick one replacement task stops before
  RUNNING, and after three the deployment fails with ECS_UPDATE_ERROR (the code CodeDeploy's
  ErrorCode enum has for a failed ECS update; the message text is not documented). Like the
  rollout simulator, a deployment of the task definition the service was created with never
  crashes.
- AllowTestTraffic moves the test listener to the replacement; production weights do not move.
- AllowTraffic shifts production traffic ("Deployment configurations on an Amazon ECS compute
  platform", deployment-configurations.html): CodeDeployDefault.ECSAllAtOnce at once;
  ECSLinearXPercentEveryYMinutes X % every Y ticks; ECSCanaryXPercentYMinutes X %, then the
  rest Y ticks later. At 100 % the replacement becomes PRIMARY.
- Ready (API reference, "DeploymentReadyOption"): with ``actionOnTimeout`` STOP_DEPLOYMENT the
  deployment (and its target) is Ready for ``waitTimeInMinutes`` ticks before BeforeAllowTraffic;
  ContinueDeployment(READY_WAIT) goes on; at the end of the wait the deployment is Stopped.
  (Where in the event order the wait sits is not documented; here, before BeforeAllowTraffic.)
- Termination wait (API reference, "BlueInstanceTerminationOption": "For an Amazon ECS
  deployment, the number of minutes before deleting the original (blue) task set"): after
  AfterAllowTraffic, with action TERMINATE and a wait > 0, ``instanceTerminationWaitTimeStarted``
  is true and the deployment stays InProgress for that many ticks, then the original task set is
  deleted and the deployment Succeeded; ContinueDeployment(TERMINATION_WAIT) ends the wait now.
  KEEP_ALIVE leaves the original task set in place.
- Rollback ("Redeploy and roll back a deployment with CodeDeploy",
  deployments-rollback-and-redeploy.html; API reference "RollbackInfo"): a failed deployment
  whose autoRollbackConfiguration (its own, else the group's) is enabled for
  DEPLOYMENT_FAILURE, or a StopDeployment with autoRollbackEnabled, creates a new deployment
  (creator codeDeployRollback) with ``rollbackInfo.rollbackTriggeringDeploymentId``, and the
  failed one's ``rollbackInfo.rollbackDeploymentId`` names it. The rollback moves production
  traffic back to the original task set (tick 1) and deletes the replacement (tick 2, Succeeded).
- StopDeployment (API reference): on a finished deployment DeploymentAlreadyCompletedException;
  else the deployment is Stopped (errorInformation MANUAL_STOP) and the answer's status is
  Pending when a rollback follows, Succeeded when not.
- CreateDeployment while the group has a deployment in Created, Queued, InProgress, Ready or
  Baking: DeploymentLimitExceededException naming it (API reference, CreateDeployment errors;
  the message is the one AWS returns: "The Deployment Group 'G' already has an active
  Deployment 'd-...'"). Deployment ids are ``d-`` and nine upper-case letters or digits.
- The lists (ListApplications, ListDeploymentGroups, ListDeployments, ListDeploymentTargets)
  page with ``nextToken``; AWS documents no page size, so pages here hold
  ``SIMULATOR_CODEDEPLOY_PAGE_SIZE`` items (default 2) to make every client page. ListDeployments
  lists the newest first.

Scenario tags live on the ECS service (CreateService ``tags``), read when CreateDeployment runs.

Not like real CodeDeploy: no Lambda is invoked (a test plays it, see above), and an unreported
hook does not time out after an hour; execution ids are UUIDs (AWS documents no format); no
load balancer or listener is read or changed; status and rollback message texts are
not documented and are ours; the event left InProgress by a stop is marked Skipped.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import string
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import yaml
from moto.codedeploy.models import CodeDeployBackend, DeploymentGroup, DeploymentInfo
from moto.core.exceptions import ServiceException
from moto.core.utils import utcnow
from moto.ecs.models import EC2ContainerServiceBackend, Service, TaskSet, ecs_backends
from moto.moto_api._internal import mock_random

from tests.support import codedeploy_ecs
from tests.support.ecs_simulator import _LOCK, _sim

EVENTS = (
    "BeforeInstall",
    "Install",
    "AfterInstall",
    "AllowTestTraffic",
    "AfterAllowTestTraffic",
    "BeforeAllowTraffic",
    "AllowTraffic",
    "AfterAllowTraffic",
)
HOOKABLE = (
    "BeforeInstall",
    "AfterInstall",
    "AfterAllowTestTraffic",
    "BeforeAllowTraffic",
    "AfterAllowTraffic",
)
ACTIVE = ("Created", "Queued", "InProgress", "Ready", "Baking")
FAIL_HOOK_TAG = "simulator:codedeploy-fail-hook"
EVENT_TICKS_TAG = "simulator:codedeploy-event-ticks"
HOOKS_TAG = "simulator:codedeploy-hooks"  # "lambda": only a reported status ends a hook
CRASHES_TO_FAIL = 3
PAGE_SIZE = max(1, int(os.environ.get("SIMULATOR_CODEDEPLOY_PAGE_SIZE", "2")))


class CodeDeployError(ServiceException):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(code, message)


@dataclass
class AppSpec:
    """What the simulator needs of an ECS AppSpec (reference-appspec-file-structure-resources)."""

    task_definition: str = ""
    container_name: str = ""
    container_port: int = 0
    hooks: dict[str, str] = field(default_factory=dict)
    problem: str = ""


@dataclass
class Sim:
    """State of one simulated deployment, kept on moto's DeploymentInfo (reset with it)."""

    spec: AppSpec
    ecs: EC2ContainerServiceBackend | None
    service: Service | None
    original_td: str
    scenario: dict[str, str]
    events: list[dict[str, Any]] = field(
        default_factory=lambda: [
            {"lifecycleEventName": name, "status": "Pending"} for name in EVENTS
        ]
    )
    index: int = -1
    ticks: int = 0
    crashes: int = 0
    target_status: str = "Pending"
    updated: datetime = field(default_factory=utcnow)
    original: TaskSet | None = None
    replacement: TaskSet | None = None
    weights: tuple[float, float] = (100.0, 0.0)  # (original, replacement) production traffic
    ready_left: int | None = None
    terminate_left: int | None = None
    termination_started: bool = False
    error: dict[str, str] | None = None
    rollback: dict[str, str] = field(default_factory=dict)
    rollback_of: DeploymentInfo | None = None  # set on a rollback deployment
    rollback_by: DeploymentInfo | None = None  # set on the deployment it rolls back
    executions: dict[str, HookExecution] = field(default_factory=dict)  # by execution id


@dataclass
class HookExecution:
    """One invocation of a hook's Lambda function, and what the function reported."""

    event: str
    function: str
    reported: str = ""


def sim_of(deployment: DeploymentInfo) -> Sim:
    sim: Sim = deployment.sim  # type: ignore[attr-defined]
    return sim


def new_deployment_id() -> str:
    alphabet = string.ascii_uppercase + string.digits
    return "d-" + "".join(mock_random.choice(alphabet) for _ in range(9))


def parse_appspec(content: str) -> AppSpec:
    """The AppSpec's ECS resource and hooks; ``problem`` says what is wrong with it."""
    try:
        doc = yaml.safe_load(content)
    except yaml.YAMLError as exc:
        return AppSpec(problem=f"the AppSpec is not YAML or JSON: {exc}")
    if not isinstance(doc, dict):
        return AppSpec(problem="the AppSpec is not a mapping")
    keys = {str(k).lower(): v for k, v in doc.items()}
    resources = keys.get("resources")
    if not isinstance(resources, list) or len(resources) != 1 or not isinstance(resources[0], dict):
        return AppSpec(problem="Resources must list one target service")
    (target,) = resources[0].values()
    target = {str(k).lower(): v for k, v in (target or {}).items()}
    props = {str(k).lower(): v for k, v in (target.get("properties") or {}).items()}
    lb = {str(k).lower(): v for k, v in (props.get("loadbalancerinfo") or {}).items()}
    spec = AppSpec(
        task_definition=str(props.get("taskdefinition") or ""),
        container_name=str(lb.get("containername") or ""),
        container_port=int(lb.get("containerport") or 0),
    )
    if target.get("type") != "AWS::ECS::Service" or not spec.task_definition:
        spec.problem = "the target service needs Type AWS::ECS::Service and a TaskDefinition"
    for entry in keys.get("hooks") or []:
        for event, function in (entry or {}).items():
            if event not in HOOKABLE:
                spec.problem = f"{event} is not an event a hook can run in"
            spec.hooks[str(event)] = str(function)
    return spec


def ecs_service(
    backend: CodeDeployBackend, group: DeploymentGroup
) -> tuple[EC2ContainerServiceBackend, Service | None]:
    """The group's ECS service (``ecsServices``: one cluster and service for ECS)."""
    ecs: EC2ContainerServiceBackend = ecs_backends[backend.account_id][backend.region_name]
    for entry in group.ecs_services or []:
        key = f"{entry.get('clusterName')}:{entry.get('serviceName')}"
        if key in ecs.services:
            return ecs, ecs.services[key]
    return ecs, None


def target_id(sim: Sim) -> str:
    """An ECS target's id is ``<cluster>:<service>`` (as ecspresso reads it back)."""
    assert sim.service is not None
    return f"{sim.service.cluster_name}:{sim.service.name}"


def _now(sim: Sim) -> datetime:
    sim.updated = utcnow()
    return sim.updated


# --------------------------------------------------------------------------- creation


def create(backend: CodeDeployBackend, deployment: DeploymentInfo) -> None:
    """Attach the simulator's state to a deployment CreateDeployment just made."""
    group = deployment.deployment_group
    content = ((deployment.revision or {}).get("appSpecContent") or {}).get("content") or ""
    spec = parse_appspec(content)
    ecs, service = ecs_service(backend, group)
    tags = {t["key"]: t["value"] for t in (service.tags if service else []) or []}
    original = codedeploy_ecs.primary(service) if service else None
    sim = Sim(
        spec=spec,
        ecs=ecs,
        service=service,
        original_td=original.task_definition if original else "",
        scenario=tags,
        original=original,
    )
    if service is None or service.deployment_controller.get("type") != "CODE_DEPLOY":
        spec.problem = spec.problem or "the deployment group's ECS service is not on CODE_DEPLOY"
    deployment.sim = sim  # type: ignore[attr-defined]


def active_deployment(backend: CodeDeployBackend, app: str, group: str) -> str | None:
    for deployment in backend.deployments.values():
        if (
            deployment.application_name == app
            and deployment.deployment_group_name == group
            and deployment.status in ACTIVE
        ):
            return str(deployment.deployment_id)
    return None


def rollback_deployment(backend: CodeDeployBackend, failed: DeploymentInfo) -> None:
    """A new deployment, created by CodeDeploy, that puts the original task set back."""
    old = sim_of(failed)
    content = json.dumps(
        {
            "version": 0.0,
            "Resources": [
                {
                    "TargetService": {
                        "Type": "AWS::ECS::Service",
                        "Properties": {"TaskDefinition": old.original_td},
                    }
                }
            ],
        }
    )
    revision = {
        "revisionType": "AppSpecContent",
        "appSpecContent": {
            "content": content,
            "sha256": hashlib.sha256(content.encode()).hexdigest(),
        },
    }
    rb = DeploymentInfo(
        failed.application,
        failed.deployment_group,
        revision,
        failed.deployment_config_name,
        None,
        None,
        None,
        None,
        None,
        None,
        None,
        "codeDeployRollback",
    )
    rb.deployment_id = new_deployment_id()
    backend.deployments[rb.deployment_id] = rb
    sim = Sim(
        spec=AppSpec(task_definition=old.original_td),
        ecs=old.ecs,
        service=old.service,
        original_td=old.original_td,
        scenario={},
        original=old.original,
        replacement=old.replacement,
        weights=old.weights,
        rollback_of=failed,
    )
    sim.rollback = {"rollbackTriggeringDeploymentId": str(failed.deployment_id)}
    rb.sim = sim  # type: ignore[attr-defined]
    old.rollback_by = rb
    old.rollback = {
        "rollbackDeploymentId": str(rb.deployment_id),
        "rollbackMessage": f"Rollback deployment {rb.deployment_id} is in progress.",
    }


def rollback_enabled(deployment: DeploymentInfo, event: str) -> bool:
    config = deployment.auto_rollback_configuration
    if not config:
        config = deployment.deployment_group.auto_rollback_configuration or {}
    return bool(config.get("enabled")) and event in (config.get("events") or [])


# --------------------------------------------------------------------------- time


def tick(backend: CodeDeployBackend, deployment: DeploymentInfo) -> None:
    """Advance one deployment by one tick (and the rollback it started, if any)."""
    with _LOCK:
        sim = sim_of(deployment)
        if sim.rollback_of is not None:
            _tick_rollback(deployment, sim)
            return
        _tick(backend, deployment, sim)
        if sim.rollback_by is not None:
            _tick_rollback(sim.rollback_by, sim_of(sim.rollback_by))


def _tick(backend: CodeDeployBackend, deployment: DeploymentInfo, sim: Sim) -> None:
    if deployment.status not in ACTIVE:
        return
    if deployment.status == "Created":
        deployment.status = "InProgress"
        deployment.start_time = _now(sim)
        if sim.spec.problem:
            _fail(backend, deployment, sim, "INVALID_REVISION", sim.spec.problem)
            return
        sim.target_status = "InProgress"
        _start_event(backend, deployment, sim, 0)
        return
    if deployment.status == "Ready":
        assert sim.ready_left is not None
        sim.ready_left -= 1
        if sim.ready_left <= 0:
            _finish(deployment, sim, "Stopped")
            _skip_current(sim)
        return
    if sim.terminate_left is not None:
        sim.terminate_left -= 1
        if sim.terminate_left <= 0:
            _succeed(deployment, sim)
        return
    _advance(backend, deployment, sim)


def _event_ticks(sim: Sim) -> int:
    try:
        return max(1, int(sim.scenario.get(EVENT_TICKS_TAG, "1")))
    except ValueError:
        return 1


def _start_event(
    backend: CodeDeployBackend, deployment: DeploymentInfo, sim: Sim, index: int
) -> None:
    sim.index, sim.ticks = index, 0
    event = sim.events[index]
    event.update(status="InProgress", startTime=_now(sim))
    name = event["lifecycleEventName"]
    if name == "Install":
        _install(deployment, sim)
    if name in HOOKABLE and name not in sim.spec.hooks:
        _end_event(backend, deployment, sim)  # no hook: no operation (appspec-hooks-ecs)
    elif name in HOOKABLE:
        execution = str(mock_random.uuid4())
        sim.executions[execution] = HookExecution(name, sim.spec.hooks[name])


def invocations(deployment: DeploymentInfo) -> list[dict[str, Any]]:
    """The Lambda invocations CodeDeploy made for the deployment's hooks, in order: the
    function and the payload it received (tutorial-ecs-with-hooks-create-hooks.html)."""
    return [
        {
            "FunctionName": run.function,
            "LifecycleEventName": run.event,
            "Payload": {
                "DeploymentId": str(deployment.deployment_id),
                "LifecycleEventHookExecutionId": execution,
            },
        }
        for execution, run in sim_of(deployment).executions.items()
    ]


def report_hook(deployment: DeploymentInfo, execution: str, status: str) -> None:
    """PutLifecycleEventHookExecutionStatus: the hook's result, acted on at the next tick."""
    sim = sim_of(deployment)
    run = sim.executions.get(execution)
    if run is None:
        raise CodeDeployError(
            "InvalidLifecycleEventHookExecutionIdException",
            f"The lifecycle event hook execution {execution} is not valid for deployment "
            f"{deployment.deployment_id}.",
        )
    if status not in ("Succeeded", "Failed"):
        raise CodeDeployError(
            "InvalidLifecycleEventHookExecutionStatusException",
            f"The status {status} is not valid: report Succeeded or Failed.",
        )
    event = next(e for e in sim.events if e["lifecycleEventName"] == run.event)
    if run.reported or event["status"] != "InProgress" or deployment.status not in ACTIVE:
        raise CodeDeployError(
            "LifecycleEventAlreadyCompletedException",
            f"The lifecycle event {run.event} of deployment {deployment.deployment_id} has "
            "already completed.",
        )
    run.reported = status


def _reported(sim: Sim, name: str) -> HookExecution | None:
    return next((r for r in sim.executions.values() if r.event == name and r.reported), None)


def _install(deployment: DeploymentInfo, sim: Sim) -> None:
    assert sim.ecs is not None and sim.service is not None
    sim.replacement = codedeploy_ecs.create_task_set(
        sim.ecs,
        sim.service,
        sim.spec.task_definition,
        external_id=str(deployment.deployment_id),
        primary=False,
    )


def _advance(backend: CodeDeployBackend, deployment: DeploymentInfo, sim: Sim) -> None:
    event = sim.events[sim.index]
    name = event["lifecycleEventName"]
    sim.ticks += 1
    if name == "Install":
        _tick_install(backend, deployment, sim)
    elif name == "AllowTraffic":
        _tick_traffic(backend, deployment, sim)
    elif name in HOOKABLE and (run := _reported(sim, name)) is not None:
        if run.reported == "Succeeded":
            _end_event(backend, deployment, sim)
        else:
            _fail(
                backend,
                deployment,
                sim,
                "HOOK_EXECUTION_FAILURE",
                f"The deployment failed because the lifecycle event hook {run.function} "
                f"of {name} reported Failed.",
            )
    elif name in HOOKABLE and sim.scenario.get(HOOKS_TAG) == "lambda":
        return  # the function has not reported yet
    elif name in HOOKABLE and sim.scenario.get(FAIL_HOOK_TAG) == name:
        if sim.ticks >= _event_ticks(sim):
            function = sim.spec.hooks[name]
            _fail(
                backend,
                deployment,
                sim,
                "HOOK_EXECUTION_FAILURE",
                f"The deployment failed because the lifecycle event hook {function} "
                f"of {name} reported Failed.",
            )
    elif sim.ticks >= _event_ticks(sim):
        _end_event(backend, deployment, sim)


def _crashing(sim: Sim) -> bool:
    return (
        sim.scenario.get("simulator:scenario") == "crash-loop"
        and sim.spec.task_definition != _sim(sim.service).creation_task_definition  # type: ignore[arg-type]
    )


def _tick_install(backend: CodeDeployBackend, deployment: DeploymentInfo, sim: Sim) -> None:
    assert sim.ecs is not None and sim.service is not None and sim.replacement is not None
    if _crashing(sim):
        codedeploy_ecs.crash_one(
            sim.ecs,
            sim.service,
            sim.replacement,
            int(sim.scenario.get("simulator:exit-code", "1")),
            sim.scenario.get("simulator:reason"),
        )
        sim.crashes += 1
        if sim.crashes >= CRASHES_TO_FAIL:
            _fail(
                backend,
                deployment,
                sim,
                "ECS_UPDATE_ERROR",
                "The ECS replacement task set did not reach a steady state: its tasks "
                "stopped before they ran.",
            )
        return
    codedeploy_ecs.run_pending(sim.ecs, sim.service, sim.replacement)
    if sim.ticks >= _event_ticks(sim):
        _end_event(backend, deployment, sim)


def shifted(config: str, ticks: int) -> float:
    """Production traffic on the replacement after ``ticks`` ticks of AllowTraffic."""
    linear = re.fullmatch(r"CodeDeployDefault\.ECSLinear(\d+)PercentEvery(\d+)Minutes?", config)
    canary = re.fullmatch(r"CodeDeployDefault\.ECSCanary(\d+)Percent(\d+)Minutes?", config)
    if linear:
        step, every = int(linear[1]), int(linear[2])
        return float(min(100, step * (1 + (ticks - 1) // every)))
    if canary:
        first, wait = int(canary[1]), int(canary[2])
        return float(first if ticks <= wait else 100)
    return 100.0


def _tick_traffic(backend: CodeDeployBackend, deployment: DeploymentInfo, sim: Sim) -> None:
    assert sim.ecs is not None and sim.service is not None and sim.replacement is not None
    green = shifted(str(deployment.deployment_config_name), sim.ticks)
    sim.weights = (100.0 - green, green)
    _now(sim)
    if green >= 100.0:
        codedeploy_ecs.make_primary(sim.ecs, sim.service, sim.replacement)
        _end_event(backend, deployment, sim)


def _end_event(backend: CodeDeployBackend, deployment: DeploymentInfo, sim: Sim) -> None:
    sim.events[sim.index].update(status="Succeeded", endTime=_now(sim))
    name = sim.events[sim.index]["lifecycleEventName"]
    if sim.index + 1 == len(EVENTS):
        _after_traffic(deployment, sim)
        return
    ready = (
        deployment.deployment_group.blue_green_deployment_configuration.get("deploymentReadyOption")
        or {}
    )
    if name == "AfterAllowTestTraffic" and ready.get("actionOnTimeout") == "STOP_DEPLOYMENT":
        deployment.status = sim.target_status = "Ready"
        sim.ready_left = max(1, int(ready.get("waitTimeInMinutes") or 0))
        return
    _start_event(backend, deployment, sim, sim.index + 1)


def continue_ready(backend: CodeDeployBackend, deployment: DeploymentInfo) -> None:
    sim = sim_of(deployment)
    deployment.status = sim.target_status = "InProgress"
    sim.ready_left = None
    _start_event(backend, deployment, sim, sim.index + 1)


def _after_traffic(deployment: DeploymentInfo, sim: Sim) -> None:
    option = (
        deployment.deployment_group.blue_green_deployment_configuration.get(
            "terminateBlueInstancesOnDeploymentSuccess"
        )
        or {}
    )
    wait = int(option.get("terminationWaitTimeInMinutes") or 0)
    if option.get("action", "TERMINATE") == "TERMINATE" and wait > 0:
        sim.terminate_left = wait
        sim.termination_started = True
        deployment.instance_termination_wait_time_started = True
        return
    _succeed(deployment, sim)


def _succeed(deployment: DeploymentInfo, sim: Sim) -> None:
    option = (
        deployment.deployment_group.blue_green_deployment_configuration.get(
            "terminateBlueInstancesOnDeploymentSuccess"
        )
        or {}
    )
    if option.get("action", "TERMINATE") == "TERMINATE" and sim.original is not None:
        assert sim.ecs is not None and sim.service is not None
        codedeploy_ecs.drain(sim.ecs, sim.service, sim.original)
        codedeploy_ecs.remove(sim.ecs, sim.service, sim.original)
    sim.terminate_left = None
    sim.target_status = "Succeeded"
    _finish(deployment, sim, "Succeeded")


def _finish(deployment: DeploymentInfo, sim: Sim, status: str) -> None:
    deployment.status = status
    deployment.complete_time = _now(sim)
    if status != "Succeeded":
        sim.target_status = "Failed"


def _skip_current(sim: Sim) -> None:
    for event in sim.events:
        if event["status"] == "InProgress":
            event.update(status="Skipped", endTime=_now(sim))


def _fail(
    backend: CodeDeployBackend, deployment: DeploymentInfo, sim: Sim, code: str, message: str
) -> None:
    for event in sim.events:
        if event["status"] == "InProgress":
            event.update(status="Failed", endTime=_now(sim))
    sim.error = {"code": code, "message": message}
    _finish(deployment, sim, "Failed")
    if rollback_enabled(deployment, "DEPLOYMENT_FAILURE"):
        rollback_deployment(backend, deployment)


def stop(backend: CodeDeployBackend, deployment: DeploymentInfo, rollback: bool | None) -> bool:
    """StopDeployment; True when a rollback follows."""
    sim = sim_of(deployment)
    if deployment.status not in ACTIVE:
        raise CodeDeployError(
            "DeploymentAlreadyCompletedException",
            f"The deployment {deployment.deployment_id} has already completed.",
        )
    _skip_current(sim)
    sim.error = {"code": "MANUAL_STOP", "message": "The deployment was stopped by a user."}
    _finish(deployment, sim, "Stopped")
    if rollback is None:
        rollback = rollback_enabled(deployment, "DEPLOYMENT_STOP_ON_REQUEST")
    if rollback:
        rollback_deployment(backend, deployment)
    return rollback


def _tick_rollback(deployment: DeploymentInfo, sim: Sim) -> None:
    """Tick 1: production traffic back on the original; tick 2: replacement deleted."""
    if deployment.status not in ACTIVE:
        return
    assert sim.ecs is not None and sim.service is not None
    if deployment.status == "Created":
        deployment.status = sim.target_status = "InProgress"
        deployment.start_time = _now(sim)
        sim.weights = (100.0, 0.0)
        if sim.original is not None:
            codedeploy_ecs.make_primary(sim.ecs, sim.service, sim.original)
        return
    if sim.replacement is not None:
        codedeploy_ecs.drain(sim.ecs, sim.service, sim.replacement)
        codedeploy_ecs.remove(sim.ecs, sim.service, sim.replacement)
    for event in sim.events:
        event.update(
            status="Skipped" if event["lifecycleEventName"] != "AllowTraffic" else "Succeeded"
        )
    sim.target_status = "Succeeded"
    _finish(deployment, sim, "Succeeded")
    assert sim.rollback_of is not None
    sim_of(sim.rollback_of).rollback["rollbackMessage"] = (
        f"Rollback deployment {deployment.deployment_id} succeeded."
    )
