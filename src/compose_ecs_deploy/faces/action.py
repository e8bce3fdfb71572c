"""The container action: INPUT_* → Settings → the deploy → outputs, summary, annotations.

The runner's contract goes through github-action-utils: inputs (`INPUT_` + upper-cased
name, spaces to `_`, hyphens kept), `$GITHUB_OUTPUT` with multi-line values delimited,
`$GITHUB_STEP_SUMMARY`, and workflow commands (`::add-mask::`, `::group::`, `::error::`).
Input names are exactly action.yml's; `test_action_yml_matches_inputs` keeps them equal.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import github_action_utils as gha

from compose_ecs_deploy.aws.client import session
from compose_ecs_deploy.diagnostics import Diagnostic
from compose_ecs_deploy.errors import EXIT_OK, ExitCode, InputError
from compose_ecs_deploy.faces.edge import run
from compose_ecs_deploy.report import safe_text
from compose_ecs_deploy.report.console import Printer
from compose_ecs_deploy.report.redact import MASK, MIN_SECRET_LENGTH
from compose_ecs_deploy.settings import (
    Settings,
    current_environment,
    region_from,
    source_url,
    time_scale_from,
)
from compose_ecs_deploy.verbs import deploy, preview, prune, rollback, status, verify

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
    raise InputError(f"input {name} is not true or false (its value is not repeated here)")


def _number(kind: type[int] | type[float]) -> Callable[[str], Any]:
    def parse(name: str) -> Any:
        try:
            return kind(_text(name))
        except ValueError as exc:
            whole = " whole" if kind is int else ""
            raise InputError(
                f"input {name} is not a{whole} number (its value is not repeated here)"
            ) from exc

    return parse


def _optional_int(name: str) -> int | None:
    return int(_number(int)(name)) if _text(name) else None


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
    "builder": Input("", "builder"),
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
    "codedeploy-application": Input("", "codedeploy_application"),
    "codedeploy-deployment-group": Input("", "codedeploy_deployment_group"),
    "codedeploy-appspec": Input("", "codedeploy_appspec"),
    "poll-interval": Input("5", "poll_interval", _number(float)),
    "dry-run": Input("false", "dry_run", _bool),
    "max-retries": Input("4", "max_retries", _number(int)),
    "throttle-timeout": Input("10", "throttle_timeout_minutes", _number(float)),
    "strict": Input("false", "strict", _bool),
    "run-before": Input("", "run_before", _lines),
    "run-timeout": Input("30", "run_timeout_minutes", _number(float)),
    "log-lines": Input("30", "log_lines", _number(int)),
    "command": Input("deploy", None),
    "to": Input("", "rollback_to"),
    "prune-keep": Input("", "prune_keep", _optional_int),
    "prune-delete": Input("false", "prune_delete", _bool),
    "verify": Input("true", "verify", _bool),
    "express": Input("false", "express", _bool),
    "infrastructure-role-arn": Input("", "infrastructure_role_arn"),
    "health-check-path": Input("", "health_check_path"),
    "preview-name": Input("", "preview_name"),
    "pull-request": Input("", "pull_request"),
    "older-than": Input("7d", "older_than", _text),
    "open-pull-requests": Input("", "open_pull_requests"),
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
    "codedeploy-deployment-id",
    "url",
    "status",
    "checks",
    "deregistered",
    "deleted",
)
# `command`: what the step does; each one is a verb of the CLI with the same words.
COMMANDS = (
    "deploy",
    "rollback",
    "status",
    "prune",
    "verify",
    "preview up",
    "preview down",
    "preview sweep",
)
VERBS: dict[str, Callable[[Settings, Any], ExitCode]] = {
    "rollback": rollback.run,
    "status": status.run,
    "prune": prune.run,
    "verify": verify.run,
}


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
        time_scale=time_scale_from(environ),  # tests only; checked with the options
    )


class GitHubLog:
    """Progress as the runner shows it: collapsible groups, masked secrets."""

    def __init__(self, printer: Printer) -> None:
        self.printer = printer

    def info(self, line: str) -> None:
        self.printer.out(line)

    @contextmanager
    def group(self, title: str) -> Iterator[None]:
        gha.start_group(self.printer.one_line(title))
        try:
            yield
        finally:
            gha.end_group()

    def mask(self, value: str) -> None:
        """The runner masks each line of the log on its own: register every line too."""
        self.printer.learn(value)
        for part in dict.fromkeys((value, *value.splitlines())):
            if len(part.strip()) >= MIN_SECRET_LENGTH:  # a `}` line masked would blot the log
                self.printer.add_mask(part)


def _title(diagnostic: Diagnostic) -> str:
    parts = [p for p in (diagnostic.service, diagnostic.field) if p]
    return "compose-ecs-deploy" + (f": {' '.join(parts)}" if parts else "")


class Runner:
    """The action's face: GitHub's log, annotations, `$GITHUB_OUTPUT`, the job summary."""

    internal_hint = "the log of a re-run with debug logging (RUNNER_DEBUG=1)"

    def __init__(self, environ: Mapping[str, str]) -> None:
        self.printer = Printer(environ)
        self.log = GitHubLog(self.printer)
        for value in self.printer.from_environment:  # the credentials, before any other line
            self.log.mask(value)
        self._environ = environ
        self._published: dict[str, str] = {}

    def report(self, diagnostic: Diagnostic) -> None:
        """The `error:` line for the log, and an annotation that points at the compose line
        (its message and title through the printer too: annotations are read by others)."""
        self.printer.diagnostic(diagnostic.render())
        annotation = {"error": gha.error, "warning": gha.warning}.get(diagnostic.severity)
        if annotation is not None:
            annotation(
                self.printer.one_line(diagnostic.message),
                title=self.printer.one_line(_title(diagnostic)),
                file=diagnostic.file,
                line=diagnostic.line,
            )

    def outputs(self, values: Mapping[str, str]) -> None:
        """Written at once: a step that fails later still has them (the last value wins)."""
        for name, value in values.items():
            if self._published.get(name) == value:
                continue
            self._published[name] = value
            if self._environ.get("GITHUB_OUTPUT"):
                gha.set_output(name, value)
            else:
                self.printer.out(f"{name}={value}")

    def published(self) -> Mapping[str, str]:
        return self._published

    def data(self, text: str) -> None:
        self.printer.data(text)

    def summary(self, deployment: Deployment) -> None:
        from compose_ecs_deploy.report.summary import summary_markdown

        self._summary(summary_markdown(deployment.result, deployment.images, deployment.phases))

    def section(
        self, title: str, lines: Sequence[str], step_outputs: Mapping[str, str] | None = None
    ) -> None:
        """The step outputs, and the lines as a code block of the summary (indentation kept;
        each line through the printer, so masked and free of workflow commands)."""
        self.outputs(step_outputs or {})
        body = [self.printer.one_line(line) for line in lines]
        self._summary(
            f"## compose-ecs-deploy: {safe_text.markdown(title)}\n\n"
            + "\n".join(safe_text.fence(body))
            + "\n"
        )

    def stopped(self, errors: list[Diagnostic]) -> None:
        lines = (safe_text.markdown(self.printer.one_line(d.render())) for d in errors)
        self._summary(
            "## compose-ecs-deploy\n\n**Stopped on an error:**\n\n"
            + "\n".join(f"- {line}" for line in lines)
            + "\n"
        )

    def _summary(self, markdown: str) -> None:
        """The job summary, known secrets masked and cut to what GitHub accepts for the step
        (less what the step's summary file holds already); outside a runner, the log."""
        path = self._environ.get("GITHUB_STEP_SUMMARY")
        for value in sorted(self.printer.known, key=len, reverse=True):
            markdown = markdown.replace(value, MASK)
        if not path:
            self.printer.out(markdown)
            return
        try:
            used = Path(path).stat().st_size
        except OSError:
            used = 0
        gha.append_job_summary(safe_text.fit(markdown, max(0, safe_text.SUMMARY_LIMIT - used)))


def command(settings: Settings, face: Runner) -> ExitCode:
    """The `command` input's verb: `deploy` (the default; with `prune-keep`, a prune after
    it succeeded), `rollback`, `status`, `prune`, `verify`, or `preview up|down|sweep`.
    Inputs that mean nothing to the command are refused before anything is read."""
    words = " ".join(_text("command").replace("-", " ").split())
    if words not in COMMANDS:
        raise InputError(f"input command: {words!r} is not one of {', '.join(COMMANDS)}")
    _refuse_misplaced(words, settings)
    if words == "deploy":
        aws = session(settings, face.log)  # one for both: prune reuses what deploy read
        code = deploy.run(settings, face, aws)
        if code != EXIT_OK or settings.prune_keep is None:
            return code
        face.log.info(f"prune-keep {settings.prune_keep}: the deploy succeeded; pruning")
        return prune.run(settings, face, aws)
    if words in VERBS:
        return VERBS[words](settings, face)
    action = words.split()[1]
    return preview.run(replace(settings, preview_action=action), face, deploy=deploy.run)


def _refuse_misplaced(words: str, settings: Settings) -> None:
    """`to` is for rollback, `prune-keep` for deploy and prune (checked here, before the
    deploy's first write, not after it), `verify: false` for what writes."""
    if settings.rollback_to is not None and words != "rollback":
        raise InputError(f"input to: is for command: rollback, not {words}; remove it")
    if settings.prune_keep is not None or words == "prune":
        if words not in ("deploy", "prune"):
            raise InputError(f"input prune-keep: is for command: deploy or prune, not {words}")
        prune.PruneOptions.of(settings)  # prune-keep of 1 or more, said before any write
    elif settings.prune_delete:
        raise InputError("input prune-delete: goes with prune-keep (or command: prune)")
    if not settings.verify and words == "verify":
        raise InputError("input verify: false skips the checks that command: verify runs")


def main() -> int:
    """Run the action; the exit code is the step's outcome."""
    environ = current_environment()
    face = Runner(environ)
    return run(
        face,
        lambda: command(settings_from_inputs(environ), face),
        debug=environ.get("RUNNER_DEBUG") == "1",
    )
