"""Each `--secret` binding onto its container: an environment secret, or a file secret's.

A binding whose name is a compose file secret of the service was consumed by
`file_secrets` (the init container carries it, and the service waits for it); every other
binding is an environment variable of its container, and replaces a same-named
`environment` entry (the dev value).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from compose_ecs_deploy.compose.file_secrets import INIT_CONTAINER, FileSecrets
from compose_ecs_deploy.compose.secrets import ENV_NAME, BareName, SecretBinding

if TYPE_CHECKING:
    from compose_ecs_deploy.compose.context import Context


def apply_secrets(containers: list[dict[str, Any]], context: Context, files: FileSecrets) -> None:
    """Bind each secret to its container; mount the file secrets' volumes."""
    if not context.services:
        return  # the selection error says why there is no container to bind to
    by_name = {container["name"]: container for container in containers}
    for service, mounts in files.mounts.items():
        container = by_name[service]
        container["mountPoints"] = [*container.get("mountPoints", []), *mounts]
        container["dependsOn"] = [
            *container.get("dependsOn", []),
            {"containerName": INIT_CONTAINER, "condition": "SUCCESS"},
        ]
    primary = context.services[0]
    for binding in context.options.secrets:
        if binding.key in files.used_bindings:
            continue
        target = binding.service or primary
        if target not in context.services:
            context.diagnostics.error(
                "secret-unknown-service",
                f"{binding.origin}: {binding.key} names service {target!r}, which is not a "
                f"container of this task (containers: {', '.join(context.services) or 'none'})",
            )
            continue
        if not ENV_NAME.fullmatch(binding.name):
            context.diagnostics.error(
                "secret-name",
                f"{binding.origin}: {binding.name!r} is not a valid environment variable name "
                "(letters, digits and _; not starting with a digit), nor a file secret of "
                f"service {target} (its compose secrets: "
                f"{_file_secret_names(context, target) or 'none'})",
            )
            continue
        _bind_environment_secret(by_name[target], binding.name, binding.value_from, context)


def _file_secret_names(context: Context, service: str) -> str:
    return ", ".join(
        str(spec.get("source")) for spec in context.project.services[service].get("secrets") or []
    )


def _bind_environment_secret(
    container: dict[str, Any], name: str, value_from: str, context: Context
) -> None:
    environment = container.get("environment") or []
    if any(entry.get("name") == name for entry in environment):
        context.diagnostics.notice(
            "secret-replaces-environment",
            f"secret {name} replaces the environment value of the same name "
            "(the development value is not deployed)",
            service=container["name"],
            field=f"environment.{name}",
        )
        remaining = [entry for entry in environment if entry.get("name") != name]
        if remaining:
            container["environment"] = remaining
        else:
            container.pop("environment", None)
    secrets = [s for s in container.get("secrets", []) if s.get("name") != name]
    secrets.append({"name": name, "valueFrom": value_from})
    container["secrets"] = secrets


def blame_bindings(
    bare: Sequence[BareName], bindings: Sequence[SecretBinding], primary: str | None
) -> tuple[BareName, ...]:
    """The bare names of a request, each one a binding put there blamed on that binding (its
    option or secrets-file line and key, as the user wrote it) rather than on the container
    field it landed in; the others (x-ecs, the base) keep where they were written."""
    blamed = []
    for name in bare:
        binding = next(
            (
                b
                for b in bindings
                if b.value_from == name.value_from
                and (
                    name.container == INIT_CONTAINER  # a file secret's, under its own variable
                    or (b.name == name.name and (b.service or primary) == name.container)
                )
            ),
            None,
        )
        blamed.append(name if binding is None else binding.bare_name(name.container, name.name))
    return tuple(blamed)
