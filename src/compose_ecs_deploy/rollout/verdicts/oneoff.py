"""One-off tasks (`run-before`, the `run` verb), decided from ECS's own answers. Pure.

A one-off is a compose service run once as an ECS task, e.g. database migrations before a
rollout. This module builds the RunTask request from the ECS service's own settings, says
which state changes are news, and gives the verdict on a stopped task. The loop that calls
RunTask and polls DescribeTasks lives in `oneoff.py`; formatting lives in `format_*`.

Rules, with their sources (Amazon ECS API reference and developer guide):
- RunTask takes `networkConfiguration` (required for awsvpc), either `launchType` or a
  `capacityProviderStrategy` (not both), and `platformVersion` (Fargate only); a one-off
  copies them from the ECS service (DescribeServices), so it runs in the service's subnets
  and security groups.
- `startedBy`: up to 128 letters, digits, `-`, `/` and `_` (RunTask request parameters).
- `clientToken`: makes RunTask idempotent, up to 64 characters (RunTask request
  parameters), so that a retried call never starts a second migration.
- A task is done when `lastStatus` is STOPPED ("Amazon ECS task lifecycle": PROVISIONING,
  PENDING, ACTIVATING, RUNNING, DEACTIVATING, STOPPING, DEPROVISIONING, STOPPED).
- A task stops when an essential container exits ("Amazon ECS task definition parameters",
  `essential`); its `stopCode` and `stoppedReason` say why (DescribeTasks, Task), and each
  container's `exitCode` and `reason` what happened to it (Container). A container with no
  exit code never ran (e.g. CannotPullContainerError, stopCode TaskFailedToStart).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from compose_ecs_deploy.rollout.verdicts.arns import last_part

TOOL = "compose-ecs-deploy"
STOPPED = "STOPPED"
_BEFORE_STOPPING = frozenset({"PROVISIONING", "PENDING", "ACTIVATING", "RUNNING"})
_STARTED_BY_INVALID = re.compile(r"[^A-Za-z0-9_/-]")


def started_by(commit: str | None) -> str:
    """`compose-ecs-deploy/<commit>`: which tool started the task, and for which commit."""
    suffix = _STARTED_BY_INVALID.sub("-", commit or "")[: 128 - len(TOOL) - 1]
    return f"{TOOL}/{suffix}" if suffix else TOOL


def one_off_family(family: str, service: str) -> str:
    """`<family>-<service>`: the one-off's own family, beside the service's."""
    return re.sub(r"[^A-Za-z0-9_-]", "-", f"{family}-{service}")[:255]


def run_task_request(
    *,
    cluster: str,
    task_definition: str,
    service: Mapping[str, Any],
    started: str,
    client_token: str,
    container: str,
    command: Sequence[str] = (),
) -> dict[str, Any]:
    """The RunTask request: the ECS service's network, launch type or capacity provider
    strategy and platform version, with an optional command for `container`."""
    request: dict[str, Any] = {
        "cluster": cluster,
        "taskDefinition": task_definition,
        "count": 1,
        "startedBy": started,
        "clientToken": client_token[:64],
    }
    if service.get("networkConfiguration"):
        request["networkConfiguration"] = service["networkConfiguration"]
    if service.get("capacityProviderStrategy"):
        request["capacityProviderStrategy"] = service["capacityProviderStrategy"]
    elif service.get("launchType"):
        request["launchType"] = service["launchType"]
    if service.get("platformVersion"):
        request["platformVersion"] = service["platformVersion"]
    if command:
        request["overrides"] = {
            "containerOverrides": [{"name": container, "command": list(command)}]
        }
    return request


@dataclass(frozen=True)
class StoppedContainer:
    name: str
    exit_code: int | None
    reason: str | None
    essential: bool


@dataclass(frozen=True)
class Verdict:
    """Why a stopped one-off ended as it did; `container` is the one that decided it.

    Structured so that other stages (the failed container's last log lines) can find the
    task and the container without parsing the message.
    """

    task_arn: str
    container: str
    exit_code: int | None
    stop_code: str
    stopped_reason: str
    container_reason: str | None
    containers: tuple[StoppedContainer, ...]
    missing: tuple[str, ...] = ()  # essential containers the answer does not list

    @property
    def task_id(self) -> str:
        return last_part(self.task_arn)

    @property
    def succeeded(self) -> bool:
        """Every essential container is listed and exited 0 (a one-off's success, as
        `docker run`'s). An answer that lists none of them shows no success: a failure."""
        essential = [c for c in self.containers if c.essential]
        return bool(essential) and not self.missing and all(c.exit_code == 0 for c in essential)

    def describe(self) -> str:
        """`task T: container C exited with code N (reason); stopped (CODE): REASON`."""
        if self.missing:
            plural = "s" if len(self.missing) > 1 else ""
            what = (
                f"the DescribeTasks answer does not list essential container{plural} "
                f"{', '.join(self.missing)}, so nothing shows that the task succeeded"
            )
        elif self.exit_code is None:
            what = f"container {self.container} did not run to an exit code"
        else:
            what = f"container {self.container} exited with code {self.exit_code}"
        if self.container_reason:
            what += f" ({self.container_reason})"
        stop = f" ({self.stop_code})" if self.stop_code else ""
        return (
            f"task {self.task_id}: {what}; ECS stopped the task{stop}: "
            f"{self.stopped_reason or 'no reason given'}"
        )


def verdict(task: Mapping[str, Any], essential: Sequence[str]) -> Verdict:
    """The verdict on a STOPPED task; `essential` names the task definition's essential
    containers (DescribeTasks does not say which are).

    The deciding container is the first essential one that did not exit 0, else the first
    essential one (whose exit code then is the task's).
    """
    containers = tuple(
        StoppedContainer(
            name=str(c.get("name", "")),
            exit_code=int(c["exitCode"]) if c.get("exitCode") is not None else None,
            reason=str(c["reason"]) if c.get("reason") else None,
            essential=str(c.get("name", "")) in essential,
        )
        for c in task.get("containers", [])
    )
    deciding = [c for c in containers if c.essential] or list(containers)
    chosen = next((c for c in deciding if c.exit_code != 0), deciding[0] if deciding else None)
    listed = {c.name for c in containers}
    return Verdict(
        task_arn=str(task.get("taskArn", "")),
        container=chosen.name if chosen else "",
        exit_code=chosen.exit_code if chosen else None,
        stop_code=str(task.get("stopCode") or ""),
        stopped_reason=str(task.get("stoppedReason") or ""),
        container_reason=chosen.reason if chosen else None,
        containers=containers,
        missing=tuple(name for name in essential if name not in listed),
    )


def essential_containers(request: Mapping[str, Any]) -> tuple[str, ...]:
    """Containers whose exit stops the task: `essential` defaults to true."""
    return tuple(
        str(c["name"])
        for c in request.get("containerDefinitions", [])
        if c.get("essential", True) is not False
    )


def state_of(task: Mapping[str, Any]) -> str:
    """What one progress line shows: the last status, and the desired one when they part
    (a task being stopped is RUNNING with desired STOPPED)."""
    last = str(task.get("lastStatus", "?"))
    if task.get("desiredStatus") == STOPPED and last in _BEFORE_STOPPING:
        return f"{last} (stopping)"
    return last


def is_stopped(task: Mapping[str, Any]) -> bool:
    return task.get("lastStatus") == STOPPED


def format_state(service: str, task_arn: str, state: str) -> str:
    return f"{service}: one-off task {last_part(task_arn)} {state}"


def console_task_url(region: str | None, cluster: str, task_arn: str) -> str:
    region = region or "us-east-1"
    task_id = last_part(task_arn)
    return (
        f"https://{region}.console.aws.amazon.com/ecs/v2/clusters/{cluster}/tasks/"
        f"{task_id}/configuration?region={region}"
    )
