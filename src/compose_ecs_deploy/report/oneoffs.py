"""One-off tasks in the step's outputs and the job summary."""

from __future__ import annotations

import json
from collections.abc import Sequence

from compose_ecs_deploy.report.safe_text import link
from compose_ecs_deploy.report.safe_text import markdown as md
from compose_ecs_deploy.rollout.failure import diagnosis_markdown
from compose_ecs_deploy.rollout.oneoff_run import OneOffResult
from compose_ecs_deploy.rollout.verdicts.arns import last_part


def outputs(results: Sequence[OneOffResult]) -> dict[str, str]:
    """`run-task-arns` and `run-exit-codes`: JSON maps by compose service (ran ones only)."""
    ran = [r for r in results if r.task_arn]
    return {
        "run-task-arns": json.dumps({r.service: r.task_arn for r in ran}, sort_keys=True),
        "run-exit-codes": json.dumps({r.service: r.exit_code for r in ran}, sort_keys=True),
    }


def summary_sections(results: Sequence[OneOffResult]) -> list[str]:
    """One Markdown section per one-off: outcome, exit code, duration, link to the task."""
    parts: list[str] = []
    for r in results:
        parts += ["", f"### One-off task: {md(r.service)}", ""]
        if not r.task_arn:
            parts.append(md(f"{r.kind}: {r.reason}"))
            continue
        mark = "✅" if r.succeeded else "❌"
        code = "none" if r.exit_code is None else str(r.exit_code)
        parts += [
            "| outcome | exit code | duration | task |",
            "|---|---|---|---|",
            f"| {mark} {md(r.kind)} | {code} | {r.seconds:.0f} s | "
            f"{link(last_part(r.task_arn), r.url)} |",
        ]
        if not r.succeeded:
            parts += ["", md(r.reason)]
            for diagnosis in r.diagnoses:
                parts += ["", md(f"hint: {diagnosis.hint.text}")] if diagnosis.hint else []
                parts += diagnosis_markdown(diagnosis)
    return parts
