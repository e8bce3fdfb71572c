"""The command line's rollout options (deploy and `preview up`): force, wait, timeouts,
rollback, dry run, wait-until, verify-command, polling and failed tasks' log lines. Apart from
cli.py so that it stays under 400 lines of code."""

from __future__ import annotations

import argparse

from compose_ecs_deploy.faces.codedeploy_options import add_codedeploy_options
from compose_ecs_deploy.faces.shared_options import (
    add_dry_run,
    add_poll_interval,
    add_wait_options,
)


def add_rollout_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--force-new-deployment",
        action="store_true",
        help="roll the service even when the task definition did not change",
    )
    add_wait_options(parser, "the deployment")
    parser.add_argument(
        "--no-rollback",
        dest="rollback_on_failure",
        action="store_false",
        help="leave a failed deployment as it is",
    )
    add_dry_run(parser, "build and write nothing; print what would be done")
    parser.add_argument(
        "--wait-until",
        choices=("complete", "traffic-shifted"),
        default="complete",
        help="BLUE_GREEN, LINEAR and CANARY services: "
        "end the wait once production traffic is all on the new revision "
        "(traffic-shifted) and leave the bake time to ECS, or wait until the "
        "deployment is complete (default)",
    )
    parser.add_argument(
        "--verify-command",
        metavar="CMD",
        help="shell command run when the deployment waits at a PAUSE "
        "lifecycle hook: exit 0 continues it, anything else rolls it back",
    )
    add_codedeploy_options(parser)
    add_poll_interval(parser)
    parser.add_argument(
        "--log-lines",
        type=int,
        default=30,
        metavar="N",
        help="when a task fails, print its failed container's last N log "
        "lines (default 30; 0 turns it off)",
    )
