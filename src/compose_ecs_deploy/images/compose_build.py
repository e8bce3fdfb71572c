"""Build with Docker Compose through buildx bake: `docker compose build` on a file we generate.

Compose v5 has no builder of its own: it hands every build to `docker buildx bake`. We take
that path with every Compose (2.40.3 too: COMPOSE_BAKE=true), so the CLI, the action and the
tests build alike: bake, with the buildx plugin's default builder, which is BuildKit inside
the engine the push uses (DOCKER_HOST, else the default socket). The build sees exactly what
`docker compose build` sees on a laptop: the same context, args, target, secrets and
network; `RUN --mount`, `COPY --chmod` and build secrets work as there.

The registry login reaches BuildKit (to read the previous image's cache, and to write a
registry cache) through a private DOCKER_CONFIG holding the user's own config plus the ECR
login, removed afterwards; the plugin folder of the user's config stays visible to Compose.
With a named builder (`--builder NAME`, images/builder.py) the user's builders and contexts
are visible too, and BuildKit pushes the images itself (`build --push`).
"""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import tempfile
from collections import deque
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from compose_ecs_deploy.aws.ecr import RegistryLogin
from compose_ecs_deploy.errors import BuildError, disk_full_hint
from compose_ecs_deploy.images.builder import builder_arguments, docker_folder
from compose_ecs_deploy.loading.compose_cli import find_compose

_STEP = re.compile(r"^#(?P<number>\d+) \[(?P<name>[^\]]+)\] (?P<what>.*)$")
_STEP_ERROR = re.compile(r"^#(?P<number>\d+) ERROR: (?P<error>.*)$")
_FAILED = re.compile(
    r"(failed to solve|failed to build|error during connect|"
    r"Cannot connect to the Docker daemon)",
    re.IGNORECASE,
)
_STEP_OUTPUT = re.compile(r"^#(?P<number>\d+) \d+\.\d+ (?P<text>.*)$")
# Compose 2.x says this when the buildx plugin is missing, and falls back to its internal
# builder (Compose v5 has none): said once, in our words.
_NO_BUILDX = re.compile(r"configured to build using Bake, but buildx isn't installed")
NO_BUILDX_WARNING = (
    "warning: the docker-buildx plugin was not found, so Docker Compose "
    "builds with its internal builder, which Compose v5 no longer has; "
    "install the buildx plugin (docker-buildx) next to Docker"
)


def docker_config(
    credentials: RegistryLogin, existing: Mapping[str, Any], plugins_dir: Path | None = None
) -> dict[str, Any]:
    """The user's docker config with the ECR login added. A credential helper named for the
    registry would take precedence over it, so it goes; a `credsStore` (Docker Desktop) is
    kept, since the user's base images may need it (the cache import then uses the ECR
    login the store has, if any). The current docker context goes too: its definition is
    not in this folder, and the build must use the engine the push uses (the docker SDK's:
    DOCKER_HOST, else the default socket). `plugins_dir`, the user's own cli-plugins
    folder, is added to the plugin search path, so that a buildx installed there is found."""
    config = {key: value for key, value in existing.items() if key != "currentContext"}
    if plugins_dir is not None:  # where `docker buildx` was found through this folder
        extra = [str(d) for d in config.get("cliPluginsExtraDirs") or []]
        config["cliPluginsExtraDirs"] = [*extra, str(plugins_dir)]
    auth = base64.b64encode(f"{credentials.username}:{credentials.password}".encode()).decode()
    config["auths"] = {**(config.get("auths") or {}), credentials.registry: {"auth": auth}}
    helpers = {
        host: helper
        for host, helper in (config.get("credHelpers") or {}).items()
        if host != credentials.registry
    }
    if helpers:
        config["credHelpers"] = helpers
    else:
        config.pop("credHelpers", None)
    return config


