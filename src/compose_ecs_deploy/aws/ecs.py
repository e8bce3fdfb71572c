"""A thin ECS wrapper: domain arguments in, plain data out, no decisions."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from compose_ecs_deploy.aws.client import Aws, call, call_once
from compose_ecs_deploy.errors import AwsError
from compose_ecs_deploy.rollout.verdicts.arns import last_part


def describe_services(
    aws: Aws, cluster: str, services: Sequence[str], *, absent_ok: bool = False
) -> dict[str, Any]:
    """Each named service's description; a missing or inactive service is an error, or, with
    `absent_ok` (a service `--express` may create), left out of the answer."""
    found: dict[str, Any] = {}
    described: dict[str, Any] = {}
    missing: dict[str, str] = {}
    for start in range(0, len(services), 10):  # the API takes ten names a call
        answer = call(
            aws,
            "ecs",
            "describe_services",
            cluster=cluster,
            services=list(services[start : start + 10]),
        )
        for failure in answer.get("failures", []):
            missing[last_part(str(failure.get("arn", "")))] = str(failure.get("reason"))
        for service in answer.get("services", []):
            # a service named by its ARN is found by its ARN (ECS answers with both)
            described[service["serviceName"]] = service
            described[str(service.get("serviceArn"))] = service
    for name in services:
        service = described.get(name)
        if absent_ok and (service is None or service.get("status") == "INACTIVE"):
            continue
        if service is None:
            reason = f" ({missing[last_part(name)]})" if last_part(name) in missing else ""
            raise AwsError(
                f"ECS service {name} was not found in cluster {cluster}{reason}; check "
                "ecs-service and cluster, or create the service first (e.g. with Terraform)"
            )
        if service.get("status") != "ACTIVE":
            raise AwsError(
                f"ECS service {name} in cluster {cluster} is "
                f"{service.get('status')}, not ACTIVE; it cannot be deployed to"
            )
        found[name] = service
    return found


def describe_task_definition(aws: Aws, task_definition: str) -> dict[str, Any]:
    """The revision as DescribeTaskDefinition returns it, with its tags beside it."""
    answer = call(
        aws, "ecs", "describe_task_definition", taskDefinition=task_definition, include=["TAGS"]
    )
    result = dict(answer["taskDefinition"])
    if answer.get("tags"):
        result["tags"] = answer["tags"]
    return result


def register_task_definition(aws: Aws, request: Mapping[str, Any]) -> dict[str, Any]:
    """One attempt: a blind retry after a lost answer would register a second revision."""
    answer = call_once(aws, "ecs", "register_task_definition", **request)
    return dict(answer["taskDefinition"])


def latest_task_definition(aws: Aws, family: str) -> dict[str, Any]:
    """A family without a revision names its latest ACTIVE revision."""
    return describe_task_definition(aws, family)


def update_service(
    aws: Aws, cluster: str, service: str, task_definition: str, *, force_new_deployment: bool
) -> dict[str, Any]:
    """One attempt: a blind retry after a lost answer would start a second deployment."""
    answer = call_once(
        aws,
        "ecs",
        "update_service",
        cluster=cluster,
        service=service,
        taskDefinition=task_definition,
        forceNewDeployment=force_new_deployment,
    )
    return dict(answer["service"])


def stopped_task_arns(aws: Aws, cluster: str, deployment_id: str) -> list[str]:
    """The stopped tasks a deployment started: a service's tasks carry the deployment's id in
    startedBy (API_ListTasks startedBy, desiredStatus=STOPPED; ECS keeps stopped tasks for
    about an hour). Paginated: nextToken until ECS has no more."""
    arns: list[str] = []
    token: str | None = None
    while True:
        page = call(
            aws,
            "ecs",
            "list_tasks",
            cluster=cluster,
            startedBy=deployment_id,
            desiredStatus="STOPPED",
            **({"nextToken": token} if token else {}),
        )
        arns += page.get("taskArns", [])
        token = page.get("nextToken")
        if not token:
            return arns


def describe_tasks(aws: Aws, cluster: str, arns: Sequence[str]) -> list[dict[str, Any]]:
    """The tasks as DescribeTasks returns them, a hundred ARNs a call (its limit)."""
    tasks: list[dict[str, Any]] = []
    for start in range(0, len(arns), 100):
        answer = call(
            aws, "ecs", "describe_tasks", cluster=cluster, tasks=list(arns[start : start + 100])
        )
        tasks += answer.get("tasks", [])
    return tasks
