"""Rows for CODE_DEPLOY services (issue 26): API calls per poll, and how soon a failed
lifecycle event is an error.

The service, its CodeDeploy application and deployment group are made as Terraform makes them;
the image is given, so nothing is built: the rows measure the wait. A poll is one GetDeployment
with the reads that follow it. The stack's CodeDeploy simulator moves a deployment one tick per
GetDeployment, so "polls" are exact and independent of the machine's speed.
"""

from __future__ import annotations

import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from tests.support import terraform
from tests.support.memory_log import MemoryLog

from bench.lab import EXECUTION_ROLE, Lab
from bench.rows_deploy import by_name
from bench.table import Row
from compose_ecs_deploy.aws.client import Aws
from compose_ecs_deploy.loading.inputs import prepare
from compose_ecs_deploy.verbs.deploy import deploy

PER_POLL = (
    "codedeploy:GetDeployment",
    "codedeploy:BatchGetDeploymentTargets",
    "ecs:ListTasks",
)


def _code_deploy_service(lab: Lab, what: str, tags: dict[str, str]) -> tuple[str, str, str]:
    """A CODE_DEPLOY service behind a load balancer and its group, made as the tests make
    them (tests/support/terraform.py): (service, app, group)."""
    ecs, codedeploy = lab.client("ecs"), lab.client("codedeploy")
    name = lab.name(what)
    revision = terraform.first_revision(
        ecs, name, EXECUTION_ROLE, lab.client("iam"), image="example/web:0"
    )
    terraform.code_deploy_service(
        ecs, codedeploy, lab.cluster(), name, revision, application=name, group=name, tags=tags
    )
    return name, name, name


def _settings(lab: Lab, service: str, app: str, **more: Any) -> Any:
    return lab.settings(
        service,
        images=("web=example/web:2",),
        codedeploy_application=app,
        codedeploy_deployment_group=app,
        **more,
    )


def calls_row(lab: Lab) -> Row:
    service, app, _ = _code_deploy_service(lab, "codedeploy", {})
    run = lab.deploy(_settings(lab, service, app))
    waited = run.during_wait
    polls = waited["codedeploy:GetDeployment"]
    once = waited["codedeploy:ListDeploymentTargets"]
    per_poll = (sum(waited.values()) - once) / polls if polls else 0.0
    met = bool(polls) and once == 1 and all(waited[c] == polls for c in PER_POLL)
    met &= set(waited) <= {*PER_POLL, "codedeploy:ListDeploymentTargets", "ecs:DescribeTasks"}
    return Row(
        "API calls per poll: CODE_DEPLOY service (CodeDeploy blue/green)",
        per_poll,
        "calls",
        "",
        "1 GetDeployment + 1 BatchGetDeploymentTargets + 1 ListTasks "
        "(+ ListDeploymentTargets once)",
        met,
        f"{polls} polls until Succeeded; wait: {by_name(waited, 'codedeploy:')}, "
        f"{by_name(waited, 'ecs:')}",
    )


def failed_event_row(lab: Lab) -> Row:
    """Polls and seconds from the GetDeployment that first says Failed (a hook failed at
    AfterAllowTestTraffic) to the error: the verdict comes from that very poll."""
    service, app, _ = _code_deploy_service(
        lab, "cd-hook", {"simulator:codedeploy-fail-hook": "AfterAllowTestTraffic"}
    )
    appspec = Path(tempfile.mkdtemp()) / "appspec.yaml"
    appspec.write_text("version: 0.0\nHooks:\n  - AfterAllowTestTraffic: SmokeTest\n")
    settings = _settings(lab, service, app, codedeploy_appspec=str(appspec))
    aws = Aws(settings.region, max_retries=settings.max_retries)
    seen: list[tuple[float, str]] = []

    def record(parsed: dict[str, Any], **_: Any) -> None:
        seen.append((time.perf_counter(), str(parsed.get("deploymentInfo", {}).get("status"))))

    aws.client("codedeploy").meta.events.register("after-call.codedeploy.GetDeployment", record)
    deployment = deploy(aws, settings, prepare(settings), MemoryLog())
    ended = time.perf_counter()
    lab.seen_calls.update(aws.calls)
    failed = [at for at, status in seen if status == "Failed"]
    reasons = [s.outcome.reason for s in deployment.result.services if s.outcome is not None]
    named = any("AfterAllowTestTraffic" in r and "HOOK_EXECUTION_FAILURE" in r for r in reasons)
    polls = len(failed)
    seconds = ended - failed[0] if failed else float("nan")
    return Row(
        "CODE_DEPLOY: polls from a failed lifecycle event to the error",
        float(polls),
        "polls",
        "",
        "1 poll",
        polls == 1 and named and not deployment.result.succeeded,
        f"{seconds:.2f} s from that GetDeployment answer to the end of the deploy "
        f"(explain included); calls: {dict(Counter(aws.calls))}",
    )


def codedeploy_rows(lab: Lab) -> list[Row]:
    return [calls_row(lab), failed_event_row(lab)]
