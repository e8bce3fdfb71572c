"""Which controller rolls a service out: every kind this tool knows, and the choice.

`choose` is asked once per service at plan time, from the DescribeServices answer alone, before
any write. Exactly one controller answers for its own kind of service; a service that none
handles (an EXTERNAL controller, a strategy nobody implements) gets a `Refusal`
naming its controller type and strategy, which the plan turns into an error. A new deployment
kind is one more entry in `CONTROLLERS`; the verbs never change for it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from compose_ecs_deploy.rollout.codedeploy import CodeDeployController
from compose_ecs_deploy.rollout.express import ExpressController
from compose_ecs_deploy.rollout.interface import Controller
from compose_ecs_deploy.rollout.native import NativeController
from compose_ecs_deploy.rollout.rolling import RollingController
from compose_ecs_deploy.rollout.verdicts.rolling import controller_type, refusal_reason

CONTROLLERS: tuple[Controller, ...] = (
    RollingController(),
    NativeController(),
    CodeDeployController(),
    ExpressController(),
)


@dataclass(frozen=True)
class Refusal:
    """No controller handles the service: its controller type and why, said before any
    write."""

    service: str
    controller_type: str
    reason: str


def choose(
    name: str, service: Mapping[str, Any], controllers: Sequence[Controller] = CONTROLLERS
) -> Controller | Refusal:
    """The one controller that handles the service, or why none does."""
    found = [c for c in controllers if c.handles(service)]
    if len(found) == 1:
        return found[0]
    if found:  # a bug of ours: two kinds claim one service; never guess which
        kinds = " and ".join(c.kind for c in found)
        reason = f"ECS service {name}: both the {kinds} controllers claim it; please report this"
        return Refusal(name, controller_type(service), reason)
    return Refusal(name, controller_type(service), refusal_reason(name, service))
