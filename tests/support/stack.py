"""The local stack: a real dockerd, Debian's docker-registry as ECR's registry, moto's server.

Everything listens on loopback and lives in one state folder (default `<repo>/.stack`):

    dockerd          unix socket <state>/docker.sock, own data-root/exec-root/pidfile,
                     --iptables=false --bridge=none, overlay2 (vfs when overlay2 fails)
    moto_server      http://127.0.0.1:<free port> (the port is kept across down/up); run as
                     `python -m tests.support.moto_server` (moto + the ECS rollout
                     simulator) when that module exists, else the venv's moto_server
    docker-registry  https://123456789012.dkr.ecr.<region>.amazonaws.com (127.0.0.1:443),
                     TLS from our own CA, htpasswd user AWS with moto's ECR token password
    base image       compose-ecs-deploy/base-python:local (debootstrap minbase + python3,
                     slimmed as Debian's -slim images are),
                     built once; its tarball is cached outside the state folder

`up` installs what is missing (apt-get, pip), starts what is not running, and is a no-op
for what already runs and answers; `down` stops exactly the PIDs recorded in
<state>/pids (SIGTERM, then SIGKILL), removes our /etc/hosts block byte-exactly and the CA
files it put in /etc/docker/certs.d. Nothing is ever killed by name.

Usage: python -m tests.support.stack {up,down,env,status} (scripts/stack wraps this).

Environment knobs (all optional):
    STACK_STATE_DIR        state folder (default <repo>/.stack)
    STACK_CACHE_DIR        base-image tarball cache (default /var/cache/compose-ecs-deploy)
    STACK_REGION           primary region (default us-east-1)
    STACK_EXTRA_REGIONS    more regions with a registry hostname (default ap-northeast-1)
    STACK_MOTO_PORT        fixed moto port (default: a free one, kept in <state>/config.json)
    STACK_REGISTRY_ADDR    registry listen address (default 127.0.0.1:443)
    STACK_BASE_IMAGE       base image name (default compose-ecs-deploy/base-python:local)
    STACK_BASE_SUITE       Debian suite of the base image (default: this machine's)
    STACK_BASE_INCLUDE     packages in the base image (default python3,python3-venv,ca-certificates)
    STACK_MIRROR           Debian mirror for debootstrap (default: from this machine's apt)
    STACK_STORAGE_DRIVER   force dockerd's storage driver (default overlay2, then vfs)
    STACK_ENGINE           `forky` (default): Docker 28 and buildx from Debian's testing
                           suite, a second apt source pinned low; `debian`: this machine's
                           own suite's docker.io (the fallback when forky cannot be had)

The engine: GitHub's runners run Docker 28 with the buildx plugin, so the stack does too.
Debian's testing suite (forky) ships docker.io 28 and docker-buildx 0.29, which install on
Debian 12 (docker.io needs libc6 >= 2.34 and containerd >= 1.4, both met by Debian 12's).
`up` adds that suite as a second apt source pinned at priority 100, below Debian 12's 500,
so nothing else is ever upgraded from it, and installs exactly `docker.io/forky` and
`docker-buildx/forky` (never `-t forky`, which would pull libc6 and the rest along). When
that fails (no such suite on the mirror, a dependency it cannot meet), it says so and the
stack runs on Debian 12's docker.io, without buildx. `up` prints which engine and buildx
run; `stack.json` records them for the tests and the bench.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import http.client
import json
import os
import re
import secrets
import shlex
import shutil
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from tests.support import guard, hostsfile, names, procs

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_CACHE_DIR = Path("/var/cache/compose-ecs-deploy")
DEFAULT_BASE_INCLUDE = "python3,python3-venv,ca-certificates"
BASE_LABEL = "org.compose-ecs-deploy.base-key"
BASE_RECIPE_VERSION = "2"
CERTS_D = Path("/etc/docker/certs.d")
HOSTS_FILE = Path("/etc/hosts")
ENGINE_SUITE = "forky"
ENGINE_PACKAGES = ("docker.io", "docker-buildx")
ENGINE_PIN_PRIORITY = 100
APT_SOURCE = Path("/etc/apt/sources.list.d/compose-ecs-deploy-forky.sources")
APT_PIN = Path("/etc/apt/preferences.d/compose-ecs-deploy-forky")
APT_KEYRING = "/usr/share/keyrings/debian-archive-keyring.gpg"
BUILDX_PLUGIN = Path("/usr/libexec/docker/cli-plugins/docker-buildx")
SYSTEM_PATH = "/usr/sbin:/usr/bin:/sbin:/bin:/usr/local/sbin:/usr/local/bin"
REGISTRY_USER = "AWS"
# The product's test-only factor on its waits between polls (settings.time_scale_from): the
# stack's simulators move a tick per poll, so every run against the stack (tests, demo,
# bench) spends a hundredth of each wait; its users' poll intervals stay 1-300 s.
TIME_SCALE = "0.01"

# (binary that must exist, Debian package that provides it)
APT_NEEDS: tuple[tuple[str, str], ...] = (
    ("/usr/sbin/dockerd", "docker.io"),
    ("/usr/bin/containerd", "containerd"),
    ("/usr/sbin/runc", "runc"),
    ("/usr/bin/docker-registry", "docker-registry"),
    ("/usr/sbin/debootstrap", "debootstrap"),
    ("/usr/bin/gpgv", "gpgv"),
    ("/usr/share/keyrings/debian-archive-keyring.gpg", "debian-archive-keyring"),
    ("/usr/bin/htpasswd", "apache2-utils"),
    ("/usr/bin/tar", "tar"),
)

Say = Callable[[str], None]


class StackError(RuntimeError):
    """The stack could not be brought up (or down); the message says why."""


def _say(msg: str) -> None:
    print(msg, flush=True)


# --------------------------------------------------------------------------- settings


@dataclass(frozen=True)
class Settings:
    state_dir: Path
    cache_dir: Path
    region: str
    regions: tuple[str, ...]
    registry_addr: str
    moto_port: int | None
    base_image: str
    base_suite: str
    base_include: str
    mirror: str | None
    storage_driver: str | None
    engine: str = ENGINE_SUITE

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if environ is None else environ)
        state = Path(env.get("STACK_STATE_DIR") or REPO_ROOT / ".stack").resolve()
        port = env.get("STACK_MOTO_PORT")
        return cls(
            state_dir=state,
            cache_dir=Path(env.get("STACK_CACHE_DIR") or DEFAULT_CACHE_DIR).resolve(),
            region=names.region(),
            regions=names.regions(),
            registry_addr=env.get("STACK_REGISTRY_ADDR") or "127.0.0.1:443",
            moto_port=int(port) if port else None,
            base_image=env.get("STACK_BASE_IMAGE") or names.BASE_IMAGE,
            base_suite=env.get("STACK_BASE_SUITE") or _host_codename(),
            base_include=env.get("STACK_BASE_INCLUDE") or DEFAULT_BASE_INCLUDE,
            mirror=env.get("STACK_MIRROR") or None,
            storage_driver=env.get("STACK_STORAGE_DRIVER") or None,
            engine=env.get("STACK_ENGINE") or ENGINE_SUITE,
        )

    @property
    def registry_port(self) -> int:
        return int(self.registry_addr.rsplit(":", 1)[1])

    def registry_endpoint(self, region: str | None = None) -> str:
        """host, or host:port when the registry does not listen on 443 (as docker names it)."""
        host = names.registry_host(region or self.region)
        return host if self.registry_port == 443 else f"{host}:{self.registry_port}"

    def registry_endpoints(self) -> tuple[str, ...]:
        return tuple(self.registry_endpoint(r) for r in self.regions)


def _host_codename() -> str:
    with contextlib.suppress(FileNotFoundError):
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("VERSION_CODENAME="):
                return line.split("=", 1)[1].strip().strip('"') or "bookworm"
    return "bookworm"


class Paths:
    """Every file of one stack, derived from its state folder."""

    def __init__(self, state: Path) -> None:
        self.state = state
        self.pids = state / "pids"
        self.logs = state / "logs"
        self.lock = state / "lock"
        self.config = state / "config.json"  # kept across down/up: ports, storage driver
        self.info = state / "stack.json"  # present while up: what `env` and fixtures read
        self.env_sh = state / "env.sh"
        self.data_root = state / "docker" / "data"
        # Unix socket paths are limited to 107 bytes: keep the run folder short.
        run = state / "run"
        if len(str(run)) > 48:
            digest = hashlib.sha256(str(state).encode()).hexdigest()[:10]
            run = Path("/run") / f"compose-ecs-deploy-{digest}"
        self.run = run
        self.exec_root = run / "docker"
        self.docker_sock = run / "docker.sock"
        self.dockerd_pidfile = run / "dockerd.pid"  # dockerd's own; ours is in pids/
        self.daemon_json = state / "docker" / "daemon.json"
        self.tls = state / "tls"
        self.ca_cert = self.tls / "ca.crt"
        self.ca_key = self.tls / "ca.key"
        self.server_cert = self.tls / "server.crt"
        self.server_key = self.tls / "server.key"
        self.registry = state / "registry"
        self.registry_config = self.registry / "config.yml"
        self.registry_data = self.registry / "data"
        self.htpasswd = self.registry / "htpasswd"
        self.registry_password = self.registry / "password"
        self.hosts_record = state / "hosts.added"
        self.hosts_backup = state / "hosts.backup"
        self.certs_record = state / "certs.json"

    def pidfile(self, name: str) -> Path:
        return self.pids / f"{name}.pid"


COMPONENTS = ("dockerd", "containerd", "moto", "registry")
"""Recorded processes; containerd is started by our dockerd and recorded once it runs."""


# --------------------------------------------------------------------------- info


@dataclass(frozen=True)
class StackInfo:
    """What tests and scripts need to talk to a running stack."""

    state_dir: str
    docker_host: str
    docker_socket: str
    endpoint_url: str
    moto_port: int
    region: str
    regions: tuple[str, ...]
    account_id: str
    registry_host: str
    registry_hosts: tuple[str, ...]
    registry_url: str
    registry_user: str
    ca_path: str
    base_image: str
    storage_driver: str
    pids: dict[str, int] = field(default_factory=dict)
    up_seconds: float = 0.0
    base_image_source: str = ""
    engine_version: str = ""  # the running dockerd's, from its /version
    engine_origin: str = ""  # its package and the Debian suite that came from
    buildx_version: str = ""  # the docker-buildx plugin's, "" when there is none

    @property
    def engine(self) -> str:
        """One line for logs, test headers and the bench: which engine and buildx run."""
        buildx = f"buildx {self.buildx_version}" if self.buildx_version else "no buildx"
        return f"Docker {self.engine_version or '?'} ({self.engine_origin or '?'}), {buildx}"

    def env(self) -> dict[str, str]:
        """The variables a shell (or a subprocess) needs to use the stack, guard included."""
        return {
            "DOCKER_HOST": self.docker_host,
            "AWS_ENDPOINT_URL": self.endpoint_url,
            "AWS_ACCESS_KEY_ID": names.FAKE_ACCESS_KEY_ID,
            "AWS_SECRET_ACCESS_KEY": names.FAKE_SECRET_ACCESS_KEY,
            "AWS_REGION": self.region,
            "AWS_DEFAULT_REGION": self.region,
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
            "AWS_EC2_METADATA_DISABLED": "true",
            "STACK_STATE_DIR": self.state_dir,
            "STACK_ACCOUNT_ID": self.account_id,
            "STACK_REGISTRY": self.registry_host,
            "STACK_REGISTRY_URL": self.registry_url,
            "STACK_CA_PATH": self.ca_path,
            "STACK_BASE_IMAGE": self.base_image,
            "STACK_MOTO_PORT": str(self.moto_port),
            "COMPOSE_ECS_DEPLOY_TIME_SCALE": TIME_SCALE,
        }

    @classmethod
    def load(cls, state_dir: Path) -> StackInfo | None:
        try:
            data = json.loads((state_dir / "stack.json").read_text())
        except (FileNotFoundError, json.JSONDecodeError):
            return None
        try:
            data["regions"] = tuple(data["regions"])
            data["registry_hosts"] = tuple(data["registry_hosts"])
            return cls(**data)
        except (KeyError, TypeError):  # written by another version: treat as not up
            return None


# --------------------------------------------------------------------------- helpers


@contextlib.contextmanager
def _locked(paths: Paths) -> Iterator[None]:
    paths.state.mkdir(parents=True, exist_ok=True)
    with paths.lock.open("a") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def _load_config(paths: Paths) -> dict[str, Any]:
    try:
        data: dict[str, Any] = json.loads(paths.config.read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return {}
    return data


def _save_json(path: Path, data: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
    tmp.replace(path)


def _tail(path: Path, lines: int = 15) -> str:
    try:
        text = path.read_text(errors="replace").splitlines()
    except FileNotFoundError:
        return "(no log)"
    return "\n".join("    " + line for line in text[-lines:])


def _loopback_env() -> dict[str, str]:
    """Environment for our daemons: no proxies, nothing from the caller's docker/AWS setup."""
    env = {"PATH": SYSTEM_PATH, "HOME": os.environ.get("HOME", "/root"), "LANG": "C.UTF-8"}
    env["NO_PROXY"] = env["no_proxy"] = "*"
    return env


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _http_get(url: str, *, timeout: float = 2.0) -> int:
    """Status of a GET to a loopback URL, without any proxy."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(url, timeout=timeout) as resp:
            return int(resp.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


def _run(
    argv: list[str],
    *,
    what: str,
    env: dict[str, str] | None = None,
    log: Path | None = None,
    input_text: str | None = None,
) -> str:
    try:
        res = subprocess.run(
            argv, env=env, input=input_text, capture_output=True, text=True, check=False
        )
    except FileNotFoundError as exc:
        raise StackError(f"{what}: {exc}") from exc
    if log is not None:
        log.parent.mkdir(parents=True, exist_ok=True)
        with log.open("a") as f:
            f.write(f"\n$ {shlex.join(argv)}\n{res.stdout}{res.stderr}")
    if res.returncode != 0:
        detail = (res.stderr or res.stdout).strip().splitlines()[-10:]
        raise StackError(f"{what} failed (exit {res.returncode}): " + " | ".join(detail))
    return res.stdout


def _wait(
    probe: Callable[[], bool],
    *,
    timeout: float,
    proc: procs.Proc | None = None,
    interval: float = 0.1,
) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if probe():
            return True
        if proc is not None and not proc.alive():
            return False
        time.sleep(interval)
    return probe()


# --------------------------------------------------------------------------- packages


@dataclass(frozen=True)
class Engine:
    """The installed docker.io and docker-buildx packages, and the suite each came from."""

    version: str
    origin: str
    buildx: str


def _installed_version(package: str) -> str:
    res = subprocess.run(
        ["dpkg-query", "-W", "-f", "${db:Status-Status} ${Version}", package],
        capture_output=True,
        text=True,
        check=False,
    )
    state, _, version = res.stdout.partition(" ")
    return version.strip() if res.returncode == 0 and state == "installed" else ""


def _major(version: str) -> int:
    match = re.match(r"(?:\d+:)?(\d+)\.", version)
    return int(match.group(1)) if match else 0


def forky_engine_installed() -> bool:
    """docker.io 28 or later and docker-buildx are installed (from forky, or newer)."""
    return _major(_installed_version("docker.io")) >= 28 and bool(
        _installed_version("docker-buildx")
    )


def apt_source_text(mirror: str) -> str:
    """The second apt source: Debian's testing suite, signed by Debian's own keyring."""
    return (
        f"Types: deb\nURIs: {mirror}\nSuites: {ENGINE_SUITE}\nComponents: main\n"
        f"Signed-By: {APT_KEYRING}\n"
    )


def apt_pin_text() -> str:
    """Every package of the testing suite below Debian 12's own (500): none is ever chosen
    over the host's, and a package is taken from it only when asked by name."""
    return (
        f"# compose-ecs-deploy: Docker 28 from {ENGINE_SUITE}, nothing else\n"
        f"Package: *\nPin: release n={ENGINE_SUITE}\n"
        f"Pin-Priority: {ENGINE_PIN_PRIORITY}\n"
    )


