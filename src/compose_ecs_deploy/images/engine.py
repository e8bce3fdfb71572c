"""The Docker engine through the docker SDK: login, push, and the registry's digest.

No decisions here: the build stage says what to push and where; this module runs it and
turns the engine's output into log lines and errors that say what failed. (Compose builds:
see compose_build.)
"""

from __future__ import annotations

import re
import time
from typing import Any

import docker
from docker.errors import APIError, DockerException, ImageNotFound, NotFound

from compose_ecs_deploy.aws.ecr import RegistryLogin
from compose_ecs_deploy.aws.throttle import ThrottleBudget
from compose_ecs_deploy.errors import BuildError, disk_full_hint

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
        raise BuildError(f"cannot reach the Docker engine ({_short(exc)}); {_SOCKET_HINT}") from exc
    return client


def engine_major(client: docker.DockerClient) -> int:
    """The engine's major version (`28` of 28.5.2), 0 when it does not say."""
    match = re.match(r"(\d+)\.", str(client.version().get("Version", "")))
    return int(match.group(1)) if match else 0


def exports_build_cache(client: docker.DockerClient) -> bool:
    """Whether BuildKit in this engine can export a cache other than inline: only on the
    containerd image store (`driver-type io.containerd.snapshotter.v1` in the engine's info)."""
    status = client.info().get("DriverStatus") or []
    return any(str(value).startswith("io.containerd.snapshotter") for _, value in status)


def _short(exc: Exception) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:300]


def auth_config(credentials: RegistryLogin) -> dict[str, str]:
    return {"username": credentials.username, "password": credentials.password}


def login(client: docker.DockerClient, credentials: RegistryLogin) -> None:
    try:
        client.login(
            username=credentials.username,
            password=credentials.password,
            registry=credentials.registry,
            reauth=True,
        )
    except APIError as exc:
        raise BuildError(
            f"docker login to {credentials.registry} was refused: "
            f"{_short(exc)}; check the ECR permissions of the deploy role "
            "(ecr:GetAuthorizationToken)"
        ) from exc


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
        raise BuildError(
            f"pulling {reference} for the build cache failed: {_short(exc)}"
            f"{disk_full_hint(str(exc))}"
        ) from exc
    return True


_TRANSIENT_PUSH = re.compile(
    r"connection refused|connection reset|broken pipe|EOF|timeout|i/o timeout|"
    r"502|503|504|no such host|server misbehaving|TLS handshake",
    re.IGNORECASE,
)
PUSH_ATTEMPTS = 4
# The distribution spec's TOOMANYREQUESTS error code and its HTTP 429, as the engine reports
# them in the push stream ("Troubleshooting Amazon ECR error messages": "HTTP 429: Too Many
# Requests or ThrottleException").
_THROTTLED_PUSH = re.compile(r"toomanyrequests|too many requests|\b429\b", re.IGNORECASE)


def registry_throttled(error: Exception) -> bool:
    return isinstance(error, BuildError) and bool(_THROTTLED_PUSH.search(str(error)))


def push(
    client: docker.DockerClient,
    repository: str,
    tag_name: str,
    credentials: RegistryLogin,
    log: Any,
    *,
    budget: ThrottleBudget,
    backoff: float = 1.0,
) -> str:
    """Push one tag, retrying with backoff while the registry is unreachable, and waiting out
    the registry's throttling (HTTP 429 TOOMANYREQUESTS on a manifest PUT: ECR's PutImage
    limit, shared by the account) through the run's throttle budget; return the manifest
    digest the registry answered with."""
    attempt = 1
    while True:
        try:
            return budget.call(
                f"pushing {repository}:{tag_name}",
                lambda: _push_once(client, repository, tag_name, credentials, log),
                registry_throttled,
            )
        except BuildError as exc:
            if not _TRANSIENT_PUSH.search(str(exc)):
                raise
            if attempt >= PUSH_ATTEMPTS:
                raise BuildError(
                    f"{exc} (after {attempt} attempts; the registry did not come back)"
                ) from exc
            delay = backoff * 2 ** (attempt - 1)
            attempt += 1
            log.info(f"{exc}; retrying in {delay:g} s (attempt {attempt} of {PUSH_ATTEMPTS})")
            time.sleep(delay)


def _push_once(
    client: docker.DockerClient,
    repository: str,
    tag_name: str,
    credentials: RegistryLogin,
    log: Any,
) -> str:
    digest: str | None = None
    reported: set[tuple[str, str]] = set()
    try:
        for item in client.api.push(
            repository, tag=tag_name, stream=True, decode=True, auth_config=auth_config(credentials)
        ):
            if "error" in item:
                raise BuildError(
                    f"pushing {repository}:{tag_name} failed: {str(item['error']).strip()}"
                )
            status = str(item.get("status", ""))
            layer = str(item.get("id", ""))
            if status and "progress" not in item and (layer, status) not in reported:
                reported.add((layer, status))
                log.info(f"{layer}: {status}" if layer else status)
            aux = item.get("aux") or {}
            if aux.get("Digest"):
                digest = str(aux["Digest"])
    except (APIError, DockerException) as exc:
        raise BuildError(f"pushing {repository}:{tag_name} failed: {_short(exc)}") from exc
    if digest is None:
        # The containerd image store (Docker 29's default) reports no aux digest: ask the
        # registry what it now serves under the tag, which is the digest to pin anyway.
        digest = registry_digest(client, f"{repository}:{tag_name}", credentials)
    if digest is None:
        raise BuildError(
            f"pushing {repository}:{tag_name} ended without a digest from the registry"
        )
    return digest


def registry_digest(
    client: docker.DockerClient, reference: str, credentials: RegistryLogin
) -> str | None:
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
        raise BuildError(f"reading {reference} from the registry failed: {_short(exc)}") from exc
    except DockerException as exc:
        raise BuildError(f"reading {reference} from the registry failed: {_short(exc)}") from exc
    return str(data.id)
