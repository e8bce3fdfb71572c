"""A named buildx builder (`--builder NAME`, action input `builder`): found before any write.

A platform team builds on a BuildKit of its own (a build farm, Docker Build Cloud, a BuildKit
in Kubernetes, or the builder docker/setup-buildx-action made, whose `name` output is passed
on, as docker/build-push-action's `builder` input takes it). Compose hands the build to
`docker buildx bake --builder NAME`; the builder then pushes the images to ECR itself (the
build-push-action way with such builders: `push: true`), so they never travel back to the
runner's engine. The builder is looked up in the user's own docker config (`$DOCKER_CONFIG`,
else `~/.docker`: the builders `docker buildx create` made, and one per docker context),
asking buildx itself (`docker buildx inspect NAME`, the plugin run on its own, as the action
image has no docker CLI), so a name buildx does not know, or a builder it cannot reach, stops
the run before anything is built, registered or updated.
"""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from compose_ecs_deploy.errors import BuildError

# Where the docker CLI looks for its plugins, after the user's folder and the config's
# cliPluginsExtraDirs (docker/cli, cli-plugins/manager/manager_unix.go: defaultSystemPluginDirs).
SYSTEM_PLUGIN_DIRS = (
    "/usr/local/lib/docker/cli-plugins",
    "/usr/local/libexec/docker/cli-plugins",
    "/usr/lib/docker/cli-plugins",
    "/usr/libexec/docker/cli-plugins",
)
INSPECT_TIMEOUT = 60.0
"""Seconds to wait for buildx to answer: a remote builder that does not answer is an error."""
_LIST_HINT = (
    "`docker buildx ls` lists the builders this runner has; make one first "
    "(`docker buildx create`, or docker/setup-buildx-action in an earlier step), or leave "
    "builder empty to build with the engine's own BuildKit"
)


@dataclass(frozen=True)
class Builder:
    name: str
    driver: str

    def line(self) -> str:
        return f"buildx builder {self.name} (driver {self.driver or 'unknown'})"


def docker_folder() -> Path:
    """The user's docker config folder, as the docker CLI finds it."""
    return Path(os.environ.get("DOCKER_CONFIG") or Path.home() / ".docker")


def builder_arguments(name: str) -> tuple[tuple[str, ...], str | None]:
    """How Compose's build names the builder: (its flags, a docker context to use instead).

    A builder `docker buildx create` made (a file in buildx/instances) is named to bake
    (`--builder`). The builder buildx makes of a docker context (driver docker) can only be
    used as the current context (buildx: "use `docker --context=NAME buildx` to switch to
    context NAME"), so that context becomes Compose's (DOCKER_CONTEXT), which hands its engine
    to bake, whose default builder is then that engine's BuildKit. `default` is the engine
    Compose uses anyway."""
    if (docker_folder() / "buildx" / "instances" / name).is_file():
        return (f"--builder={name}",), None
    return (), (None if name == "default" else name)


def find_buildx(folder: Path | None = None) -> str | None:
    """The buildx plugin's binary, where the docker CLI would find it, or None."""
    folder = folder or docker_folder()
    try:
        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        config = {}
    extra = config.get("cliPluginsExtraDirs") if isinstance(config, dict) else None
    dirs = [str(folder / "cli-plugins"), *[str(d) for d in extra or []], *SYSTEM_PLUGIN_DIRS]
    for directory in dirs:
        candidate = Path(directory) / "docker-buildx"
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    return None


def find_builder(name: str) -> Builder:
    """The builder `name` as buildx knows it, or a BuildError that says how to list them."""
    where = f"builder {name} (--builder, action input builder)"
    buildx = find_buildx()
    if buildx is None:
        raise BuildError(
            f"{where}: the buildx plugin (docker-buildx) was not found, so no builder can be "
            "named; install it next to Docker (`docker-buildx`, or Docker's own packages)"
        )
    try:
        answer = subprocess.run(
            [buildx, "inspect", name],
            capture_output=True,
            text=True,
            timeout=INSPECT_TIMEOUT,
            check=False,
            env={**os.environ, "DOCKER_CONFIG": str(docker_folder())},
        )
    except subprocess.TimeoutExpired as exc:
        raise BuildError(
            f"{where}: buildx did not answer within {INSPECT_TIMEOUT:g} s (a remote "
            "builder that cannot be reached); check its endpoint with `docker buildx inspect`"
        ) from exc
    except OSError as exc:
        raise BuildError(f"{where}: could not run {buildx}: {exc}") from exc
    fields = _fields(answer.stdout)
    if answer.returncode != 0:
        said = _last_line(answer.stderr) or "buildx does not know it"
        raise BuildError(f"{where}: no such buildx builder ({said}); {_LIST_HINT}")
    if fields.get("Error"):
        raise BuildError(
            f"{where}: buildx knows it but cannot reach it ({fields['Error']}); "
            "start it or fix its endpoint (`docker buildx inspect --bootstrap " + name + "`)"
        )
    return Builder(fields.get("Name") or name, fields.get("Driver", ""))


def _fields(text: str) -> dict[str, str]:
    """The builder's own `Key: value` lines of `buildx inspect` (the first of each key: the
    builder's, before its nodes')."""
    fields: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep and key and not key.startswith(" "):
            fields.setdefault(key.strip(), value.strip())
    return fields


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1].removeprefix("ERROR: ")[:300] if lines else ""
