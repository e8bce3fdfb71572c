"""Step outputs by DESIGN.md's names, computed as soon as each value is known.

With several ECS services (or several built images) each value becomes a JSON map keyed by
service, so one step can feed many. The deploy hands each group to the edge the moment it
has it (images after the push, the revision after the register, the deployment after the
update), so a failure later still leaves what was done in `$GITHUB_OUTPUT`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping

from compose_ecs_deploy.images.build import BuiltImage
from compose_ecs_deploy.pipeline.results import ServiceResult

Publish = Callable[[Mapping[str, str]], None]


def publish_nothing(_values: Mapping[str, str]) -> None:
    """The default for callers that only want the final result (tests, the bench)."""


def per_service(values: Mapping[str, str]) -> str:
    if len(values) == 1:
        return next(iter(values.values()))
    return json.dumps(dict(values), sort_keys=True)


def image_outputs(images: Mapping[str, BuiltImage]) -> dict[str, str]:
    if not images:
        return {}
    return {
        "image-uri": per_service({n: i.tagged for n, i in images.items()}),
        "image-digest": per_service({n: i.digest for n, i in images.items()}),
    }


def service_outputs(results: Iterable[ServiceResult]) -> dict[str, str]:
    services = {s.target.ecs_service: s for s in results}
    if not services:
        return {}
    kinds = dict.fromkeys(key for s in services.values() for key in s.kind_outputs)
    return {
        **{
            key: per_service({n: s.kind_outputs.get(key, "") for n, s in services.items()})
            for key in kinds
        },
        "task-definition-arn": per_service({n: s.task_definition_arn for n, s in services.items()}),
        "task-definition-revision": per_service({n: s.revision for n, s in services.items()}),
        "deployment-id": per_service({n: s.deployment_id or "" for n, s in services.items()}),
        "changed": per_service({n: "true" if s.changed else "false" for n, s in services.items()}),
        "console-url": per_service({n: s.console_url for n, s in services.items()}),
    }
