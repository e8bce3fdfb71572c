"""Every option once, in one frozen object; the only module that reads the environment.

The CLI and the action both build a `Settings`; everything downstream takes it (or the
smaller options object derived from it) as plain data.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field

from compose_ecs_deploy.diagnostics import Diagnostic
from compose_ecs_deploy.errors import InputError


@dataclass(frozen=True)
class Settings:
    compose_files: tuple[str, ...]
    profiles: tuple[str, ...] = ()
    services: tuple[str, ...] = ()
    images: tuple[str, ...] = ()
    secrets: tuple[str, ...] = ()
    secrets_file: str | None = None
    task_definition: str | None = None
    family: str | None = None
    region: str | None = None
    cluster: str | None = None
    ecs_services: tuple[str, ...] = ()
    force_new_deployment: bool = False
    wait: bool = True
    wait_timeout_minutes: float = 15.0
    rollback_on_failure: bool = True
    dry_run: bool = False
    poll_interval: float = 5.0
    max_poll_interval: float = 15.0
    max_retries: int = 4
    throttle_timeout_minutes: float = 10.0
    ecr_repositories: tuple[str, ...] = ()
    image_tag: str | None = None
    additional_tags: tuple[str, ...] = ()
    create_repository: bool = False
    scan_on_push: bool = True
    immutable_tags: bool = False
    skip_existing_image: bool = True
    pin_digest: bool = True
    registry_cache: bool = False
    builder: str | None = None  # a buildx builder's name (images/builder.py)
    build_args: tuple[str, ...] = ()
    platform: str | None = None
    source_url: str | None = None
    strict: bool = False
    secrets_init_image: str | None = None
    wait_until: str = "complete"
    verify_command: str | None = None
    codedeploy_application: str | None = None
    codedeploy_deployment_group: str | None = None
    codedeploy_appspec: str | None = None
    run_before: tuple[str, ...] = ()
    run_timeout_minutes: float = 30.0
    run_service: str | None = None
    run_command: tuple[str, ...] = ()
    log_lines: int = 30
    rollback_to: str | None = None
    verify: bool = True
    status_json: bool = False
    express: bool = False
    infrastructure_role_arn: str | None = None
    health_check_path: str | None = None
    service_tags: tuple[tuple[str, str], ...] = ()  # tags of a service --express creates
    preview_action: str | None = None  # up | down | sweep
    preview_name: str | None = None
    pull_request: str | None = None
    older_than: str = "7d"
    open_pull_requests: str | None = None
    prune_keep: int | None = None
    init_output: str | None = None
    prune_delete: bool = False
    environment: Mapping[str, str] = field(default_factory=dict, repr=False)
    # Not an option: the test-only COMPOSE_ECS_DEPLOY_TIME_SCALE (`time_scale_from`).
    time_scale: float = 1.0

    def pause(self, seconds: float) -> float:
        """The real length of a wait between polls of `seconds` (the poll interval and its
        growth, the back-off after a failed read): the same, but against a local stand-in
        under test, where COMPOSE_ECS_DEPLOY_TIME_SCALE shortens it. Timeouts are never
        scaled: they count real minutes."""
        return seconds * self.time_scale


def region_from(explicit: str | None, environ: Mapping[str, str]) -> str | None:
    """`--region` / aws-region, else AWS_REGION, else AWS_DEFAULT_REGION (as the AWS CLI)."""
    return explicit or environ.get("AWS_REGION") or environ.get("AWS_DEFAULT_REGION") or None


def current_environment() -> dict[str, str]:
    return dict(os.environ)


def default_image_tag(environ: Mapping[str, str]) -> str | None:
    """The commit: GITHUB_SHA on a runner, else `git rev-parse HEAD` where we run."""
    if environ.get("GITHUB_SHA"):
        return environ["GITHUB_SHA"]
    try:
        completed = subprocess.run(
            ["git", "rev-parse", "HEAD"], capture_output=True, text=True, check=False, timeout=10
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return completed.stdout.strip() or None if completed.returncode == 0 else None


def source_url(environ: Mapping[str, str]) -> str | None:
    """The repository's URL for the OCI source label, as the runner describes it."""
    server, repository = environ.get("GITHUB_SERVER_URL"), environ.get("GITHUB_REPOSITORY")
    return f"{server}/{repository}" if server and repository else None


_TAG = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")
# Names buildx gives builders and the docker CLI gives contexts (one builder per context).
_BUILDER = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.+-]{0,127}")
_PLATFORM = re.compile(r"linux/(amd64|arm64)(/v8)?")
# A cluster or service is a name (1-255 letters, digits, - and _) or its ARN (ECS API
# reference, CreateCluster/CreateService; ARN formats in the ECS developer guide), in one of
# AWS's partitions; an ARN's length is bounded by those of its parts.
_PARTITION = r"aws(?:-cn|-us-gov|-iso(?:-[a-z])?|-eusc)?"
_ECS_NAME = r"[A-Za-z0-9_-]{1,255}"
_ECS_ARN = rf"arn:{_PARTITION}:ecs:[a-z]{{2}}(?:-[a-z]+)+-\d{{1,2}}:\d{{12}}:"
_CLUSTER = re.compile(rf"{_ECS_NAME}|{_ECS_ARN}cluster/{_ECS_NAME}")
_SERVICE = re.compile(rf"{_ECS_NAME}|{_ECS_ARN}service/(?:{_ECS_NAME}/)?{_ECS_NAME}")


