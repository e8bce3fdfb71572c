"""Least privilege for Express and previews, resource by resource: each call that `deploy
--express` and `preview up`, `down` and `sweep` make is authorised by docs/iam-policy.json with
its placeholders filled, and the previews need OptionalExpressPreviews. moto checks actions
only (tests/deploy/test_iam.py); tests/support/iam_resources.py checks the resources each call
is authorised against."""

from __future__ import annotations

import textwrap
from typing import Any

import pytest

from tests.deploy.conftest import ACCOUNT, CLUSTER, World
from tests.deploy.test_express import COMPOSE, express, express_world, preview
from tests.deploy.test_iam import policy as documented
from tests.support.iam_resources import denied, recording

pytestmark = pytest.mark.stack
__all__ = ["express_world"]  # a fixture, used by name


def policy(region: str, without: str | None = None) -> dict[str, Any]:
    """The documented policy for the service `web` (family `web`) of the tests' cluster."""
    names = {"<CLUSTER>": CLUSTER, "<SERVICE>": "web", "<FAMILY>": "web", "<LOG_GROUP>": "/ecs/web"}
    names |= {"<REGION>": region, "<LOGS_REGION>": region}
    return documented("unused", without, names)


def test_previews_up_down_and_sweep_ask_only_what_the_policy_grants(
    express_world: World, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = recording(monkeypatch)
    for number in ("7", "8"):
        code, out, err = preview(express_world, capsys, "up", name=f"pr-{number}", pr=number)
        assert code == 0, out + err
    (express_world.workdir / "compose.yaml").write_text(
        textwrap.dedent(COMPOSE).replace("GREETING: hello", "GREETING: bonjour")
    )
    code, out, err = preview(express_world, capsys, "up", "--image-tag", "def456")  # pr-7 again
    assert code == 0, out + err
    for _ in range(2):
        code, out, err = preview(express_world, capsys, "down", name="pr-8", pr="8")
        assert code == 0, out + err
    code, out, err = preview(express_world, capsys, "sweep", "--open-pull-requests", "8")
    assert code == 0, out + err
    assert "preview web-pr-7: deleted (pull request 7 is not open)" in out
    operations = {c.operation for c in calls}
    assert {
        "CreateExpressGatewayService",
        "UpdateExpressGatewayService",
        "TagResource",
        "DeleteExpressGatewayService",
        "DescribeServiceDeployments",
        "ListServices",
    } <= operations, operations

    region = express_world.region
    assert denied(policy(region), calls, region, ACCOUNT) == []
    without = denied(policy(region, without="OptionalExpressPreviews"), calls, region, ACCOUNT)
    preview_arn = f"arn:aws:ecs:{region}:{ACCOUNT}:service/{CLUSTER}/web-pr-7"
    assert f"ecs:DescribeServices on {preview_arn}" in without
    assert any(line.startswith("ecs:DescribeServiceDeployments on ") for line in without)


def test_an_express_deploy_and_its_update_ask_only_what_the_policy_grants(
    express_world: World, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = recording(monkeypatch)
    assert express(express_world, capsys, "--service", "app")[0] == 0
    (express_world.workdir / "compose.yaml").write_text(
        textwrap.dedent(COMPOSE).replace("GREETING: hello", "GREETING: bonjour")
    )
    assert express(express_world, capsys, "--service", "app")[0] == 0
    assert {"CreateExpressGatewayService", "UpdateExpressGatewayService"} <= {
        c.operation for c in calls
    }
    region = express_world.region
    assert denied(policy(region), calls, region, ACCOUNT) == []
    # the service alone needs no preview statement
    assert denied(policy(region, without="OptionalExpressPreviews"), calls, region, ACCOUNT) == []
