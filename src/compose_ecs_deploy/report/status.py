"""`status`: what runs now, is it healthy, what happened last, for a person or as JSON.

The JSON is a versioned contract (`STATUS_VERSION`): scripts read it, so its keys are fixed
(a test checks them exactly) and every key is present, null when unknown. Within a version keys
are only added (`taskSets` and `codeDeploy` came later in version 1), never removed or given
another meaning: that is a new version. Timestamps are ISO 8601 in UTC. Values come from
ECS's and CodeDeploy's own answers (DescribeServices, DescribeTaskDefinition,
ListServiceDeployments, DescribeServiceRevisions, ListTasks/DescribeTasks; GetDeployment and
BatchGetDeploymentTargets): nothing here is guessed. Text we did not write (events, reasons)
reaches the log only through the printer, like everything else.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from compose_ecs_deploy.rollout.verdicts.arns import last_part
from compose_ecs_deploy.rollout.verdicts.hints import hint_for, stop_of
from compose_ecs_deploy.rollout.verdicts.history import running_revision
from compose_ecs_deploy.rollout.verdicts.stopped_tasks import describe, stopped_task

STATUS_VERSION = 1
EVENTS = 10
STOPPED_TASKS = 5
KIND_PARTS = ("codeDeploy",)  # the keys a controller's `status` fills (`codedeploy_part`)


def _time(value: Any) -> str | None:
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value) if value not in (None, "") else None


def _controller(service: Mapping[str, Any]) -> dict[str, Any]:
    config = service.get("deploymentConfiguration") or {}
    return {
        "type": str((service.get("deploymentController") or {}).get("type") or "ECS"),
        "strategy": config.get("strategy") or "ROLLING",
        "circuitBreaker": bool((config.get("deploymentCircuitBreaker") or {}).get("enable")),
        "alarms": bool((config.get("alarms") or {}).get("enable")),
    }


def _deployment(d: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "id": d.get("id"),
        "status": d.get("status"),
        "rolloutState": d.get("rolloutState"),
        "rolloutStateReason": d.get("rolloutStateReason"),
        "taskDefinition": d.get("taskDefinition"),
        "desiredCount": d.get("desiredCount"),
        "runningCount": d.get("runningCount"),
        "pendingCount": d.get("pendingCount"),
        "failedTasks": d.get("failedTasks"),
        "createdAt": _time(d.get("createdAt")),
        "updatedAt": _time(d.get("updatedAt")),
    }


def _essential(revision: Mapping[str, Any]) -> frozenset[str]:
    return frozenset(
        str(c.get("name"))
        for c in revision.get("containerDefinitions") or []
        if c.get("essential", True)
    )


def _stopped(payload: Mapping[str, Any], revision: Mapping[str, Any]) -> dict[str, Any]:
    task = stopped_task(payload, _essential(revision))
    hint = hint_for(stop_of(task), revision)
    return {
        "taskArn": task.task_arn,
        "taskDefinition": task.task_definition or None,
        "stoppedAt": _time(payload.get("stoppedAt")),
        "stopCode": task.stop_code or None,
        "stoppedReason": task.stopped_reason or None,
        "containers": [
            {"name": c.name, "exitCode": c.exit_code, "reason": c.reason or None}
            for c in task.containers
        ],
        "summary": describe(task),
        "hint": hint.text if hint else None,
    }


def _task_set(task_set: Mapping[str, Any]) -> dict[str, Any]:
    """A task set of the service (API reference, "TaskSet"): CODE_DEPLOY and EXTERNAL services
    run their tasks in task sets, PRIMARY the one that serves production traffic."""
    return {
        "id": task_set.get("id"),
        "status": task_set.get("status"),
        "taskDefinition": task_set.get("taskDefinition"),
        "externalId": task_set.get("externalId"),
        "scale": (task_set.get("scale") or {}).get("value"),
        "computedDesiredCount": task_set.get("computedDesiredCount"),
        "runningCount": task_set.get("runningCount"),
        "pendingCount": task_set.get("pendingCount"),
        "stabilityStatus": task_set.get("stabilityStatus"),
        "createdAt": _time(task_set.get("createdAt")),
    }


def codedeploy_part(
    application: str | None,
    group: str | None,
    info: Mapping[str, Any] | None,
    target: Mapping[str, Any] | None,
    problem: str | None = None,
) -> dict[str, Any]:
    """`codeDeploy` of a CODE_DEPLOY service: its deployment group and the group's active
    deployment (None when none is active) from GetDeployment ("DeploymentInfo") and its ECS
    target ("ECSTarget": lifecycle events, task sets and their traffic weights); `problem`
    says why the group could not be read or found."""
    deployment = None
    if info is not None:
        error = info.get("errorInformation") or {}
        deployment = {
            "id": info.get("deploymentId"),
            "status": info.get("status"),
            "createTime": _time(info.get("createTime")),
            "errorCode": error.get("code"),
            "errorMessage": error.get("message"),
            "rollbackDeploymentId": (info.get("rollbackInfo") or {}).get("rollbackDeploymentId"),
            "terminationWaitStarted": bool(info.get("instanceTerminationWaitTimeStarted")),
            "lifecycleEvents": [
                {"name": e.get("lifecycleEventName"), "status": e.get("status")}
                for e in (target or {}).get("lifecycleEvents") or []
            ],
            "taskSets": [
                {
                    "id": t.get("identifer"),  # sic: the API's member name
                    "label": t.get("taskSetLabel"),
                    "status": t.get("status"),
                    "trafficWeight": t.get("trafficWeight"),
                    "runningCount": t.get("runningCount"),
                    "desiredCount": t.get("desiredCount"),
                }
                for t in (target or {}).get("taskSetsInfo") or []
            ],
        }
    return {
        "application": application,
        "deploymentGroup": group,
        "problem": problem,
        "deployment": deployment,
    }


def status_document(
    cluster: str,
    service: Mapping[str, Any],
    revision: Mapping[str, Any],
    history: Sequence[Mapping[str, Any]] | None,
    stopped: Sequence[Mapping[str, Any]],
    parts: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The versioned status. `history` is None when the service deployments could not be read
    (the role may not list them); `stopped` are DescribeTasks payloads, any order; `parts`
    what the service's controller adds, by key (`KIND_PARTS`; null for the other kinds)."""
    arn = running_revision(service)
    family, _, number = last_part(arn).rpartition(":")
    newest_stops = sorted(stopped, key=lambda t: str(_time(t.get("stoppedAt")) or ""), reverse=True)
    # tasks that failed first, then the ones the scheduler stopped (scaling, a rollout's end)
    newest_stops.sort(key=lambda t: stopped_task(t, _essential(revision)).cause == "scheduler")
    return {
        "version": STATUS_VERSION,
        "cluster": cluster,
        "service": service.get("serviceName"),
        "status": service.get("status"),
        "controller": _controller(service),
        "desiredCount": service.get("desiredCount"),
        "runningCount": service.get("runningCount"),
        "pendingCount": service.get("pendingCount"),
        "taskDefinition": {
            "arn": arn or None,
            "family": family or None,
            "revision": int(number) if number.isdigit() else None,
            "containers": [
                {
                    "name": c.get("name"),
                    "image": c.get("image"),
                    "essential": bool(c.get("essential", True)),
                }
                for c in revision.get("containerDefinitions") or []
            ],
        },
        "deployments": [_deployment(d) for d in service.get("deployments") or []],
        "taskSets": [_task_set(t) for t in service.get("taskSets") or []],
        **{key: (parts or {}).get(key) for key in KIND_PARTS},
        "serviceDeployments": None
        if history is None
        else [
            {
                "arn": h.get("serviceDeploymentArn"),
                "status": h.get("status"),
                "statusReason": h.get("statusReason"),
                "taskDefinition": h.get("taskDefinition"),
                "createdAt": _time(h.get("createdAt")),
                "finishedAt": _time(h.get("finishedAt")),
            }
            for h in history
        ],
        "events": [
            {"createdAt": _time(e.get("createdAt")), "message": e.get("message")}
            for e in (service.get("events") or [])[:EVENTS]
        ],
        "stoppedTasks": [_stopped(t, revision) for t in newest_stops[:STOPPED_TASKS]],
    }


