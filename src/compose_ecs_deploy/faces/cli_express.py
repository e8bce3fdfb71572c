"""The command line's Express options (`deploy --express`) and the `preview` verb's parser:
`preview up --name N` (deploy's options), `preview down --name N`, `preview sweep`."""

from __future__ import annotations

import argparse
from collections.abc import Callable

from compose_ecs_deploy.faces.shared_options import add_dry_run, add_region

AddOptions = Callable[[argparse.ArgumentParser], None]


def add_express_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--express",
        action="store_true",
        help="deploy to an ECS Express Mode service (created when missing): the primary "
        "compose service becomes the container Main, behind an HTTPS URL ECS makes",
    )
    parser.add_argument(
        "--infrastructure-role-arn",
        metavar="ARN",
        help="the role Express uses to make the load balancer, security groups and scaling "
        "(needed to create the service; managed policy "
        "AmazonECSInfrastructureRoleforExpressGatewayServices)",
    )
    parser.add_argument(
        "--health-check-path",
        metavar="PATH",
        help="path the load balancer checks (default the top-level x-ecs healthCheckPath, "
        "else Express's /ping)",
    )


def _add_name(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--name",
        dest="preview_name",
        required=True,
        metavar="N",
        help="the preview's name (e.g. pr-12): the Express service is <ecs-service>-<N>",
    )


def add_preview_verb(
    verb_parsers: argparse._SubParsersAction,  # type: ignore[type-arg]  # argparse's own type
    *,
    deploy_options: tuple[AddOptions, ...],
    target_options: AddOptions,
) -> None:
    """`preview up|down|sweep`, each with its own options."""
    preview = verb_parsers.add_parser(
        "preview",
        help="a preview environment on ECS Express Mode: up, down, sweep",
        description="Deploy (up), delete (down) or sweep previews: Express services named "
        "<ecs-service>-<name>, tagged as previews.",
    )
    actions = preview.add_subparsers(dest="preview_action", required=True, metavar="ACTION")
    up = actions.add_parser(
        "up",
        help="create or update the preview and print its URL",
        description="deploy --express to the Express service <ecs-service>-<name>, tagged "
        "as a preview of the pull request and commit; prints the URL",
    )
    for add in deploy_options:
        add(up)
    _add_name(up)
    up.add_argument(
        "--pull-request",
        metavar="NUMBER",
        help="the pull request the preview shows (a tag the sweep reads)",
    )
    down = actions.add_parser(
        "down",
        help="delete the preview (exit 0 when it is already gone)",
        description="DeleteExpressGatewayService on the preview <ecs-service>-<name>; a "
        "preview already draining, inactive or gone is not an error",
    )
    target_options(down)
    _add_name(down)
    add_region(down)
    sweep = actions.add_parser(
        "sweep",
        help="delete the previews whose pull request is closed or that went stale",
        description="Delete each preview of <ecs-service> (by its tags) whose pull request "
        "is not among --open-pull-requests, or whose last deployment is older than "
        "--older-than",
    )
    target_options(sweep)
    add_region(sweep)
    sweep.add_argument(
        "--older-than",
        default="7d",
        metavar="AGE",
        help="a preview not deployed for this long goes (e.g. 7d, 36h; default 7d)",
    )
    sweep.add_argument(
        "--open-pull-requests",
        metavar="N,N,...",
        help="the open pull requests: a preview of any other one goes",
    )
    add_dry_run(sweep, "say what would be deleted; delete nothing")
