"""The command line: argparse only, one options group per verb, errors caught once here."""

from __future__ import annotations

import argparse
import signal
import sys
import traceback
from collections.abc import Sequence
from typing import Any

from compose_ecs_deploy import __version__
from compose_ecs_deploy.console import ConsoleLog, print_diagnostics
from compose_ecs_deploy.errors import EXIT_FAILURE, EXIT_OK, Cancelled, DeployError, ExitCode
from compose_ecs_deploy.settings import (
    Settings,
    current_environment,
    default_image_tag,
    region_from,
    source_url,
)


def _add_render_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-f", "--file", dest="files", action="append", required=True,
                        metavar="FILE", help="compose file; repeat for overrides, in order")
    parser.add_argument("--profile", dest="profiles", action="append", default=[],
                        metavar="P", help="compose profile to enable; repeatable")
    parser.add_argument("--service", dest="services", action="append", default=[],
                        metavar="S", help="compose service to run in the task, in order "
                        "(default: every service with a build section)")
    parser.add_argument("--image", dest="images", action="append", default=[],
                        metavar="SERVICE=URI", help="image for a service; repeatable")
    parser.add_argument("--secret", dest="secrets", action="append", default=[],
                        metavar="[SERVICE.]NAME=ARN", help="secret injected as an environment "
                        "variable; repeatable")
    parser.add_argument("--secrets-file", metavar="F",
                        help="file of [SERVICE.]NAME=ARN lines (# comments allowed)")
    parser.add_argument("--task-definition", metavar="BASE",
                        help="base task definition (JSON or YAML) for task-level settings")
    parser.add_argument("--family", metavar="F", help="task definition family")
    parser.add_argument("--region", metavar="R",
                        help="AWS region (default: AWS_REGION, then AWS_DEFAULT_REGION)")
    parser.add_argument("--strict", action="store_true",
                        help="make warnings (e.g. a secret-looking plain environment value) "
                        "errors")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="compose-ecs-deploy",
        description="Deploy a docker-compose application to Amazon ECS in one step.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("--debug", action="store_true",
                        help="show a traceback for unexpected internal errors")
    verbs = parser.add_subparsers(dest="verb", required=True, metavar="VERB")
    render = verbs.add_parser(
        "render", help="print the RegisterTaskDefinition request (no AWS access)",
        description="Print the RegisterTaskDefinition request derived from the compose files "
        "as JSON on stdout; notices go to stderr. Needs no AWS access.")
    _add_render_options(render)

    diff = verbs.add_parser(
        "diff", help="show how the rendered task definition differs from the running one",
        description="Render as `render` does, over the service's running revision, and print "
        "a unified diff against it (environment values that look secret are redacted).")
    _add_render_options(diff)
    _add_target_options(diff)

    deploy = verbs.add_parser(
        "deploy", help="build, push, register, roll out and watch",
        description="Build and push the images of the built services, register a revision "
        "when it differs from the running one, update the ECS service(s), and wait until the "
        "new deployment is complete, or say exactly why it failed.")
    _add_render_options(deploy)
    _add_target_options(deploy)
    _add_build_options(deploy)
    _add_rollout_options(deploy)
    return parser


def _add_target_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--cluster", required=True, metavar="C", help="ECS cluster")
    parser.add_argument("--ecs-service", dest="ecs_services", action="append", required=True,
                        metavar="S[=SERVICES]", help="ECS service; repeat as "
                        "NAME=SERVICE[,SERVICE...] to deploy several services together")
    parser.add_argument("--max-retries", type=int, default=4, metavar="N",
                        help="retries per AWS call on throttling and transient errors")


def _add_build_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--ecr-repository", dest="ecr_repositories", action="append",
                        default=[], metavar="[SERVICE=]REPO",
                        help="ECR repository of the built service(s); repeatable")
    parser.add_argument("--image-tag", metavar="T",
                        help="image tag (default: $GITHUB_SHA, else git rev-parse HEAD)")
    parser.add_argument("--additional-tag", dest="additional_tags", action="append",
                        default=[], metavar="T", help="also push this tag (e.g. latest, the "
                        "branch name; sanitised); repeatable")
    parser.add_argument("--build-arg", dest="build_args", action="append", default=[],
                        metavar="K=V", help="extra build argument; repeatable")
    parser.add_argument("--platform", metavar="P", help="build platform, e.g. linux/arm64")
    parser.add_argument("--create-repository", action="store_true",
                        help="create a missing ECR repository instead of failing")
    parser.add_argument("--immutable-tags", action="store_true",
                        help="with --create-repository: make its tags immutable")
    parser.add_argument("--no-scan-on-push", dest="scan_on_push", action="store_false",
                        help="with --create-repository: no image scan on push")
    parser.add_argument("--no-skip-existing-image", dest="skip_existing_image",
                        action="store_false", help="build and push even when the tag is "
                        "already in ECR")
    parser.add_argument("--no-pin-digest", dest="pin_digest", action="store_false",
                        help="put repo:tag in the task definition instead of repo:tag@digest")


