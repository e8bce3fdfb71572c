"""The Docker engine: the docker SDK (login, legacy build, pull, tag, push, digest) and,
where the docker CLI has the buildx plugin, BuildKit builds through `docker buildx`.

No decisions here: the build stage says what to build and where to push; this module runs
it and turns the engine's output into log lines and errors that say what failed.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
import time
from collections import deque
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import docker
from docker.errors import APIError, DockerException, ImageNotFound, NotFound

from compose_ecs_deploy.adapters.ecr import RegistryLogin
from compose_ecs_deploy.build_spec import BuildSpec
from compose_ecs_deploy.errors import BuildError

_BUILDKIT_HINTS = re.compile(
    r"requires BuildKit|--mount|unknown flag: (mount|chmod|link)|heredoc|"
    r"the --chmod option requires", re.IGNORECASE)
_SOCKET_HINT = (
    "in a container action the runner mounts its Docker socket at /var/run/docker.sock; "
    "elsewhere set DOCKER_HOST (e.g. unix:///var/run/docker.sock) to a running engine"
)


def connect() -> docker.DockerClient:
    """A client for DOCKER_HOST (or the default socket), checked with a ping."""
    try:
        client = docker.from_env(timeout=300)
        client.ping()
    except DockerException as exc:
        raise BuildError(f"cannot reach the Docker engine ({_short(exc)}); {_SOCKET_HINT}"
                         ) from exc
    return client


def _short(exc: Exception) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:300]


def auth_config(credentials: RegistryLogin) -> dict[str, str]:
    return {"username": credentials.username, "password": credentials.password}


def login(client: docker.DockerClient, credentials: RegistryLogin) -> None:
    try:
        client.login(username=credentials.username, password=credentials.password,
                     registry=credentials.registry, reauth=True)
    except APIError as exc:
        raise BuildError(f"docker login to {credentials.registry} was refused: "
                         f"{_short(exc)}; check the ECR permissions of the deploy role "
                         "(ecr:GetAuthorizationToken)") from exc


def build(client: docker.DockerClient, spec: BuildSpec, tag: str, log: Any) -> str:
    """Build with the engine's builder, streaming each output line to `log.info`."""
    last_lines: deque[str] = deque(maxlen=12)
    step = "the build"
    image_id: str | None = None
    try:
        stream = client.api.build(
            path=spec.context, dockerfile=spec.dockerfile, tag=tag, target=spec.target,
            buildargs=dict(spec.args) or None, labels=dict(spec.labels) or None,
            cache_from=list(spec.cache_from) or None, platform=spec.platform,
            network_mode=spec.network, rm=True, forcerm=True, decode=True)
        for item in stream:
            if "stream" in item:
                for line in str(item["stream"]).splitlines():
                    if line.strip():
                        log.info(line)
                        last_lines.append(line)
                        if line.startswith("Step "):
                            step = line
            if "aux" in item and "ID" in item["aux"]:
                image_id = str(item["aux"]["ID"])
            if "error" in item:
                raise BuildError(_build_failure(spec, step, str(item["error"]), last_lines))
    except (APIError, DockerException) as exc:
        if isinstance(exc, BuildError):
            raise
        raise BuildError(_build_failure(spec, step, _short(exc), last_lines)) from exc
    if image_id is None:
        raise BuildError(_build_failure(spec, step, "the engine reported no image", last_lines))
    return image_id


_DISK_FULL = re.compile(r"no space left on device", re.IGNORECASE)
_DISK_HINT = ("; the Docker engine ran out of disk space: free some (docker system prune -af, "
              "or remove unused tools from the runner) or use a runner with a bigger disk")


def _build_failure(spec: BuildSpec, step: str, error: str, last: Iterable[str]) -> str:
    tail = " | ".join(line.strip() for line in list(last)[-5:])
    message = f"building {spec.context} ({spec.dockerfile}) failed at {step}: {error.strip()}"
    if tail:
        message += f"; last output: {tail}"
    if _DISK_FULL.search(error) or _DISK_FULL.search(tail):
        message += _DISK_HINT
    if _BUILDKIT_HINTS.search(error) or _BUILDKIT_HINTS.search(tail):
        message += ("; this Dockerfile needs BuildKit, which the engine's legacy builder "
                    "lacks: run where docker buildx is available (the action image has it)")
    return message


def pull(client: docker.DockerClient, reference: str, credentials: RegistryLogin) -> bool:
    """Pull an image for use as build cache; a missing one is not an error."""
    repository, _, tag = reference.rpartition(":")
    try:
        client.api.pull(repository, tag=tag, auth_config=auth_config(credentials))
    except (NotFound, ImageNotFound):
        return False
    except APIError as exc:
        if exc.status_code in (404, 500) and "not found" in str(exc).lower():
            return False
        hint = _DISK_HINT if _DISK_FULL.search(str(exc)) else ""
        raise BuildError(f"pulling {reference} for the build cache failed: {_short(exc)}{hint}"
                         ) from exc
    return True


def tag(client: docker.DockerClient, image_id: str, repository: str, tag_name: str) -> None:
    client.api.tag(image_id, repository, tag_name)


_TRANSIENT_PUSH = re.compile(
    r"connection refused|connection reset|broken pipe|EOF|timeout|i/o timeout|"
    r"502|503|504|no such host|server misbehaving|TLS handshake", re.IGNORECASE)
PUSH_ATTEMPTS = 4


