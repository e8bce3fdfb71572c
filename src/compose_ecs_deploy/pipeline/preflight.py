"""The pre-flight checks (`verify`): what each planned revision refers to exists, before the
first build or write of a deploy (its services and its run-before one-offs) or a `run`, and as
the `verify` verb on its own.

Each reference is OK, SKIP (with why) or FAILED, all reported at once; a FAILED one stops the
deploy with every problem named, before anything is built, registered or updated. The reads
are `aws/references.py`'s, the list of references `compose/references.py`'s.

The default awslogs group, `/ecs/<family>`, is ours: the conversion chose its name when nothing
configured logging. So a deploy makes sure of it: when it does not exist, the deploy creates
it (logs:CreateLogGroup, statement DefaultLogGroup of docs/iam-policy.json) after every check
passed; `verify` alone only says it would. A group that the compose file or the base names
must exist, or carry `awslogs-create-group: "true"` (README, "verify").

What the checks cost is mostly the making of their clients (iam, secretsmanager, ssm, logs:
botocore loads each one's model), not the reads, which run in parallel. So a run that will
verify starts making the clients it will most likely need as it starts planning
(`warm_clients`), on a thread that runs while the plan waits on ECS.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from compose_ecs_deploy.aws.client import Aws
from compose_ecs_deploy.aws.references import (
    FAILED,
    OK,
    SERVICES,
    SKIP,
    Check,
    check,
    target_checks,
)
from compose_ecs_deploy.compose.references import Reference, references, secret_reference
from compose_ecs_deploy.diagnostics import Diagnostic
from compose_ecs_deploy.errors import BuildError, InputError
from compose_ecs_deploy.images.builder import find_builder
from compose_ecs_deploy.pipeline.plan import Planned
from compose_ecs_deploy.report.console import Log
from compose_ecs_deploy.settings import Settings


def _checked(prepared: object) -> tuple[str, ...]:
    found = getattr(prepared, "checked", ())
    return tuple(str(line) for line in found) if isinstance(found, tuple) else ()


@dataclass(frozen=True)
class Subject:
    """What the checks look at: the requests a run will register (a deploy's services and its
    run-before one-offs, or `run`'s one-off), the compose services this run builds (their
    images are not looked up: the run pushes them), the ECS targets as the plan described
    them (`verify` alone), what the controllers' `prepare` found at plan time (OK lines),
    and the bare SSM parameter names the plan found (not read again)."""

    settings: Settings
    requests: Sequence[Mapping[str, Any]]
    built: frozenset[str]
    targets: Mapping[str, Mapping[str, Any]]
    checked: Sequence[str] = ()
    parameters: frozenset[str] = frozenset()

    @classmethod
    def of(cls, planned: Planned, *, targets: bool = False) -> Subject:
        one_offs = [p.request for p in planned.gate.plans] if planned.gate else []
        jobs = planned.jobs + (planned.gate.jobs if planned.gate else [])
        return cls(
            planned.settings,
            [p.rendered.request for p in planned.plans] + one_offs,
            frozenset(job.service for job in jobs),
            {t.ecs_service: planned.running[t.ecs_service].service for t in planned.targets}
            if targets
            else {},
            [what for p in planned.plans for what in _checked(p.prepared)],
            planned.parameters,
        )


def warm_clients(aws: Aws, settings: Settings) -> None:
    """Start making, in the background, the clients this run will most likely need: ECS's
    (the plan's first reads), and for a run that verifies, IAM for the roles, the store of
    each `--secret` and CloudWatch Logs for the log group (nearly every Fargate revision has
    an execution role and awslogs). Called before the compose files are loaded, so that they
    are made while `docker compose config` runs and the plan waits on ECS. What the plan
    renders may need others (ECR, EFS, a group in another Region, a secrets file's store):
    the checks make those themselves."""
    wanted: list[tuple[str, str | None]] = [("ecs", None)]
    if settings.verify:
        values = [line.partition("=")[2].strip() for line in settings.secrets]
        stores = [secret_reference(value, "") for value in values if value]
        wanted += [("iam", None)]
        wanted += [(SERVICES[reference.kind], reference.region) for reference in stores]
        wanted += [("logs", None)]
    aws.warm(wanted)


def references_of(subject: Subject) -> tuple[list[Reference], list[Check]]:
    """Every reference of every request (first mention kept), and the SKIP lines for what is
    not looked up (images built by this run, images outside ECR, groups ECS makes)."""
    found: dict[tuple[str, str, str | None], Reference] = {}
    skipped: dict[str, Check] = {}
    for request in subject.requests:
        images = {
            str(c["image"]) for c in request["containerDefinitions"] if c["name"] in subject.built
        }
        refs, skips = references(request, built=images, region=subject.settings.region)
        for ref in refs:
            found.setdefault((ref.kind, ref.name, ref.region), ref)
        for what, why in skips:
            skipped.setdefault(what, Check(SKIP, what, why))
    return list(found.values()), list(skipped.values())


def _create_default_group(aws: Aws, reference: Reference, log: Log) -> Check:
    what = f"log group {reference.name} ({reference.where})"
    try:
        aws.client("logs", region=reference.region).create_log_group(logGroupName=reference.name)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "ResourceAlreadyExistsException":
            return Check(OK, what, "", reference)
        return Check(
            FAILED,
            what,
            "does not exist, and creating it (the default group) failed "
            f"({exc.response.get('Error', {}).get('Code')}); allow logs:CreateLogGroup on "
            "/ecs/* (docs/iam-policy.json, statement DefaultLogGroup), or create the group",
            reference,
        )
    except BotoCoreError as exc:
        return Check(FAILED, what, f"does not exist, and creating it failed ({exc})", reference)
    log.info(f"verify: created the default log group {reference.name}")
    return Check(OK, what, "created (the default group)", reference)


def preflight(aws: Aws, subject: Subject, log: Log, *, create: bool = True) -> list[Check]:
    """Run every check, print one line each, and raise with every FAILED one.

    The subject's targets: the cluster and those services too (`verify` alone; a deploy's
    plan has read them). `create`: make a missing default log group (a run that writes).
    """
    settings = subject.settings
    checks: list[Check] = []
    if subject.targets:
        checks += target_checks(aws, str(settings.cluster), subject.targets)
        if settings.builder and subject.built:  # a deploy looks it up before it verifies
            checks.append(builder_check(settings.builder))
    # what a controller's `prepare` found right at plan time (a CodeDeploy deployment group
    # that deploys the service, its load balancer's container in the new revision); what it
    # found wrong stopped the plan already, with every problem named
    checks += [Check(OK, what) for what in subject.checked]
    refs, skipped = references_of(subject)
    defaults = {f"/ecs/{request['family']}" for request in subject.requests}
    missing: list[Reference] = []  # default groups to create once everything else passed
    found_before = frozenset(("parameter", name) for name in subject.parameters)
    for found in check(aws, refs, found=found_before) + skipped:
        ref = found.reference
        if found.outcome == FAILED and ref and ref.kind == "log-group" and ref.name in defaults:
            missing += [ref] if create else []
            found = replace(found, outcome=SKIP, why="does not exist; deploy creates it "
                            "(the default group; logs:CreateLogGroup)")  # fmt: skip
        checks.append(found)
    if missing and not any(c.outcome == FAILED for c in checks):
        created = {id(ref): _create_default_group(aws, ref, log) for ref in missing}
        checks = [created.get(id(c.reference), c) for c in checks]
    report(checks, log)
    failed = [c for c in checks if c.outcome == FAILED]
    if failed:
        problems = [Diagnostic.error("verify-failed", f"verify: {c.what}: {c.why}") for c in failed]
        raise InputError(problems[0].message, problems)
    return checks


def builder_check(name: str) -> Check:
    """The buildx builder the images would be built on: OK, or FAILED with buildx's word."""
    try:
        return Check(OK, find_builder(name).line())
    except BuildError as exc:
        return Check(FAILED, f"buildx builder {name}", str(exc).split(": ", 1)[-1])


def report(checks: Sequence[Check], log: Log) -> None:
    """One line per check, then the count; in a group so a deploy's log stays short."""
    with log.group("verify: what the revisions refer to"):
        for found in checks:
            log.info(f"verify: {found.line()}")
        counts = {o: sum(c.outcome == o for c in checks) for o in (OK, SKIP, FAILED)}
        log.info(f"verify: {counts[OK]} OK, {counts[SKIP]} SKIP, {counts[FAILED]} FAILED")
