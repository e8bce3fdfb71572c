"""Look up what a revision refers to: one read per reference (batched where the API takes
several), each answer turned into OK, SKIP (with why) or FAILED, all at once.

Errors are told apart by their code at this boundary: a "does not exist" is FAILED; an access
denied is SKIP with the IAM action to add (docs/iam-policy.json, statement OptionalVerify),
never a failure of the deploy; anything else (throttling after botocore's retries, a broken
connection) is SKIP with the reason, since a check that could not run proves nothing.

The pages each rule comes from:
- IAM GetRole: NoSuchEntity (IAM API reference, "GetRole", Errors).
- Secrets Manager DescribeSecret: ResourceNotFoundException; a secret with `DeletedDate` is
  scheduled for deletion and cannot be read (API reference, "DescribeSecret", "DeleteSecret").
- SSM GetParameters: unknown names come back in `InvalidParameters` (API reference,
  "GetParameters"); at most 10 names a call. Values are never decrypted nor kept.
- CloudWatch Logs DescribeLogGroups: `logGroupNamePrefix` lists groups by prefix; the group
  exists when one has exactly its name (API reference, "DescribeLogGroups").
- ECR DescribeImages: ImageNotFoundException, RepositoryNotFoundException (API reference,
  "DescribeImages"); up to 100 image ids a call. A repository under a pull through cache rule
  (DescribePullThroughCacheRules) is filled at the first pull: its missing image is SKIP.
- EFS DescribeFileSystems: FileSystemNotFound (API reference, "DescribeFileSystems").
- ECS DescribeClusters / DescribeServices: an unknown one is in `failures` (MISSING); a
  cluster or service that is not ACTIVE cannot be deployed to.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from botocore.parsers import ResponseParserError

from compose_ecs_deploy.aws.client import Aws
from compose_ecs_deploy.compose.references import Reference

OK, SKIP, FAILED = "OK", "SKIP", "FAILED"
# The read each kind needs, for the SKIP line when it is denied.
ACTIONS = {
    "role": "iam:GetRole",
    "secret": "secretsmanager:DescribeSecret",
    "parameter": "ssm:GetParameters",
    "log-group": "logs:DescribeLogGroups",
    "image": "ecr:DescribeImages",
    "file-system": "elasticfilesystem:DescribeFileSystems",
    "cluster": "ecs:DescribeClusters",
    "service": "ecs:DescribeServices",
}
# The client each kind is read with.
SERVICES = {"role": "iam", "secret": "secretsmanager", "parameter": "ssm", "log-group": "logs",
            "image": "ecr", "file-system": "efs"}  # fmt: skip

_DENIED = frozenset({"AccessDenied", "AccessDeniedException", "UnauthorizedOperation"})
_LABELS = {"role": "role", "secret": "secret", "parameter": "SSM parameter",
           "log-group": "log group", "image": "image",
           "file-system": "EFS file system"}  # fmt: skip


@dataclass(frozen=True)
class Check:
    """One check's outcome, what it looked at (for the line) and why it is not OK; the
    reference it checked (None for the cluster and services)."""

    outcome: str
    what: str
    why: str = ""
    reference: Reference | None = None

    def line(self) -> str:
        return f"{self.outcome:<6} {self.what}" + (f": {self.why}" if self.why else "")


def _what(reference: Reference) -> str:
    return f"{_LABELS[reference.kind]} {reference.name} ({reference.where})"


def _unreadable(kind: str, error: Exception) -> str:
    if isinstance(error, ClientError):
        code = str(error.response.get("Error", {}).get("Code", ""))
        if code in _DENIED:
            return (
                f"the deploy role may not call {ACTIONS[kind]}; add it to check this "
                "(docs/iam-policy.json, statement OptionalVerify)"
            )
        return f"could not check it ({code or 'error'})"
    return f"could not check it ({type(error).__name__})"


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def _one(reference: Reference, lookup: Callable[[], str | None], missing: frozenset[str]) -> Check:
    """Run one lookup: its own FAILED reason, or OK; a `missing` error code is FAILED."""
    what = _what(reference)
    try:
        problem = lookup()
    except ClientError as exc:
        if _code(exc) in missing:
            why = f"does not exist ({_code(exc)}); create it or fix the name"
            return Check(FAILED, what, why, reference)
        return Check(SKIP, what, _unreadable(reference.kind, exc), reference)
    except (BotoCoreError, ResponseParserError) as exc:  # an answer it could not read
        return Check(SKIP, what, _unreadable(reference.kind, exc), reference)
    return Check(FAILED, what, problem, reference) if problem else Check(OK, what, "", reference)


def _role(aws: Aws, reference: Reference) -> Check:
    name = reference.name.rsplit("/", 1)[-1]
    return _one(
        reference,
        lambda: aws.client("iam").get_role(RoleName=name) and None,
        frozenset({"NoSuchEntity"}),
    )


def _secret(aws: Aws, reference: Reference) -> Check:
    def lookup() -> str | None:
        answer = aws.client("secretsmanager", region=reference.region).describe_secret(
            SecretId=reference.name
        )
        if answer.get("DeletedDate"):
            return "is scheduled for deletion; ECS cannot read it (restore it or use another)"
        return None

    return _one(reference, lookup, frozenset({"ResourceNotFoundException"}))


def _log_group(aws: Aws, reference: Reference) -> Check:
    def lookup() -> str | None:
        answer = aws.client("logs", region=reference.region).describe_log_groups(
            logGroupNamePrefix=reference.name, limit=50
        )
        names = {g.get("logGroupName") for g in answer.get("logGroups", [])}
        if reference.name in names:
            return None
        return (
            "does not exist; create it (e.g. Terraform aws_cloudwatch_log_group), or set "
            'the awslogs option awslogs-create-group: "true" (x-ecs.logConfiguration), '
            "which needs logs:CreateLogGroup on the execution role"
        )

    return _one(reference, lookup, frozenset({"ResourceNotFoundException"}))


def _file_system(aws: Aws, reference: Reference) -> Check:
    return _one(
        reference,
        lambda: aws.client("efs").describe_file_systems(FileSystemId=reference.name) and None,
        frozenset({"FileSystemNotFound"}),
    )


def _image(aws: Aws, reference: Reference) -> Check:
    """DescribeImages for the tag or digest; a missing image or repository fails, unless the
    repository is a pull through cache's, which ECR fills from upstream at the first pull."""
    checked = _image_found(aws, reference)
    if checked.outcome == FAILED and _pull_through(aws, reference):
        why = (
            "its repository is a pull through cache's: ECR fetches the image from the upstream "
            "registry at the first pull; not checked"
        )
        return Check(SKIP, checked.what, why, reference)
    return checked