@contextlib.contextmanager
def _no_daemon_starts() -> Iterator[None]:
    """Keep the packages' init scripts from starting the machine's own daemons."""
    policy = Path("/usr/sbin/policy-rc.d")
    made = not policy.exists()
    if made:
        policy.write_text("#!/bin/sh\nexit 101\n")
        policy.chmod(0o755)
    try:
        yield
    finally:
        if made:
            policy.unlink(missing_ok=True)


def _apt_candidate_in_suite(package: str, suite: str) -> bool:
    res = subprocess.run(
        ["apt-cache", "policy", package], capture_output=True, text=True, check=False
    )
    return bool(re.search(rf"\s{re.escape(suite)}/main\s", res.stdout))


def install_forky_engine(say: Say, paths: Paths, mirror: str) -> None:
    """Add the pinned forky source (once) and install docker.io and docker-buildx from it.

    Only those two are named; apt takes their dependencies from Debian 12 where it can
    (containerd, runc) because of the pin, and from forky only what Debian 12 lacks.
    The source files stay, so a later `up` finds the engine installed and does nothing;
    when the install fails, the files this call wrote are removed again.
    """
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    log = paths.logs / "apt.log"
    wrote = []
    for path, text in ((APT_SOURCE, apt_source_text(mirror)), (APT_PIN, apt_pin_text())):
        if not path.exists() or path.read_text() != text:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
            wrote.append(path)
    try:
        if not _apt_candidate_in_suite("containerd", _host_codename()):
            say("apt-get update (the host's package lists are missing)")
            _run(["apt-get", "update"], what="apt-get update", env=env, log=log)
        elif not all(_apt_candidate_in_suite(p, ENGINE_SUITE) for p in ENGINE_PACKAGES):
            say(f"apt-get update of the {ENGINE_SUITE} source only ({APT_SOURCE})")
            _run(
                [
                    "apt-get",
                    "update",
                    "-o",
                    f"Dir::Etc::SourceList={APT_SOURCE}",
                    "-o",
                    "Dir::Etc::SourceParts=-",
                    "-o",
                    "APT::Get::List-Cleanup=0",
                ],
                what=f"apt-get update ({ENGINE_SUITE})",
                env=env,
                log=log,
            )
        wanted = [f"{package}/{ENGINE_SUITE}" for package in ENGINE_PACKAGES]
        say(f"installing with apt-get: {' '.join(wanted)}")
        with _no_daemon_starts():
            _run(
                ["apt-get", "install", "-y", "--no-install-recommends", *wanted],
                what="apt-get install",
                env=env,
                log=log,
            )
        if not forky_engine_installed():
            raise StackError(f"installed, but docker.io is {_installed_version('docker.io')}")
    except StackError:
        for path in wrote:
            path.unlink(missing_ok=True)
        raise


