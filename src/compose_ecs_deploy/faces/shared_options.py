"""Options that several verbs take, each declared once: the region, the deploy's and a
rollback's wait, the poll interval of every verb that watches, --no-verify of every verb that
writes, and a dry run. `cli`, `rollout_options` and `day_two` add them; each `dest` is a
`Settings` field."""

from __future__ import annotations

import argparse


def add_region(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--region", metavar="R", help="AWS region (default: AWS_REGION, then AWS_DEFAULT_REGION)"
    )


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
