"""Compose file secrets (`secrets:` mounted at /run/secrets/NAME or a target) on ECS.

ECS injects secrets only as environment variables, so files are made inside the task, as
Docker's own ECS integration did: a small non-essential init container receives each secret
through ECS `secrets` (the value never appears in the request, only its ARN), writes it to a
task volume honouring the long syntax's `mode`, `uid` and `gid`, and exits; the service's
container mounts that volume read-only at the target's directory, with `dependsOn` SUCCESS
on the init container so that it starts only once the files are there.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from compose_ecs_deploy.compose.project import Project
from compose_ecs_deploy.compose.secrets import SecretBinding, is_secret_reference
from compose_ecs_deploy.diagnostics import Diagnostics

# Docker's official busybox image on ECR Public: pulled without Docker Hub's rate limit,
# about 2 MB, with the sh, printf, chmod and chown the init command needs.
DEFAULT_SECRETS_INIT_IMAGE = "public.ecr.aws/docker/library/busybox:1.37"
INIT_CONTAINER = "compose-secrets-init"
_INIT_ROOT = "/compose-secrets"
_DEFAULT_MODE = 0o444  # Docker's default for file secrets


@dataclass(frozen=True)
class SecretFile:
    """One file one service reads: where, with which ownership, from which secret."""

    service: str
    name: str
    target: str
    mode: int
    uid: str
    gid: str
    value_from: str

    @property
    def directory(self) -> str:
        return self.target.rpartition("/")[0] or "/"

    @property
    def file_name(self) -> str:
        return self.target.rpartition("/")[2]


@dataclass
class FileSecrets:
    """What the task gains: the init container, its volumes, each service's mounts."""

    init_container: dict[str, Any] | None = None
    volumes: list[dict[str, Any]] = field(default_factory=list)
    mounts: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    used_bindings: set[str] = field(default_factory=set)


_IMAGE_REFERENCE = re.compile(
    r"[a-z0-9][a-z0-9._-]*(:[0-9]+)?(/[a-z0-9._-]+)*"
    r"(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(@sha256:[0-9a-f]{64})?"
)


def check_init_image(image: str, diagnostics: Diagnostics) -> None:
    """The option is checked whether or not a file secret uses it: a typo must not wait."""
    if not _IMAGE_REFERENCE.fullmatch(image):
        diagnostics.error(
            "secrets-init-image",
            f"--secrets-init-image {image!r} is not an image reference "
            "(REGISTRY/REPOSITORY[:TAG][@sha256:DIGEST]; action input "
            "secrets-init-image)",
        )


def file_secrets(
    project: Project,
    services: Sequence[str],
    bindings: Sequence[SecretBinding],
    init_image: str,
    diagnostics: Diagnostics,
) -> FileSecrets:
    """The init container and mounts for every file secret of the task's services."""
    check_init_image(init_image, diagnostics)
    result = FileSecrets()
    files: list[SecretFile] = []
    for service in services:
        for index, spec in enumerate(project.services[service].get("secrets") or []):
            secret = _secret_file(project, service, index, spec, bindings, diagnostics, result)
            if secret is not None:
                files.append(secret)
    if not files:
        return result
    if INIT_CONTAINER in services:
        diagnostics.error(
            "file-secrets-name",
            f"the service name {INIT_CONTAINER} is the one "
            "the file secrets' init container needs; rename the service",
            service=INIT_CONTAINER,
        )
        return result
    volume_of: dict[tuple[str, str], str] = {}
    for secret in files:
        key = (secret.service, secret.directory)
        if key in volume_of:
            continue
        volume = f"{secret.service}-secrets-{len([k for k in volume_of if k[0] == key[0]])}"
        volume_of[key] = volume
        result.volumes.append({"name": volume})
        result.mounts.setdefault(secret.service, []).append(
            {"sourceVolume": volume, "containerPath": secret.directory, "readOnly": True}
        )
        if secret.directory != "/run/secrets":
            diagnostics.notice(
                "file-secret-directory",
                f"{secret.directory} is mounted from the secrets' volume: it holds only the "
                "secret files, and hides what the image has there",
                service=secret.service,
                field="secrets",
            )
    result.init_container = _init_container(files, volume_of, init_image)
    return result


