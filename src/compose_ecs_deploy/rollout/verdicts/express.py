"""Express Mode as pure rules: the task Express runs, its settings from the compose file, the
name of a preview, the URL, and which services are Express services.

Express runs a task definition of ours when it "has a container named Main with a single TCP
port mapping that includes a container port and port name" and "FARGATE compatibility"
(API reference, CreateExpressGatewayService, taskDefinitionArn). The conversion keeps the
compose names (the build, `--image SERVICE=`, `SERVICE.NAME` secrets and every notice speak
of what the user wrote); the revision the service runs is read back with its `Main` under
the primary service's name (`from_running`), so the merge with it and the diff see one name,
and the request is registered with the primary container renamed `Main`, each `dependsOn`
on it following, and its one port named (`to_register`). `problems` says, before any write,
what Express cannot hold.

An Express service is an ECS service whose `resourceManagementType` is ECS (API reference,
Service: "Identifies whether an ECS Service is an Express Service managed by ECS").
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from compose_ecs_deploy.diagnostics import Diagnostic
from compose_ecs_deploy.rollout.verdicts.shape import TaskShape

MAIN = "Main"
PORT_NAME = "http"
CODE = "express"
EXPRESS_KEYS = ("scalingTarget", "networkConfiguration", "healthCheckPath")
DEFAULT_HEALTH_CHECK_PATH = "/ping"  # API reference, CreateExpressGatewayService
NAME_LIMIT = 255  # ECS service names: letters, digits, '_' and '-', up to 255
TO_CREATE = "TO_CREATE"  # the status of a service --express will create (plan-time stand-in)
_NOT_IN_A_NAME = re.compile(r"[^A-Za-z0-9_-]+")


def is_express(service: Mapping[str, Any]) -> bool:
    """An Express service (or the one --express will create)."""
    return service.get("resourceManagementType") == "ECS"


def to_create(name: str) -> dict[str, Any]:
    """What the plan knows of an Express service that does not exist yet: its name."""
    return {
        "serviceName": name,
        "status": TO_CREATE,
        "resourceManagementType": "ECS",
        "taskDefinition": "",
        "deployments": [],
    }


def _rename(request: Mapping[str, Any], old: str, new: str) -> dict[str, Any]:
    """The request with container `old` named `new`, and every dependsOn on it following."""
    containers = []
    for container in request.get("containerDefinitions") or []:
        renamed = dict(container)
        if container.get("name") == old:
            renamed["name"] = new
        if container.get("dependsOn"):
            renamed["dependsOn"] = [
                {**d, "containerName": new} if d.get("containerName") == old else d
                for d in container["dependsOn"]
            ]
        containers.append(renamed)
    return {**request, "containerDefinitions": containers}


def from_running(request: Mapping[str, Any], primary: str) -> dict[str, Any]:
    """The running revision with its Main under the primary compose service's name."""
    names = {c.get("name") for c in request.get("containerDefinitions") or []}
    if MAIN not in names or primary in names:
        return dict(request)
    return _rename(request, MAIN, primary)


def to_register(request: Mapping[str, Any], primary: str) -> dict[str, Any]:
    """The request as Express runs it: the primary container is Main, its port named."""
    renamed = _rename(request, primary, MAIN)
    containers = []
    for container in renamed["containerDefinitions"]:
        ports = container.get("portMappings") or []
        if container.get("name") == MAIN and len(ports) == 1 and not ports[0].get("name"):
            container = {**container, "portMappings": [{**ports[0], "name": PORT_NAME}]}
        containers.append(container)
    return {**renamed, "containerDefinitions": containers}


