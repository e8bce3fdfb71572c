"""Which revision a rollback goes to, and which revisions a prune keeps: pure, on ECS's answers.

The service-deployment history (ListServiceDeployments, newest first, and the task definition
of each target revision from DescribeServiceRevisions) says what ran and how each deployment
ended ("View service history using Amazon ECS service deployments",
https://docs.aws.amazon.com/AmazonECS/latest/developerguide/service-deployment.html):
SUCCESSFUL is a deployment that completed; ROLLBACK_SUCCESSFUL / ROLLBACK_FAILED one that ECS
(circuit breaker, alarms) or StopServiceDeployment rolled back; STOPPED one that failed
without the rollback option or was stopped.

A rollback we made is an UpdateService like any other, so history shows it as a SUCCESSFUL
deployment of an *older* revision: a revision replaced by a deployment of a lower revision
number of the same family was rolled back, and is skipped. That is how `rollback` twice goes
two releases back, never forth and back between the last two. What a deployment replaced is
its `sourceServiceRevisions` (DescribeServiceDeployments, "ServiceDeployment" in the API
reference) when known; else the revision of the next newer deployment that completed
(SUCCESSFUL), never merely the next one listed: a deployment ECS rolled back or that was
stopped leaves the service on what ran before it, so it replaced nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

SUCCESSFUL = "SUCCESSFUL"
ROLLED_BACK = frozenset({"ROLLBACK_REQUESTED", "ROLLBACK_IN_PROGRESS", "ROLLBACK_SUCCESSFUL",
                         "ROLLBACK_FAILED"})  # fmt: skip
_REVISION = re.compile(r"(?:^|/)(?P<family>[A-Za-z0-9_-]{1,255}):(?P<revision>\d+)\Z")


@dataclass(frozen=True)
class Past:
    """One service deployment as history gives it: its status, its target revision's task
    definition ARN ('' when DescribeServiceRevisions did not say), its own ARN, and the task
    definitions of the revisions it replaced (its sources; empty when not known)."""

    status: str
    task_definition: str
    arn: str = ""
    sources: tuple[str, ...] = ()


def family_revision(arn: str) -> tuple[str, int] | None:
    """(`web`, 3) of `arn:aws:ecs:...:task-definition/web:3` or of `web:3`."""
    found = _REVISION.search(arn)
    return (found["family"], int(found["revision"])) if found else None


def _went_back(older: str, newer: str) -> bool:
    """Whether the deployment of `newer` replaced `older` with an older revision."""
    old, new = family_revision(older), family_revision(newer)
    return old is not None and new is not None and old[0] == new[0] and new[1] < old[1]


def rollback_candidates(current: str, history: Sequence[Past]) -> list[str]:
    """Revisions to roll back to, best first: each completed a deployment before the current
    one and was not rolled back since. `history` is newest first; the caller takes the first
    that is still ACTIVE (UpdateService refuses an INACTIVE one)."""
    skipped: set[str] = {current}
    found: list[str] = []
    replacer: Past | None = None  # the next newer SUCCESSFUL deployment
    for past in history:
        td = past.task_definition
        if past.status in ROLLED_BACK:
            if td:
                skipped.add(td)  # it failed and was rolled back: never a target
            continue
        if td:  # a deployment to an older revision rolled back what it replaced
            skipped.update(s for s in past.sources if _went_back(s, td))
        if not td or past.status != SUCCESSFUL:
            continue
        guess = replacer.task_definition if replacer and not replacer.sources else ""
        if guess and _went_back(td, guess):  # with sources known, the rule above decided
            skipped.add(td)  # a rollback (ours, or anyone's UpdateService) left it
        elif td not in skipped:
            found.append(td)
            skipped.add(td)
        replacer = past
    return found


# --------------------------------------------------------------------------- rollback --to


@dataclass(frozen=True)
class Target:
    """What `--to` names: exactly one of a task definition (ARN or family:revision), an image
    tag to look for, or an image digest (`sha256:...`, as a build's `digest` output gives)."""

    task_definition: str = ""
    image_tag: str = ""
    image_digest: str = ""


_ARN = re.compile(r"arn:aws[a-z-]*:ecs:[a-z0-9-]+:\d{12}:task-definition/[A-Za-z0-9_-]{1,255}:\d+")
_FAMILY_REVISION = re.compile(r"[A-Za-z0-9_-]{1,255}:\d{1,9}")
_TAG = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")  # the OCI distribution spec's tag
_DIGEST = re.compile(r"sha256:[a-f0-9]{64}")
_SHA = re.compile(r"[0-9a-f]{7,40}")  # a commit SHA, or its abbreviation (git's seven and up)


def parse_to(value: str, family: str) -> Target:
    """`12` (a revision of `family`), `family:12`, a task-definition ARN, an image digest, or
    an image tag / commit SHA. Raises ValueError with what is accepted."""
    if re.fullmatch(r"[0-9]{1,9}", value):
        if int(value) > 0:
            return Target(task_definition=f"{family}:{int(value)}")
    elif _DIGEST.fullmatch(value):
        return Target(image_digest=value)
    elif _ARN.fullmatch(value) or _FAMILY_REVISION.fullmatch(value):
        return Target(task_definition=value)
    elif _TAG.fullmatch(value):
        return Target(image_tag=value)
    raise ValueError(
        "--to takes a revision number, FAMILY:REVISION, a task-definition ARN, an image digest "
        "(sha256:...), or an image tag or commit SHA (letters, digits, '_', '.', '-'; at most "
        "128)"
    )


def image_tags(image: str) -> tuple[str, ...]:
    """The tag of `repo:tag` or `repo:tag@sha256:...` (none for a digest alone; a registry's
    port, `host:5000/repo`, is not a tag)."""
    name = image.split("@", 1)[0]
    last = name.rsplit("/", 1)[-1]
    return (last.split(":", 1)[1],) if ":" in last else ()


def _same_commit(tag: str, wanted: str) -> bool:
    """Whether a tag names the commit `wanted` (a SHA or its abbreviation) names: the SHA
    itself or abbreviated (`${GITHUB_SHA::7}`), bare or as docker/metadata-action's `type=sha`
    tag writes it (`sha-ad132f5`, or `sha-` and the full SHA with `format=long`)."""
    bare = tag.removeprefix("sha-")
    if not (_SHA.fullmatch(wanted) and _SHA.fullmatch(bare)):
        return False
    return bare.startswith(wanted) or wanted.startswith(bare)


def has_tag(images: Iterable[str], wanted: str) -> bool:
    """Whether a container image carries `wanted`, or the commit it names (`_same_commit`)."""
    return any(
        tag == wanted or _same_commit(tag, wanted) for image in images for tag in image_tags(image)
    )


def has_digest(images: Iterable[str], digest: str) -> bool:
    """Whether a container image is pinned to `digest` (`repo@sha256:...`, with a tag or not)."""
    return any(image.partition("@")[2] == digest for image in images)


# --------------------------------------------------------------------------- prune


@dataclass(frozen=True)
class Verdict:
    """One ACTIVE revision of the family: whether prune deregisters it, and why."""

    task_definition: str
    goes: bool
    why: str


def prune_plan(
    active: Sequence[str], keep: int, in_use: Mapping[str, str], rollback_target: str
) -> list[Verdict]:
    """Each ACTIVE revision of the family (newest first in the answer): the newest `keep` stay,
    so does every revision a service still runs or deploys (`in_use` maps it to why) and the
    rollback target; the rest go. Revisions are ordered by number, not by list position."""
    ordered = sorted(active, key=lambda arn: (family_revision(arn) or ("", 0))[1], reverse=True)
    plan: list[Verdict] = []
    for index, arn in enumerate(ordered):
        if index < keep:
            plan.append(Verdict(arn, False, f"one of the newest {keep}"))
        elif _key(arn) in in_use:
            plan.append(Verdict(arn, False, in_use[_key(arn)]))
        elif rollback_target and _key(arn) == _key(rollback_target):
            plan.append(Verdict(arn, False, "the rollback target"))
        else:
            plan.append(Verdict(arn, True, f"older than the newest {keep}"))
    return plan


def _key(arn: str) -> str:
    found = family_revision(arn)
    return f"{found[0]}:{found[1]}" if found else arn


def running_revision(service: Mapping[str, object]) -> str:
    """The revision a service runs ('' when it names none): its own taskDefinition, else its
    PRIMARY task set's. CreateService requires a task definition only for the ECS and
    CODE_DEPLOY controllers (API reference, CreateService ``taskDefinition``), so an EXTERNAL
    service may have none of its own; its PRIMARY task set serves production traffic."""
    own = service.get("taskDefinition")
    if own:
        return str(own)
    task_sets = service.get("taskSets") or []
    for task_set in task_sets if isinstance(task_sets, list) else []:
        if task_set.get("status") == "PRIMARY" and task_set.get("taskDefinition"):
            return str(task_set["taskDefinition"])
    return ""


def in_use_by(services: Iterable[Mapping[str, object]]) -> dict[str, str]:
    """family:revision → why, for every revision a service runs or deploys (DescribeServices:
    the service's own taskDefinition, each deployment's, and each task set's). A CODE_DEPLOY
    or EXTERNAL service runs its tasks in task sets and lists no deployments (API reference,
    "Service": ``taskSets``, "Information about a set of Amazon ECS tasks in either an
    CodeDeploy or an EXTERNAL deployment"); during a CodeDeploy deployment the replacement
    task set (ACTIVE) runs the new revision before the service's taskDefinition names it, and
    after the traffic shift the original keeps running the old one through the termination
    wait ("TaskSet": ``status`` PRIMARY, ACTIVE or DRAINING)."""
    found: dict[str, str] = {}
    for service in services:
        name = str(service.get("serviceName", ""))
        deployments = service.get("deployments") or []
        for deployment in deployments if isinstance(deployments, list) else []:
            status = str(deployment.get("status", "")).lower()
            arn = str(deployment.get("taskDefinition", ""))
            verb = "runs" if deployment.get("rolloutState") == "COMPLETED" else "deploys"
            found.setdefault(_key(arn), f"service {name} {verb} it ({status} deployment)")
        task_sets = service.get("taskSets") or []
        for task_set in task_sets if isinstance(task_sets, list) else []:
            status = str(task_set.get("status", ""))
            arn = str(task_set.get("taskDefinition", ""))
            verb = "still drains" if status == "DRAINING" else "runs"
            if arn:
                found.setdefault(_key(arn), f"service {name} {verb} it ({status} task set)")
        own = str(service.get("taskDefinition", ""))
        if own:
            found.setdefault(_key(own), f"service {name} runs it")
    return found
