"""What to do about a stopped task: one table, one row per common cause, first match wins.

ECS says *what* stopped a task (a stop code, the task's `stoppedReason`, each container's
exit code and `reason`); a person in a CI log wants *what to change*. Each row of `HINTS`
reads those fields (the strings as ECS writes them; see the troubleshooting pages named on
each row) and says what to check, naming the role, ARN, image, port or memory from the
revision where it can. Rows are ordered from the most specific signal to the most general:
an `OutOfMemoryError` beats its exit code 137, a failed ELB health check beats the 137 of a
container killed after it. Pure: the payloads in, a sentence out.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from compose_ecs_deploy.rollout.verdicts.stopped_tasks import StoppedTask


@dataclass(frozen=True)
class Stop:
    """One stopped task as the table reads it: the task's fields and the container that
    explains the stop (the first essential one that failed, else any that failed)."""

    task_arn: str
    stop_code: str
    reason: str
    container: str = ""
    exit_code: int | None = None
    container_reason: str = ""

    @property
    def text(self) -> str:
        """Everything ECS said, for the patterns that may appear in either place."""
        return f"{self.reason} {self.container_reason}"

    @property
    def region(self) -> str:
        """The task ARN's region (arn:aws:ecs:REGION:ACCOUNT:task/...)."""
        parts = self.task_arn.split(":")
        return parts[3] if len(parts) > 3 else ""


def stop_of(task: StoppedTask) -> Stop:
    """The Stop of a stopped task as the rollout verdict classified it: its culprit explains
    it; a task that never started, with no culprit, is explained by its first essential
    container (the one whose image or command the hint names)."""
    chosen = task.culprit or next((c for c in task.containers if c.essential), None)
    return Stop(
        task_arn=task.task_arn,
        stop_code=task.stop_code,
        reason=task.stopped_reason,
        container=chosen.name if chosen else "",
        exit_code=chosen.exit_code if chosen else None,
        container_reason=chosen.reason if chosen else "",
    )