def _add_rollout_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--force-new-deployment", action="store_true",
                        help="roll the service even when the task definition did not change")
    parser.add_argument("--no-wait", dest="wait", action="store_false",
                        help="do not wait for the deployment to finish")
    parser.add_argument("--wait-timeout", type=float, default=15.0, metavar="MIN",
                        help="minutes to wait for the deployment (default 15)")
    parser.add_argument("--no-rollback", dest="rollback_on_failure", action="store_false",
                        help="leave a failed deployment as it is")
    parser.add_argument("--dry-run", action="store_true",
                        help="build and write nothing; print what would be done")
    parser.add_argument("--poll-interval", type=float, default=5.0, metavar="SECONDS",
                        help="first interval between polls; it grows to 15 s while nothing "
                        "changes")


def settings_from_args(args: argparse.Namespace) -> Settings:
    environ = current_environment()
    extra: dict[str, Any] = {}
    if args.verb in ("diff", "deploy"):
        extra.update(cluster=args.cluster, ecs_services=tuple(args.ecs_services),
                     max_retries=args.max_retries)
    if args.verb == "deploy":
        extra.update(
            ecr_repositories=tuple(args.ecr_repositories),
            image_tag=args.image_tag or default_image_tag(environ),
            additional_tags=tuple(args.additional_tags), build_args=tuple(args.build_args),
            platform=args.platform, create_repository=args.create_repository,
            immutable_tags=args.immutable_tags, scan_on_push=args.scan_on_push,
            skip_existing_image=args.skip_existing_image, pin_digest=args.pin_digest,
            force_new_deployment=args.force_new_deployment, wait=args.wait,
            wait_timeout_minutes=args.wait_timeout,
            rollback_on_failure=args.rollback_on_failure, dry_run=args.dry_run,
            poll_interval=args.poll_interval,
            max_poll_interval=max(args.poll_interval, 15.0),
            source_url=source_url(environ))
    return Settings(
        compose_files=tuple(args.files),
        profiles=tuple(args.profiles),
        services=tuple(args.services),
        images=tuple(args.images),
        secrets=tuple(args.secrets),
        secrets_file=args.secrets_file,
        task_definition=args.task_definition,
        family=args.family,
        region=region_from(args.region, environ),
        strict=args.strict,
        environment=environ,
        **extra,
    )


def run_render(args: argparse.Namespace) -> ExitCode:
    from compose_ecs_deploy.core.taskdef import to_json
    from compose_ecs_deploy.render import render

    rendered = render(settings_from_args(args))
    print_diagnostics(rendered.diagnostics)
    sys.stdout.write(to_json(rendered.request))
    return EXIT_OK


def run_diff(args: argparse.Namespace) -> ExitCode:
    from compose_ecs_deploy.adapters.aws import Aws
    from compose_ecs_deploy.plan import make_plans, parse_targets, read_running
    from compose_ecs_deploy.render import prepare

    settings = settings_from_args(args)
    targets = parse_targets(settings)
    inputs = prepare(settings)
    aws = Aws(settings.region, max_retries=settings.max_retries)
    plans = make_plans(inputs, settings, targets, read_running(aws, settings, targets), {})
    print_diagnostics(dict.fromkeys(d for p in plans for d in p.rendered.diagnostics))
    for plan in plans:
        if plan.changed:
            sys.stdout.write("\n".join(plan.diff) + "\n")
        else:
            print(f"{plan.target.ecs_service}: no change from {plan.current_arn}")
    return EXIT_OK


def _cancel_on_signals() -> None:
    """A cancelled workflow sends SIGTERM (then SIGKILL): stop at once, saying what runs on."""
    def handler(signum: int, _frame: object) -> None:
        raise Cancelled(f"cancelled by {signal.Signals(signum).name}")
    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)


def run_deploy(args: argparse.Namespace) -> ExitCode:
    from compose_ecs_deploy.adapters.aws import Aws
    from compose_ecs_deploy.deploy import deploy
    from compose_ecs_deploy.render import prepare
    from compose_ecs_deploy.report import failure_lines, format_phases, outputs

    _cancel_on_signals()
    settings = settings_from_args(args)
    inputs = prepare(settings)
    aws = Aws(settings.region, max_retries=settings.max_retries)
    deployment = deploy(aws, settings, inputs, ConsoleLog())
    for key, value in outputs(deployment.result, deployment.images).items():
        print(f"{key}={value}")
    print(f"time: {format_phases(deployment.phases)}")
    failures = failure_lines(deployment.result)
    for line in failures:
        print(f"error: {line}", file=sys.stderr)
    return EXIT_FAILURE if failures else EXIT_OK


VERBS = {"render": run_render, "diff": run_diff, "deploy": run_deploy}


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return VERBS[args.verb](args)
    except DeployError as exc:
        print_diagnostics(exc.diagnostics)
        return exc.exit_code
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # the edge: a bug must still not dump a traceback on users
        if args.debug:
            traceback.print_exc()
        print(f"error: internal error ({type(exc).__name__}: {exc}); please report it with "
              "the output of --debug", file=sys.stderr)
        return EXIT_FAILURE
