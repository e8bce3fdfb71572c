"""ECR's image reads answered from the stand-in registry's contents, served by the stack's moto.

Why: in AWS, ECR's registry and ECR's API are one service: an image that `docker push` put in
`<registry>/<repository>:<tag>` is an image of that repository for DescribeImages and
BatchGetImage. Here the registry is Debian's docker-registry (TLS + htpasswd) and the API is
moto's, which knows only what PutImage gave it. So a check that asks the API whether a pushed
tag exists (verify's ECR image check) was told no. ``install()`` makes moto's DescribeImages,
BatchGetImage and ListImages first record, for the repository asked about, what the registry
holds (``tests/support/moto_server.py`` installs it).

Rules (ECR API reference)
    DescribeImages (https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_DescribeImages.html):
    "Returns metadata about the images in a repository"; an image ID that is not in it is
    ImageNotFoundException, a repository that does not exist RepositoryNotFoundException.
    `imageDigest` is "the sha256 digest of the image manifest" (ImageDetail): the registry's
    own `Docker-Content-Digest` for the manifest (distribution's API, "Pulling An Image").
    BatchGetImage (API_BatchGetImage.html): each image's manifest by tag or digest; one that is
    not there is a failure with failureCode ImageNotFound. ListImages (API_ListImages.html):
    the repository's image IDs.
    Pushing (user guide, "Pushing a Docker image to an Amazon ECR private repository",
    https://docs.aws.amazon.com/AmazonECR/latest/userguide/docker-push-ecr-image.html): the
    repository must exist first; a pushed image is then in it under its tag. A tag pushed again
    moves to the new image (mutable tags), which keeps its other tags; the old one loses it.
Not like real ECR
    A repository that moto does not know is not read from the registry (ECR would have refused
    the push). An image deleted from the registry stays once seen, and a tag that only PutImage
    gave (tests that make images without an engine) stays as it is. `imageSizeInBytes` is
    moto's (the config blob's size), not the layers' sum.
Configuration: STACK_ECR_REGISTRY, JSON `{"port", "ca", "user", "password_file"}`, set by the
stack manager for the moto it starts; the registry's host name is ECR's for the backend's
account and Region (`names.registry_host`), which /etc/hosts maps to loopback. Without it (a
moto of a test's own, STACK_MOTO_ONLY), moto answers as before.
"""

from __future__ import annotations

import base64
import http.client
import ipaddress
import json
import os
import socket
import ssl
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any
from urllib.parse import quote

from moto.ecr.models import ECRBackend, Image

MANIFEST_TYPES = (
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.oci.image.index.v1+json",
)
_ORIGINALS: dict[str, Callable[..., Any]] = {}


def _config() -> dict[str, Any] | None:
    text = os.environ.get("STACK_ECR_REGISTRY")
    return json.loads(text) if text else None


def _get(config: dict[str, Any], host: str, path: str) -> tuple[int, str, bytes, str]:
    """GET from the registry as ECR's own front would: (status, digest, body, media type)."""
    if not ipaddress.ip_address(socket.gethostbyname(host)).is_loopback:
        return 0, "", b"", ""  # the stand-in registry is on loopback, or not there at all
    password = Path(config["password_file"]).read_text().strip()
    token = base64.b64encode(f"{config['user']}:{password}".encode()).decode()
    context = ssl.create_default_context(cafile=config["ca"])
    connection = http.client.HTTPSConnection(host, int(config["port"]), timeout=10, context=context)
    try:
        connection.request(
            "GET",
            f"/v2/{path}",
            headers={"Authorization": f"Basic {token}", "Accept": ", ".join(MANIFEST_TYPES)},
        )
        response = connection.getresponse()
        body = response.read()
        return (
            response.status,
            response.getheader("Docker-Content-Digest") or "",
            body,
            (response.getheader("Content-Type") or "").split(";")[0],
        )
    finally:
        connection.close()


def _record(backend: ECRBackend, name: str, tag: str | None, reference: str) -> None:
    """The registry's image for `reference` (a tag or a digest), made an image of moto's
    repository `name`, with `tag` moved onto it."""
    try:
        status, digest, body, media_type = _get(
            _config() or {}, _host(backend), f"{name}/manifests/{quote(reference, safe=':')}"
        )
    except (OSError, ssl.SSLError):
        return  # no registry for this Region here: moto's answer stands
    if status != 200 or not digest:
        return
    repository = backend.repositories[name]
    image = next((i for i in repository.images if i.get_image_digest() == digest), None)
    if image is not None and (tag is None or tag in image.image_tags):
        return
    for other in repository.images:
        if tag is not None and tag in other.image_tags and other is not image:
            other.remove_tag(tag)
            if not other.image_tags:
                other.image_tag = None  # type: ignore[assignment]  # untagged now
    if image is None:
        repository.images.append(
            Image(
                backend.account_id,
                tag,  # type: ignore[arg-type]  # None: untagged, as moto's own Image allows
                body.decode(),
                name,
                media_type,
                digest,
                repository.registry_id,
            )
        )
    elif tag is not None:
        image.update_tag(tag)


def _sync(backend: ECRBackend, name: str, image_ids: Iterable[dict[str, str]] | None) -> None:
    """What the registry holds for these image IDs, or for every tag of the repository."""
    if _config() is None or name not in backend.repositories:
        return
    if image_ids is not None:
        for image_id in image_ids:
            tag, digest = image_id.get("imageTag"), image_id.get("imageDigest")
            _record(backend, name, tag, digest or str(tag))
        return
    try:
        status, _, body, _ = _get(_config() or {}, _host(backend), f"{name}/tags/list")
    except (OSError, ssl.SSLError):
        return
    if status == 200:
        for tag in json.loads(body).get("tags") or []:
            _record(backend, name, str(tag), str(tag))


def _host(backend: ECRBackend) -> str:
    return f"{backend.account_id}.dkr.ecr.{backend.region_name}.amazonaws.com"


def _describe_images(
    self: ECRBackend, repository_name: str, registry_id: str | None = None,
    image_ids: list[dict[str, str]] | None = None,
) -> Any:  # fmt: skip
    _sync(self, repository_name, image_ids or None)  # none: every image of the repository
    return _ORIGINALS["describe_images"](self, repository_name, registry_id, image_ids)


def _batch_get_image(
    self: ECRBackend, repository_name: str, registry_id: str | None = None,
    image_ids: list[dict[str, Any]] | None = None,
) -> Any:  # fmt: skip
    _sync(self, repository_name, image_ids or [])  # none: moto's own error
    return _ORIGINALS["batch_get_image"](self, repository_name, registry_id, image_ids)


def _list_images(
    self: ECRBackend, repository_name: str, registry_id: str | None = None,
    tag_status: str = "ANY",
) -> Any:  # fmt: skip
    _sync(self, repository_name, None)
    return _ORIGINALS["list_images"](self, repository_name, registry_id, tag_status)


def install() -> None:
    """Patch moto's ECR backend (every account and Region) once, in the server's process."""
    if _ORIGINALS:
        return
    for name, patched in (
        ("describe_images", _describe_images),
        ("batch_get_image", _batch_get_image),
        ("list_images", _list_images),
    ):
        _ORIGINALS[name] = getattr(ECRBackend, name)
        setattr(ECRBackend, name, patched)
