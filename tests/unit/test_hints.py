"""The hint table, on stop reasons as ECS writes them (recorded from AWS's troubleshooting
pages, AWS re:Post and users' reports; each case names where its text comes from)."""

from __future__ import annotations

from typing import Any

import pytest

from compose_ecs_deploy.rollout.verdicts.hints import HINTS, Stop, hint_for, hints_for, stop_of
from compose_ecs_deploy.rollout.verdicts.stopped_tasks import StoppedTask, stopped_task

ROLE = "arn:aws:iam::123456789012:role/app-execution"
SECRET = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:app/api-token-AbCdEf"
PARAMETER = "arn:aws:ssm:eu-west-1:123456789012:parameter/app/prod/DATABASE_URL"
IMAGE = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/app:5e1f0c3"
TASK = "arn:aws:ecs:eu-west-1:123456789012:task/prod/0c9f1e2d3b4a49d1a2b3c4d5e6f70819"

REVISION: dict[str, Any] = {
    "family": "app",
    "executionRoleArn": ROLE,
    "memory": "512",
    "cpu": "256",
    "containerDefinitions": [
        {
            "name": "web",
            "image": IMAGE,
            "essential": True,
            "memory": 256,
            "command": ["gunicorn", "app:wsgi"],
            "portMappings": [{"containerPort": 8080}],
            "healthCheck": {"command": ["CMD-SHELL", "curl -f http://localhost:8080/health"]},
            "secrets": [{"name": "API_TOKEN", "valueFrom": SECRET}],
            "logConfiguration": {
                "logDriver": "awslogs",
                "options": {
                    "awslogs-group": "/ecs/app",
                    "awslogs-region": "eu-west-1",
                    "awslogs-stream-prefix": "ecs",
                },
            },
        },
        {"name": "agent", "image": "example/agent:7", "essential": False},
    ],
}


def task(
    stop_code: str,
    reason: str,
    exit_code: int | None = None,
    container_reason: str | None = None,
    sidecar_exit: int | None = None,
) -> StoppedTask:
    """A DescribeTasks task, classified by the rollout verdict as the deploy does."""
    web: dict[str, Any] = {"name": "web", "lastStatus": "STOPPED"}
    if exit_code is not None:
        web["exitCode"] = exit_code
    if container_reason:
        web["reason"] = container_reason
    agent: dict[str, Any] = {"name": "agent", "lastStatus": "STOPPED"}
    if sidecar_exit is not None:
        agent["exitCode"] = sidecar_exit
    return stopped_task(
        {
            "taskArn": TASK,
            "stopCode": stop_code,
            "stoppedReason": reason,
            "containers": [agent, web],
        },
        frozenset({"web"}),
    )


