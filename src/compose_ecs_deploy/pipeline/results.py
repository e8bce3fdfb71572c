"""What a deploy did, service by service: made by the verbs, read by the report and faces.

Each `ServiceResult` starts as what the plan found (what runs, what would change) and is
filled in as the rollout goes: the revision registered, the deployment started, its outcome,
the rollback and why a task failed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from compose_ecs_deploy.images.build import BuiltImage
from compose_ecs_deploy.pipeline.plan import Target
from compose_ecs_deploy.rollout.failure import Diagnosis
from compose_ecs_deploy.rollout.oneoff_run import OneOffResult
from compose_ecs_deploy.rollout.verdicts.arns import last_part
from compose_ecs_deploy.rollout.verdicts.rolling import Outcome


@dataclass
class ServiceResult:
    target: Target
    changed: bool
    revision_before: str
    task_definition_arn: str
    deployment_id: str | None = None
    outcome: Outcome | None = None
    rollback: Outcome | None = None
    seconds: float = 0.0
    diff: list[str] = field(default_factory=list)
    images: dict[str, str] = field(default_factory=dict)
    console_url: str = ""
    note: str = ""  # what ECS still does after our success (wait-until traffic-shifted)
    diagnoses: list[Diagnosis] = field(default_factory=list)
    kind_outputs: dict[str, str] = field(default_factory=dict)  # only its controller's kind sets

    @property
    def revision(self) -> str:
        return self.task_definition_arn.rsplit(":", 1)[-1]

    @property
    def succeeded(self) -> bool:
        return self.outcome is None or self.outcome.succeeded


@dataclass
class DeployResult:
    services: list[ServiceResult]
    dry_run: bool = False
    one_offs: list[OneOffResult] = field(default_factory=list)
    throttled_calls: int = 0  # answers AWS throttled this run, all waited out
    throttle_waited: float = 0.0  # seconds spent waiting them out

    @property
    def succeeded(self) -> bool:
        return all(s.succeeded for s in self.services) and all(o.succeeded for o in self.one_offs)

    @property
    def held_back(self) -> bool:
        """A run-before one-off failed, so no service was rolled out."""
        return not all(o.succeeded for o in self.one_offs)


def console_url(region: str | None, cluster: str, service: str) -> str:
    """The service's deployments page; a cluster or service given as an ARN is named by its
    last part there (`cluster/NAME`, `service/CLUSTER/NAME`), as the console's paths are."""
    region = region or "us-east-1"
    return (
        f"https://{region}.console.aws.amazon.com/ecs/v2/clusters/{last_part(cluster)}/services/"
        f"{last_part(service)}/deployments?region={region}"
    )


@dataclass(frozen=True)
class Deployment:
    result: DeployResult
    images: dict[str, BuiltImage]
    phases: dict[str, float] = field(default_factory=dict)
