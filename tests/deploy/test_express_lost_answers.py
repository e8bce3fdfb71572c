"""Express writes whose answer is lost, through the stack's own pieces: the fault proxy
(tests/support/fault_proxy.py) between the CLI and moto, and the simulated Express services
behind it (tests/support/express_simulator.py). What reached the simulator, and what it
answered, is read from the proxy (`forwarded`, `answered`), not from the product.

A CreateExpressGatewayService that landed but whose answer was lost (the connection dropped,
or a 500 after ECS acted) is found by a read and never sent again; when that read does not see
the new service yet (ECS's reads are eventually consistent: `simulator:express-listed-after`)
the Create is sent again, refused because the name is taken (either error the API reference
leaves open: `simulator:express-taken`), and the service is looked for again and used: one
service, one Create that landed. A Create that never reached ECS is sent again. An Update whose
answer was lost starts one deployment."""

from __future__ import annotations

import textwrap
from typing import Any

import pytest

from tests.deploy.conftest import CLUSTER, World
from tests.deploy.test_express import COMPOSE, express, express_world, output, tag_cluster
from tests.support.fault_proxy import FaultProxy, Rule

pytestmark = pytest.mark.stack
__all__ = ["express_world"]  # a fixture, used by name
CREATE = "CreateExpressGatewayService"


def services_named(world: World, name: str) -> list[dict[str, Any]]:
    arns = world.ecs.list_services(cluster=CLUSTER)["serviceArns"]
    return [a for a in arns if a.rsplit("/", 1)[1] == name]


def one_service_followed_to_success(world: World, out: str) -> None:
    """One service of the name, its URL given, its creation followed to SUCCESSFUL."""
    assert len(services_named(world, "web")) == 1
    assert output(out, "url").startswith("https://")
    assert "SUCCESSFUL at CLEAN_UP" in out and "web: completed:" in out


@pytest.mark.parametrize("kind", ["lost", "late-500"])
def test_a_create_that_landed_is_found_not_sent_again_and_followed(
    express_world: World, capsys, proxy: FaultProxy, kind: str
) -> None:
    """ECS made the service and the answer was lost (dropped, or a 500 after it acted): the
    read finds it; one Create only, and the deploy follows the service to success."""
    proxy.rules[CREATE] = Rule(kinds=(kind,), first=1)
    code, out, err = express(express_world, capsys, "--service", "app")
    assert code == 0, out + err
    assert proxy.injected[f"{CREATE}:{kind}"] == 1
    assert proxy.forwarded[CREATE] == 1 and proxy.answered[f"{CREATE}:200"] == 1
    assert f"{CREATE}: the answer was lost, but the call went through" in out
    one_service_followed_to_success(express_world, out)


@pytest.mark.parametrize("taken", ["invalid-parameter", "client"])
def test_a_create_not_seen_yet_is_refused_when_sent_again_and_then_found(
    express_world: World, capsys, proxy: FaultProxy, taken: str
) -> None:
    """The read after the lost answer misses the new service (two unseen reads), so the
    Create goes again; the simulator refuses it (the name is taken); the next look finds the
    service: two Creates reached ECS, one landed, one service, followed to success."""
    tag_cluster(express_world, "simulator:express-listed-after", "2")
    tag_cluster(express_world, "simulator:express-taken", taken)
    proxy.rules[CREATE] = Rule(kinds=("lost",), first=1)
    code, out, err = express(express_world, capsys, "--service", "app")
    assert code == 0, out + err
    assert proxy.forwarded[CREATE] == 2
    assert proxy.answered[f"{CREATE}:200"] == 1 and proxy.answered[f"{CREATE}:400"] == 1
    assert f"{CREATE}: made by the attempt whose answer was lost; using it" in out
    one_service_followed_to_success(express_world, out)


@pytest.mark.parametrize("kind", ["reset", "500"])
def test_a_create_that_never_reached_ecs_is_sent_again(
    express_world: World, capsys, proxy: FaultProxy, kind: str
) -> None:
    """Refused or cut before ECS saw it: the read finds nothing, the Create goes again and
    lands once."""
    proxy.rules[CREATE] = Rule(kinds=(kind,), first=1)
    code, out, err = express(express_world, capsys, "--service", "app")
    assert code == 0, out + err
    assert proxy.seen[CREATE] == 2
    assert proxy.forwarded[CREATE] == 1 and proxy.answered[f"{CREATE}:200"] == 1
    assert "retrying in" in out
    assert len(services_named(express_world, "web")) == 1
    assert "SUCCESSFUL at CLEAN_UP" in out


def test_a_lost_answer_to_update_starts_one_deployment(
    express_world: World, capsys, proxy: FaultProxy
) -> None:
    assert express(express_world, capsys, "--service", "app")[0] == 0
    before = express_world.ecs.list_service_deployments(cluster=CLUSTER, service="web")
    proxy.rules["UpdateExpressGatewayService"] = Rule(kinds=("lost",), first=1)
    (express_world.workdir / "compose.yaml").write_text(
        textwrap.dedent(COMPOSE).replace("GREETING: hello", "GREETING: bonjour")
    )
    code, out, err = express(express_world, capsys, "--service", "app")
    assert code == 0, out + err
    assert proxy.forwarded["UpdateExpressGatewayService"] == 1
    assert proxy.answered["UpdateExpressGatewayService:200"] == 1
    assert "UpdateExpressGatewayService: the answer was lost, but the call went through" in out
    after = express_world.ecs.list_service_deployments(cluster=CLUSTER, service="web")
    assert len(after["serviceDeployments"]) == len(before["serviceDeployments"]) + 1
    assert express_world.running("web")["taskDefinition"] == express_world.revisions("web")[-1]
