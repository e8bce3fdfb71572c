"""A deploy's result as step outputs (`outputs`), a Markdown job summary, and error lines."""

from __future__ import annotations

from collections.abc import Mapping

from compose_ecs_deploy.aws.throttle import duration
from compose_ecs_deploy.images.build import BuiltImage
from compose_ecs_deploy.pipeline.results import DeployResult, ServiceResult
from compose_ecs_deploy.report import oneoffs as oneoff
from compose_ecs_deploy.report.outputs import image_outputs, service_outputs
from compose_ecs_deploy.report.safe_text import clip, code, fence, link, one_line
from compose_ecs_deploy.report.safe_text import markdown as md
from compose_ecs_deploy.rollout.failure import diagnosis_markdown
from compose_ecs_deploy.rollout.verdicts.arns import last_part


def format_phases(phases: Mapping[str, float]) -> str:
    return ", ".join(f"{name} {seconds:.1f} s" for name, seconds in phases.items())


def outputs(result: DeployResult, images: Mapping[str, BuiltImage]) -> dict[str, str]:
    """Every output at the end of a deploy (the edge has published most of them already)."""
    return {
        **service_outputs(result.services),
        **image_outputs(images),
        **(oneoff.outputs(result.one_offs) if result.one_offs else {}),
    }


def _outcome_text(service: ServiceResult, dry_run: bool) -> str:
    if dry_run:
        return "dry run: would deploy" if service.changed else "dry run: no change"
    if service.deployment_id is None:
        return "unchanged, left alone"
    if service.outcome is None:
        return "deployment started (not waited for)"
    text = {
        "completed": "✅ completed",
        "failed": "❌ failed",
        "rolled-back": "❌ failed, rolled back by ECS",
        "stalled": "❌ stalled",
        "superseded": "❌ superseded",
        "timed-out": "❌ timed out",
        "cancelled": "⚠️ cancelled",
    }[service.outcome.kind]
    if service.rollback is not None:
        text += (
            ", previous revision restored"
            if service.rollback.succeeded
            else f", rollback {service.rollback.kind}"
        )
    return f"{text}; {service.note}" if service.note else text


def failure_lines(result: DeployResult) -> list[str]:
    """One `error:` message per one-off and per service that did not end well."""
    lines = [o.failure_line() for o in result.one_offs if not o.succeeded]
    for service in result.services:
        if service.succeeded or service.outcome is None:
            continue
        name = service.target.ecs_service
        line = f"service {name}: {service.outcome.kind}: {service.outcome.reason}"
        if service.rollback is not None:
            if service.rollback.succeeded:
                line += (
                    f"; revision {service.revision} failed and the previous revision "
                    f"{last_part(service.revision_before)} was restored"
                )
            else:
                line += f"; the rollback to {service.revision_before} also {service.rollback.kind}"
        hints = dict.fromkeys(d.hint.text for d in service.diagnoses if d.hint)
        lines.append(line + "".join(f"; hint: {text}" for text in hints))
    return lines


def throttle_line(result: DeployResult) -> str | None:
    """What waiting out throttling cost the run, for a fleet's owners: the account is near
    its request limits (README, "A fleet in one account"). None when nothing was throttled."""
    if not result.throttled_calls:
        return None
    return (
        f"AWS throttling: {result.throttled_calls} throttled call"
        f"{'s' if result.throttled_calls != 1 else ''} waited out, "
        f"{duration(result.throttle_waited)} in all (the account's request limits, shared by "
        "every deploy in the account and Region; throttle-timeout sets how long a run may wait)"
    )


CELL = 1_000  # characters of one value in a table cell or a line of a block
DIFF_LINES = 2_000  # lines of one diff; the log has all of them


def summary_markdown(
    result: DeployResult,
    images: Mapping[str, BuiltImage],
    phases: Mapping[str, float] | None = None,
) -> str:
    """The job summary: images, one row per service, the diffs, what went wrong, timing.

    Every name and value in it comes from inputs, files or AWS, so each goes through
    report/safe_text (`md`, `code`, `fence`): it renders as written, in its own cell, and
    long ones are cut with a note; the face cuts the whole to GitHub's 1 MiB.
    """
    parts = ["## compose-ecs-deploy", ""]
    if images:
        parts += ["### Images", "", "| service | image | digest | built |", "|---|---|---|---|"]
        for name, image in images.items():
            parts.append(
                f"| {md(name, limit=CELL)} | {code(image.tagged, limit=CELL)} | "
                f"{code(image.digest, limit=CELL)} | "
                f"{'reused (already in ECR)' if image.reused else 'built and pushed'} |"
            )
        parts.append("")
    parts += [
        "### Services",
        "",
        "| ECS service | image | revision before | revision after | outcome | duration |",
        "|---|---|---|---|---|---|",
    ]
    for service in result.services:
        image_list = "<br>".join(
            f"{md(c, limit=CELL)}: {code(i, limit=CELL)}" for c, i in service.images.items()
        )
        before = md(last_part(service.revision_before), limit=CELL)
        after = md(last_part(service.task_definition_arn), limit=CELL)
        outcome = (
            "not rolled out (a run-before one-off failed)"
            if result.held_back
            else _outcome_text(service, result.dry_run)
        )
        name = link(service.target.ecs_service, service.console_url, limit=CELL)
        parts.append(
            f"| {name} | {image_list} | "
            f"{before} | {after} | {md(outcome, limit=CELL)} | {service.seconds:.0f} s |"
        )
    urls = [
        (s.target.ecs_service, s.kind_outputs["url"])
        for s in result.services
        if s.kind_outputs.get("url")
    ]
    if any(url for _, url in urls):
        parts += ["", "### URLs", ""]
        parts += [f"- {md(name)}: {link(url, url)}" for name, url in urls if url]
    parts += oneoff.summary_sections(result.one_offs)
    if phases:
        parts += ["", f"Time: {format_phases(phases)}"]
    if (throttled := throttle_line(result)) is not None:
        parts += ["", md(throttled)]
    failures = failure_lines(result)
    if failures:
        parts += ["", "### What went wrong", ""] + [f"- {md(line)}" for line in failures]
        for service in result.services:
            for diagnosis in service.diagnoses:
                parts += diagnosis_markdown(diagnosis)
    for service in result.services:
        if service.diff:
            shown = [clip(one_line(line), CELL) for line in service.diff[:DIFF_LINES]]
            if len(service.diff) > DIFF_LINES:
                shown.append(f"# … {len(service.diff) - DIFF_LINES} more lines in the log")
            parts += [
                "",
                f"### Task definition diff: {md(service.target.ecs_service)}",
                "",
                *fence(shown, "diff"),
            ]
    return "\n".join(parts) + "\n"