def _pull_through(aws: Aws, reference: Reference) -> bool:
    """Whether a pull through cache rule covers the repository (ECR User Guide, "Customizing
    repository prefixes for ECR to ECR pull through cache": a prefix always ends in `/`;
    ROOT covers every repository). Unreadable rules cover nothing: the image stays missing."""
    client = aws.client("ecr", region=reference.region)
    token: dict[str, str] = {}
    try:
        while True:
            answer = client.describe_pull_through_cache_rules(
                registryId=reference.registry, **token
            )
            for rule in answer.get("pullThroughCacheRules", []):
                prefix = str(rule.get("ecrRepositoryPrefix") or "").rstrip("/")
                if prefix == "ROOT" or reference.repository.startswith(prefix + "/"):
                    return True
            if not answer.get("nextToken"):
                return False
            token = {"nextToken": str(answer["nextToken"])}
    except (ClientError, BotoCoreError, ResponseParserError):
        return False


def _image_found(aws: Aws, reference: Reference) -> Check:
    image_id = (
        {"imageDigest": reference.digest} if reference.digest else {"imageTag": reference.tag}
    )

    def lookup() -> None:
        aws.client("ecr", region=reference.region).describe_images(
            registryId=reference.registry,
            repositoryName=reference.repository,
            imageIds=[image_id],
        )

    return _one(
        reference, lookup, frozenset({"ImageNotFoundException", "RepositoryNotFoundException"})
    )