# (case, stop code, stoppedReason, container exit code, container reason, expected cause,
#  words the hint must contain)
RECORDED = [
    # aws-samples / users' notes of the Fargate pull through a missing NAT (ActionIQ
    # terraform-aws-retool-ecs-fargate#20).
    (
        "pull timeout",
        "TaskFailedToStart",
        "CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to "
        "resolve ref docker.io/tryretool/backend:2.110.5: failed to do request: Head "
        '"https://registry-1.docker.io/v2/tryretool/backend/manifests/2.110.5": dial tcp '
        "34.205.13.154:443: i/o timeout",
        None,
        None,
        "no-route",
        ["NAT gateway", "com.amazonaws.eu-west-1.ecr.dkr", "S3 gateway endpoint"],
    ),
    # A tag that was never pushed (the stopped reason a workflow reported for an ECR image).
    (
        "tag missing",
        "TaskFailedToStart",
        "CannotPullContainerError: pull image manifest has been retried 1 time(s): failed to "
        "resolve ref 123456789012.dkr.ecr.us-east-1.amazonaws.com/stocks-app:technicalsdaily-"
        "34683c06: 123456789012.dkr.ecr.us-east-1.amazonaws.com/stocks-app:technicalsdaily-"
        "34683c06: not found",
        None,
        None,
        "image-missing",
        [IMAGE, "image-tag"],
    ),
    # ECR answering 403 to an execution role without pull rights.
    (
        "pull forbidden",
        "TaskFailedToStart",
        "CannotPullContainerError: pull image manifest has been retried 1 time(s): failed to "
        'resolve ref "123456789.dkr.ecr.eu-west-3.amazonaws.com/bet-validator:abc1234": '
        "unexpected status code 403 Forbidden",
        None,
        None,
        "pull-denied",
        [ROLE, "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:GetAuthorizationToken"],
    ),
    # An arm64 image on an X86_64 task (users' notes of Apple-silicon builds).
    (
        "platform",
        "TaskFailedToStart",
        "CannotPullContainerError: pull image manifest has been retried 7 time(s): image "
        "Manifest does not contain descriptor matching platform 'linux/amd64'",
        None,
        None,
        "image-platform",
        ["X86_64", "linux/amd64"],
    ),
    # AWS re:Post "ecs-unable-to-pull-secrets": the secret read from Secrets Manager.
    (
        "secret denied",
        "TaskFailedToStart",
        "ResourceInitializationError: unable to pull secrets or registry auth: execution "
        "resource retrieval failed: unable to retrieve secret from asm: service call has been "
        f"retried 5 time(s): failed to fetch secret {SECRET} from secrets manager: "
        "AccessDeniedException: User: arn:aws:sts::123456789012:assumed-role/app-execution/0c9f "
        "is not authorized to perform: secretsmanager:GetSecretValue on resource: "
        f"{SECRET} because no identity-based policy allows the secretsmanager:GetSecretValue "
        "action",
        None,
        None,
        "secret-access",
        [ROLE, f"secretsmanager:GetSecretValue on {SECRET}", "kms:Decrypt"],
    ),
    # A user's report of the SSM form (ecsTaskExecutionRole without ssm:GetParameters).
    (
        "parameter denied",
        "TaskFailedToStart",
        "ResourceInitializationError: unable to pull secrets or registry auth: execution "
        "resource retrieval failed: unable to retrieve secrets from ssm: service call has been "
        "retried 1 time(s): AccessDeniedException: User: arn:aws:sts::123456789012:assumed-role/"
        f"app-execution/17cb is not authorized to perform: ssm:GetParameters on resource: "
        f"{PARAMETER} because no identity-based policy allows the ssm:GetParameters action "
        "status code: 400",
        None,
        None,
        "secret-access",
        [f"ssm:GetParameters on {PARAMETER}"],
    ),
    # The SSM form through a subnet with no route (a team's troubleshooting log).
    (
        "parameter no route",
        "TaskFailedToStart",
        "ResourceInitializationError: unable to pull secrets or registry auth: unable to "
        "retrieve secrets from ssm: The task cannot pull secrets from AWS Systems Manager. There "
        "is a connection issue between the task and AWS Systems Manager Parameter Store. Check "
        "your task network configuration. operation error SSM: GetParameters, https response "
        "error StatusCode: 0, RequestID: , canceled, context deadline exceeded",
        None,
        None,
        "no-route",
        ["SSM Parameter Store", "com.amazonaws.eu-west-1.ssm"],
    ),
    # A parameter that does not exist (a user's report).
    (
        "parameter missing",
        "TaskFailedToStart",
        "ResourceInitializationError: unable to pull secrets or registry auth: execution "
        "resource retrieval failed: unable to retrieve secrets from ssm: service call has been "
        "retried 1 time(s): invalid ssm parameters: /wishkit/parsing-engine/gemini-api-key",
        None,
        None,
        "secret-missing",
        ["/wishkit/parsing-engine/gemini-api-key", "does not exist"],
    ),
    # The awslogs group that Terraform did not make (a team's deployment notes).
    (
        "log group",
        "TaskFailedToStart",
        "ResourceInitializationError: failed to validate logger args: create stream has been "
        "retried 1 times: failed to create Cloudwatch log stream: ResourceNotFoundException: The "
        "specified log group does not exist. : exit status 1",
        None,
        None,
        "log-group",
        ["/ecs/app", "eu-west-1", "awslogs-create-group", "logs:CreateLogGroup", ROLE],
    ),
    # AWS's out-of-memory page: "OutOfMemoryError: Container killed due to memory usage".
    (
        "oom",
        "EssentialContainerExited",
        "Essential container in task exited",
        137,
        "OutOfMemoryError: Container killed due to memory usage",
        "out-of-memory",
        ["256 MiB", "512 MiB", "limits.memory"],
    ),
    # Stopped tasks page: "Task failed ELB health checks in (target-group ...)".
    (
        "elb",
        "ServiceSchedulerInitiated",
        "Task failed ELB health checks in (target-group arn:aws:elasticloadbalancing:eu-west-1:"
        "123456789012:targetgroup/app-tg/6d0ecf831eec9f09)",
        137,
        None,
        "elb-health-check",
        ["targetgroup/app-tg", "8080", "curl -f http://localhost:8080/health", "path and port"],
    ),
    # The container health check as ECS reports it in the stopped reason.
    (
        "container health",
        "ServiceSchedulerInitiated",
        "Task failed container health checks",
        137,
        None,
        "container-health-check",
        ["curl -f http://localhost:8080/health", "8080"],
    ),
    # Exit 137 without ECS naming the cause.
    (
        "sigkill",
        "EssentialContainerExited",
        "Essential container in task exited",
        137,
        None,
        "exit-137",
        ["memory", "SIGTERM"],
    ),
    # The shell's exit status for a missing command.
    (
        "exit 127",
        "EssentialContainerExited",
        "Essential container in task exited",
        127,
        None,
        "command-not-found",
        ["gunicorn app:wsgi", "PATH"],
    ),
    # CannotStartContainerError page: the runtime cannot find the command at all.
    (
        "exec not found",
        "TaskFailedToStart",
        "CannotStartContainerError: Error response from daemon: failed to create shim task: OCI "
        "runtime create failed: runc create failed: unable to start container process: exec: "
        '"gunicorn": executable file not found in $PATH: unknown',
        None,
        None,
        "command-not-found",
        ["gunicorn app:wsgi"],
    ),
    # The stopped tasks page: "Essential container in task exited", with the app's own code.
    (
        "exit 3",
        "EssentialContainerExited",
        "Essential container in task exited",
        3,
        None,
        "exited",
        ["container web exited with code 3", "last log lines"],
    ),
]


