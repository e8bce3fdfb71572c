"""The state of one conversion: what every compose field handler reads and writes.

It knows the task (its services, launch type, network mode, family) and collects what the
task level needs from the containers (named volumes used, platforms asked for, which compose
key set a value) while each service's fields are mapped by `service_fields`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from compose_ecs_deploy.compose.fields import BY_NAME
from compose_ecs_deploy.compose.file_secrets import DEFAULT_SECRETS_INIT_IMAGE
from compose_ecs_deploy.compose.project import Project
from compose_ecs_deploy.compose.scratch import ScratchMount
from compose_ecs_deploy.compose.secrets import SecretBinding
from compose_ecs_deploy.diagnostics import Diagnostics

FARGATE = "FARGATE"
DEFAULT_NETWORK_MODE = "awsvpc"


@dataclass(frozen=True)
class ConversionOptions:
    """What the conversion needs beyond the compose files; `Settings` builds it."""

    services: tuple[str, ...] = ()
    images: Mapping[str, str] = field(default_factory=dict)
    secrets: tuple[SecretBinding, ...] = ()
    family: str | None = None
    region: str | None = None
    base: Mapping[str, Any] | None = None
    base_label: str | None = None  # the base's file, for messages; None: the running revision
    other_tasks_services: frozenset[str] = frozenset()
    strict: bool = False
    secrets_init_image: str = DEFAULT_SECRETS_INIT_IMAGE


@dataclass
class Context:
    project: Project
    options: ConversionOptions
    diagnostics: Diagnostics
    services: tuple[str, ...]
    launch_type: str
    network_mode: str
    family: str
    used_volumes: dict[str, None] = field(default_factory=dict)
    platforms: dict[str, str] = field(default_factory=dict)
    origins: dict[tuple[str, str], str] = field(default_factory=dict)
    scratch: list[ScratchMount] = field(default_factory=list)
    task_settings: dict[str, tuple[str, str]] = field(default_factory=dict)
    logging_gaps: dict[str, tuple[str, ...]] = field(default_factory=dict)
    driverless_logging: set[str] = field(default_factory=set)

    @property
    def fargate(self) -> bool:
        return self.launch_type == FARGATE

    @property
    def awsvpc(self) -> bool:
        return self.network_mode == "awsvpc"

    def error(self, service: str, field_name: str, code: str, message: str) -> None:
        self.diagnostics.error(code, message, service=service, field=field_name)

    def notice(self, service: str, field_name: str, code: str, message: str) -> None:
        self.diagnostics.notice(code, message, service=service, field=field_name)

    def secret_bound(self, service: str, name: str) -> bool:
        """Whether a `--secret` gives this service's variable its value."""
        primary = self.services[0] if self.services else None
        return any(
            binding.name == name and (binding.service or primary) == service
            for binding in self.options.secrets
        )

    def container(self, service: str) -> dict[str, Any]:
        """What compose says about the service's container, and nothing else (no defaults)."""
        spec = self.project.services[service]
        container: dict[str, Any] = {"name": service}
        container["image"] = self._image(service, spec)
        linux: dict[str, Any] = {}
        for key, value in spec.items():
            if key.startswith("x-"):
                continue  # extensions: x-ecs is laid over the container later, the rest is yours
            rule = BY_NAME.get(key)
            if rule is None:
                self.notice(
                    service, key, "field-unsupported", f"{key} has no ECS equivalent; ignored"
                )
            elif rule.convert is not None:
                rule.convert(self, service, value, container, linux)
            elif rule.handling == "ignored":
                self.notice(service, key, "field-ignored", f"{key} ignored: {rule.note}")
        if linux:
            container["linuxParameters"] = linux
        return container

    def _image(self, service: str, spec: Mapping[str, Any]) -> str:
        if service in self.options.images:
            return self.options.images[service]
        if spec.get("image"):
            return str(spec["image"])
        placeholder = f"{self.project.name}-{service}:latest"
        self.notice(
            service,
            "image",
            "image-placeholder",
            f"no image given; using the placeholder {placeholder} "
            f"(pass --image {service}=URI, or deploy to build and push it)",
        )
        return placeholder

    def default_logging(self, service: str) -> dict[str, Any]:
        """Ours, used only where neither the base, compose nor x-ecs configures logging."""
        region = self.options.region
        if not region:
            self.error(
                service,
                "logging",
                "region-missing",
                "the default awslogs configuration needs a region; pass --region "
                "(action input aws-region) or set AWS_REGION, or give a logging block",
            )
            region = ""
        return {
            "logDriver": "awslogs",
            "options": {
                "awslogs-group": f"/ecs/{self.family}",
                "awslogs-region": region,
                "awslogs-stream-prefix": "ecs",
            },
        }

    def task_volumes(
        self, base_volumes: Sequence[Mapping[str, Any]], x_ecs_volumes: Any
    ) -> list[dict[str, Any]]:
        """Named volumes the containers mount, configured by x-ecs, else the base, else bare."""
        configured: dict[str, dict[str, Any]] = {}
        if x_ecs_volumes is not None:
            if not isinstance(x_ecs_volumes, list) or not all(
                isinstance(v, Mapping) and v.get("name") for v in x_ecs_volumes
            ):
                self.diagnostics.error(
                    "x-ecs-volumes",
                    "must be a list of ECS volumes, each with a name",
                    field="x-ecs.volumes",
                )
            else:
                configured = {str(v["name"]): dict(v) for v in x_ecs_volumes}
        for name, spec in self.project.volumes.items():
            own = spec.get("x-ecs") if isinstance(spec, Mapping) else None
            if isinstance(own, Mapping):
                configured[name] = {"name": name, **own}
        base_by_name = {str(v.get("name")): dict(v) for v in base_volumes}
        result = []
        for name in self.used_volumes:
            given = configured.get(name) or base_by_name.get(name)
            if given is None:
                self._notice_task_storage(name)
            result.append(given or {"name": name})
        result.extend(v for name, v in base_by_name.items() if name not in self.used_volumes)
        return result

    def _notice_task_storage(self, name: str) -> None:
        """A volume with no ECS configuration is the task's own storage: say what that means."""
        spec = self.project.volumes.get(name) or {}
        options = spec.get("driver_opts") or {}
        if spec.get("external"):
            what = (
                f"volume {name} is external (made outside compose); ECS has no such "
                "volume, so it is task storage"
            )
        elif options.get("type") == "nfs":
            what = (
                f"volume {name} is an NFS mount (driver_opts); ECS mounts network "
                "storage as EFS, so until x-ecs.volumes gives it efsVolumeConfiguration "
                "it is task storage"
            )
        elif spec.get("driver") not in (None, "local") or options:
            what = f"volume {name}'s driver and driver_opts are dropped; it is task storage"
        else:
            what = f"named volume {name} is task storage"
        self.diagnostics.notice(
            "volume-task-storage",
            f"{what}: its data does not persist when the task stops, unless x-ecs.volumes "
            "gives it EFS (efsVolumeConfiguration)",
            field=f"volumes.{name}",
        )

    def runtime_platform(self) -> dict[str, str] | None:
        architectures = sorted(set(self.platforms.values()))
        if not architectures:
            return None
        if len(architectures) > 1:
            self.diagnostics.error(
                "platform-mixed",
                "the task's containers ask for different platforms ("
                + ", ".join(f"{s}: {p}" for s, p in self.platforms.items())
                + "); one task runs on one architecture",
            )
            return None
        return {"cpuArchitecture": architectures[0], "operatingSystemFamily": "LINUX"}