def _secret_file(
    project: Project,
    service: str,
    index: int,
    spec: Mapping[str, Any],
    bindings: Sequence[SecretBinding],
    diagnostics: Diagnostics,
    result: FileSecrets,
) -> SecretFile | None:
    name = str(spec.get("source"))
    where = f"secrets[{index}]"
    target = str(spec.get("target") or name)
    if not target.startswith("/"):
        target = f"/run/secrets/{target}"
    binding = _binding_for(service, name, bindings)
    value_from = binding.value_from if binding is not None else _external_arn(project, name)
    if binding is None and value_from is not None:
        diagnostics.notice(
            "file-secret-external-arn",
            f"file secret {name} comes from the external secret its name gives "
            f"({value_from}), as Docker's ECS integration read it; --secret {name}=ARN "
            "would override it",
            service=service,
            field=where,
        )
    if value_from is None:
        diagnostics.error(
            "file-secret-arn",
            f"file secret {name} (read at {target}) needs the ARN of the secret that holds "
            f"it: pass --secret {name}=ARN, or --secret {service}.{name}=ARN for this "
            "service alone (action input: secrets)",
            service=service,
            field=where,
        )
        return None
    if binding is not None:
        result.used_bindings.add(binding.key)
    if target.rpartition("/")[0] == "":
        diagnostics.error(
            "file-secret-target",
            f"target {target} is at the root; ECS mounts a volume as a directory: "
            f"put it in a directory, e.g. /run/secrets/{target.rpartition('/')[2]}",
            service=service,
            field=f"{where}.target",
        )
        return None
    mode = _mode(spec.get("mode"))
    owner = [str(spec.get(key) or "0") for key in ("uid", "gid")]
    if mode is None or not all(part.isdigit() for part in owner):
        diagnostics.error(
            "file-secret-owner",
            f"file secret {name}: mode must be octal (e.g. 0440) and uid/gid "
            f"numbers, not mode {spec.get('mode')!r}, uid {owner[0]!r}, "
            f"gid {owner[1]!r}",
            service=service,
            field=where,
        )
        return None
    return SecretFile(service, name, target, mode, owner[0], owner[1], value_from)


def _external_arn(project: Project, name: str) -> str | None:
    """An external compose secret whose name is a Secrets Manager or SSM parameter ARN: the
    pattern Docker's ECS integration documented (`name: arn:aws:secretsmanager:...`,
    `external: true`), so the file needs no --secret."""
    spec = project.secrets.get(name) or {}
    arn = str(spec.get("name") or "")
    if spec.get("external") and arn.startswith("arn:") and is_secret_reference(arn):
        return arn
    return None


def _binding_for(
    service: str, name: str, bindings: Sequence[SecretBinding]
) -> SecretBinding | None:
    """`SERVICE.NAME=ARN` for this service, else a plain `NAME=ARN`."""
    own = [b for b in bindings if b.name == name and b.service == service]
    plain = [b for b in bindings if b.name == name and b.service is None]
    found = own or plain
    return found[0] if found else None


def _mode(value: Any) -> int | None:
    """Compose writes the long syntax's mode as an octal string (`"0440"`)."""
    if value is None:
        return _DEFAULT_MODE
    text = str(value).lower().removeprefix("0o")
    try:
        mode = int(text, 8)
    except ValueError:
        return None
    return mode if 0 <= mode <= 0o7777 else None


def secret_variable(index: int) -> str:
    """The init container's environment variable for the index-th file (no name clashes)."""
    return f"COMPOSE_SECRET_{index}"


def _quote(word: str) -> str:
    """One shell word, quoted only when it needs to be (as the standard library's shlex)."""
    if re.fullmatch(r"[\w@%+=:,./-]+", word):
        return word
    return "'" + word.replace("'", "'\"'\"'") + "'"


def _init_container(
    files: Sequence[SecretFile], volume_of: Mapping[tuple[str, str], str], image: str
) -> dict[str, Any]:
    """Writes each file with printf (exact bytes, no trailing newline), then owner and mode."""
    lines = ["set -eu"]
    for volume in dict.fromkeys(volume_of.values()):
        lines.append(f"chmod 0755 {_quote(f'{_INIT_ROOT}/{volume}')}")
    for index, secret in enumerate(files):
        path = _quote(
            f"{_INIT_ROOT}/{volume_of[(secret.service, secret.directory)]}/{secret.file_name}"
        )
        lines += [
            f'printf %s "${secret_variable(index)}" > {path}',
            f"chown {secret.uid}:{secret.gid} {path}",
            f"chmod {secret.mode:04o} {path}",
        ]
    container = shell_init_container(
        INIT_CONTAINER, image, lines, _INIT_ROOT, dict.fromkeys(volume_of.values())
    )
    container["secrets"] = [
        {"name": secret_variable(index), "valueFrom": secret.value_from}
        for index, secret in enumerate(files)
    ]
    return container


def shell_init_container(
    name: str, image: str, lines: Sequence[str], root: str, volumes: Iterable[str]
) -> dict[str, Any]:
    """A non-essential container that runs `lines` with sh over the volumes mounted under
    `root`, then exits: the file secrets' and the tmpfs volumes' preparation."""
    return {
        "name": name,
        "image": image,
        "essential": False,
        "entryPoint": ["sh", "-c"],
        "command": ["\n".join(lines)],
        "mountPoints": [
            {"sourceVolume": volume, "containerPath": f"{root}/{volume}", "readOnly": False}
            for volume in volumes
        ],
    }
