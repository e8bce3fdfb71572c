"""The `preview` verb: a preview environment per pull request on ECS Express Mode.

`preview up --name N` is `deploy --express` onto the Express service `<ecs-service>-<N>`
(`verdicts/express.preview_name` makes it an ECS service name), created with tags that mark
it as a preview of its pull request and commit, with the time (`updated-at`); a later `up` that
deploys another commit tags it again (TagResource: tags are idempotent, so retried as reads
are); it prints the URL (and sets the output `url`), also when nothing changed.
`preview down --name N` deletes it (DeleteExpressGatewayService) and exits 0 when it is
already draining, inactive or gone; it deletes only a service that
`preview up` made (an Express service with the preview tag). `preview sweep` deletes, by their
tags, the previews of `<ecs-service>` whose pull request is not open any more
(`--open-pull-requests`) or that `preview up` last updated more than `--older-than` ago (the
`updated-at` tag; a preview made before that tag existed: its last deployment).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from compose_ecs_deploy.aws import express as aws_express
from compose_ecs_deploy.aws.client import Aws, call
from compose_ecs_deploy.diagnostics import Diagnostic
from compose_ecs_deploy.errors import EXIT_OK, ExitCode, InputError
from compose_ecs_deploy.report.face import Face
from compose_ecs_deploy.rollout.verdicts import express
from compose_ecs_deploy.settings import Settings, refuse_bad_options

Verb = Callable[[Settings, Face], ExitCode]

PREVIEW_TAG, PULL_REQUEST_TAG = express.PREVIEW_TAG, express.PULL_REQUEST_TAG
_AGE = re.compile(r"(\d+)([dhm])")
MAX_AGE_DAYS = 3650


def run(settings: Settings, face: Face, *, deploy: Verb) -> ExitCode:
    """`deploy` is the deploy verb, handed over by the face (a verb imports no other verb)."""
    if settings.preview_action == "up":
        return up(settings, face, deploy)
    refuse_bad_options(settings)  # up's are deploy's
    return down(settings, face) if settings.preview_action == "down" else sweep(settings, face)


def _base(settings: Settings) -> str:
    if len(settings.ecs_services) != 1 or "=" in settings.ecs_services[0]:
        raise InputError("preview takes one --ecs-service NAME (action input ecs-service)")
    return settings.ecs_services[0].strip()


def service_name(settings: Settings) -> str:
    """`<ecs-service>-<name>`, made an ECS service name."""
    try:
        return express.preview_name(_base(settings), str(settings.preview_name or ""))
    except ValueError as exc:
        raise InputError(str(exc)) from exc


def up(settings: Settings, face: Face, deploy: Verb) -> ExitCode:
    """Deploy --express to the preview; the URL as the output `url` and a line."""
    name = service_name(settings)
    if settings.pull_request is not None and not settings.pull_request.isdigit():
        raise InputError(
            f"--pull-request {settings.pull_request!r} is not a pull request number "
            "(action input pull-request)"
        )
    if name != f"{_base(settings)}-{settings.preview_name}":
        face.log.info(f"preview: the Express service is named {name} (ECS's name rules)")
    stamp = datetime.now(UTC).strftime(express.STAMP)
    tags = express.preview_tags(
        str(settings.preview_name), settings.pull_request, str(settings.image_tag or ""), stamp
    )
    preview = replace(
        settings,
        ecs_services=(name,),
        express=True,
        service_tags=tuple((t["key"], t["value"]) for t in tags),
    )
    code = deploy(preview, face)
    url = face.published().get("url", "")
    if not settings.dry_run:
        aws = Aws(settings.region, max_retries=settings.max_retries)
        (found,) = _described(aws, str(settings.cluster), [name]) or [{}]
        if found.get("status") == "ACTIVE":
            if code == EXIT_OK:
                _refresh_tags(aws, found, tags, face)
            if not url:
                described = aws_express.describe(aws, str(found["serviceArn"]))
                url = express.url(express.endpoint_of(described or {}))
                if url:
                    face.outputs({"url": url})
    if url:
        face.log.info(f"preview {settings.preview_name}: {url}")
    return code


def _described(aws: Aws, cluster: str, names: list[str]) -> list[dict[str, Any]]:
    """DescribeServices with tags, ten names a call; missing ones left out."""
    found: list[dict[str, Any]] = []
    for start in range(0, len(names), 10):
        answer = call(
            aws,
            "ecs",
            "describe_services",
            cluster=cluster,
            services=names[start : start + 10],
            include=["TAGS"],
        )
        found += answer.get("services", [])
    return found


def _tags(service: dict[str, Any]) -> dict[str, str]:
    return {str(t.get("key")): str(t.get("value")) for t in service.get("tags") or []}


def _refresh_tags(
    aws: Aws, service: dict[str, Any], wanted: list[dict[str, str]], face: Face
) -> None:
    """The commit (and pull request) of a preview that now runs another one, with the time:
    the sweep judges a preview's age by it. Tags made at Create are already right."""
    changed = express.tags_to_refresh(_tags(service), wanted)
    if changed:
        arn = str(service["serviceArn"])
        call(aws, "ecs", "tag_resource", resourceArn=arn, tags=changed)
        commit = next(t["value"] for t in changed if t["key"] == express.COMMIT_TAG)
        face.log.info(f"preview {service['serviceName']}: tagged with commit {commit}")


