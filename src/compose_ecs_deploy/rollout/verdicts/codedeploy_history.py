"""What a CODE_DEPLOY service ran, by CodeDeploy's own record: pure, on its answers.

ECS's service-deployment history (ListServiceDeployments) follows the ECS deployment
controller's deployments; a CODE_DEPLOY service's revisions are deployed by CodeDeploy, whose
deployments of the group say what ran (CodeDeploy API reference: ListDeployments with
``includeOnlyStatuses``, BatchGetDeployments -> "DeploymentInfo": ``status``, ``createTime``,
``rollbackInfo``, ``revision.appSpecContent.content``). Each finished deployment becomes a
`Past` of the shared history rules (`verdicts/history.py`), so a rollback without --to picks
its target the way it does for the other kinds:
- Succeeded: it completed (SUCCESSFUL). A rollback CodeDeploy made (creator
  ``codeDeployRollback``) or one we made is a Succeeded deployment of an older revision, which
  the shared rules read as "the newer one was rolled back".
- Failed or Stopped with ``rollbackInfo.rollbackDeploymentId``: CodeDeploy rolled it back
  ("RollbackInfo"), so its revision is never a target (ROLLBACK_SUCCESSFUL).
- Failed or Stopped without: it never completed; it names no target and skips none.
ListDeployments documents no order: the deployments are sorted here, newest first, by
``createTime``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from compose_ecs_deploy.rollout.verdicts.history import SUCCESSFUL, Past

ROLLED_BACK = "ROLLBACK_SUCCESSFUL"


def _created(info: Mapping[str, Any]) -> float:
    """``createTime`` in seconds: botocore gives a datetime, a recorded payload a number."""
    when = info.get("createTime")
    stamp = getattr(when, "timestamp", None)
    if callable(stamp):
        return float(stamp())
    return float(when) if isinstance(when, int | float) else 0.0


def status_of(info: Mapping[str, Any]) -> str:
    """The shared history's status for one finished CodeDeploy deployment."""
    status = str(info.get("status", ""))
    if status == "Succeeded":
        return SUCCESSFUL
    if (info.get("rollbackInfo") or {}).get("rollbackDeploymentId"):
        return ROLLED_BACK
    return status.upper()


def pasts(deployments: Iterable[tuple[Mapping[str, Any], str]]) -> list[Past]:
    """(DeploymentInfo, the task definition its AppSpec deploys) pairs, newest first, as the
    shared history's records ('' where the AppSpec names none we could read)."""
    ordered = sorted(deployments, key=lambda pair: _created(pair[0]), reverse=True)
    return [
        Past(status_of(info), task_definition, str(info.get("deploymentId", "")))
        for info, task_definition in ordered
    ]
