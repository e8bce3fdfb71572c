"""The container action: INPUT_* → Settings → the deploy → outputs, summary, annotations.

The runner's contract goes through github-action-utils: inputs (`INPUT_` + upper-cased
name, spaces to `_`, hyphens kept), `$GITHUB_OUTPUT` with multi-line values delimited,
`$GITHUB_STEP_SUMMARY`, and workflow commands (`::add-mask::`, `::group::`, `::error::`).
Input names are exactly action.yml's; `test_action_yml_matches_inputs` keeps them equal.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import github_action_utils as gha

from compose_ecs_deploy.diagnostics import Diagnostic
from compose_ecs_deploy.errors import InputError
from compose_ecs_deploy.faces.edge import run
from compose_ecs_deploy.settings import Settings, current_environment, region_from, source_url
from compose_ecs_deploy.verbs import deploy

if TYPE_CHECKING:
    from compose_ecs_deploy.pipeline.results import Deployment


def _text(name: str) -> str:
    value = gha.get_user_input(name)
    return INPUTS[name].default if value is None or value.strip() == "" else value.strip()


def _optional(name: str) -> str | None:
    return _text(name) or None


def _lines(name: str) -> tuple[str, ...]:
    """A multi-line input; commas also separate, except in `KEY=VALUE` lines."""
    items: list[str] = []
    for line in _text(name).splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        items.extend(line.split(",") if "=" not in line else [line])
    return tuple(item.strip() for item in items if item.strip())


def _pair_lines(name: str) -> tuple[str, ...]:
    """One `KEY=VALUE` per line, commas kept (a secret's JSON key may hold one)."""
    return tuple(line for line in _text(name).splitlines() if line.strip())


def _bool(name: str) -> bool:
    value = _text(name)
    if value in ("true", "True", "TRUE"):
        return True
    if value in ("false", "False", "FALSE"):
        return False
    raise InputError(f"input {name}: {value!r} is not true or false")


def _number(kind: type[int] | type[float]) -> Callable[[str], Any]:
    def parse(name: str) -> Any:
        try:
            return kind(_text(name))
        except ValueError as exc:
            raise InputError(f"input {name}: {_text(name)!r} is not a number") from exc

    return parse


@dataclass(frozen=True)
class Input:
    """One input of action.yml: its default, the `Settings` field it sets, its parser."""

    default: str
    field: str | None  # None: derived below with the environment
    parse: Callable[[str], Any] = _optional


INPUTS: dict[str, Input] = {
    "compose-file": Input("", "compose_files", _lines),
    "profiles": Input("", "profiles", _lines),
    "services": Input("", "services", _lines),
    "images": Input("", "images", _lines),
    "ecr-repository": Input("", "ecr_repositories", _lines),
    "image-tag": Input("", None),
    "additional-tags": Input("", "additional_tags", _lines),
    "build-args": Input("", "build_args", _lines),
    "platform": Input("", "platform"),
    "create-repository": Input("false", "create_repository", _bool),
    "skip-existing-image": Input("true", "skip_existing_image", _bool),
    "pin-digest": Input("true", "pin_digest", _bool),
    "registry-cache": Input("false", "registry_cache", _bool),
    "secrets": Input("", "secrets", _pair_lines),
    "secrets-file": Input("", "secrets_file"),
    "secrets-init-image": Input("", "secrets_init_image"),
    "task-definition": Input("", "task_definition"),
    "family": Input("", "family"),
    "cluster": Input("", "cluster"),
    "ecs-service": Input("", "ecs_services", _lines),
    "aws-region": Input("", None),
    "force-new-deployment": Input("false", "force_new_deployment", _bool),
    "wait-for-service-stability": Input("true", "wait", _bool),
    "wait-timeout": Input("15", "wait_timeout_minutes", _number(float)),
    "rollback-on-failure": Input("true", "rollback_on_failure", _bool),
    "wait-until": Input("complete", "wait_until", _text),
    "verify-command": Input("", "verify_command"),
    "poll-interval": Input("5", "poll_interval", _number(float)),
    "dry-run": Input("false", "dry_run", _bool),
    "max-retries": Input("4", "max_retries", _number(int)),
    "throttle-timeout": Input("10", "throttle_timeout_minutes", _number(float)),
    "strict": Input("false", "strict", _bool),
    "run-before": Input("", "run_before", _lines),
    "run-timeout": Input("30", "run_timeout_minutes", _number(float)),
    "log-lines": Input("30", "log_lines", _number(int)),
}
OUTPUTS = (
    "image-uri",
    "image-digest",
    "task-definition-arn",
    "task-definition-revision",
    "deployment-id",
    "changed",
    "console-url",
    "run-task-arns",
    "run-exit-codes",
)


def settings_from_inputs(environ: Mapping[str, str]) -> Settings:
    """Every input, parsed once; a malformed one is an InputError naming it."""
    values = {spec.field: spec.parse(name) for name, spec in INPUTS.items() if spec.field}
    return Settings(
        **values,
        image_tag=_text("image-tag") or environ.get("GITHUB_SHA") or None,
        region=region_from(_text("aws-region") or None, environ),
        max_poll_interval=max(values["poll_interval"], 15.0),  # as the CLI's
        source_url=source_url(environ),
        environment=dict(environ),
    )


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


def annotate(diagnostic: Diagnostic) -> None:
    """The `error:` line for the log, and an annotation that points at the compose line."""
    print(diagnostic.render(), file=sys.stderr, flush=True)
    if diagnostic.severity == "error":
        gha.error(
            diagnostic.message, title=_title(diagnostic), file=diagnostic.file, line=diagnostic.line
        )
    elif diagnostic.severity == "warning":
        gha.warning(
            diagnostic.message, title=_title(diagnostic), file=diagnostic.file, line=diagnostic.line
        )


def _title(diagnostic: Diagnostic) -> str:
    parts = [p for p in (diagnostic.service, diagnostic.field) if p]
    return "compose-ecs-deploy" + (f": {' '.join(parts)}" if parts else "")


class Runner:
    """The action's face: GitHub's log, annotations, `$GITHUB_OUTPUT`, the job summary."""

    internal_hint = "the log of a re-run with debug logging (RUNNER_DEBUG=1)"

    def __init__(self, environ: Mapping[str, str]) -> None:
        self.log = GitHubLog()
        self._environ = environ
        self._published: dict[str, str] = {}

    def report(self, diagnostic: Diagnostic) -> None:
        annotate(diagnostic)

    def outputs(self, values: Mapping[str, str]) -> None:
        """Written at once: a step that fails later still has them (the last value wins)."""
        for name, value in values.items():
            if self._published.get(name) == value:
                continue
            self._published[name] = value
            if self._environ.get("GITHUB_OUTPUT"):
                gha.set_output(name, value)
            else:
                print(f"{name}={value}", flush=True)

    def published(self) -> Mapping[str, str]:
        return self._published

    def data(self, text: str) -> None:
        print(text, end="", flush=True)

    def summary(self, deployment: Deployment) -> None:
        from compose_ecs_deploy.report.summary import summary_markdown

        self._summary(summary_markdown(deployment.result, deployment.images, deployment.phases))

    def stopped(self, errors: list[Diagnostic]) -> None:
        self._summary(
            "## compose-ecs-deploy\n\n**Stopped on an error:**\n\n"
            + "\n".join(f"- {d.render()}" for d in errors)
            + "\n"
        )

    def _summary(self, markdown: str) -> None:
        """The job summary; outside a runner (no GITHUB_STEP_SUMMARY) it goes to the log."""
        if self._environ.get("GITHUB_STEP_SUMMARY"):
            gha.append_job_summary(markdown)
        else:
            print(markdown, flush=True)


def main() -> int:
    """Run the action; the exit code is the step's outcome."""
    environ = current_environment()
    face = Runner(environ)
    return run(
        face,
        lambda: deploy.run(settings_from_inputs(environ), face),
        debug=environ.get("RUNNER_DEBUG") == "1",
    )