@pytest.mark.parametrize(
    ("stop_code", "reason", "exit_code", "container_reason", "cause", "words"),
    [case[1:] for case in RECORDED],
    ids=[case[0] for case in RECORDED],
)
def test_recorded_stop_reasons_get_their_hint(
    stop_code, reason, exit_code, container_reason, cause, words
) -> None:
    found = hint_for(stop_of(task(stop_code, reason, exit_code, container_reason)), REVISION)
    assert found is not None
    assert found.cause == cause, found
    for word in words:
        assert word in found.text, (word, found.text)


def test_every_row_is_exercised_by_a_recorded_reason() -> None:
    assert {case[5] for case in RECORDED} | {"pull"} == {row.cause for row in HINTS}


def test_a_pull_error_of_no_known_kind_lists_the_three_causes() -> None:
    found = hint_for(
        Stop(TASK, "TaskFailedToStart", "CannotPullContainerError: failed to extract layer"),
        REVISION,
    )
    assert found is not None and found.cause == "pull"
    for word in ("tag exists", ROLE, "NAT gateway"):
        assert word in found.text


def test_the_essential_container_explains_the_stop_before_a_sidecar() -> None:
    stop = stop_of(
        task("EssentialContainerExited", "Essential container in task exited", 3, sidecar_exit=143)
    )
    assert (stop.container, stop.exit_code) == ("web", 3)


def test_a_revision_without_an_execution_role_says_to_set_one() -> None:
    revision = {**REVISION, "executionRoleArn": None}
    found = hint_for(
        Stop(
            TASK,
            "TaskFailedToStart",
            "CannotPullContainerError: unexpected status code 403 Forbidden",
        ),
        revision,
    )
    assert found is not None and "set executionRoleArn" in found.text


def test_a_secret_error_that_names_no_arn_names_the_revision_secrets() -> None:
    found = hint_for(
        Stop(
            TASK,
            "TaskFailedToStart",
            "ResourceInitializationError: unable to pull secrets or registry "
            "auth: execution resource retrieval failed: unable to retrieve "
            "secret from asm: AccessDeniedException",
        ),
        REVISION,
    )
    assert found is not None and f"secretsmanager:GetSecretValue on {SECRET}" in found.text


def test_reasons_the_table_does_not_know_get_no_hint() -> None:
    assert hint_for(Stop(TASK, "UserInitiated", "Task stopped by user"), REVISION) is None
    assert (
        hint_for(
            Stop(
                TASK,
                "ServiceSchedulerInitiated",
                "Scaling activity initiated by (deployment ecs-svc/1234567890123456789)",
            ),
            REVISION,
        )
        is None
    )


def test_several_tasks_with_one_cause_give_one_hint() -> None:
    crash = task("EssentialContainerExited", "Essential container in task exited", 3)
    oom = task(
        "EssentialContainerExited",
        "Essential container in task exited",
        137,
        "OutOfMemoryError: Container killed due to memory usage",
    )
    assert [h.cause for h in hints_for([crash, crash, oom], REVISION)] == [
        "exited",
        "out-of-memory",
    ]