def push(client: docker.DockerClient, repository: str, tag_name: str,
         credentials: RegistryLogin, log: Any, *, backoff: float = 1.0) -> str:
    """Push one tag, retrying with backoff while the registry is unreachable; return the
    manifest digest the registry answered with."""
    attempt = 1
    while True:
        try:
            return _push_once(client, repository, tag_name, credentials, log)
        except BuildError as exc:
            if not _TRANSIENT_PUSH.search(str(exc)):
                raise
            if attempt >= PUSH_ATTEMPTS:
                raise BuildError(f"{exc} (after {attempt} attempts; the registry did not "
                                 "come back)") from exc
            delay = backoff * 2 ** (attempt - 1)
            attempt += 1
            log.info(f"{exc}; retrying in {delay:g} s (attempt {attempt} of {PUSH_ATTEMPTS})")
            time.sleep(delay)


def _push_once(client: docker.DockerClient, repository: str, tag_name: str,
               credentials: RegistryLogin, log: Any) -> str:
    digest: str | None = None
    reported: set[tuple[str, str]] = set()
    try:
        for item in client.api.push(repository, tag=tag_name, stream=True, decode=True,
                                    auth_config=auth_config(credentials)):
            if "error" in item:
                raise BuildError(f"pushing {repository}:{tag_name} failed: "
                                 f"{str(item['error']).strip()}")
            status = str(item.get("status", ""))
            layer = str(item.get("id", ""))
            if status and "progress" not in item and (layer, status) not in reported:
                reported.add((layer, status))
                log.info(f"{layer}: {status}" if layer else status)
            aux = item.get("aux") or {}
            if aux.get("Digest"):
                digest = str(aux["Digest"])
    except (APIError, DockerException) as exc:
        if isinstance(exc, BuildError):
            raise
        raise BuildError(f"pushing {repository}:{tag_name} failed: {_short(exc)}") from exc
    if digest is None:
        raise BuildError(f"pushing {repository}:{tag_name} ended without a digest from the "
                         "registry")
    return digest


def registry_digest(client: docker.DockerClient, reference: str,
                    credentials: RegistryLogin) -> str | None:
    """The manifest digest the registry serves for `reference`, or None when it has none.

    The registry, not ECR's DescribeImages, is asked: it is what the tasks will pull, and
    its digest is the one to pin.
    """
    try:
        data = client.images.get_registry_data(reference, auth_config=auth_config(credentials))
    except NotFound:
        return None
    except APIError as exc:
        text = str(exc).lower()
        if "manifest unknown" in text or "not found" in text or exc.status_code == 404:
            return None
        raise BuildError(f"reading {reference} from the registry failed: {_short(exc)}"
                         ) from exc
    except DockerException as exc:
        raise BuildError(f"reading {reference} from the registry failed: {_short(exc)}"
                         ) from exc
    return str(data.id)


def buildx_available() -> bool:
    """BuildKit through `docker buildx` is used when the CLI and its plugin are both there."""
    docker_cli = shutil.which("docker")
    if docker_cli is None:
        return False
    probe = subprocess.run([docker_cli, "buildx", "version"], capture_output=True, text=True,
                           check=False)
    return probe.returncode == 0


def buildx_command(spec: BuildSpec, tags: Sequence[str], cache_ref: str,
                   metadata_file: str) -> list[str]:
    """`docker buildx build --push` with ECR as the registry cache and no provenance index.

    `--provenance=false` keeps ECR free of the untagged attestation index BuildKit would
    push; `image-manifest=true,oci-mediatypes=true` is the cache format ECR accepts.
    """
    argv = ["docker", "buildx", "build", "--push", "--provenance=false",
            "--metadata-file", metadata_file, "--file",
            str(Path(spec.context) / spec.dockerfile)]
    for tag_name in tags:
        argv += ["--tag", tag_name]
    if spec.target:
        argv += ["--target", spec.target]
    if spec.platform:
        argv += ["--platform", spec.platform]
    if spec.network:
        argv += ["--network", spec.network]
    for key, value in sorted(spec.args.items()):
        argv += ["--build-arg", f"{key}={value}"]
    for key, value in sorted(spec.labels.items()):
        argv += ["--label", f"{key}={value}"]
    for source in (*spec.cache_from, f"type=registry,ref={cache_ref}"):
        argv += ["--cache-from", source if source.startswith("type=") else
                 f"type=registry,ref={source}"]
    argv += ["--cache-to",
             f"type=registry,ref={cache_ref},mode=max,image-manifest=true,oci-mediatypes=true",
             spec.context]
    return argv


def buildx_build_and_push(spec: BuildSpec, tags: Sequence[str], cache_ref: str,
                          credentials: RegistryLogin, log: Any) -> str:
    """Log the CLI in, build and push every tag in one go, return the pushed digest."""
    login_run = subprocess.run(
        ["docker", "login", "--username", credentials.username, "--password-stdin",
         credentials.registry], input=credentials.password, capture_output=True, text=True,
        check=False)
    if login_run.returncode != 0:
        raise BuildError(f"docker login to {credentials.registry} was refused: "
                         f"{login_run.stderr.strip()[:300]}")
    last_lines: deque[str] = deque(maxlen=12)
    with tempfile.TemporaryDirectory() as work:
        metadata = Path(work) / "metadata.json"
        process = subprocess.Popen(buildx_command(spec, tags, cache_ref, str(metadata)),
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        assert process.stdout is not None
        for line in process.stdout:
            log.info(line.rstrip())
            last_lines.append(line.rstrip())
        if process.wait() != 0:
            step = next((line for line in reversed(last_lines) if line.startswith("#")),
                        "the build")
            raise BuildError(_build_failure(spec, step, "docker buildx build failed",
                                            last_lines))
        digest = json.loads(metadata.read_text()).get("containerimage.digest")
    if not digest:
        raise BuildError("docker buildx build pushed no image digest")
    return str(digest)
