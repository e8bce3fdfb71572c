"""The command-line options of CODE_DEPLOY services (README, "CodeDeploy blue/green"), apart
from `cli` so that each face module stays small; each `dest` is a `Settings` field."""

from __future__ import annotations

import argparse


def add_codedeploy_options(parser: argparse.ArgumentParser) -> None:
    """--codedeploy-application, --codedeploy-deployment-group, --codedeploy-appspec."""
    add_codedeploy_group_options(parser)
    parser.add_argument(
        "--codedeploy-appspec",
        metavar="FILE",
        help="CODE_DEPLOY services: an AppSpec (YAML or JSON) whose Hooks are kept; its "
        "TaskDefinition and LoadBalancerInfo are filled in",
    )


def add_codedeploy_group_options(parser: argparse.ArgumentParser) -> None:
    """--codedeploy-application and --codedeploy-deployment-group (`status` and `prune` read
    the group and need no AppSpec)."""
    parser.add_argument(
        "--codedeploy-application",
        metavar="NAME",
        help="CODE_DEPLOY services: the CodeDeploy application (default: found from the "
        "deployment group whose ecsServices lists the service)",
    )
    parser.add_argument(
        "--codedeploy-deployment-group",
        metavar="NAME",
        help="CODE_DEPLOY services: the CodeDeploy deployment group (default: the one whose "
        "ecsServices lists the service)",
    )
