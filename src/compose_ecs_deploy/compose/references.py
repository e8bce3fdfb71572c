"""What a task definition refers to that must exist before ECS can start it. Pure.

The commonest failed deploys are references to things that do not exist: a secret ARN with a
typo, a role never created, a log group nobody made, an image tag never pushed. ECS reports
them minutes later on the new tasks (`ResourceInitializationError`,
`CannotPullContainerError`), after the revision was registered and the service updated; the
`verify` checks read each of them first. This module lists them, deduplicated, each with
where the request names it; `aws/references.py` looks them up.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

# Kinds, in the order the checks are printed.
KINDS = ("role", "secret", "parameter", "log-group", "image", "file-system")

# "<account>.dkr.ecr.<region>.amazonaws.com[.cn]/<repository>[:<tag>][@<digest>]"
# (Amazon ECR User Guide, "Private registry concepts": the registry URL).
_ECR_IMAGE = re.compile(
    r"(?P<account>\d{12})\.dkr\.ecr(?:-fips)?\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(?:\.cn)?/"
    r"(?P<repository>[a-z0-9][a-z0-9._/-]*?)(?::(?P<tag>[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}))?"
    r"(?:@(?P<digest>sha256:[a-f0-9]{64}))?"
)
CREATES_GROUP = (
    "awslogs-create-group is true: ECS creates it at the first task (the execution role "
    "needs logs:CreateLogGroup)"
)
_ARN_REGION = re.compile(r"arn:aws[a-z-]*:[a-z0-9-]+:(?P<region>[a-z0-9-]*):")


@dataclass(frozen=True)
class Reference:
    """One thing to look up: its kind, the name the lookup takes, the Region it lives in
    (None: the deploy's), and where the request names it (for the message)."""

    kind: str
    name: str
    region: str | None
    where: str
    # image only: repository, tag or digest, registry (account) id
    repository: str = ""
    tag: str = ""
    digest: str = ""
    registry: str = ""
    # parameter only: what GetParameters is asked for when not the name: the ARN as written,
    # which a parameter shared from another account needs (API reference, GetParameters:
    # "For parameters shared with you from other accounts, you must use the full ARNs")
    lookup: str = ""


def _region_of(arn: str) -> str | None:
    found = _ARN_REGION.match(arn)
    return (found["region"] or None) if found else None


def secret_reference(value_from: str, where: str) -> Reference:
    """A `valueFrom`: a Secrets Manager ARN (its json-key / version suffix cut off: the lookup
    wants the secret), else an SSM parameter by ARN (looked up by it) or by name ("Pass
    sensitive data to an Amazon ECS container", developer guide: a name alone is a parameter
    of the task's Region)."""
    if value_from.startswith("arn:") and ":secretsmanager:" in value_from:
        secret = ":".join(value_from.split(":")[:7])
        return Reference("secret", secret, _region_of(value_from), where)
    if value_from.startswith("arn:"):
        name = _parameter_name(value_from.split(":parameter", 1)[-1])
        region = _region_of(value_from)
        return Reference("parameter", name or value_from, region, where, lookup=value_from)
    return Reference("parameter", value_from, None, where)


def _parameter_name(resource: str) -> str:
    """The parameter an ARN's `parameter/...` names, in SSM's canonical form: a path keeps its
    leading `/` (`parameter/shop/key` is `/shop/key`), a single name has none (`parameter/key`
    is `key`: SSM stores `/key` as `key`, terraform-provider-aws#49116), as it is shown in the
    console and the line a person reads."""
    rest = resource.removeprefix("/")
    return ("/" + rest) if "/" in rest else rest


def image_reference(image: str, where: str) -> Reference | None:
    """An ECR image by tag or digest; None for an image outside ECR (not checked)."""
    found = _ECR_IMAGE.fullmatch(image)
    if found is None:
        return None
    return Reference(
        "image",
        image,
        found["region"],
        where,
        repository=found["repository"],
        tag=found["tag"] or ("" if found["digest"] else "latest"),
        digest=found["digest"] or "",
        registry=found["account"],
    )


def references(
    request: Mapping[str, Any], *, built: Iterable[str] = (), region: str | None = None
) -> tuple[list[Reference], list[tuple[str, str]]]:
    """Every reference of the RegisterTaskDefinition request, first mention kept, and what is
    left unchecked with why ((what, reason): an image outside ECR or built in this run, a log
    group ECS creates itself)."""
    found: dict[tuple[str, str, str | None], Reference] = {}
    skipped: list[tuple[str, str]] = []
    built_images = frozenset(built)

    def add(reference: Reference) -> None:
        found.setdefault((reference.kind, reference.name, reference.region), reference)

    for key, label in (("executionRoleArn", "execution role"), ("taskRoleArn", "task role")):
        if request.get(key):
            add(Reference("role", str(request[key]), None, label))
    for container in request.get("containerDefinitions") or []:
        name = str(container.get("name"))
        for secret in container.get("secrets") or []:
            add(
                secret_reference(
                    str(secret.get("valueFrom")), f"{name}: secret {secret.get('name')}"
                )
            )
        log = container.get("logConfiguration") or {}
        for secret in log.get("secretOptions") or []:
            add(
                secret_reference(
                    str(secret.get("valueFrom")), f"{name}: log option {secret.get('name')}"
                )
            )
        credentials = (container.get("repositoryCredentials") or {}).get("credentialsParameter")
        if credentials:
            add(secret_reference(str(credentials), f"{name}: repository credentials"))
        options = log.get("options") or {}
        if log.get("logDriver") == "awslogs" and options.get("awslogs-group"):
            group = str(options["awslogs-group"])
            if str(options.get("awslogs-create-group", "")).lower() == "true":
                skipped.append((f"log group {group}", CREATES_GROUP))
            else:
                add(
                    Reference(
                        "log-group",
                        group,
                        options.get("awslogs-region") or region,
                        f"{name}: awslogs",
                    )
                )
        image = str(container.get("image") or "")
        if image in built_images:
            skipped.append((f"image {image}", "built and pushed by this run"))
            continue
        reference = image_reference(image, f"{name}: image")
        if reference is None:
            skipped.append((f"image {image}", "not in ECR; not checked"))
        else:
            add(reference)
    for volume in request.get("volumes") or []:
        efs = volume.get("efsVolumeConfiguration") or {}
        if efs.get("fileSystemId"):
            add(
                Reference(
                    "file-system", str(efs["fileSystemId"]), None, f"volume {volume.get('name')}"
                )
            )
    ordered = sorted(found.values(), key=lambda r: KINDS.index(r.kind))
    return ordered, skipped
