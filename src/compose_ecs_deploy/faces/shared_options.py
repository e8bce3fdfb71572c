"""Options that several verbs take, each declared once: --debug after the verb, the region,
the ECS target (cluster, services, retries, throttling), the deploy's and a rollback's wait,
the poll interval of every verb that watches, --no-verify of every verb that writes, and a dry
run; and the parser of a verb that looks after one running service, which starts with the
first three. `cli`, `rollout_options` and `day_two` add them; each `dest` is a `Settings`
field."""

from __future__ import annotations

import argparse
from typing import Any


def add_debug(parser: argparse.ArgumentParser, default: object) -> None:
    """`--debug` before the verb sets the default; after it (SUPPRESS: no default of its
    own), it overrides."""
    parser.add_argument(
        "--debug",
        action="store_true",
        default=default,
        help="show a traceback for unexpected internal errors",
    )


def add_region(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--region", metavar="R", help="AWS region (default: AWS_REGION, then AWS_DEFAULT_REGION)"
    )


def add_target_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--cluster", required=True, metavar="C", help="ECS cluster")
    parser.add_argument(
        "--ecs-service",
        dest="ecs_services",
        action="append",
        required=True,
        metavar="S[=SERVICES]",
        help="ECS service; repeat as NAME=SERVICE[,SERVICE...] to deploy several services together",
    )
    parser.add_argument(
        "--max-retries",
        type=int,
        default=4,
        metavar="N",
        help="retries per AWS call on transient errors (5xx, broken connections)",
    )
    parser.add_argument(
        "--throttle-timeout",
        dest="throttle_timeout_minutes",
        type=float,
        default=10.0,
        metavar="MIN",
        help="how long the run may wait out AWS throttling (account-wide request limits, "
        "shared by every deploy in the account), in minutes, all calls together (default 10)",
    )


def add_service_verb(
    verb_parsers: Any, name: str, summary: str, description: str
) -> argparse.ArgumentParser:
    """A verb that looks after one running service and reads no compose file (`rollback`,
    `status`, `prune`, `init`): --debug, --region and the target, before its own options."""
    parser: argparse.ArgumentParser = verb_parsers.add_parser(
        name, help=summary, description=description
    )
    add_debug(parser, default=argparse.SUPPRESS)
    add_region(parser)
    add_target_options(parser)
    return parser


def add_wait_options(parser: argparse.ArgumentParser, what: str) -> None:
    """--no-wait and --wait-timeout, for `what` (the deployment, the rollback)."""
    parser.add_argument(
        "--no-wait", dest="wait", action="store_false", help=f"do not wait for {what} to finish"
    )
    parser.add_argument(
        "--wait-timeout",
        dest="wait_timeout_minutes",
        type=float,
        default=15.0,
        metavar="MIN",
        help=f"minutes to wait for {what} (default 15)",
    )


def add_poll_interval(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--poll-interval",
        type=float,
        default=5.0,
        metavar="SECONDS",
        help="first interval between polls, 1-300 s; it grows to 15 s while nothing changes",
    )


def add_no_verify(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--no-verify",
        dest="verify",
        action="store_false",
        help="skip the pre-flight checks of what the revision refers to (see the verify verb)",
    )


def add_dry_run(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument("--dry-run", action="store_true", help=what)