def status_lines(document: Mapping[str, Any]) -> list[str]:
    """The same, for a person: one block per part, newest first."""
    td = document["taskDefinition"]
    controller = document["controller"]
    lines = [
        f"service {document['service']} in cluster {document['cluster']}: {document['status']}, "
        f"{document['runningCount']} running, {document['pendingCount']} pending, "
        f"{document['desiredCount']} desired",
        f"controller: {controller['type']} {controller['strategy']}"
        + (", circuit breaker" if controller["circuitBreaker"] else "")
        + (", alarms" if controller["alarms"] else ""),
        f"running revision: {td['arn']}",
    ]
    lines += [f"  {c['name']}: {c['image']}" + ("" if c["essential"] else " (not essential)")
              for c in td["containers"]]  # fmt: skip
    lines.append("deployments:")
    for d in document["deployments"]:
        lines.append(
            f"  {d['status']} {d['id']} {last_part(str(d['taskDefinition']))}: "
            f"{d['rolloutState'] or '-'}, {d['runningCount']}/{d['desiredCount']} running, "
            f"{d['pendingCount']} pending, {d['failedTasks']} failed"
        )
    lines += _task_set_lines(document["taskSets"]) + _codedeploy_lines(document["codeDeploy"])
    history = document["serviceDeployments"]
    if history is None:
        lines.append("last deployments: not readable (ecs:ListServiceDeployments)")
    elif history:
        lines.append("last deployments:")
        lines += [
            f"  {h['createdAt']} {h['status']} {last_part(str(h['taskDefinition'] or '?'))}"
            + (f": {h['statusReason']}" if h["statusReason"] else "")
            for h in history
        ]
    if document["events"]:
        lines.append("last events:")
        lines += [f"  {e['createdAt']} {e['message']}" for e in document["events"]]
    if document["stoppedTasks"]:
        lines.append("recently stopped tasks:")
        for t in document["stoppedTasks"]:
            lines.append(f"  {t['stoppedAt']} {t['summary']}")
            if t["hint"]:
                lines.append(f"    hint: {t['hint']}")
    return lines