def problems(request: Mapping[str, Any], primary: str) -> list[Diagnostic]:
    """What Express cannot hold, in the compose names (before `to_register`)."""
    found: list[Diagnostic] = []
    containers = request.get("containerDefinitions") or []
    if primary != MAIN and any(c.get("name") == MAIN for c in containers):
        found.append(
            Diagnostic.error(
                CODE,
                f"Express names the primary container {MAIN}, and the task already has a "
                f"container {MAIN}; rename that compose service, or make it the primary one "
                "(first in services / --service)",
                service=MAIN,
            )
        )
    main = next((c for c in containers if c.get("name") == primary), None)
    ports = (main or {}).get("portMappings") or []
    if not ports:
        found.append(
            Diagnostic.error(
                CODE,
                "Express sends the traffic to one port of the primary service, and it has "
                "none; publish one with `ports:` or `expose:`",
                service=primary,
                field="ports",
            )
        )
    elif len(ports) > 1:
        listed = ", ".join(str(p.get("containerPort")) for p in ports)
        found.append(
            Diagnostic.error(
                CODE,
                f"Express sends the traffic to one port of the primary service, and it has "
                f"{len(ports)} ({listed}); keep one in `ports:`/`expose:` and move the others "
                "to another service",
                service=primary,
                field="ports",
            )
        )
    elif str(ports[0].get("protocol") or "tcp").lower() != "tcp":
        protocol = ports[0].get("protocol")
        found.append(
            Diagnostic.error(
                CODE,
                f"Express needs a TCP port, and port {ports[0].get('containerPort')} is "
                f"{protocol}; remove its `/{protocol}`",
                service=primary,
                field="ports",
            )
        )
    compatibilities = request.get("requiresCompatibilities") or ["FARGATE"]
    if "FARGATE" not in compatibilities:
        found.append(
            Diagnostic.error(
                CODE,
                f"Express runs tasks on Fargate, and requiresCompatibilities is "
                f"{list(compatibilities)}; add FARGATE",
                field="x-ecs.requiresCompatibilities",
            )
        )
    return found


@dataclass(frozen=True)
class ExpressSettings:
    """What CreateExpressGatewayService takes beside the task definition, from the top-level
    `x-ecs` (and `--health-check-path`, which wins)."""

    health_check_path: str | None = None
    scaling_target: Mapping[str, Any] | None = None
    network_configuration: Mapping[str, Any] | None = None

    def request(self) -> dict[str, Any]:
        """The request keys given; Express's defaults apply to the rest."""
        body: dict[str, Any] = {}
        if self.health_check_path:
            body["healthCheckPath"] = self.health_check_path
        if self.scaling_target:
            body["scalingTarget"] = dict(self.scaling_target)
        if self.network_configuration:
            body["networkConfiguration"] = dict(self.network_configuration)
        return body


def settings_from(x_ecs: Mapping[str, Any], health_check_path: str | None) -> ExpressSettings:
    def mapping(value: Any) -> Mapping[str, Any] | None:
        return value if isinstance(value, Mapping) and value else None

    path = x_ecs.get("healthCheckPath")
    return ExpressSettings(
        health_check_path=health_check_path or (path if isinstance(path, str) and path else None),
        scaling_target=mapping(x_ecs.get("scalingTarget")),
        network_configuration=mapping(x_ecs.get("networkConfiguration")),
    )


def without_express_keys(x_ecs: Mapping[str, Any]) -> dict[str, Any]:
    """The top-level x-ecs for the task definition: the Express service's keys left out."""
    return {k: v for k, v in x_ecs.items() if k not in EXPRESS_KEYS}


def preview_name(service: str, name: str) -> str:
    """`<service>-<name>` as an ECS service name: each run of characters other than letters,
    digits, `_` and `-` becomes one `-`. Past 255 characters the preview's own part is cut
    and an 8-character hash of the whole name keeps two long names apart; `<service>-` is
    always kept whole, as the sweep and the IAM policy's `<SERVICE>-*` find previews by it.
    The errors never repeat the name (a branch name is anybody's text)."""
    cleaned = _NOT_IN_A_NAME.sub("-", name).strip("-")
    if not cleaned:
        raise ValueError(
            "the preview name has no letter, digit, '_' or '-': pass --name (action input "
            "preview-name)"
        )
    base = _NOT_IN_A_NAME.sub("-", service).strip("-")
    full = f"{base}-{cleaned}"
    if len(full) <= NAME_LIMIT:
        return full
    digest = _fnv1a(full)
    room = NAME_LIMIT - len(base) - len(digest) - 2
    if room < 1:
        raise ValueError(
            f"ecs-service is {len(base)} characters, which leaves no room for a preview's "
            f"name in ECS's {NAME_LIMIT} (a preview is <ecs-service>-<name>); use a shorter "
            "ecs-service"
        )
    return f"{base}-{cleaned[:room].rstrip('-')}-{digest}"