def ensure_engine(say: Say, s: Settings, paths: Paths) -> None:
    """Docker 28 and buildx from forky unless STACK_ENGINE=debian; on failure, say why and
    leave the engine to ensure_packages (Debian 12's docker.io)."""
    if s.engine == "debian" or forky_engine_installed():
        return
    if s.engine != ENGINE_SUITE:
        raise StackError(f"STACK_ENGINE={s.engine}: use {ENGINE_SUITE} or debian")
    if os.geteuid() != 0:
        raise StackError(
            f"Docker from {ENGINE_SUITE} is not installed, and not root to "
            "install it (or set STACK_ENGINE=debian)"
        )
    try:
        install_forky_engine(say, paths, s.mirror or apt_mirror(_host_codename()))
    except StackError as exc:
        say(
            f"engine: Docker from {ENGINE_SUITE} could not be installed ({exc}); "
            f"falling back to {_host_codename()}'s docker.io"
        )


def installed_engine() -> Engine:
    version = _installed_version("docker.io")
    return Engine(
        version=version, origin=_origin_of("docker.io", version), buildx=_buildx_version()
    )


def _origin_of(package: str, version: str) -> str:
    """The suite apt has `version` of `package` from (`forky`, `bookworm`, ...)."""
    res = subprocess.run(
        ["apt-cache", "policy", package], capture_output=True, text=True, check=False
    )
    lines = res.stdout.splitlines()
    for index, line in enumerate(lines):
        if line.strip().lstrip("*").split()[:1] == [version]:
            for source in lines[index + 1 :]:
                if re.match(r"\s+\d+ /var/lib/dpkg/status", source):
                    continue
                if match := re.match(r"\s+-?\d+ \S+ (\S+?)/", source):
                    return match.group(1)
                break
    return "local"


def _buildx_version() -> str:
    """`v0.29.1` of the buildx plugin Compose finds, or "" when there is none."""
    if not BUILDX_PLUGIN.exists():
        return ""
    res = subprocess.run(
        [str(BUILDX_PLUGIN), "version"], capture_output=True, text=True, check=False
    )
    words = res.stdout.split()
    return words[1] if res.returncode == 0 and len(words) > 1 else "?"


