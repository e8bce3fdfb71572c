"""`rollback` and `status` read ECS's service-deployment history whatever order
ListServiceDeployments gives it in: the API reference documents no order, so the simulator
serves newest first (its default) and, by the service tag `simulator:history-order`, oldest
first (tests/support/service_history.py). A history longer than a page (at most 100, the
largest maxResults) shows whether a client relies on the order."""

from __future__ import annotations

import json

import pytest

from tests.deploy.conftest import CLUSTER, World
from tests.deploy.test_rollback import cli, runs
from tests.deploy.test_status import status

pytestmark = pytest.mark.stack
# The product reads every page and sorts by createdAt before judging anything, so both
# documented possibilities must pass.
ORDERS = ["newest-first", "oldest-first"]


def history_of(world: World, order: str, updates: int) -> list[str]:
    """The service created on revision 1, then `updates` completed deployments, one a revision
    (straight UpdateServices: only the history matters here): every revision, oldest first."""
    revisions = [
        world.service("web", tags={"simulator:history-order": order, "simulator:ticks": "1"})
    ]
    first = world.ecs.describe_task_definition(taskDefinition=revisions[0])["taskDefinition"]
    task = {k: first[k] for k in ("family", "requiresCompatibilities", "networkMode", "cpu",
                                  "memory", "executionRoleArn")}  # fmt: skip
    for n in range(2, updates + 2):
        app = {"name": "app", "image": f"example/app:{n}"}
        revisions.append(
            world.ecs.register_task_definition(**task, containerDefinitions=[app])[
                "taskDefinition"
            ]["taskDefinitionArn"]
        )
        world.ecs.update_service(cluster=CLUSTER, service="web", taskDefinition=revisions[-1])
        for _ in range(5):  # one tick each: COMPLETED, then the old deployment leaves
            if len(world.running("web")["deployments"]) == 1:
                break
        assert runs(world) == revisions[-1]
    return revisions


@pytest.mark.parametrize("order", ORDERS)
def test_rollback_goes_to_the_last_good_revision_of_a_long_history(
    world: World, capsys: pytest.CaptureFixture[str], order: str
) -> None:
    revisions = history_of(world, order, 101)  # 102 service deployments: two pages of 100
    code, _, err = cli(capsys, "rollback")
    assert code == 0, err
    assert runs(world) == revisions[-2]


@pytest.mark.parametrize("order", ORDERS)
def test_status_shows_the_newest_service_deployments(
    world: World, capsys: pytest.CaptureFixture[str], order: str
) -> None:
    revisions = history_of(world, order, 6)  # seven service deployments; status shows five
    code, out, err = status(capsys, "--json")
    assert code == 0, err
    shown = [h["taskDefinition"] for h in json.loads(out)["serviceDeployments"]]
    assert shown == revisions[::-1][:5]