def _task_set_lines(task_sets: Sequence[Mapping[str, Any]]) -> list[str]:
    if not task_sets:
        return []
    return ["task sets:"] + [
        f"  {t['status']} {t['id']} {last_part(str(t['taskDefinition']))}"
        + (f" ({t['externalId']})" if t["externalId"] else "")
        + f": scale {t['scale']}%, {t['runningCount']}/{t['computedDesiredCount']} running, "
        f"{t['pendingCount']} pending, {t['stabilityStatus'] or '-'}"
        for t in task_sets
    ]


def _codedeploy_lines(part: Mapping[str, Any] | None) -> list[str]:
    if part is None:
        return []
    if part["problem"]:
        return [f"CodeDeploy: {part['problem']}"]
    where = f"CodeDeploy {part['application']}/{part['deploymentGroup']}"
    deployment = part["deployment"]
    if deployment is None:
        return [f"{where}: no active deployment"]
    lines = [f"{where}: deployment {deployment['id']} {deployment['status']}"]
    if deployment["errorCode"]:
        lines.append(f"  error: {deployment['errorCode']}: {deployment['errorMessage']}")
    if deployment["lifecycleEvents"]:
        lines.append(
            "  lifecycle: "
            + ", ".join(f"{e['name']} {e['status']}" for e in deployment["lifecycleEvents"])
        )
    if deployment["taskSets"]:
        lines.append(
            "  traffic: "
            + ", ".join(
                f"{t['label'] or t['id']} {t['trafficWeight']}% ({t['status']})"
                for t in deployment["taskSets"]
            )
        )
    if deployment["terminationWaitStarted"]:
        lines.append("  waiting out the original task set's termination time")
    return lines