def ensure_packages(say: Say, paths: Paths) -> list[str]:
    """apt-get install what is missing (apt-get update first only when needed)."""
    missing = sorted({pkg for path, pkg in APT_NEEDS if not Path(path).exists()})
    if not missing:
        return []
    if os.geteuid() != 0:
        raise StackError(f"missing packages {' '.join(missing)}, and not root to install them")
    say(f"installing with apt-get: {' '.join(missing)}")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    log = paths.logs / "apt.log"
    with _no_daemon_starts():
        if not _apt_has_candidates(missing):
            _run(["apt-get", "update"], what="apt-get update", env=env, log=log)
        install = ["apt-get", "install", "-y", "--no-install-recommends", *missing]
        try:
            _run(install, what="apt-get install", env=env, log=log)
        except StackError:
            _run(["apt-get", "update"], what="apt-get update", env=env, log=log)
            _run(install, what="apt-get install", env=env, log=log)
    still = [pkg for path, pkg in APT_NEEDS if not Path(path).exists()]
    if still:
        raise StackError(f"installed, but still missing: {' '.join(still)} (see {log})")
    return missing


def _apt_has_candidates(pkgs: list[str]) -> bool:
    res = subprocess.run(
        ["apt-cache", "policy", *pkgs], capture_output=True, text=True, check=False
    )
    found = re.findall(r"Candidate: (\S+)", res.stdout)
    return len(found) == len(pkgs) and "(none)" not in found


def ensure_venv_tools(say: Say) -> Path:
    """moto_server from the project's venv (pip install -e .[dev] when it is missing)."""
    bindir = Path(sys.executable).parent
    moto = bindir / "moto_server"
    if not moto.exists():
        say("installing the project's dev dependencies into the venv (pip)")
        _run(
            [sys.executable, "-m", "pip", "install", "-q", "-e", f"{REPO_ROOT}[dev]"],
            what="pip install",
        )
    if not moto.exists():
        raise StackError(f"{moto} is missing after pip install")
    return moto


# --------------------------------------------------------------------------- components


def _recorded(paths: Paths, name: str) -> procs.Proc | None:
    proc = procs.read_pidfile(paths.pidfile(name))
    return proc if proc is not None and proc.alive() else None


def _docker_client(paths: Paths, timeout: int = 60) -> Any:
    import docker

    return docker.DockerClient(base_url=f"unix://{paths.docker_sock}", timeout=timeout)


def _dockerd_answers(paths: Paths) -> bool:
    if not paths.docker_sock.exists():
        return False
    try:
        conn = _UnixHTTPConnection(str(paths.docker_sock), timeout=2)
        conn.request("GET", "/_ping")
        ok = conn.getresponse().status == 200
        conn.close()
    except OSError:
        return False
    return ok


def _dockerd_version(paths: Paths) -> str:
    """The running engine's own version (GET /version), as `docker version` shows it."""
    conn = _UnixHTTPConnection(str(paths.docker_sock), timeout=5)
    try:
        conn.request("GET", "/version")
        return str(json.loads(conn.getresponse().read()).get("Version", ""))
    except (OSError, ValueError):
        return ""
    finally:
        conn.close()


class _UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path: str, timeout: float) -> None:
        super().__init__("localhost", timeout=timeout)
        self._path = path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        sock.connect(self._path)
        self.sock = sock


def _start_dockerd(paths: Paths, driver: str) -> procs.Proc:
    for d in (paths.data_root, paths.exec_root, paths.daemon_json.parent):
        d.mkdir(parents=True, exist_ok=True)
    if not paths.daemon_json.exists():
        paths.daemon_json.write_text("{}\n")  # so /etc/docker/daemon.json is not read
    with contextlib.suppress(FileNotFoundError):
        paths.docker_sock.unlink()
    argv = [
        "/usr/sbin/dockerd",
        "--config-file",
        str(paths.daemon_json),
        "--data-root",
        str(paths.data_root),
        "--exec-root",
        str(paths.exec_root),
        "--pidfile",
        str(paths.dockerd_pidfile),
        "-H",
        f"unix://{paths.docker_sock}",
        "--iptables=false",
        "--ip-masq=false",
        "--bridge=none",
        "--shutdown-timeout",
        "5",
        "--storage-driver",
        driver,
    ]
    proc = procs.spawn(argv, log=paths.logs / "dockerd.log", env=_loopback_env())
    procs.write_pidfile(paths.pidfile("dockerd"), proc)
    return proc


@contextlib.contextmanager
def extra_engine(
    name: str,
    *,
    driver: str = "vfs",
    tmpfs_size: str | None = None,
    daemon_config: dict[str, Any] | None = None,
) -> Iterator[str]:
    """A second dockerd of our own beside the stack's (same binary, same loopback rules), in
    /run/ced-<name>-<pid>; yields its DOCKER_HOST. For tests that need an engine set up
    otherwise: a data-root on a small tmpfs, the containerd image store. Stopped by PID, its
    mounts undone and its folder removed after."""
    import docker

    paths = Paths(Path(f"/run/ced-{name}-{os.getpid()}"))
    for folder in (paths.data_root, paths.pids, paths.logs, paths.daemon_json.parent):
        folder.mkdir(parents=True, exist_ok=True)
    paths.daemon_json.write_text(json.dumps(daemon_config or {}) + "\n")
    if tmpfs_size:
        subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={tmpfs_size}", "tmpfs", str(paths.data_root)],
            check=True,
        )
    dockerd = _start_dockerd(paths, driver)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:  # the client asks the engine's API version as it is made
                docker.DockerClient(base_url=f"unix://{paths.docker_sock}", timeout=120).close()
                break
            except docker.errors.DockerException as exc:
                if time.monotonic() > deadline or not dockerd.alive():
                    raise StackError(
                        f"dockerd {name} did not start:\n{_tail(paths.logs / 'dockerd.log')}"
                    ) from exc
                time.sleep(0.2)
        yield f"unix://{paths.docker_sock}"
    finally:
        procs.stop([dockerd])
        procs.stop(leftovers(paths))
        _unmount_under(paths.state)  # lazily: the engine's last handles may linger
        subprocess.run(["rm", "-rf", str(paths.state)], check=True)


def import_base_image(s: Settings, client: Any) -> None:
    """The base image from its cached tarball into another engine (`up` made the tarball)."""
    tarball = s.cache_dir / f"base-{s.base_suite}-{base_key(s)}.tar"
    repo, _, tag = s.base_image.rpartition(":")
    with tarball.open("rb") as f:
        client.api.import_image(src=f, repository=repo, tag=tag, changes=BASE_CHANGES)


def _record_containerd(paths: Paths, dockerd: procs.Proc) -> None:
    """dockerd starts its own containerd: record it too, so that `down` can check it."""
    pidfile = paths.exec_root / "containerd" / "containerd.pid"

    def found() -> bool:
        try:
            pid = int(pidfile.read_text().strip())
        except (FileNotFoundError, ValueError):
            return False
        start = procs.starttime_of(pid)
        if start is None or procs.ppid_of(pid) != dockerd.pid:
            return False
        procs.write_pidfile(paths.pidfile("containerd"), procs.Proc(pid, start))
        return True

    _wait(found, timeout=5)


