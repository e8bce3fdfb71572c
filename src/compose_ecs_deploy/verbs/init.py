"""The `init` verb: a compose file from the service's running task definition, such that
`render` of it gives that revision back (`compose/reverse.py` says how; a test checks the
round trip through Docker Compose). It reads and writes only the output file.

What cannot come back through `render` is listed at the top of the file and on stderr.
"""

from __future__ import annotations

from dataclasses import dataclass

import yaml

from compose_ecs_deploy.aws import ecs
from compose_ecs_deploy.aws.client import session
from compose_ecs_deploy.compose.reverse import Reverse, to_compose
from compose_ecs_deploy.diagnostics import Diagnostic
from compose_ecs_deploy.errors import EXIT_OK, ExitCode, InputError
from compose_ecs_deploy.loading import bounded
from compose_ecs_deploy.pipeline.plan import parse_targets
from compose_ecs_deploy.report.face import Face
from compose_ecs_deploy.rollout.verdicts.arns import last_part
from compose_ecs_deploy.rollout.verdicts.history import running_revision
from compose_ecs_deploy.settings import Settings, refuse_bad_options


@dataclass(frozen=True)
class InitOptions:
    """Where the compose file goes."""

    output: str

    @classmethod
    def of(cls, settings: Settings) -> InitOptions:
        if not settings.init_output:
            raise InputError("init needs -o FILE: where to write the compose file")
        return cls(settings.init_output)


def write_compose(reverse: Reverse, source: str = "") -> str:
    """The file's text: a header (what it came from, what does not come back), then YAML."""
    services = " ".join(f"--service {name}" for name in reverse.document["services"])
    header = [
        "# compose-ecs-deploy init" + (f" from {source}" if source else ""),
        f"# `compose-ecs-deploy render -f THIS_FILE {services}` gives the revision back.",
    ]
    if reverse.lossy:
        header.append("# What does not come back through render:")
        header += [f"# - {line}" for line in reverse.lossy]
    body = yaml.safe_dump(reverse.document, sort_keys=False, allow_unicode=True, width=100)
    return "\n".join(header) + "\n" + body


def run(settings: Settings, face: Face) -> ExitCode:
    refuse_bad_options(settings)
    options = InitOptions.of(settings)
    aws = session(settings, face.log)
    cluster = str(settings.cluster)
    targets = parse_targets(settings)
    if len(targets) != 1:
        raise InputError(
            "init writes one compose file for one ECS service: pass --ecs-service once"
        )
    name = targets[0].ecs_service
    service = ecs.describe_services(aws, cluster, [name])[name]
    running = running_revision(service)
    if not running:
        raise InputError(
            f"ECS service {name} names no task definition (neither its own nor a PRIMARY task "
            "set's), so init has nothing to describe; pass a service that runs one"
        )
    revision = ecs.describe_task_definition(aws, running)
    reverse = to_compose(revision)
    source = f"{name} ({last_part(str(revision.get('taskDefinitionArn', '')))})"
    bounded.write_text(options.output, "compose file (-o)", write_compose(reverse, source))
    for line in reverse.lossy:
        face.report(Diagnostic.notice("init-lossy", line))
    face.log.info(f"init: wrote {options.output} from {source}")
    return EXIT_OK