def container_definition(revision: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    return next((c for c in revision.get("containerDefinitions", []) if c.get("name") == name), {})


def _execution_role(revision: Mapping[str, Any]) -> str:
    role = revision.get("executionRoleArn")
    return (
        f"the task execution role {role}"
        if role
        else (
            "the task execution role (the revision has none: set executionRoleArn in x-ecs or in "
            "the base revision)"
        )
    )


_ARN = re.compile(r"arn:aws[\w-]*:(?:secretsmanager|ssm|kms):[^\s\"',)]+")


_PARAMETER_NAMES = re.compile(r"invalid ssm parameters?: ([^\s,]+)", re.IGNORECASE)


def _arns(text: str) -> list[str]:
    """The secret ARNs (or SSM parameter names) a reason names, in order."""
    found = [arn.rstrip(".:") for arn in _ARN.findall(text)] + _PARAMETER_NAMES.findall(text)
    return list(dict.fromkeys(found))


def _revision_secrets(revision: Mapping[str, Any]) -> list[str]:
    return list(
        dict.fromkeys(
            str(s.get("valueFrom"))
            for c in revision.get("containerDefinitions", [])
            for s in c.get("secrets", [])
            if s.get("valueFrom")
        )
    )


def _has(*patterns: str) -> Callable[[Stop], bool]:
    regex = re.compile("|".join(patterns), re.IGNORECASE)
    return lambda stop: bool(regex.search(stop.text))


def _all(*tests: Callable[[Stop], bool]) -> Callable[[Stop], bool]:
    return lambda stop: all(test(stop) for test in tests)


def _any(*tests: Callable[[Stop], bool]) -> Callable[[Stop], bool]:
    return lambda stop: any(test(stop) for test in tests)


_PULL = _has("CannotPullContainerError")
_INIT = _has("ResourceInitializationError")
_NETWORK = _has(
    r"i/o timeout",
    r"dial tcp",
    r"context deadline exceeded",
    r"send request failed",
    r"connection (?:reset|refused)",
    r"request canceled",
    r"connection issue",
)
_SECRETS = _has(
    r"unable to pull secrets", r"\basm\b", r"\bssm\b", r"secretsmanager", r"secrets manager", r"kms"
)
_LOGGER = _has(r"failed to validate logger args", r"log group", r"CreateLogGroup")
_DENIED = _has(r"\b403\b", r"forbidden", r"not authorized", r"access ?denied", r"unauthorized")


def _exit(*codes: int) -> Callable[[Stop], bool]:
    return lambda stop: stop.exit_code in codes


# Which endpoint a task could not reach, by the words ECS's reason uses for it.
_ENDPOINTS = (
    (
        re.compile(r"\basm\b|secretsmanager|secrets manager", re.I),
        "Secrets Manager",
        "com.amazonaws.{region}.secretsmanager",
    ),
    (
        re.compile(r"\bssm\b|systems manager", re.I),
        "SSM Parameter Store",
        "com.amazonaws.{region}.ssm",
    ),
    (
        re.compile(r"logger|cloudwatch|log group", re.I),
        "CloudWatch Logs",
        "com.amazonaws.{region}.logs",
    ),
)


def _no_route(stop: Stop, revision: Mapping[str, Any]) -> str:
    region = stop.region or "REGION"
    service, endpoints = (
        "ECR",
        (
            f"com.amazonaws.{region}.ecr.api, com.amazonaws.{region}.ecr.dkr "
            "and the S3 gateway endpoint (image layers come from S3)"
        ),
    )
    if not _PULL(stop):
        for pattern, name, endpoint in _ENDPOINTS:
            if pattern.search(stop.text):
                service, endpoints = name, endpoint.format(region=region)
                break
    return (
        f"the task could not reach {service} from its subnets: in private subnets add a "
        f"NAT gateway route or VPC endpoints ({endpoints}); in a public subnet, turn on "
        "assignPublicIp; and allow outbound HTTPS (443) in the task's security group"
    )


def _image(stop: Stop, revision: Mapping[str, Any]) -> str:
    image = container_definition(revision, stop.container).get("image")
    return f"the image {image}" if image else "the image"


def _platform(stop: Stop, revision: Mapping[str, Any]) -> str:
    wanted = (revision.get("runtimePlatform") or {}).get("cpuArchitecture", "X86_64")
    return (
        f"{_image(stop, revision)} has no variant for the task's platform ({wanted}): "
        "build it for that platform (platform: linux/amd64 or linux/arm64), or set "
        "runtimePlatform in x-ecs to the one it was built for"
    )


def _image_missing(stop: Stop, revision: Mapping[str, Any]) -> str:
    return (
        f"{_image(stop, revision)} is not in its registry: check that this tag "
        "was pushed to that repository (ecr-repository, image-tag) and the name is right"
    )


_ECR_PULL = "ecr:GetAuthorizationToken, ecr:BatchGetImage and ecr:GetDownloadUrlForLayer"


def _pull_denied(stop: Stop, revision: Mapping[str, Any]) -> str:
    return (
        f"{_execution_role(revision)} may not pull {_image(stop, revision)}: it needs "
        f"{_ECR_PULL} (the AWS managed policy AmazonECSTaskExecutionRolePolicy has them), "
        "and a repository policy must not deny it"
    )


def _pull_other(stop: Stop, revision: Mapping[str, Any]) -> str:
    return (
        f"ECS could not pull {_image(stop, revision)}: check that the tag exists, that "
        f"{_execution_role(revision)} has {_ECR_PULL}, and that the task's subnets reach "
        "ECR (a NAT gateway or VPC endpoints for private subnets)"
    )


def _secret_missing(stop: Stop, revision: Mapping[str, Any]) -> str:
    named = ", ".join(_arns(stop.text)) or ", ".join(_revision_secrets(revision)) or "a secret"
    return (
        f"{named} does not exist (or not in this region): fix the ARN or name in secrets, "
        "or create the secret first"
    )


def _secret_access(stop: Stop, revision: Mapping[str, Any]) -> str:
    arns = _arns(stop.text) or _revision_secrets(revision)
    needs = []
    for arn in arns:
        if ":ssm:" in arn or not arn.startswith("arn:"):
            needs.append(f"ssm:GetParameters on {arn}")
        elif ":kms:" in arn:
            needs.append(f"kms:Decrypt on {arn}")
        else:
            needs.append(f"secretsmanager:GetSecretValue on {arn}")
    if not needs:
        needs = ["secretsmanager:GetSecretValue or ssm:GetParameters on each secret's ARN"]
    return (
        f"{_execution_role(revision)} could not read a secret: it needs "
        f"{'; '.join(needs)}; and kms:Decrypt on the KMS key when the secret is encrypted "
        "with a customer managed key"
    )


def _log_group(stop: Stop, revision: Mapping[str, Any]) -> str:
    options = (container_definition(revision, stop.container).get("logConfiguration") or {}).get(
        "options"
    ) or next(
        (
            (c.get("logConfiguration") or {}).get("options") or {}
            for c in revision.get("containerDefinitions", [])
            if (c.get("logConfiguration") or {}).get("logDriver") == "awslogs"
        ),
        {},
    )
    group = options.get("awslogs-group", "the awslogs-group")
    region = options.get("awslogs-region", stop.region or "its region")
    return (
        f"the log group {group} does not exist in {region} (or may not be created): create "
        'it (e.g. Terraform aws_cloudwatch_log_group), or set awslogs-create-group: "true" '
        f"in the container's logging options and give {_execution_role(revision)} "
        "logs:CreateLogGroup"
    )


def _ports(stop: Stop, revision: Mapping[str, Any]) -> str:
    ports = [
        str(p.get("containerPort"))
        for p in container_definition(revision, stop.container).get("portMappings", [])
        if p.get("containerPort")
    ]
    return ", ".join(ports) or "none"


def _health_command(stop: Stop, revision: Mapping[str, Any]) -> str:
    check = container_definition(revision, stop.container).get("healthCheck") or {}
    return " ".join(str(part) for part in check.get("command", [])) or ""


def _elb(stop: Stop, revision: Mapping[str, Any]) -> str:
    target = re.search(r"\(target-group ([^)]+)\)|\(elb ([^)]+)\)", stop.reason)
    where = next((g for g in target.groups() if g), "") if target else ""
    check = _health_command(stop, revision)
    return (
        f"the load balancer's health check failed{f' ({where})' if where else ''}: check the "
        "target group's health check path and port against the port the app listens on "
        f"(container {stop.container or 'ports'}: {_ports(stop, revision)})"
        + (f" and its own health check ({check})" if check else "")
        + "; the path must answer 200-399 within the service's healthCheckGracePeriodSeconds"
    )


def _container_health(stop: Stop, revision: Mapping[str, Any]) -> str:
    check = _health_command(stop, revision)
    return (
        f"container {stop.container}'s health check failed"
        + (f" ({check})" if check else "")
        + ": run that command in the image, check the port it asks "
        f"({_ports(stop, revision)}), and give the app time to start (start_period, "
        "interval, retries)"
    )


def _memory(stop: Stop, revision: Mapping[str, Any]) -> str:
    container = container_definition(revision, stop.container)
    limit = container.get("memory") or container.get("memoryReservation")
    sizes = ", ".join(
        part
        for part in (
            f"the container's {limit} MiB" if limit else "",
            f"the task's {revision.get('memory')} MiB" if revision.get("memory") else "",
        )
        if part
    )
    oom = "OutOfMemory" in stop.text
    what = (
        f"container {stop.container} was killed for using too much memory"
        if oom
        else f"container {stop.container} was killed (exit 137, SIGKILL), usually for using "
        "too much memory"
    )
    return (
        what
        + (f" ({sizes})" if sizes else "")
        + ": raise deploy.resources.limits.memory (mem_limit) in compose, or the task "
        "memory in x-ecs, or lower the app's use"
        + (
            ""
            if oom
            else "; a container that ignores SIGTERM for its stopTimeout is killed the same way"
        )
    )


def _not_found(stop: Stop, revision: Mapping[str, Any]) -> str:
    container = container_definition(revision, stop.container)
    given = " ".join(
        str(p) for p in [*container.get("entryPoint", []), *container.get("command", [])]
    )
    return (
        f"command not found in container {stop.container}"
        + (f" ({given})" if given else "")
        + ": the image's entrypoint or command names a program that is not in the image's "
        "PATH; check compose's command/entrypoint and that the image installs it"
    )


def _exited(stop: Stop, revision: Mapping[str, Any]) -> str:
    return (
        f"container {stop.container} exited with code {stop.exit_code} by itself: its "
        "last log lines say why (a missing variable or secret, a failed migration, a "
        "crash at start)"
    )


@dataclass(frozen=True)
class Row:
    """One common cause: when it applies, and what to do; `source` is where ECS documents
    the reason text it matches."""

    cause: str
    applies: Callable[[Stop], bool]
    advice: Callable[[Stop, Mapping[str, Any]], str]
    source: str


_TROUBLESHOOTING = "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/"

HINTS: tuple[Row, ...] = (
    Row(
        "image-platform",
        _all(_PULL, _has("descriptor matching platform")),
        _platform,
        _TROUBLESHOOTING + "task_cannot_pull_image.html",
    ),
    Row(
        "no-route",
        _all(_any(_PULL, _INIT), _NETWORK),
        _no_route,
        _TROUBLESHOOTING + "task_cannot_pull_image.html, resource-initialization-error.html",
    ),
    Row(
        "image-missing",
        _all(_PULL, _has(r"not found", r"manifest unknown", r"does not exist", r"name unknown")),
        _image_missing,
        _TROUBLESHOOTING + "task_cannot_pull_image.html",
    ),
    Row(
        "pull-denied",
        _all(_any(_PULL, _has("ecr registry auth")), _DENIED),
        _pull_denied,
        _TROUBLESHOOTING + "task_cannot_pull_image.html",
    ),
    Row("pull", _PULL, _pull_other, _TROUBLESHOOTING + "task_cannot_pull_image.html"),
    Row(
        "log-group",
        _all(_INIT, _LOGGER),
        _log_group,
        _TROUBLESHOOTING + "resource-initialization-error.html",
    ),
    Row(
        "secret-missing",
        _all(
            _INIT,
            _SECRETS,
            _has(
                r"ResourceNotFoundException",
                r"invalid ssm parameters",
                r"can't find the specified secret",
            ),
        ),
        _secret_missing,
        _TROUBLESHOOTING + "resource-initialization-error.html",
    ),
    Row(
        "secret-access",
        _all(_INIT, _SECRETS),
        _secret_access,
        _TROUBLESHOOTING + "resource-initialization-error.html",
    ),
    Row(
        "out-of-memory", _has("OutOfMemoryError"), _memory, _TROUBLESHOOTING + "out-of-memory.html"
    ),
    Row(
        "elb-health-check",
        _has(r"failed ELB health checks"),
        _elb,
        _TROUBLESHOOTING + "troubleshoot-service-load-balancers.html",
    ),
    Row(
        "container-health-check",
        _has(r"failed container health checks"),
        _container_health,
        _TROUBLESHOOTING + "healthcheck-troubleshooting.html",
    ),
    Row("exit-137", _exit(137), _memory, _TROUBLESHOOTING + "out-of-memory.html"),
    Row(
        "command-not-found",
        _any(_exit(127), _has(r"executable file not found")),
        _not_found,
        _TROUBLESHOOTING + "cannot-start-container.html",
    ),
    Row(
        "exited",
        lambda stop: stop.stop_code == "EssentialContainerExited" and stop.exit_code is not None,
        _exited,
        _TROUBLESHOOTING + "stopped-task-errors.html",
    ),
)


@dataclass(frozen=True)
class Hint:
    cause: str
    text: str


def hint_for(stop: Stop, revision: Mapping[str, Any]) -> Hint | None:
    """The first row that applies, or None when the table knows no better than ECS's reason."""
    row = next((r for r in HINTS if r.applies(stop)), None)
    return Hint(row.cause, row.advice(stop, revision)) if row else None


def hints_for(tasks: Sequence[StoppedTask], revision: Mapping[str, Any]) -> list[Hint]:
    """One hint per distinct cause among the stopped tasks, in their order."""
    found = [hint_for(stop_of(task), revision) for task in tasks]
    return list(dict.fromkeys(h for h in found if h is not None))
