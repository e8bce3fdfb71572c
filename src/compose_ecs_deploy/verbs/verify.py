"""The `verify` verb: a deploy's plan and its pre-flight checks, and nothing else.

It reads what a deploy would read (the compose files, the services, their running revisions)
and looks up everything the planned revisions refer to: the cluster and the services, roles,
secrets and parameters, log groups, ECR images that would not be built, EFS file systems.
Each is OK, SKIP with why, or FAILED; any FAILED is exit 1 with every problem named. It
writes nothing (a missing default log group is only reported: a deploy creates it).
"""

from __future__ import annotations

import json

from compose_ecs_deploy.aws.client import session
from compose_ecs_deploy.errors import EXIT_OK, ExitCode
from compose_ecs_deploy.loading.inputs import prepare
from compose_ecs_deploy.pipeline.plan import plan_deploy
from compose_ecs_deploy.pipeline.preflight import Subject, preflight, warm_clients
from compose_ecs_deploy.report.face import Face
from compose_ecs_deploy.settings import Settings


def run(settings: Settings, face: Face) -> ExitCode:
    aws = session(settings, face.log)
    warm_clients(aws, settings)  # made while the compose files load and the plan reads ECS
    inputs = prepare(settings)
    planned = plan_deploy(aws, settings, inputs, face.log)
    for diagnostic in dict.fromkeys(d for p in planned.plans for d in p.rendered.diagnostics):
        face.report(diagnostic)
    checks = preflight(aws, Subject.of(planned, targets=True), face.log, create=False)
    found = [{"outcome": c.outcome, "what": c.what, "why": c.why} for c in checks]
    face.section("verify", [c.line() for c in checks], {"checks": json.dumps(found)})
    return EXIT_OK
