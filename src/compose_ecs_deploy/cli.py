"""The command line: argparse only, one options group per verb, errors caught once here."""

from __future__ import annotations

import argparse
import sys
import traceback
from collections.abc import Sequence

from compose_ecs_deploy import __version__
from compose_ecs_deploy.console import print_diagnostics
from compose_ecs_deploy.errors import EXIT_FAILURE, EXIT_OK, DeployError, ExitCode
from compose_ecs_deploy.settings import Settings, current_environment, region_from


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
    return parser


def settings_from_args(args: argparse.Namespace) -> Settings:
    environ = current_environment()
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
        environment=environ,
    )


def run_render(args: argparse.Namespace) -> ExitCode:
    from compose_ecs_deploy.core.taskdef import to_json
    from compose_ecs_deploy.render import render

    rendered = render(settings_from_args(args))
    print_diagnostics(rendered.diagnostics)
    sys.stdout.write(to_json(rendered.request))
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return run_render(args)
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