def _parameters(aws: Aws, references: Sequence[Reference]) -> list[Check]:
    """GetParameters, ten names a call per Region; values are dropped unread."""
    checks: list[Check] = []
    by_region: dict[str | None, list[Reference]] = defaultdict(list)
    for reference in references:
        by_region[reference.region].append(reference)
    for region, group in by_region.items():
        for start in range(0, len(group), 10):
            batch = group[start : start + 10]
            try:
                answer = aws.client("ssm", region=region).get_parameters(
                    Names=[r.lookup or r.name for r in batch], WithDecryption=False
                )
            except (ClientError, BotoCoreError, ResponseParserError) as exc:
                why = _unreadable("parameter", exc)
                checks += [Check(SKIP, _what(r), why, r) for r in batch]
                continue
            invalid = set(answer.get("InvalidParameters") or [])
            checks += [
                Check(FAILED, _what(r), "does not exist; create it or fix the name", r)
                if (r.lookup or r.name) in invalid
                else Check(OK, _what(r), "", r)
                for r in batch
            ]
    return checks


_SINGLE: dict[str, Callable[[Aws, Reference], Check]] = {
    "role": _role,
    "secret": _secret,
    "log-group": _log_group,
    "file-system": _file_system,
    "image": _image,
}


def check(
    aws: Aws, references: Sequence[Reference], *, found: frozenset[tuple[str, str]] = frozenset()
) -> list[Check]:
    """Every reference looked up, in parallel (the reads are independent), in their order;
    SSM parameters ten a call. `found`: (kind, name) of what this run has read already in
    the deploy's Region (bare parameter names, looked up by the plan): OK, not read again."""
    results: list[Check] = []
    to_read: list[Reference] = []
    for r in references:
        if r.region is None and (r.kind, r.name) in found:
            results.append(Check(OK, _what(r), "", r))
        else:
            to_read.append(r)
    jobs: list[Callable[[], list[Check]]] = [
        functools.partial(_single, _SINGLE[r.kind], aws, r) for r in to_read if r.kind in _SINGLE
    ]
    parameters = [r for r in to_read if r.kind == "parameter"]
    if parameters:
        jobs.append(functools.partial(_parameters, aws, parameters))
    # made here, before the threads, so that a client that cannot be made fails the run as
    # any call would; most were made ahead while the plan read ECS (preflight.warm_clients)
    for reference in to_read:
        region = None if reference.kind in ("role", "file-system") else reference.region
        aws.client(SERVICES[reference.kind], region=region)
    with ThreadPoolExecutor(max_workers=8) as pool:
        results += [one for batch in pool.map(_call, jobs) for one in batch]
    order = {id(r): index for index, r in enumerate(references)}
    return sorted(results, key=lambda c: order.get(id(c.reference), len(order)))


def _single(
    lookup: Callable[[Aws, Reference], Check], aws: Aws, reference: Reference
) -> list[Check]:
    return [lookup(aws, reference)]


def _call(job: Callable[[], list[Check]]) -> list[Check]:
    return job()


def target_checks(aws: Aws, cluster: str, services: Mapping[str, Mapping[str, Any]]) -> list[Check]:
    """The cluster and each ECS service exist and are ACTIVE (for the `verify` verb). The
    services are judged on the plan's own DescribeServices answers (`services`, by the name
    given), not read again; the cluster is read."""
    checks: list[Check] = []
    what = f"cluster {cluster}"
    try:
        answer: dict[str, Any] = aws.client("ecs").describe_clusters(clusters=[cluster])
    except (ClientError, BotoCoreError) as exc:
        return [Check(SKIP, what, _unreadable("cluster", exc))]
    found = answer.get("clusters") or []
    if not found or found[0].get("status") != "ACTIVE":
        return [Check(FAILED, what, "does not exist or is not ACTIVE; check --cluster")]
    checks.append(Check(OK, what))
    for name, service in services.items():
        if service.get("status") == "ACTIVE":
            checks.append(Check(OK, f"service {name}"))
        else:
            checks.append(
                Check(
                    FAILED,
                    f"service {name}",
                    f"does not exist in cluster {cluster} or is not ACTIVE; check --ecs-service",
                )
            )
    return checks
