"""`rollback` of a service whose last good release is older than ECS's history: "You can view
the most recent 90-day history" (developerguide/service-deployment.html), which the simulator
serves with the service tag `simulator:created-days-ago` (tests/support/service_history.py).
Without `--to` there is nothing to go back to, said in one error line with the way out and
nothing written; `--to` still goes there."""

from __future__ import annotations

import pytest

from tests.deploy.conftest import World
from tests.deploy.test_rollback import cli, runs
from tests.support.fault_proxy import FaultProxy

pytestmark = pytest.mark.stack


def test_a_release_older_than_ninety_days_is_reached_only_with_to(
    world: World, capsys: pytest.CaptureFixture[str], proxy: FaultProxy
) -> None:
    first = world.service("web", tags={"simulator:created-days-ago": "120"})
    deployment, _ = world.deploy(world.settings(images=("app=example/app:2",)))
    assert deployment.result.succeeded
    proxy.forwarded.clear()
    code, _, err = cli(capsys, "rollback")
    assert code == 1 and err.count("error:") == 1, err
    assert "nothing to roll back to" in err and "90 days" in err and "--to" in err, err
    assert proxy.forwarded["UpdateService"] == 0
    code, _, err = cli(capsys, "rollback", "--to", first.rsplit(":", 1)[-1])
    assert code == 0, err
    assert runs(world) == first
