"""The command line of the verbs that look after a running service (README, "Day two"):
their argparse options, each `dest` a `Settings` field as in `cli`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from compose_ecs_deploy.faces.codedeploy_options import (
    add_codedeploy_group_options,
    add_codedeploy_options,
)
from compose_ecs_deploy.faces.shared_options import (
    add_dry_run,
    add_poll_interval,
    add_service_verb,
    add_wait_options,
)

AddOptions = Callable[..., None]

# Each verb's one-line help and its description.
_VERBS = {
    "rollback": (
        "put the service back on an earlier revision and watch it like a deploy",
        "UpdateService onto the last revision that completed a deployment before the current "
        "one (by ECS's service-deployment history), or onto --to; nothing is registered. The "
        "rollout is watched and explained like a deploy's.",
    ),
    "status": (
        "what runs now, whether it is healthy, what happened last (reads only)",
        "The running revision and its images, the controller, the deployments with their "
        "rollout state and counts, the last service deployments, the last events, and "
        "recently stopped tasks with their reasons and a hint.",
    ),
    "prune": (
        "deregister the family's revisions older than the newest N (paced)",
        "Deregister the service family's ACTIVE revisions older than the newest N, never one "
        "a service of the cluster runs or deploys, nor the rollback target; --delete also "
        "deletes the INACTIVE ones. Paced to leave the account's RegisterTaskDefinition "
        "budget to deploys.",
    ),
    "init": (
        "write a compose file from the service's running task definition",
        "Write a compose file from the running revision: one service per container, compose "
        "fields where compose has them, x-ecs for the rest, such that render of it gives the "
        "revision back.",
    ),
}


def add_day_two(verb_parsers: Any) -> None:
    """`rollback`, `status`, `prune` and `init`, each with --debug, --region and the target
    (`shared_options.add_service_verb`), then its own options."""
    rollback, status, prune, init = (
        add_service_verb(verb_parsers, name, *texts) for name, texts in _VERBS.items()
    )
    rollback.add_argument(
        "--to",
        dest="rollback_to",
        metavar="REV|FAMILY:REV|ARN|IMAGE-TAG",
        help="the revision to go to: a revision number of the service's family, FAMILY:REV, "
        "a task-definition ARN, an image digest (sha256:...), or an image tag or commit SHA "
        "(the newest revision using it)",
    )
    add_wait_options(rollback, "the rollback")
    add_codedeploy_options(rollback)  # a CODE_DEPLOY service is rolled back by CodeDeploy
    add_poll_interval(rollback)
    add_dry_run(rollback, "write nothing; say which revision the service would go back to")

    status.add_argument(
        "--json",
        dest="status_json",
        action="store_true",
        help='print the versioned JSON document ("version": 1; README, "status")',
    )
    add_codedeploy_group_options(status)  # a CODE_DEPLOY service's group, when not found

    prune.add_argument(
        "--keep",
        dest="prune_keep",
        type=int,
        required=True,
        metavar="N",
        help="how many of the newest ACTIVE revisions stay (1 or more)",
    )
    prune.add_argument(
        "--delete",
        dest="prune_delete",
        action="store_true",
        help="also delete the family's INACTIVE revisions (DeleteTaskDefinitions)",
    )
    add_dry_run(prune, "say what would go and why the rest stays")
    add_codedeploy_group_options(prune)  # a CODE_DEPLOY service's rollback target is its group's

    init.add_argument(
        "-o", "--output", dest="init_output", required=True, metavar="FILE", help="the file"
    )


def add_verify(verb_parsers: Any, *add_options: AddOptions) -> None:
    """`verify`, with deploy's options (`cli` passes the functions that add them)."""
    verify = verb_parsers.add_parser(
        "verify",
        help="check that what the revision refers to exists (reads only)",
        description="Plan as deploy does, then look up the cluster, the services, roles, "
        "secrets and parameters, log groups, ECR images not built by a deploy and EFS file "
        "systems: OK, SKIP (with why) or FAILED for each, all at once. A deploy does the "
        "same before their first write (--no-verify skips it).",
    )
    for add in add_options:
        add(verify)
    add_codedeploy_options(verify)  # a CODE_DEPLOY service's group and AppSpec are checked
