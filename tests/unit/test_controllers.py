"""The rollout controllers: each is chosen by its own kind of service only, and a service
that no controller handles is refused with its controller type named.

The payloads are DescribeServices answers as the ECS API reference shapes them
(Service.deploymentController.type, Service.deploymentConfiguration.strategy).
"""

from __future__ import annotations

from typing import Any

import pytest

from compose_ecs_deploy.rollout.codedeploy import CodeDeployController
from compose_ecs_deploy.rollout.controller import CONTROLLERS, Refusal, choose
from compose_ecs_deploy.rollout.express import ExpressController
from compose_ecs_deploy.rollout.native import NativeController
from compose_ecs_deploy.rollout.rolling import RollingController
from compose_ecs_deploy.rollout.verdicts.express import to_create


def service(
    controller: str | None = None, strategy: str | None = None, managed: str | None = None
) -> dict[str, Any]:
    payload: dict[str, Any] = {"serviceName": "web", "taskDefinition": "arn:td/web:1"}
    if managed is not None:  # Service.resourceManagementType: ECS for an Express service
        payload["resourceManagementType"] = managed
    if controller is not None:
        payload["deploymentController"] = {"type": controller}
    if strategy is not None:
        payload["deploymentConfiguration"] = {"strategy": strategy}
    return payload


# Each kind of service and the controller kind that must take it (None: refused).
KINDS = {
    "ECS controller, no strategy (ROLLING by default)": (service("ECS"), "rolling"),
    "no deploymentController at all (ECS by default)": (service(), "rolling"),
    "ECS ROLLING": (service("ECS", "ROLLING"), "rolling"),
    "ECS BLUE_GREEN": (service("ECS", "BLUE_GREEN"), "native"),
    "ECS LINEAR": (service("ECS", "LINEAR"), "native"),
    "ECS CANARY": (service("ECS", "CANARY"), "native"),
    "CODE_DEPLOY": (service("CODE_DEPLOY"), "codedeploy"),
    "EXTERNAL": (service("EXTERNAL"), None),
    "CODE_DEPLOY with a native-looking strategy": (
        service("CODE_DEPLOY", "BLUE_GREEN"),
        "codedeploy",
    ),
    "ECS with a strategy nobody implements": (service("ECS", "SHADOW"), None),
    "Express (managed by ECS, its canary)": (service("ECS", "CANARY", managed="ECS"), "express"),
    "Express, as ECS may show it without a strategy": (service(managed="ECS"), "express"),
    "an Express service --express will create": (to_create("web"), "express"),
    "CANARY managed by the customer": (service("ECS", "CANARY", managed="CUSTOMER"), "native"),
    "ROLLING managed by the customer": (service("ECS", managed="CUSTOMER"), "rolling"),
}


def test_the_controllers_are_rolling_native_codedeploy_and_express_each_once() -> None:
    kinds = [c.kind for c in CONTROLLERS]
    assert sorted(kinds) == ["codedeploy", "express", "native", "rolling"]
    assert len(set(kinds)) == len(kinds)
    assert {type(c) for c in CONTROLLERS} == {
        RollingController,
        NativeController,
        CodeDeployController,
        ExpressController,
    }


@pytest.mark.parametrize("payload,expected", KINDS.values(), ids=KINDS.keys())
def test_each_controller_handles_only_its_own_kind(payload, expected) -> None:
    handling = [c.kind for c in CONTROLLERS if c.handles(payload)]
    assert handling == ([expected] if expected else [])
    chosen = choose("web", payload)
    if expected is None:
        assert isinstance(chosen, Refusal)
    else:
        assert not isinstance(chosen, Refusal) and chosen.kind == expected


@pytest.mark.parametrize("kind", ["EXTERNAL"])
def test_a_service_no_controller_handles_is_refused_naming_its_controller_type(kind) -> None:
    refusal = choose("web", service(kind))
    assert isinstance(refusal, Refusal)
    assert refusal.controller_type == kind and refusal.service == "web"
    assert f"ECS service web uses the {kind} deployment controller" in refusal.reason


def test_an_unknown_strategy_is_refused_naming_it() -> None:
    refusal = choose("web", service("ECS", "SHADOW"))
    assert isinstance(refusal, Refusal) and refusal.controller_type == "ECS"
    assert "SHADOW strategy" in refusal.reason


def test_two_controllers_claiming_one_service_is_a_refusal_not_a_guess() -> None:
    """Adding a controller whose `handles` overlaps another's cannot silently win."""
    rolling = RollingController()
    chosen = choose("web", service("ECS"), controllers=(rolling, RollingController()))
    assert isinstance(chosen, Refusal) and "both the rolling and rolling" in chosen.reason
    assert choose("web", service("ECS"), controllers=(rolling,)) is rolling