def _user_docker_config() -> dict[str, Any]:
    try:
        loaded = json.loads((docker_folder() / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return loaded if isinstance(loaded, dict) else {}


def build_environment(config_dir: Path) -> dict[str, str]:
    """Our environment for Compose: bake always, our DOCKER_CONFIG, and the default builder
    (a BUILDX_BUILDER set for other builds names a builder our config does not know)."""
    environment = {key: value for key, value in os.environ.items() if key != "BUILDX_BUILDER"}
    return {**environment, "DOCKER_CONFIG": str(config_dir), "COMPOSE_BAKE": "true"}


def share_builders(config_dir: Path) -> None:
    """Make the user's builders (`buildx/`) and docker contexts (`contexts/`) visible in our
    private DOCKER_CONFIG, so that `--builder NAME` finds what `docker buildx ls` shows."""
    for name in ("buildx", "contexts"):
        source = docker_folder() / name
        if source.is_dir():
            (config_dir / name).symlink_to(source, target_is_directory=True)


def build(
    document: Mapping[str, Any], credentials: RegistryLogin, log: Any, builder: str | None = None
) -> None:
    """Build every service of `document`, streaming BuildKit's plain progress to the log.

    With `builder`, bake builds on that buildx builder, which pushes every tag to the
    registry itself (the images are not loaded into the runner's engine)."""
    command = find_compose()
    with tempfile.TemporaryDirectory(prefix="compose-ecs-deploy-") as work:
        compose_file = Path(work) / "build.yaml"
        compose_file.write_text(yaml.safe_dump(dict(document), sort_keys=False))
        config_dir = Path(work) / "docker"
        config_dir.mkdir(mode=0o700)
        config_path = config_dir / "config.json"
        config_path.touch(mode=0o600)
        plugins = docker_folder() / "cli-plugins"
        config_path.write_text(
            json.dumps(
                docker_config(
                    credentials, _user_docker_config(), plugins if plugins.is_dir() else None
                )
            )
        )
        environment = build_environment(config_dir)
        if builder:
            share_builders(config_dir)
            flags, context = builder_arguments(builder)
            if context:  # that engine is Compose's, so bake's default builder is its BuildKit
                environment.pop("DOCKER_HOST", None)
                environment["DOCKER_CONTEXT"] = context
        argv = [
            *command.argv,
            "--file",
            str(compose_file),
            "--progress",
            "plain",
            "build",
            *((*flags, "--push") if builder else ()),
            *document["services"],
        ]
        try:
            process = subprocess.Popen(
                argv,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                env=environment,
            )
        except OSError as exc:
            raise BuildError(f"could not run {command}: {exc}") from exc
        output = _Output()
        assert process.stdout is not None
        for raw in process.stdout:
            line = raw.rstrip()
            if _NO_BUILDX.search(line):
                log.info(NO_BUILDX_WARNING)
            elif line:
                log.info(line)
                output.add(line)
        if process.wait() != 0:
            raise BuildError(output.failure(document))


class _Output:
    """What a failed build's message needs from BuildKit's plain output: the step that
    failed, its error, and that step's last lines of output."""

    def __init__(self) -> None:
        self.steps: dict[str, str] = {}
        self.printed: dict[str, deque[str]] = {}
        self.errors: list[tuple[str, str]] = []
        self.final: str | None = None
        self.other: str | None = None  # the last line that is no step's: Compose's or bake's

    def add(self, line: str) -> None:
        if match := _STEP.match(line):
            self.steps.setdefault(match["number"], f"[{match['name']}] {match['what']}")
        elif match := _STEP_OUTPUT.match(line):
            self.printed.setdefault(match["number"], deque(maxlen=5)).append(match["text"])
        elif match := _STEP_ERROR.match(line):
            # A cache source that is not there yet is reported as an error, and ignored.
            if (
                not self.steps.get(match["number"], "")
                .split("] ", 1)[-1]
                .startswith("importing cache manifest")
            ):
                self.errors.append((match["number"], match["error"]))
        elif _FAILED.search(line):
            self.final = line.strip()
        elif not line.startswith("#"):
            self.other = line.strip()

    def failure(self, document: Mapping[str, Any]) -> str:
        number, error = self.errors[-1] if self.errors else ("", "")
        step = self.steps.get(number, "the build")
        services = list(document["services"])
        service = next(
            (name for name in services if step.startswith((f"[{name} ", f"[{name}]"))), services[0]
        )
        section = document["services"][service]["build"]
        reason = error or self.final or self.other or "docker compose build failed"
        message = (
            f"building {service} ({section.get('context', '.')}, "
            f"{section.get('dockerfile') or 'Dockerfile'}) failed at {step}: "
            f"{reason.strip()}"
        )
        printed = " | ".join(line.strip() for line in self.printed.get(number, ()))
        if printed:
            message += f"; its last output: {printed}"
        return message + disk_full_hint(message)
