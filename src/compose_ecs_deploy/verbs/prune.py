"""The `prune` verb: deregister the service family's ACTIVE revisions older than the newest N,
and with `--delete` delete the INACTIVE ones.

What stays (`rollout/verdicts/history.py`, `prune_plan`): the newest N; every revision a
service of the cluster runs or deploys (any of its deployments or task sets, read with
ListServices and DescribeServices); the revision `rollback` would go to, found exactly as
`rollback` finds it: from the history the service's controller gives (ECS's service
deployments, or a CODE_DEPLOY service's deployment group's own record, since ECS's is empty
for those). When that history cannot be read the rollback target is unknown, so nothing is
pruned. `--dry-run` says what
would go and why each other one stays, and writes nothing. The writes are paced to leave the
account's shared RegisterTaskDefinition bucket to deploys (`aws/revisions.py`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from compose_ecs_deploy.aws import ecs
from compose_ecs_deploy.aws.client import Aws, call, session
from compose_ecs_deploy.aws.revisions import Pacer, delete, deregister, list_family
from compose_ecs_deploy.errors import EXIT_OK, ExitCode, HistoryUnreadable, InputError
from compose_ecs_deploy.pipeline.plan import parse_targets
from compose_ecs_deploy.pipeline.rollback_target import by_history
from compose_ecs_deploy.report.console import Log, RememberingLog
from compose_ecs_deploy.report.face import Face
from compose_ecs_deploy.rollout.controller import Refusal, choose
from compose_ecs_deploy.rollout.verdicts.arns import last_part
from compose_ecs_deploy.rollout.verdicts.history import (
    family_revision,
    in_use_by,
    prune_plan,
    running_revision,
)
from compose_ecs_deploy.settings import Settings, refuse_bad_options


@dataclass(frozen=True)
class PruneOptions:
    """How many revisions stay, whether INACTIVE ones are deleted, and whether to only say."""

    keep: int
    delete: bool = False
    dry_run: bool = False

    @classmethod
    def of(cls, settings: Settings) -> PruneOptions:
        if settings.prune_keep is None:
            raise InputError(
                "prune needs --keep N, how many revisions stay (action input prune-keep)"
            )
        if settings.prune_keep < 1:
            raise InputError(
                f"--keep {settings.prune_keep}: keep at least the running revision; pass "
                "--keep N with N of 1 or more (action input prune-keep)"
            )
        return cls(settings.prune_keep, settings.prune_delete, settings.dry_run)


def run(settings: Settings, face: Face, aws: Aws | None = None) -> ExitCode:
    """Prune each service's family. `aws` is the deploy's session when the action prunes after
    a deploy (`prune-keep`): what the deploy read once a run (a CODE_DEPLOY service's
    deployment group) is not read again, and both share one throttle budget."""
    refuse_bad_options(settings)
    options = PruneOptions.of(settings)
    log = RememberingLog(face.log)
    aws = aws or session(settings, log)
    cluster = str(settings.cluster)
    names = [t.ecs_service for t in parse_targets(settings)]
    in_use = in_use_by(_cluster_services(aws, cluster))
    services = ecs.describe_services(aws, cluster, names)
    for name, service in services.items():
        if not running_revision(service):
            raise InputError(
                f"ECS service {name} names no task definition (neither its own nor a PRIMARY "
                "task set's), so prune has no family to prune; pass a service that runs one"
            )
    # every service's rollback target before the first write: one unreadable history stops
    # the prune before any service's revisions go, not halfway through the list
    targets = {name: _rollback_target(aws, settings, name, s, log) for name, s in services.items()}
    totals = {"deregistered": 0, "deleted": 0}
    for name, service in services.items():
        done = prune(aws, name, service, targets[name], in_use, options, log)
        for key, count in done.items():
            totals[key] += count
    face.outputs({key: str(count) for key, count in totals.items()})
    face.section("prune" + (" (dry run)" if options.dry_run else ""), log.lines)
    return EXIT_OK


def _rollback_target(
    aws: Aws, settings: Settings, name: str, service: dict[str, Any], log: Log
) -> str:
    """The revision `rollback` without --to would go to ('' when none), by the same path:
    the history the service's controller keeps. A service no controller rolls out (EXTERNAL)
    cannot be rolled back by us; ECS's own service-deployment history still says what it ran,
    so that is what protects its revisions."""
    controller = choose(name, service)
    try:
        target = by_history(
            aws,
            settings,
            name,
            service,
            None if isinstance(controller, Refusal) else controller,
            log,
        )
    except HistoryUnreadable as exc:
        raise HistoryUnreadable(
            f"{exc}; nothing was deregistered: prune keeps the revision rollback would go to, "
            "which only that history names"
        ) from exc
    return str(target["taskDefinitionArn"]) if target else ""


def _cluster_services(aws: Aws, cluster: str) -> list[dict[str, Any]]:
    """Every service of the cluster, described (ListServices pages, DescribeServices ten at a
    time): a revision any of them runs or deploys stays."""
    arns: list[str] = []
    token: dict[str, str] = {}
    while True:
        page = call(aws, "ecs", "list_services", cluster=cluster, maxResults=100, **token)
        arns += [str(a) for a in page.get("serviceArns", [])]
        if not page.get("nextToken"):
            break
        token = {"nextToken": str(page["nextToken"])}
    services: list[dict[str, Any]] = []
    for start in range(0, len(arns), 10):
        answer = call(
            aws, "ecs", "describe_services", cluster=cluster, services=arns[start : start + 10]
        )
        services += answer.get("services", [])
    return services


def prune(
    aws: Aws,
    name: str,
    service: dict[str, Any],
    target_arn: str,
    in_use: dict[str, str],
    options: PruneOptions,
    log: Log,
) -> dict[str, int]:
    """One service's family: the plan, said line by line, then the paced writes; `target_arn`
    is the rollback target ('' when there is none)."""
    current = running_revision(service)
    family = (family_revision(current) or (last_part(current), 0))[0]
    plan = prune_plan(list_family(aws, family, "ACTIVE"), options.keep, in_use, target_arn)
    going = [v.task_definition for v in plan if v.goes]
    verb = "would deregister" if options.dry_run else "deregister"
    with log.group(f"{name}: family {family}, {len(plan)} ACTIVE revisions, {len(going)} to go"):
        for verdict in plan:
            what = f"{verb} {last_part(verdict.task_definition)}" if verdict.goes else (
                f"keep {last_part(verdict.task_definition)}"
            )  # fmt: skip
            log.info(f"{name}: {what}: {verdict.why}")
    inactive = [
        arn for arn in list_family(aws, family, "INACTIVE") if _key(arn) not in in_use
    ] if options.delete else []  # fmt: skip
    if options.dry_run:
        if options.delete:
            log.info(f"{name}: would delete {len(inactive) + len(going)} INACTIVE revisions")
        return {"deregistered": 0, "deleted": 0}
    pacer = Pacer(aws)
    for arn in going:
        deregister(pacer, arn)
    log.info(f"{name}: deregistered {len(going)} revisions of {family}")
    if not options.delete:
        return {"deregistered": len(going), "deleted": 0}
    deleted, failures = delete(pacer, list(dict.fromkeys(inactive + going)))
    for arn, reason in failures:
        log.info(f"{name}: not deleted {last_part(arn)}: {reason}")
    log.info(f"{name}: deleted {len(deleted)} INACTIVE revisions of {family}")
    return {"deregistered": len(going), "deleted": len(deleted)}


def _key(arn: str) -> str:
    found = family_revision(arn)
    return f"{found[0]}:{found[1]}" if found else arn
