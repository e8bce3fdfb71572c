"""The `status` verb: what runs now, whether it is healthy, and what happened last; it reads
and never writes.

Five reads as a rule: DescribeServices, DescribeTaskDefinition of the running revision,
ListServiceDeployments (every page, 100 a page: it documents no order, so the last five are
known only once all are sorted) with one DescribeServiceRevisions, and the service's
stopped tasks (one ListTasks, one DescribeTasks); plus what the service's controller reads of
its kind (CODE_DEPLOY: the deployment group and its active deployment). A history the role
may not read is shown as unreadable, not as an error: the rest of the status still helps.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from compose_ecs_deploy.aws import ecs
from compose_ecs_deploy.aws import service_deployments as history
from compose_ecs_deploy.aws.client import Aws, call, session
from compose_ecs_deploy.errors import EXIT_OK, AwsError, ExitCode
from compose_ecs_deploy.pipeline.plan import parse_targets
from compose_ecs_deploy.report.face import Face
from compose_ecs_deploy.report.status import status_document, status_lines
from compose_ecs_deploy.rollout.controller import Refusal, choose
from compose_ecs_deploy.rollout.interface import Subject
from compose_ecs_deploy.rollout.verdicts.history import running_revision
from compose_ecs_deploy.settings import Settings, refuse_bad_options

HISTORY = 5


@dataclass(frozen=True)
class StatusOptions:
    """What `status` takes beyond the service: JSON (the versioned document) or text."""

    as_json: bool = False

    @classmethod
    def of(cls, settings: Settings) -> StatusOptions:
        return cls(settings.status_json)


def run(settings: Settings, face: Face) -> ExitCode:
    refuse_bad_options(settings)
    options = StatusOptions.of(settings)
    aws = session(settings, face.log)
    cluster = str(settings.cluster)
    names = [t.ecs_service for t in parse_targets(settings)]
    documents = []
    for name, service in ecs.describe_services(aws, cluster, names).items():
        running = running_revision(service)  # an EXTERNAL service may name none of its own
        revision = ecs.describe_task_definition(aws, running) if running else {}
        controller = choose(name, service)
        parts = (
            {}
            if isinstance(controller, Refusal)
            else controller.status(aws, settings, Subject(name, service))
        )
        documents.append(
            status_document(
                cluster,
                service,
                revision,
                _history(aws, cluster, name),
                _stopped(aws, cluster, name),
                parts,
            )
        )
    body: Any = documents[0] if len(documents) == 1 else documents
    lines = [line for document in documents for line in status_lines(document)]
    if options.as_json:
        face.data(json.dumps(body, indent=2, ensure_ascii=False) + "\n")
    else:
        for line in lines:
            face.log.info(line)
    face.section("status", lines, {"status": json.dumps(body, ensure_ascii=False)})
    return EXIT_OK


def _history(aws: Aws, cluster: str, name: str) -> list[dict[str, Any]] | None:
    """The last service deployments, each with its target revision's task definition."""
    try:
        briefs = history.newest_first(aws, cluster, name)[:HISTORY]
        targets = [str(b.get("targetServiceRevisionArn") or "") for b in briefs]
        revisions = history.revisions(aws, [t for t in targets if t])
    except AwsError:
        return None
    return [
        {**b, "taskDefinition": revisions.get(t, {}).get("taskDefinition")}
        for b, t in zip(briefs, targets, strict=True)
    ]


def _stopped(aws: Aws, cluster: str, name: str) -> list[dict[str, Any]]:
    """The service's stopped tasks (ECS keeps them about an hour); the report picks."""
    page = call(
        aws, "ecs", "list_tasks", cluster=cluster, serviceName=name, desiredStatus="STOPPED",
        maxResults=100,
    )  # fmt: skip
    arns = list(page.get("taskArns", []))
    tasks = ecs.describe_tasks(aws, cluster, arns) if arns else []
    return tasks
