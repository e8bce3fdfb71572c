"""The container action: INPUT_* → Settings → the deploy → outputs, summary, annotations.

The runner's contract goes through github-action-utils: inputs (`INPUT_` + upper-cased
name, spaces to `_`, hyphens kept), `$GITHUB_OUTPUT` with multi-line values delimited,
`$GITHUB_STEP_SUMMARY`, and workflow commands (`::add-mask::`, `::group::`, `::error::`).
Input names are exactly action.yml's; `test_action_yml_matches_inputs` keeps them equal.
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import github_action_utils as gha

from compose_ecs_deploy.diagnostics import Diagnostic
from compose_ecs_deploy.errors import (
    EXIT_FAILURE,
    EXIT_OK,
    Cancelled,
    DeployError,
    InputError,
)
from compose_ecs_deploy.settings import (
    Settings,
    current_environment,
    region_from,
    source_url,
)

INPUTS: dict[str, str] = {
    "compose-file": "docker-compose.yml",
    "profiles": "",
    "services": "",
    "images": "",
    "ecr-repository": "",
    "image-tag": "",
    "additional-tags": "",
    "build-args": "",
    "platform": "",
    "create-repository": "false",
    "skip-existing-image": "true",
    "pin-digest": "true",
    "secrets": "",
    "secrets-file": "",
    "task-definition": "",
    "family": "",
    "cluster": "",
    "ecs-service": "",
    "aws-region": "",
    "force-new-deployment": "false",
    "wait-for-service-stability": "true",
    "wait-timeout": "15",
    "rollback-on-failure": "true",
    "dry-run": "false",
    "max-retries": "4",
    "strict": "false",
}
OUTPUTS = ("image-uri", "image-digest", "task-definition-arn", "task-definition-revision",
           "deployment-id", "changed", "console-url")


class GitHubLog:
    """Progress as the runner shows it: collapsible groups, masked secrets."""

    def info(self, line: str) -> None:
        print(line, flush=True)

    @contextmanager
    def group(self, title: str) -> Iterator[None]:
        gha.start_group(title)
        try:
            yield
        finally:
            gha.end_group()

    def mask(self, value: str) -> None:
        gha.add_mask(value)


def _text(name: str) -> str:
    value = gha.get_user_input(name)
    return INPUTS[name] if value is None or value.strip() == "" else value.strip()


def _lines(name: str) -> tuple[str, ...]:
    """A multi-line input; commas also separate, except in `KEY=VALUE` lines."""
    items: list[str] = []
    for line in _text(name).splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        items.extend(line.split(",") if "=" not in line else [line])
    return tuple(item.strip() for item in items if item.strip())


def _bool(name: str) -> bool:
    value = _text(name)
    if value in ("true", "True", "TRUE"):
        return True
    if value in ("false", "False", "FALSE"):
        return False
    raise InputError(f"input {name}: {value!r} is not true or false")


def _number(name: str, kind: type[int] | type[float]) -> Any:
    try:
        return kind(_text(name))
    except ValueError as exc:
        raise InputError(f"input {name}: {_text(name)!r} is not a number") from exc


def settings_from_inputs(environ: Mapping[str, str]) -> Settings:
    """Every input, parsed once; a malformed one is an InputError naming it."""
    return Settings(
        compose_files=_lines("compose-file"),
        profiles=_lines("profiles"),
        services=_lines("services"),
        images=_lines("images"),
        secrets=tuple(line for line in _text("secrets").splitlines() if line.strip()),
        secrets_file=_text("secrets-file") or None,
        task_definition=_text("task-definition") or None,
        family=_text("family") or None,
        region=region_from(_text("aws-region") or None, environ),
        cluster=_text("cluster") or None,
        ecs_services=_lines("ecs-service"),
        ecr_repositories=_lines("ecr-repository"),
        image_tag=_text("image-tag") or environ.get("GITHUB_SHA") or None,
        additional_tags=_lines("additional-tags"),
        build_args=_lines("build-args"),
        platform=_text("platform") or None,
        create_repository=_bool("create-repository"),
        skip_existing_image=_bool("skip-existing-image"),
        pin_digest=_bool("pin-digest"),
        force_new_deployment=_bool("force-new-deployment"),
        wait=_bool("wait-for-service-stability"),
        wait_timeout_minutes=_number("wait-timeout", float),
        rollback_on_failure=_bool("rollback-on-failure"),
        dry_run=_bool("dry-run"),
        max_retries=_number("max-retries", int),
        strict=_bool("strict"),
        source_url=source_url(environ),
        environment=dict(environ),
    )


def annotate(diagnostic: Diagnostic) -> None:
    """The `error:` line for the log, and an annotation that points at the compose line."""
    print(diagnostic.render(), file=sys.stderr, flush=True)
    if diagnostic.severity == "error":
        gha.error(diagnostic.message, title=_title(diagnostic), file=diagnostic.file,
                  line=diagnostic.line)
    elif diagnostic.severity == "warning":
        gha.warning(diagnostic.message, title=_title(diagnostic), file=diagnostic.file,
                    line=diagnostic.line)


def _title(diagnostic: Diagnostic) -> str:
    parts = [p for p in (diagnostic.service, diagnostic.field) if p]
    return "compose-ecs-deploy" + (f": {' '.join(parts)}" if parts else "")


def _summary(markdown: str) -> None:
    """The job summary; outside a runner (no GITHUB_STEP_SUMMARY) it goes to the log."""
    if os.environ.get("GITHUB_STEP_SUMMARY"):
        gha.append_job_summary(markdown)
    else:
        print(markdown, flush=True)


def _output(name: str, value: str) -> None:
    if os.environ.get("GITHUB_OUTPUT"):
        gha.set_output(name, value)
    else:
        print(f"{name}={value}", flush=True)


def _on_signal(signum: int, _frame: object) -> None:
    raise Cancelled(f"cancelled by {signal.Signals(signum).name}")


def main() -> int:
    """Run the action; the exit code is the step's outcome."""
    from compose_ecs_deploy.adapters.aws import Aws
    from compose_ecs_deploy.deploy import deploy
    from compose_ecs_deploy.render import prepare
    from compose_ecs_deploy.report import failure_lines, outputs, summary_markdown

    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    log = GitHubLog()
    try:
        settings = settings_from_inputs(current_environment())
        inputs = prepare(settings)
        aws = Aws(settings.region, max_retries=settings.max_retries)
        deployment = deploy(aws, settings, inputs, log)
    except DeployError as exc:
        for diagnostic in exc.diagnostics:
            annotate(diagnostic)
        _summary("## compose-ecs-deploy\n\n**Failed before the rollout:**\n\n"
                               + "\n".join(f"- {d.render()}" for d in exc.diagnostics
                                           if d.severity == "error") + "\n")
        return exc.exit_code
    for name, value in outputs(deployment.result, deployment.images).items():
        _output(name, value)
    _summary(summary_markdown(deployment.result, deployment.images, deployment.phases))
    failures = failure_lines(deployment.result)
    for line in failures:
        annotate(Diagnostic.error("deployment-failed", line))
    return int(EXIT_FAILURE if failures else EXIT_OK)