def down(settings: Settings, face: Face) -> ExitCode:
    """Delete the preview; already draining, inactive or gone is success."""
    name, cluster = service_name(settings), str(settings.cluster)
    aws = Aws(settings.region, max_retries=settings.max_retries)
    (found,) = _described(aws, cluster, [name]) or [{}]
    status = found.get("status")
    if not found or status == "INACTIVE":
        face.log.info(f"preview {name}: already gone; nothing to delete")
        return EXIT_OK
    if not express.is_express(found) or PREVIEW_TAG not in _tags(found):
        raise InputError(
            f"ECS service {name} is not a preview made by `preview up` (no "
            f"{PREVIEW_TAG} tag on an Express service); it is left alone"
        )
    if status == "DRAINING":
        face.log.info(f"preview {name}: already being deleted (DRAINING)")
        return EXIT_OK
    result = aws_express.delete(aws, str(found["serviceArn"]))
    face.log.info(
        {
            "deleting": f"preview {name}: deleted; ECS drains it and removes its load "
            "balancer rules, security groups and scaling",
            "gone": f"preview {name}: already gone; nothing to delete",
            "not-active": f"preview {name}: already being deleted",
        }[result]
    )
    return EXIT_OK


def max_age(text: str) -> timedelta:
    """`7d`, `36h`, `90m`; at most MAX_AGE_DAYS, so that no date arithmetic on it can
    overflow (timedelta stops at 999,999,999 days). The text is not repeated in the error."""
    match = _AGE.fullmatch(text.strip())
    if not match:
        raise InputError(
            "--older-than is not an age such as 7d, 36h or 90m (action input older-than)"
        )
    minutes = int(match.group(1)) * {"d": 1440, "h": 60, "m": 1}[match.group(2)]
    if minutes > MAX_AGE_DAYS * 1440:
        raise InputError(
            f"--older-than is more than {MAX_AGE_DAYS} days (ten years); previews are swept "
            "long before that (action input older-than)"
        )
    return timedelta(minutes=minutes)


def _span(limit: timedelta) -> str:
    """An age as --older-than writes it: 7d, 36h, 90m."""
    minutes = int(limit.total_seconds() // 60)
    for unit, size in (("d", 1440), ("h", 60)):
        if minutes and minutes % size == 0:
            return f"{minutes // size}{unit}"
    return f"{minutes}m"


def _last_updated(service: dict[str, Any]) -> datetime | None:
    """The preview's `updated-at` tag; for one made before that tag, its last deployment."""
    tagged = _tags(service).get(express.UPDATED_TAG)
    if tagged:
        try:
            return datetime.strptime(tagged, express.STAMP).replace(tzinfo=UTC)
        except ValueError:
            pass  # not ours to judge: fall back to what ECS says
    stamps = [d.get("createdAt") for d in service.get("deployments") or []]
    times = [s for s in stamps if isinstance(s, datetime)]
    return max(times) if times else None


def stale_reason(
    service: dict[str, Any], open_prs: set[str] | None, limit: timedelta, now: datetime
) -> str:
    """Why the sweep deletes this preview, or '' to keep it."""
    tags = _tags(service)
    pull_request = tags.get(PULL_REQUEST_TAG)
    if open_prs is not None and pull_request and pull_request not in open_prs:
        return f"pull request {pull_request} is not open"
    last = _last_updated(service)
    if last is not None and now - last > limit:
        return f"last updated {last:%Y-%m-%d %H:%M} UTC, more than {_span(limit)} ago"
    return ""


def sweep(settings: Settings, face: Face) -> ExitCode:
    """Delete the previews of `<ecs-service>` that went stale, by their tags."""
    base, cluster = _base(settings), str(settings.cluster)
    limit = max_age(settings.older_than)
    open_prs = (
        {n.strip() for n in settings.open_pull_requests.split(",") if n.strip()}
        if settings.open_pull_requests is not None
        else None
    )
    if open_prs is not None and not all(n.isdigit() for n in open_prs):
        raise InputError(
            f"--open-pull-requests {settings.open_pull_requests!r} is not a comma-separated "
            "list of pull request numbers (action input open-pull-requests)"
        )
    aws = Aws(settings.region, max_retries=settings.max_retries)
    arns = aws_express.list_arns(aws, cluster)
    names = [a.rsplit("/", 1)[-1] for a in arns if a.rsplit("/", 1)[-1].startswith(f"{base}-")]
    now = datetime.now(UTC)
    deleted = 0
    for service in _described(aws, cluster, names):
        if service.get("status") != "ACTIVE" or PREVIEW_TAG not in _tags(service):
            continue
        reason = stale_reason(service, open_prs, limit, now)
        if not reason:
            continue
        name = str(service["serviceName"])
        if settings.dry_run:
            face.log.info(f"preview {name}: would delete ({reason})")
            continue
        aws_express.delete(aws, str(service["serviceArn"]))
        deleted += 1
        face.log.info(f"preview {name}: deleted ({reason})")
    face.log.info(f"sweep: {deleted} preview(s) deleted of {len(names)} found")
    face.report(Diagnostic.notice("preview-sweep", f"{deleted} preview(s) deleted"))
    return EXIT_OK