def _reference_problems(settings: Settings) -> list[str]:
    """The cluster and the ECS services, each a name or an ARN of its kind (not repeated)."""
    problems = []
    if settings.cluster is not None and not _CLUSTER.fullmatch(settings.cluster):
        problems.append(
            "the cluster is neither a cluster name (1-255 letters, digits, - and _) nor a "
            "cluster ARN (arn:aws:ecs:REGION:ACCOUNT:cluster/NAME) (--cluster, action input "
            "cluster)"
        )
    for index, line in enumerate(settings.ecs_services, 1):
        name = line.partition("=")[0].strip()
        if name and not _SERVICE.fullmatch(name):
            problems.append(
                f"ECS service {index} is neither a service name (1-255 letters, digits, - "
                "and _) nor a service ARN (arn:aws:ecs:REGION:ACCOUNT:service/CLUSTER/NAME) "
                "(--ecs-service, action input ecs-service)"
            )
    return problems


_ROLE_ARN = re.compile(r"arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]+")


def codedeploy_notice(settings: Settings, service: str, kind: str) -> tuple[str, ...]:
    """The notice for the CodeDeploy options given for a service CodeDeploy does not deploy:
    they are ignored, never silently."""
    given = [
        name
        for name, value in (
            ("codedeploy-application", settings.codedeploy_application),
            ("codedeploy-deployment-group", settings.codedeploy_deployment_group),
            ("codedeploy-appspec", settings.codedeploy_appspec),
        )
        if value
    ]
    if not given:
        return ()
    return (
        f"{service}: notice: {', '.join(given)} apply to CODE_DEPLOY services; this one is "
        f"deployed by the {kind} controller, so they are ignored",
    )


@dataclass(frozen=True)
class Limit:
    """The sane range of one number option: checked before any write, so that no arithmetic
    on it can overflow after one (a poll interval of 1e300 once crashed a watched rollout)."""

    field: str
    option: str  # the CLI's option; the action's input has the same name
    unit: str
    low: float
    high: float
    low_allowed: bool = True

    def problem(self, settings: Settings) -> str | None:
        value = getattr(settings, self.field)
        low, low_allowed = self.low, self.low_allowed
        above_low = value >= low if low_allowed else value > low
        if above_low and value <= self.high:  # False for NaN as well
            return None
        shown = f"{low:g}" if low_allowed else f"above {low:g}"
        return (
            f"{self.option} must be {shown} to {self.high:g} {self.unit} "
            f"(--{self.option}, action input {self.option})"
        )


DAY_MINUTES = 24 * 60
LIMITS = (
    Limit("wait_timeout_minutes", "wait-timeout", "minutes", 0, DAY_MINUTES, low_allowed=False),
    # 1-300 s (issue #22), wherever ECS is; tests shorten the waits otherwise (`time_scale_from`).
    Limit("poll_interval", "poll-interval", "seconds", 1, 300),
    Limit("run_timeout_minutes", "run-timeout", "minutes", 0, DAY_MINUTES, low_allowed=False),
    Limit("max_retries", "max-retries", "retries", 0, 20),
    Limit("throttle_timeout_minutes", "throttle-timeout", "minutes", 0, DAY_MINUTES),
    Limit("log_lines", "log-lines", "lines (0: off)", 0, 10_000),  # GetLogEvents' limit
)
_LOOPBACK = re.compile(r"(?:127(?:\.\d{1,3}){3}|localhost|\[::1\])(?::\d+)?")


def local_endpoint(environ: Mapping[str, str]) -> bool:
    """Whether ECS is reached on this machine (`AWS_ENDPOINT_URL_ECS`, else `AWS_ENDPOINT_URL`,
    boto3's own settings, on a loopback address): a stand-in such as moto or LocalStack,
    which spends no account's request budget; only there may the tests shorten the waits
    between polls (`time_scale_from`)."""
    url = environ.get("AWS_ENDPOINT_URL_ECS") or environ.get("AWS_ENDPOINT_URL") or ""
    host = url.partition("://")[2].partition("/")[0].rpartition("@")[2]
    return bool(_LOOPBACK.fullmatch(host.lower()))


TIME_SCALE = "COMPOSE_ECS_DEPLOY_TIME_SCALE"