def _fnv1a(text: str) -> str:
    """A 32-bit FNV-1a hash of `text` in 8 hex digits: short, stable across runs and
    machines (Python's own hash() is salted per process)."""
    value = 0x811C9DC5
    for byte in text.encode():
        value = ((value ^ byte) * 0x01000193) & 0xFFFFFFFF
    return f"{value:08x}"


def url(endpoint: str) -> str:
    """The ingress endpoint as a URL with `https://` exactly once, whether ECS gave a bare
    host (as real services show) or a URL."""
    host = endpoint.strip()
    lowered = host.lower()
    while lowered.startswith(("https://", "http://")):
        host = host.split("://", 1)[1]
        lowered = host.lower()
    return f"https://{host}" if host else ""


def endpoint_of(service: Mapping[str, Any]) -> str:
    """The first ingress endpoint of the first active configuration (as AWS's own Express
    action reads it), or ''."""
    for config in service.get("activeConfigurations") or []:
        for path in config.get("ingressPaths") or []:
            if path.get("endpoint"):
                return str(path["endpoint"])
    return ""


PREVIEW_TAG = "compose-ecs-deploy:preview"
PULL_REQUEST_TAG = "compose-ecs-deploy:pull-request"
COMMIT_TAG = "compose-ecs-deploy:commit"
UPDATED_TAG = "compose-ecs-deploy:updated-at"  # when `preview up` last deployed a commit
STAMP = "%Y-%m-%dT%H:%M:%SZ"  # UTC; ECS tag values allow letters, digits and `+-=._:/@ `


def preview_tags(
    name: str, pull_request: str | None, commit: str, updated_at: str
) -> list[dict[str, str]]:
    """The tags that mark a preview; the sweep finds previews, their pull request and their
    age by them."""
    tags = [
        {"key": PREVIEW_TAG, "value": name},
        {"key": COMMIT_TAG, "value": commit},
        {"key": UPDATED_TAG, "value": updated_at},
    ]
    if pull_request:
        tags.append({"key": PULL_REQUEST_TAG, "value": pull_request})
    return tags


def tags_to_refresh(
    current: Mapping[str, str], wanted: list[dict[str, str]]
) -> list[dict[str, str]]:
    """`wanted` when the service's tags name another commit or pull request (a push to the
    pull request, deployed), else none: a re-run of the same commit writes nothing."""
    same = all(current.get(t["key"]) == t["value"] for t in wanted if t["key"] != UPDATED_TAG)
    return [] if same else wanted


@dataclass(frozen=True)
class ExpressShape(TaskShape):
    """The task Express runs: `primary` (a compose service) registered as Main, with one
    named TCP port; the service's settings from the top-level `x-ecs` and the options;
    `found` are the problems the controller found in those settings (botocore's shapes)."""

    primary: str = ""
    settings: ExpressSettings = field(default_factory=ExpressSettings)
    found: tuple[Diagnostic, ...] = ()

    def service_keys(self) -> tuple[str, ...]:
        return EXPRESS_KEYS

    def base(self, running: Mapping[str, Any]) -> dict[str, Any]:
        return from_running(running, self.primary)

    def registered(self, request: Mapping[str, Any]) -> dict[str, Any]:
        return to_register(request, self.primary)

    def problems(self, request: Mapping[str, Any]) -> list[Diagnostic]:
        return [*self.found, *problems(request, self.primary)]

    def options(self) -> dict[str, Any]:
        return self.settings.request()