def ensure_dockerd(
    say: Say, s: Settings, paths: Paths, config: dict[str, Any]
) -> tuple[procs.Proc, bool, str]:
    """Start dockerd unless ours runs and answers; returns (proc, started, driver)."""
    running = _recorded(paths, "dockerd")
    driver = s.storage_driver or config.get("storage_driver") or "overlay2"
    if running is not None:
        if _wait(lambda: _dockerd_answers(paths), timeout=10, proc=running):
            return running, False, str(config.get("storage_driver") or driver)
        say(f"dockerd pid {running.pid} does not answer: restarting it")
        procs.stop([running])
    return _start_dockerd(paths, driver), True, driver


def wait_dockerd(
    say: Say, s: Settings, paths: Paths, config: dict[str, Any], proc: procs.Proc, driver: str
) -> tuple[procs.Proc, str]:
    if _wait(lambda: _dockerd_answers(paths), timeout=60, proc=proc):
        return proc, driver
    log = paths.logs / "dockerd.log"
    if driver == "overlay2" and s.storage_driver is None:
        say("dockerd did not start with overlay2; falling back to vfs\n" + _tail(log, 8))
        procs.stop([proc])
        procs.stop(leftovers(paths))
        proc = _start_dockerd(paths, "vfs")
        if _wait(lambda: _dockerd_answers(paths), timeout=60, proc=proc):
            config["storage_driver"] = "vfs"
            return proc, "vfs"
    procs.stop([proc])
    procs.stop(leftovers(paths))
    raise StackError(f"dockerd did not start (storage driver {driver}); {log}:\n{_tail(log)}")


MOTO_LAUNCHER = REPO_ROOT / "tests" / "support" / "moto_server.py"
"""moto's server with the ECS rollout simulator installed in-process, when the project has it."""


def moto_argv(moto_bin: Path, port: int) -> list[str]:
    """`python -m tests.support.moto_server` (moto + rollout simulator), else plain moto_server."""
    opts = ["-H", "127.0.0.1", "-p", str(port)]
    if MOTO_LAUNCHER.exists():
        return [sys.executable, "-m", "tests.support.moto_server", *opts]
    return [str(moto_bin), *opts]


def ensure_moto(
    say: Say, s: Settings, paths: Paths, config: dict[str, Any], moto_bin: Path
) -> tuple[procs.Proc, bool, int]:
    port = int(s.moto_port or config.get("moto_port") or 0)
    running = _recorded(paths, "moto")
    if running is not None and port:
        url = f"http://127.0.0.1:{port}/moto-api/"
        if procs.cmdline(running.pid)[-5:] != moto_argv(moto_bin, port)[-5:]:
            say(f"moto pid {running.pid} runs another launcher or port: restarting it")
            procs.stop([running])
        elif _wait(lambda: _answers(url), timeout=10, proc=running):
            return running, False, port
        else:
            say(f"moto pid {running.pid} does not answer on {port}: restarting it")
            procs.stop([running])
    if not port or not _port_free(port):
        if s.moto_port:
            raise StackError(f"STACK_MOTO_PORT {port} is in use by another process")
        port = free_port()
    config["moto_port"] = port
    env = _loopback_env()
    env["PYTHONPATH"] = str(REPO_ROOT)
    # ECR's image reads answer from the registry's contents (tests/support/ecr_registry.py)
    env["STACK_ECR_REGISTRY"] = json.dumps(
        {
            "port": s.registry_port,
            "ca": str(paths.ca_cert),
            "user": REGISTRY_USER,
            "password_file": str(paths.registry_password),
        }
    )
    proc = procs.spawn(
        moto_argv(moto_bin, port), log=paths.logs / "moto.log", env=env, cwd=REPO_ROOT
    )
    procs.write_pidfile(paths.pidfile("moto"), proc)
    return proc, True, port


def _answers(url: str) -> bool:
    try:
        _http_get(url, timeout=1)
    except OSError:
        return False
    return True


def wait_moto(paths: Paths, proc: procs.Proc, port: int) -> None:
    if not _wait(lambda: _answers(f"http://127.0.0.1:{port}/moto-api/"), timeout=30, proc=proc):
        procs.stop([proc])
        log = paths.logs / "moto.log"
        raise StackError(f"moto_server did not answer on 127.0.0.1:{port}; {log}:\n{_tail(log)}")


def moto_registry_password(s: Settings, endpoint: str) -> str:
    """The password in moto's ECR token (base64 of AWS:<password>): asked, not assumed."""
    import base64

    guard.apply_env(endpoint, s.region)  # fake credentials, no proxies, no shared config
    import boto3

    ecr = boto3.client("ecr", endpoint_url=endpoint, region_name=s.region)
    data = ecr.get_authorization_token()["authorizationData"][0]
    user, _, password = base64.b64decode(data["authorizationToken"]).decode().partition(":")
    if user != REGISTRY_USER or not password:
        raise StackError(f"unexpected ECR token from moto (user {user!r})")
    return password


def ensure_tls(s: Settings, paths: Paths) -> bool:
    from tests.support import tls

    made_ca = tls.ensure_ca(paths.ca_cert, paths.ca_key)
    made = tls.ensure_server_cert(
        paths.server_cert,
        paths.server_key,
        paths.ca_cert,
        paths.ca_key,
        list(names.registry_hosts()),
    )
    return made_ca or made


