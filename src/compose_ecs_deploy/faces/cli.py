"""The command line: argparse into `Settings`, and the terminal's way of printing.

Each option's `dest` is the `Settings` field it sets, so adding an option is one
`add_argument` (plus the field); the verbs' work is in `verbs`, the catch-all in `edge`.
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import importlib
import re
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, NoReturn

from compose_ecs_deploy import __version__
from compose_ecs_deploy.diagnostics import Diagnostic
from compose_ecs_deploy.errors import ExitCode
from compose_ecs_deploy.faces.cli_express import add_express_options, add_preview_verb
from compose_ecs_deploy.faces.day_two import add_day_two, add_verify
from compose_ecs_deploy.faces.edge import run
from compose_ecs_deploy.faces.rollout_options import add_rollout_options
from compose_ecs_deploy.faces.shared_options import (
    add_debug,
    add_no_verify,
    add_poll_interval,
    add_region,
    add_target_options,
)
from compose_ecs_deploy.report.console import ConsoleLog, Printer
from compose_ecs_deploy.report.face import Face
from compose_ecs_deploy.settings import (
    Settings,
    current_environment,
    default_image_tag,
    region_from,
    source_url,
    time_scale_from,
)

if TYPE_CHECKING:
    from compose_ecs_deploy.pipeline.results import Deployment


def _add_render_options(parser: argparse.ArgumentParser) -> None:
    add_debug(parser, default=argparse.SUPPRESS)
    parser.add_argument(
        "-f",
        "--file",
        dest="compose_files",
        action="append",
        default=[],
        metavar="FILE",
        help="compose file; repeat for overrides, in order "
        "(default: the files docker compose finds: compose.yaml, compose.yml, "
        "docker-compose.yml or docker-compose.yaml, and its override file)",
    )
    parser.add_argument(
        "--profile",
        dest="profiles",
        action="append",
        default=[],
        metavar="P",
        help="compose profile to enable; repeatable",
    )
    parser.add_argument(
        "--service",
        dest="services",
        action="append",
        default=[],
        metavar="S",
        help="compose service to run in the task, in order "
        "(default: every service with a build section)",
    )
    parser.add_argument(
        "--image",
        dest="images",
        action="append",
        default=[],
        metavar="SERVICE=URI",
        help="image for a service; repeatable",
    )
    parser.add_argument(
        "--secret",
        dest="secrets",
        action="append",
        default=[],
        metavar="[SERVICE.]NAME=ARN",
        help="secret injected as an environment variable; repeatable",
    )
    parser.add_argument(
        "--secrets-file", metavar="F", help="file of [SERVICE.]NAME=ARN lines (# comments allowed)"
    )
    parser.add_argument(
        "--secrets-init-image",
        metavar="IMAGE",
        help="image of the init containers that write compose file secrets and set the "
        "mode of tmpfs stand-ins on Fargate (needs sh; default "
        "public.ecr.aws/docker/library/busybox:1.37)",
    )
    parser.add_argument(
        "--task-definition",
        metavar="BASE",
        help="base task definition (JSON or YAML) for task-level settings",
    )
    parser.add_argument("--family", metavar="F", help="task definition family")
    add_region(parser)
    parser.add_argument(
        "--strict",
        action="store_true",
        help="make warnings (e.g. a secret-looking plain environment value) errors",
    )


class _Parser(argparse.ArgumentParser):
    """argparse, with its usage errors through the one printer and without the value it
    refused (`invalid float value: 'VALUE'` would print whatever was passed, a secret too)."""

    def error(self, message: str) -> NoReturn:
        message = re.sub(r"(value|choice): '.*?'(?= \(choose|$)", r"\1", message)
        printer = Printer(current_environment())
        printer.err(self.format_usage())
        printer.diagnostic(f"{self.prog}: error: {message}")
        raise SystemExit(2)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="compose-ecs-deploy",
        description="Deploy a docker-compose application to Amazon ECS in one step.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    add_debug(parser, default=False)
    verb_parsers = parser.add_subparsers(dest="verb", required=True, metavar="VERB")
    render = verb_parsers.add_parser(
        "render",
        help="print the RegisterTaskDefinition request (no AWS access)",
        description="Print the RegisterTaskDefinition request derived from the compose files "
        "as JSON on stdout; notices go to stderr. Needs no AWS access.",
    )
    _add_render_options(render)

    diff = verb_parsers.add_parser(
        "diff",
        help="show how the rendered task definition differs from the running one",
        description="Render as `render` does, over the service's running revision, and print "
        "a unified diff against it (environment values that look secret are redacted).",
    )
    _add_render_options(diff)
    add_target_options(diff)

    deploy = verb_parsers.add_parser(
        "deploy",
        help="build, push, register, roll out and watch",
        description="Build and push the images of the built services, register a revision "
        "when it differs from the running one, update the ECS service(s), and wait until the "
        "new deployment is complete, or say exactly why it failed.",
    )
    _add_render_options(deploy)
    add_target_options(deploy)
    _add_build_options(deploy)
    add_rollout_options(deploy)
    deploy.add_argument(
        "--run-before",
        dest="run_before",
        action="append",
        default=[],
        metavar="SERVICE",
        help="run this compose service as a one-off task "
        "before the rollout (e.g. migrations); it must exit 0; repeatable, "
        "in order",
    )
    _add_run_timeout(deploy)
    add_express_options(deploy)
    add_preview_verb(
        verb_parsers,
        deploy_options=(
            _add_render_options,
            add_target_options,
            _add_build_options,
            add_rollout_options,
            add_express_options,
        ),
        target_options=add_target_options,
    )
    add_no_verify(deploy)

    add_verify(verb_parsers, _add_render_options, add_target_options, _add_build_options)

    run_verb = verb_parsers.add_parser(
        "run",
        help="run one compose service as a one-off ECS task and exit with its code",
        description="Build and push the service's image when it has a build section, register "
        "its one-off task definition (<family>-<service>) when it changed, run it with the ECS "
        "service's network settings, print each state change and exit with the task's exit "
        "code. Nothing is rolled out.",
    )
    _add_render_options(run_verb)
    add_target_options(run_verb)
    _add_build_options(run_verb)
    _add_run_timeout(run_verb)
    add_poll_interval(run_verb)
    add_no_verify(run_verb)
    run_verb.add_argument("run_service", metavar="SERVICE", help="the compose service to run")
    run_verb.add_argument(
        "run_command",
        nargs=argparse.REMAINDER,
        metavar="-- COMMAND",
        help="run this command instead of the service's own",
    )
    add_day_two(verb_parsers)
    return parser


def _add_run_timeout(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--run-timeout",
        dest="run_timeout_minutes",
        type=float,
        default=30.0,
        metavar="MIN",
        help="minutes to wait for a one-off task; then it is "
        "stopped and the run fails (default 30)",
    )


def _add_build_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--ecr-repository",
        dest="ecr_repositories",
        action="append",
        default=[],
        metavar="[SERVICE=]REPO",
        help="ECR repository of the built service(s); repeatable",
    )
    parser.add_argument(
        "--image-tag", metavar="T", help="image tag (default: $GITHUB_SHA, else git rev-parse HEAD)"
    )
    parser.add_argument(
        "--additional-tag",
        dest="additional_tags",
        action="append",
        default=[],
        metavar="T",
        help="also push this tag (e.g. latest, the branch name; sanitised); repeatable",
    )
    parser.add_argument(
        "--build-arg",
        dest="build_args",
        action="append",
        default=[],
        metavar="K=V",
        help="extra build argument; repeatable",
    )
    parser.add_argument("--platform", metavar="P", help="build platform, e.g. linux/arm64")
    parser.add_argument(
        "--create-repository",
        action="store_true",
        help="create a missing ECR repository instead of failing",
    )
    parser.add_argument(
        "--immutable-tags",
        action="store_true",
        help="with --create-repository: make its tags immutable",
    )
    parser.add_argument(
        "--no-scan-on-push",
        dest="scan_on_push",
        action="store_false",
        help="with --create-repository: no image scan on push",
    )
    parser.add_argument(
        "--no-skip-existing-image",
        dest="skip_existing_image",
        action="store_false",
        help="build and push even when the tag is already in ECR",
    )
    parser.add_argument(
        "--no-pin-digest",
        dest="pin_digest",
        action="store_false",
        help="put repo:tag in the task definition instead of repo:tag@digest",
    )
    parser.add_argument(
        "--builder",
        metavar="NAME",
        help="build on this buildx builder (a remote BuildKit, a build farm; `docker buildx "
        "ls` lists them), which pushes the images itself; default: the engine's own BuildKit",
    )
    parser.add_argument(
        "--registry-cache",
        action="store_true",
        help="keep every stage's build cache in ECR (REPO:buildcache, "
        "mode=max); needs an engine with the containerd image store",
    )


def settings_from_args(args: argparse.Namespace) -> Settings:
    """Options whose `dest` names a `Settings` field go straight in (lists as tuples);
    only the values derived from the environment are computed here."""
    environ = current_environment()
    names = {f.name for f in dataclasses.fields(Settings)}
    values: dict[str, Any] = {
        name: tuple(value) if isinstance(value, list) else value
        for name, value in vars(args).items()
        if name in names
    }
    values.setdefault("compose_files", ())  # the day-two verbs read no compose file
    values.update(region=region_from(args.region, environ), environment=environ)
    values["time_scale"] = time_scale_from(environ)  # tests only; checked with the options
    if args.verb == "run" and values["run_command"][:1] == ("--",):
        values["run_command"] = values["run_command"][1:]
    if args.verb in ("deploy", "run", "rollback") or getattr(args, "preview_action", "") == "up":
        values["max_poll_interval"] = max(args.poll_interval, 15.0)
    if args.verb in ("deploy", "run", "verify") or getattr(args, "preview_action", None) == "up":
        values.update(
            image_tag=args.image_tag or default_image_tag(environ),
            source_url=source_url(environ),
        )
    return Settings(**values)


class Terminal:
    """The CLI's face: data and outputs on stdout, diagnostics on stderr."""

    internal_hint = "the output of --debug"

    def __init__(self, environ: Mapping[str, str]) -> None:
        self.printer = Printer(environ)
        self.log = ConsoleLog(printer=self.printer)
        self._published: dict[str, str] = {}

    def report(self, diagnostic: Diagnostic) -> None:
        self.printer.diagnostic(diagnostic.render())

    def outputs(self, values: Mapping[str, str]) -> None:
        """`name=value` lines; a value printed once is not repeated at the end."""
        for name, value in values.items():
            if self._published.get(name) != value:
                self.printer.out(f"{name}={value}")
            self._published[name] = value

    def published(self) -> Mapping[str, str]:
        return self._published

    def data(self, text: str) -> None:
        self.printer.data(text)

    def summary(self, deployment: Deployment) -> None:
        from compose_ecs_deploy.report.summary import format_phases

        self.printer.out(f"time: {format_phases(deployment.phases)}")

    def section(
        self, title: str, lines: Sequence[str], step_outputs: Mapping[str, str] | None = None
    ) -> None:
        """The verb printed its lines (or its JSON) already."""

    def stopped(self, errors: list[Diagnostic]) -> None:
        """The error lines on stderr say it all."""


VERBS = (
    "render",
    "diff",
    "deploy",
    "run",
    "verify",
    "rollback",
    "status",
    "prune",
    "init",
    "preview",
)


def verb(name: str) -> Callable[[Settings, Face], ExitCode]:
    """The verb's module, imported only when it runs: `render` never loads an AWS client."""
    module = importlib.import_module(f"compose_ecs_deploy.verbs.{name}")
    run_verb: Callable[[Settings, Face], ExitCode] = module.run
    if name == "preview":  # `preview up` deploys; a verb imports no other verb
        run_verb = functools.partial(module.run, deploy=verb("deploy"))
    return run_verb


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    face = Terminal(current_environment())
    return run(face, lambda: verb(args.verb)(settings_from_args(args), face), debug=args.debug)