def time_scale_from(environ: Mapping[str, str]) -> float:
    """The test-only factor on every wait between polls, from COMPOSE_ECS_DEPLOY_TIME_SCALE
    (unset: 1; NaN when it is no number, which `time_scale_problem` refuses).

    A user's poll interval is 1-300 s (issue #22) wherever ECS is, and no action input or
    CLI option reaches this knob. The tests poll the local stack's simulators, whose
    rollouts take a tick per poll: they set it (scripts/stack env, tests/support/stack.py)
    to spend a hundredth of each wait. It is honoured only against a loopback endpoint."""
    text = environ.get(TIME_SCALE, "").strip()
    if not text:
        return 1.0
    try:
        return float(text)
    except ValueError:
        return float("nan")


def time_scale_problem(settings: Settings, local: bool) -> str | None:
    """A time scale outside (0, 1] (a slower watch is a poll interval's job), or one set
    while ECS is not on a loopback address (where AWS's request budget is spent and the
    user's interval must hold): refused, never ignored silently."""
    scale = settings.time_scale
    if not 0 < scale <= 1:  # False for NaN as well
        return (
            f"{TIME_SCALE} must be a number above 0 and at most 1 (a test-only factor on the "
            "waits between polls; its value is not repeated here): fix or unset it"
        )
    if scale != 1 and not local:
        return (
            f"{TIME_SCALE} is set, but ECS's endpoint (AWS_ENDPOINT_URL_ECS or "
            "AWS_ENDPOINT_URL) is not a loopback address: the knob only shortens the waits "
            "between polls of a local stand-in under test; unset it (--poll-interval, "
            "action input poll-interval, sets how often AWS is polled)"
        )
    return None


def deploy_option_problems(settings: Settings) -> list[Diagnostic]:
    """Every option of `deploy` that cannot work, found before anything is read or built."""
    problems: list[str] = []
    if settings.image_tag is not None and not _TAG.fullmatch(settings.image_tag):
        problems.append(
            f"image tag {settings.image_tag!r} is not a valid tag (letters, "
            "digits, _ . -, at most 128, not starting with . or -): set "
            "--image-tag (action input image-tag)"
        )
    if settings.platform is not None and not _PLATFORM.fullmatch(settings.platform):
        problems.append(
            f"platform {settings.platform!r} is not one ECS runs: use "
            "linux/amd64 or linux/arm64 (--platform, action input platform)"
        )
    if settings.builder is not None and not _BUILDER.fullmatch(settings.builder):
        problems.append(
            "builder is not a buildx builder's name (letters, digits, _ . + -, starting with "
            "a letter or digit; `docker buildx ls` lists them): set --builder (action input "
            "builder)"
        )
    if settings.wait_until not in ("complete", "traffic-shifted"):
        problems.append(
            f"wait-until {settings.wait_until!r} is not complete or "
            "traffic-shifted (--wait-until, action input wait-until)"
        )
    problems += [problem for limit in LIMITS if (problem := limit.problem(settings))]
    if (scale := time_scale_problem(settings, local_endpoint(os.environ))) is not None:
        problems.append(scale)  # where boto3 sends the polls
    problems += _reference_problems(settings)
    if settings.health_check_path is not None and not settings.health_check_path.startswith("/"):
        problems.append(
            f"health check path {settings.health_check_path!r} must start with / (e.g. "
            "/health; --health-check-path, action input health-check-path)"
        )
    if settings.infrastructure_role_arn is not None and not _ROLE_ARN.fullmatch(
        settings.infrastructure_role_arn
    ):
        problems.append(
            f"infrastructure role {settings.infrastructure_role_arn!r} is not an IAM role ARN "
            "(arn:aws:iam::ACCOUNT:role/NAME; --infrastructure-role-arn, action input "
            "infrastructure-role-arn)"
        )
    problems += _codedeploy_name_problems(settings)
    if not settings.region:
        problems.append("no AWS region: pass --region (action input aws-region) or set AWS_REGION")
    return [Diagnostic.error("option", problem) for problem in problems]


def refuse_bad_options(settings: Settings) -> None:
    """The day-two verbs' check (rollback, status, prune, init, preview down and sweep): the
    same numbers, names and ARNs as deploy's, refused before anything is read, so that a
    rollback's watch cannot crash on a poll interval of 1e300 after its UpdateService."""
    problems = deploy_option_problems(settings)
    if problems:
        raise InputError(problems[0].message, problems)


def _codedeploy_name_problems(settings: Settings) -> list[str]:
    """CodeDeploy's names are 1 to 100 characters (CodeDeploy API Reference, CreateApplication
    applicationName and CreateDeploymentGroup deploymentGroupName, "Length Constraints"): a
    longer one can name nothing, so it is refused before anything is read, whatever the
    service's kind. The value is not repeated (it could be anything pasted there)."""
    return [
        f"{option} is {len(value)} characters long; CodeDeploy names are 1 to 100 characters "
        f"(--{option}, action input {option})"
        for option, value in (
            ("codedeploy-application", settings.codedeploy_application),
            ("codedeploy-deployment-group", settings.codedeploy_deployment_group),
        )
        if value is not None and value != "" and len(value) > 100
    ]