def install_ca(s: Settings, paths: Paths) -> None:
    """Put our CA where dockerd looks for a registry's CA: /etc/docker/certs.d/<host>/.

    What we create is recorded in <state>/certs.json, and removed again by `down`.
    """
    ca = paths.ca_cert.read_bytes()
    try:
        record: dict[str, Any] = json.loads(paths.certs_record.read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        record = {}
    files: list[str] = record.setdefault("files", [])
    dirs: list[str] = record.setdefault("dirs", [])
    for endpoint in s.registry_endpoints():
        target = CERTS_D / endpoint / "ca.crt"
        for d in (CERTS_D.parent, CERTS_D, target.parent):
            if not d.exists():
                d.mkdir()
                dirs.append(str(d))
        if not (target.exists() and target.read_bytes() == ca):
            target.write_bytes(ca)
        if str(target) not in files:
            files.append(str(target))
    _save_json(paths.certs_record, record)


def remove_ca(paths: Paths) -> None:
    try:
        record: dict[str, Any] = json.loads(paths.certs_record.read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return
    ca = paths.ca_cert.read_bytes() if paths.ca_cert.exists() else None
    for item in record.get("files", []):
        target = Path(item)
        if target.exists() and (ca is None or target.read_bytes() == ca):
            target.unlink()
    for item in sorted(record.get("dirs", []), key=len, reverse=True):
        with contextlib.suppress(OSError):  # only when empty
            Path(item).rmdir()
    paths.certs_record.unlink(missing_ok=True)


def _registry_config(s: Settings, paths: Paths, http_secret: str) -> str:
    return "\n".join(
        [
            "version: 0.1",
            "log:",
            "  level: info",
            "  formatter: text",
            "storage:",
            "  filesystem:",
            f"    rootdirectory: {paths.registry_data}",
            "  delete:",
            "    enabled: true",
            "  maintenance:",
            "    uploadpurging:",
            "      enabled: false",
            "http:",
            f"  addr: {s.registry_addr}",
            f"  secret: {http_secret}",
            "  tls:",
            f"    certificate: {paths.server_cert}",
            f"    key: {paths.server_key}",
            "auth:",
            "  htpasswd:",
            "    realm: compose-ecs-deploy-local-ecr",
            f"    path: {paths.htpasswd}",
            "",
        ]
    )


def _registry_answers(s: Settings, paths: Paths) -> bool:
    """The registry answers /v2/ over TLS (verified with our CA) with 401: auth is on."""
    host = names.registry_host(s.region)
    ctx = ssl.create_default_context(cafile=str(paths.ca_cert))
    try:
        conn = http.client.HTTPSConnection(host, s.registry_port, timeout=2, context=ctx)
        conn.request("GET", "/v2/")
        status = conn.getresponse().status
        conn.close()
    except (OSError, ssl.SSLError):
        return False
    return status == 401


def ensure_registry(
    say: Say, s: Settings, paths: Paths, password: str, changed_tls: bool
) -> tuple[procs.Proc, bool]:
    paths.registry_data.mkdir(parents=True, exist_ok=True)
    config_changed = False
    old_password = paths.registry_password.read_text() if paths.registry_password.exists() else ""
    if old_password != password or not paths.htpasswd.exists():
        line = _run(
            ["/usr/bin/htpasswd", "-niB", "-C", "5", REGISTRY_USER],
            what="htpasswd",
            input_text=password + "\n",
        )
        paths.htpasswd.write_text(line.strip() + "\n")
        paths.htpasswd.chmod(0o600)
        paths.registry_password.write_text(password)
        paths.registry_password.chmod(0o600)
        config_changed = True
    secret_file = paths.registry / "http-secret"
    if not secret_file.exists():
        secret_file.write_text(secrets.token_hex(16))
    wanted = _registry_config(s, paths, secret_file.read_text().strip())
    if not paths.registry_config.exists() or paths.registry_config.read_text() != wanted:
        paths.registry_config.write_text(wanted)
        config_changed = True
    running = _recorded(paths, "registry")
    if running is not None:
        if not (config_changed or changed_tls) and _wait(
            lambda: _registry_answers(s, paths), timeout=5, proc=running
        ):
            return running, False
        say(f"registry pid {running.pid}: configuration changed or not answering, restarting")
        procs.stop([running])
    port_host = s.registry_addr.rsplit(":", 1)[0]
    if port_host not in ("127.0.0.1", "localhost", "[::1]"):
        raise StackError(f"STACK_REGISTRY_ADDR {s.registry_addr} is not on loopback")
    argv = ["/usr/bin/docker-registry", "serve", str(paths.registry_config)]
    proc = procs.spawn(argv, log=paths.logs / "registry.log", env=_loopback_env())
    procs.write_pidfile(paths.pidfile("registry"), proc)
    return proc, True


def wait_registry(s: Settings, paths: Paths, proc: procs.Proc) -> None:
    if not _wait(lambda: _registry_answers(s, paths), timeout=20, proc=proc):
        procs.stop([proc])
        log = paths.logs / "registry.log"
        raise StackError(
            f"docker-registry did not answer on https://{s.registry_endpoint()} "
            f"({s.registry_addr}); {log}:\n{_tail(log)}"
        )


# --------------------------------------------------------------------------- base image


def base_key(s: Settings) -> str:
    recipe = f"{BASE_RECIPE_VERSION}|{s.base_suite}|minbase|{s.base_include}"
    return hashlib.sha256(recipe.encode()).hexdigest()[:12]


def apt_mirror(suite: str) -> str:
    """The Debian mirror this machine's apt uses for `suite` (main), else deb.debian.org."""
    candidates: list[tuple[str, list[str], list[str]]] = []
    apt = Path("/etc/apt")
    files = [apt / "sources.list", *sorted((apt / "sources.list.d").glob("*.list"))]
    for f in files:
        with contextlib.suppress(OSError):
            for line in f.read_text().splitlines():
                parts = re.sub(r"\[[^]]*\]", "", line.split("#", 1)[0]).split()
                if len(parts) >= 3 and parts[0] == "deb":
                    candidates.append((parts[1], [parts[2]], parts[3:]))
    for f in sorted((apt / "sources.list.d").glob("*.sources")):
        with contextlib.suppress(OSError):
            for stanza in re.split(r"\n\s*\n", f.read_text()):
                fields: dict[str, str] = {}
                for line in stanza.splitlines():
                    if ":" in line and not line.startswith(("#", " ")):
                        key, _, value = line.partition(":")
                        fields[key.strip().lower()] = value.strip()
                if (
                    fields.get("enabled", "yes").lower() == "no"
                    or "deb" not in fields.get("types", "").split()
                ):
                    continue
                for uri in fields.get("uris", "").split():
                    suites = fields.get("suites", "").split()
                    candidates.append((uri, suites, fields.get("components", "").split()))
    for uri, suites, components in candidates:
        if suite in suites and "main" in components:
            return uri.rstrip("/")
    return "http://deb.debian.org/debian"


def _apt_proxy_env() -> dict[str, str]:
    env = dict(os.environ)
    res = subprocess.run(
        ["apt-config", "shell", "P", "Acquire::http::Proxy"],
        capture_output=True,
        text=True,
        check=False,
    )
    m = re.search(r"P='([^']+)'", res.stdout)
    if m and "http_proxy" not in env:
        env["http_proxy"] = m.group(1)
    return env


def _unmount_under(root: Path) -> None:
    mounts = []
    with contextlib.suppress(OSError):
        for line in Path("/proc/mounts").read_text().splitlines():
            target = line.split()[1].replace("\\040", " ")
            if target == str(root) or target.startswith(str(root) + "/"):
                mounts.append(target)
    for target in sorted(mounts, key=len, reverse=True):
        subprocess.run(["umount", "-l", target], check=False, capture_output=True)


# What Debian's official slim images leave out (debuerreotype's slimify), so that the base
# stands in for python:3.12-slim in size too: docs but their copyright, manuals,
# translations. The same rules go into dpkg's config, as there, for packages added later.
SLIM_EXCLUDE = (
    "usr/share/doc/*",
    "usr/share/groff/*",
    "usr/share/info/*",
    "usr/share/linda/*",
    "usr/share/lintian/overrides/*",
    "usr/share/locale/*",
    "usr/share/man/*",
)
SLIM_INCLUDE = ("usr/share/doc/*/copyright",)


def slim_rootfs(root: Path) -> None:
    rules = [f"path-exclude /{pattern}" for pattern in SLIM_EXCLUDE]
    rules += [f"path-include /{pattern}" for pattern in SLIM_INCLUDE]
    (root / "etc/dpkg/dpkg.cfg.d").mkdir(parents=True, exist_ok=True)
    (root / "etc/dpkg/dpkg.cfg.d/slim").write_text("\n".join(rules) + "\n")
    kept = {path for pattern in SLIM_INCLUDE for path in root.glob(pattern)}
    for pattern in SLIM_EXCLUDE:
        for top in root.glob(pattern):
            is_folder = top.is_dir() and not top.is_symlink()
            # Children sort after their folder, so in reverse they go first.
            for path in [*sorted(top.rglob("*"), reverse=True), top] if is_folder else [top]:
                if path in kept:
                    continue
                if path.is_dir() and not path.is_symlink():
                    if not any(path.iterdir()):
                        path.rmdir()
                else:
                    path.unlink()


def build_base_tarball(say: Say, s: Settings, paths: Paths, tarball: Path) -> None:
    work = s.cache_dir / f"rootfs-{base_key(s)}"
    _unmount_under(work)
    shutil.rmtree(work, ignore_errors=True)
    mirror = s.mirror or apt_mirror(s.base_suite)
    log = paths.logs / "debootstrap.log"
    say(f"building the base image: debootstrap {s.base_suite} from {mirror} (once; log {log})")
    argv = [
        "/usr/sbin/debootstrap",
        "--variant=minbase",
        f"--include={s.base_include}",
        s.base_suite,
        str(work),
        mirror,
    ]
    try:
        _run(argv, what="debootstrap", env=_apt_proxy_env(), log=log)
        _unmount_under(work)
        for sub in ("var/cache/apt/archives", "var/lib/apt/lists", "var/cache/apt"):
            for item in (work / sub).glob("*"):
                if item.is_file():
                    item.unlink()
        slim_rootfs(work)
        tmp = tarball.with_suffix(".tmp")
        _run(
            ["tar", "--numeric-owner", "--xattrs", "-C", str(work), "-cf", str(tmp), "."],
            what="tar",
        )
        tmp.replace(tarball)
    finally:
        _unmount_under(work)
        shutil.rmtree(work, ignore_errors=True)


BASE_CHANGES = (
    "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    "ENV LANG=C.UTF-8",
    'CMD ["python3"]',
)
"""What `docker import` adds to the base image's root file system."""


def ensure_base_image(say: Say, s: Settings, paths: Paths) -> str:
    """`cached` (in the engine), `imported` (from the cached tarball) or `built`."""
    import docker.errors

    client = _docker_client(paths, timeout=600)
    key = base_key(s)
    try:
        image = client.images.get(s.base_image)
        if image.labels.get(BASE_LABEL) == key:
            return "cached"
    except docker.errors.ImageNotFound:
        pass
    s.cache_dir.mkdir(parents=True, exist_ok=True)
    tarball = s.cache_dir / f"base-{s.base_suite}-{key}.tar"
    source = "imported"
    if not tarball.exists():
        build_base_tarball(say, s, paths, tarball)
        source = "built"
    repo, _, tag = s.base_image.rpartition(":")
    if not repo or "/" in tag:
        repo, tag = s.base_image, "latest"
    changes = [*BASE_CHANGES, f"LABEL {BASE_LABEL}={key}"]
    with tarball.open("rb") as f:
        client.api.import_image(src=f, repository=repo, tag=tag, changes=changes)
    image = client.images.get(s.base_image)
    if image.labels.get(BASE_LABEL) != key:
        raise StackError(f"imported {s.base_image} but it lacks label {BASE_LABEL}={key}")
    return source


# --------------------------------------------------------------------------- up/down


def _info(s: Settings, paths: Paths, port: int, driver: str) -> StackInfo:
    return StackInfo(
        state_dir=str(s.state_dir),
        docker_host=f"unix://{paths.docker_sock}",
        docker_socket=str(paths.docker_sock),
        endpoint_url=f"http://127.0.0.1:{port}",
        moto_port=port,
        region=s.region,
        regions=s.regions,
        account_id=names.ACCOUNT_ID,
        registry_host=s.registry_endpoint(),
        registry_hosts=s.registry_endpoints(),
        registry_url=f"https://{s.registry_endpoint()}",
        registry_user=REGISTRY_USER,
        ca_path=str(paths.ca_cert),
        base_image=s.base_image,
        storage_driver=driver,
    )


@dataclass(frozen=True)
class _UpResult:
    info: StackInfo
    started: list[str]
    installed: list[str]
    timings: str


def up(s: Settings | None = None, say: Say = _say) -> StackInfo:
    """Bring the stack up (idempotent). If a fresh start fails, what it started is stopped."""
    s = s or Settings.from_env()
    paths = Paths(s.state_dir)
    t0 = time.monotonic()
    if os.geteuid() != 0:
        raise StackError("the stack needs root (dockerd, /etc/hosts, port 443, apt-get)")
    with _locked(paths):
        was_running = any(_recorded(paths, n) is not None for n in COMPONENTS)
        try:
            res = _up_locked(s, paths, say, t0)
        except BaseException:
            if not was_running:
                say("stack up failed: stopping what it started")
                with contextlib.suppress(Exception):
                    _down_locked(s, paths, say)
            raise
    info = res.info
    for name in ("dockerd", "moto", "registry"):
        state = "started" if name in res.started else "already running"
        say(f"{name:<9} {state} (pid {info.pids.get(name)})")
    say(res.timings + (f" (installed: {' '.join(res.installed)})" if res.installed else ""))
    say(f"engine    {info.engine}")
    say(
        f"stack up in {info.up_seconds:.1f}s (base image: {info.base_image_source}; "
        f"storage driver: {info.storage_driver}; started: {', '.join(res.started) or 'nothing'})"
    )
    return info


def _up_locked(s: Settings, paths: Paths, say: Say, t0: float) -> _UpResult:
    for d in (paths.pids, paths.logs, paths.run):
        d.mkdir(parents=True, exist_ok=True)
    ensure_engine(say, s, paths)
    installed = ensure_packages(say, paths)
    engine = installed_engine()
    moto_bin = ensure_venv_tools(say)
    t_pkgs = time.monotonic()
    config = _load_config(paths)

    # Names, certificates and CA first: dockerd must never look our names up in DNS
    # (Go caches /etc/hosts for a few seconds, so it must be in place before it starts).
    changed_tls = ensure_tls(s, paths)
    install_ca(s, paths)
    hostsfile.add(
        HOSTS_FILE, str(s.state_dir), names.all_hosts(), paths.hosts_record, paths.hosts_backup
    )
    guard.check("http://127.0.0.1", registry_hosts=names.registry_hosts(), environ={})

    dockerd, dockerd_started, driver = ensure_dockerd(say, s, paths, config)
    moto, moto_started, port = ensure_moto(say, s, paths, config, moto_bin)
    _save_json(paths.config, config)

    wait_moto(paths, moto, port)
    password = moto_registry_password(s, f"http://127.0.0.1:{port}")
    registry, registry_started = ensure_registry(say, s, paths, password, changed_tls)

    dockerd, driver = wait_dockerd(say, s, paths, config, dockerd, driver)
    config["storage_driver"] = driver
    _save_json(paths.config, config)
    if dockerd_started or _recorded(paths, "containerd") is None:
        _record_containerd(paths, dockerd)
    t_daemons = time.monotonic()

    base_source = ensure_base_image(say, s, paths)
    t_base = time.monotonic()
    wait_registry(s, paths, registry)

    started = [
        name
        for name, flag in (
            ("dockerd", dockerd_started),
            ("moto", moto_started),
            ("registry", registry_started),
        )
        if flag
    ]
    pids = {}
    for name in COMPONENTS:
        proc = _recorded(paths, name)
        if proc is not None:
            pids[name] = proc.pid
    total = time.monotonic() - t0
    info = _info(s, paths, port, driver)
    info = StackInfo(
        **{
            **asdict(info),
            "pids": pids,
            "up_seconds": round(total, 2),
            "base_image_source": base_source,
            "engine_version": _dockerd_version(paths),
            "engine_origin": f"docker.io {engine.version} from {engine.origin}",
            "buildx_version": engine.buildx,
        }
    )
    _save_json(paths.info, asdict(info))
    paths.env_sh.write_text(_exports(info))
    timings = (
        f"timings: packages {t_pkgs - t0:.1f}s, daemons {t_daemons - t_pkgs:.1f}s, "
        f"base image {t_base - t_daemons:.1f}s, registry {time.monotonic() - t_base:.1f}s"
    )
    return _UpResult(info=info, started=started, installed=installed, timings=timings)


def _ancestors() -> set[int]:
    out: set[int] = set()
    pid: int | None = os.getpid()
    while pid and pid not in out:
        out.add(pid)
        pid = procs.ppid_of(pid)
    return out


def leftovers(paths: Paths) -> list[procs.Proc]:
    """Processes our dockerd started that outlived it: their arguments name our exec/data root.

    (containerd-shim re-parents itself to init, so it is found by the socket path it was
    given, which is unique to this stack; never by name.)
    """
    mine = _ancestors()
    roots = (str(paths.exec_root) + "/", str(paths.data_root) + "/")
    found: dict[int, procs.Proc] = {}
    for proc in procs.processes_mentioning(str(paths.exec_root)) + procs.processes_mentioning(
        str(paths.data_root)
    ):
        if proc.pid in mine:
            continue
        if any(arg.startswith(roots) for arg in procs.cmdline(proc.pid)):
            found[proc.pid] = proc
    return list(found.values())


def down(s: Settings | None = None, say: Say = _say) -> list[int]:
    """Stop our recorded processes by PID; undo /etc/hosts and certs.d. Returns stopped PIDs."""
    s = s or Settings.from_env()
    paths = Paths(s.state_dir)
    t0 = time.monotonic()
    with _locked(paths):
        stopped = _down_locked(s, paths, say)
    say(f"stack down in {time.monotonic() - t0:.1f}s")
    return stopped


def _down_locked(s: Settings, paths: Paths, say: Say) -> list[int]:
    stopped: list[int] = []
    recorded = {n: procs.read_pidfile(paths.pidfile(n)) for n in COMPONENTS}
    order = (("registry", 10.0), ("moto", 10.0), ("dockerd", 40.0), ("containerd", 10.0))
    for name, timeout in order:
        proc = recorded.get(name)
        if proc is None:
            continue
        if proc.alive():
            if procs.stop([proc], timeout=timeout):
                raise StackError(f"{name} pid {proc.pid} survived SIGKILL")
            stopped.append(proc.pid)
            say(f"{name:<9} stopped (pid {proc.pid})")
        paths.pidfile(name).unlink(missing_ok=True)
    rest = leftovers(paths)
    if rest:
        say(f"stopping processes left by our dockerd: {' '.join(str(p.pid) for p in rest)}")
        if procs.stop(rest, timeout=10):
            raise StackError("processes left by our dockerd survived SIGKILL")
        stopped += [p.pid for p in rest]
    _unmount_under(paths.exec_root)  # what our stopped dockerd left mounted, if anything
    _unmount_under(paths.data_root)
    with contextlib.suppress(FileNotFoundError):
        paths.docker_sock.unlink()
    if hostsfile.remove(HOSTS_FILE, str(s.state_dir), paths.hosts_record):
        say(f"/etc/hosts: removed our entries ({HOSTS_FILE})")
    remove_ca(paths)
    paths.info.unlink(missing_ok=True)
    paths.env_sh.unlink(missing_ok=True)
    return stopped


@dataclass(frozen=True)
class ComponentStatus:
    name: str
    pid: int | None
    alive: bool
    answering: bool


def status(s: Settings | None = None) -> list[ComponentStatus]:
    s = s or Settings.from_env()
    paths = Paths(s.state_dir)
    port = int(_load_config(paths).get("moto_port") or 0)
    out = []
    probes: dict[str, Callable[[], bool]] = {
        "dockerd": lambda: _dockerd_answers(paths),
        "containerd": lambda: (paths.exec_root / "containerd" / "containerd.sock").exists(),
        "moto": lambda: bool(port) and _answers(f"http://127.0.0.1:{port}/moto-api/"),
        "registry": lambda: paths.ca_cert.exists() and _registry_answers(s, paths),
    }
    for name in COMPONENTS:
        proc = procs.read_pidfile(paths.pidfile(name))
        alive = proc is not None and proc.alive()
        out.append(
            ComponentStatus(name, proc.pid if proc else None, alive, alive and probes[name]())
        )
    return out


def is_up(s: Settings | None = None) -> bool:
    s = s or Settings.from_env()
    return Paths(s.state_dir).info.exists() and all(c.answering for c in status(s))


def _exports(info: StackInfo) -> str:
    lines = ["unset AWS_PROFILE AWS_DEFAULT_PROFILE AWS_SESSION_TOKEN AWS_SECURITY_TOKEN"]
    lines += [f"export {k}={shlex.quote(v)}" for k, v in info.env().items()]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    cmd = args[0] if args else ""
    s = Settings.from_env()
    try:
        if cmd == "up":
            up(s)
            return 0
        if cmd == "down":
            down(s)
            return 0
        if cmd == "env":
            info = StackInfo.load(s.state_dir)
            if info is None:
                print("stack: not up (scripts/stack up)", file=sys.stderr)
                return 1
            sys.stdout.write(_exports(info))
            return 0
        if cmd == "status":
            comps = status(s)
            for c in comps:
                state = "answering" if c.answering else ("running" if c.alive else "stopped")
                print(f"{c.name:<10} {state:<10} pid {c.pid if c.pid else '-'}")
            info = StackInfo.load(s.state_dir)
            if info is not None:
                print(
                    f"endpoint   {info.endpoint_url}\nregistry   {info.registry_url}\n"
                    f"docker     {info.docker_host}\nbase image {info.base_image}\n"
                    f"engine     {info.engine}"
                )
            up_now = all(c.answering for c in comps)
            word = "up" if up_now else "partly up" if any(c.alive for c in comps) else "down"
            print(f"stack: {word} ({s.state_dir})")
            return 0 if up_now else 1
    except (StackError, guard.GuardError) as exc:
        print(f"stack {cmd}: {exc}", file=sys.stderr)
        return 1
    print("usage: scripts/stack {up|down|env|status}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
