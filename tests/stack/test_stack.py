"""The local stack itself: build → login → push → read back, run, the guard, up/down."""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import secrets
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import docker.errors
import pytest
import requests

from tests.support import guard, procs
from tests.support import stack as stack_mod
from tests.support.pytest_stack import REPO_ROOT, run_stack_cli

pytestmark = pytest.mark.stack

MANIFEST_V2 = "application/vnd.docker.distribution.manifest.v2+json"


def _registry_session() -> requests.Session:
    session = requests.Session()
    session.trust_env = False  # no proxy, no REQUESTS_CA_BUNDLE: only our CA, only loopback
    return session


def _push(docker_client: Any, repository: str, tag: str, auth: dict[str, str]) -> str:
    """Push and return the digest the engine reported; fail on any error event."""
    digest = ""
    errors = []
    for event in docker_client.api.push(
        repository, tag=tag, stream=True, decode=True, auth_config=auth
    ):
        if "error" in event:
            errors.append(event["error"])
        aux = event.get("aux") or {}
        if "Digest" in aux:
            digest = aux["Digest"]
    assert not errors, f"push failed: {errors}"
    assert re.fullmatch(r"sha256:[0-9a-f]{64}", digest), f"push reported no digest: {digest!r}"
    return digest


# --------------------------------------------------------------------------- (a) build/push


def test_build_login_push_and_read_manifest_back(
    stack, docker_client, hello_image, ecr_repo, registry_auth
):
    assert registry_auth.registry_host == stack.registry_host
    assert registry_auth.username == "AWS"
    sha = secrets.token_hex(20)  # a commit SHA's shape
    assert hello_image.tag(ecr_repo.uri, sha)

    login = docker_client.login(
        username=registry_auth.username,
        password=registry_auth.password,
        registry=registry_auth.registry_url,
        reauth=True,
    )
    assert login["Status"] == "Login Succeeded"
    digest = _push(docker_client, ecr_repo.uri, sha, registry_auth.docker_auth_config())

    guard.check_url(stack.registry_url, what="registry")
    resp = _registry_session().get(
        f"{stack.registry_url}/v2/{ecr_repo.name}/manifests/{sha}",
        auth=(registry_auth.username, registry_auth.password),
        headers={"Accept": MANIFEST_V2},
        verify=stack.ca_path,
        timeout=10,
    )
    assert resp.status_code == 200, resp.text
    assert resp.headers["Content-Type"] == MANIFEST_V2
    assert resp.headers["Docker-Content-Digest"] == digest
    assert "sha256:" + hashlib.sha256(resp.content).hexdigest() == digest
    manifest = resp.json()
    assert manifest["config"]["digest"] == hello_image.id  # the image we built, not another


def test_registry_refuses_a_wrong_password(stack, docker_client, registry_auth):
    session = _registry_session()
    url = f"{stack.registry_url}/v2/"
    good = session.get(
        url, auth=(registry_auth.username, registry_auth.password), verify=stack.ca_path, timeout=10
    )
    assert good.status_code == 200  # the control: right password, same request
    wrong = session.get(
        url,
        auth=(registry_auth.username, registry_auth.password + "x"),
        verify=stack.ca_path,
        timeout=10,
    )
    assert wrong.status_code == 401
    assert "Basic" in wrong.headers.get("WWW-Authenticate", "")
    anonymous = session.get(url, verify=stack.ca_path, timeout=10)
    assert anonymous.status_code == 401

    with pytest.raises(docker.errors.APIError) as info:
        docker_client.login(
            username=registry_auth.username,
            password=registry_auth.password + "x",
            registry=registry_auth.registry_url,
            reauth=True,
        )
    refused = str(info.value).lower()
    # Docker 28 takes a registry on 127.0.0.0/8 for an insecure one: after https answered
    # 401 it tries plain http, where nothing listens, and reports that instead.
    assert (
        "unauthorized" in refused
        or "401" in refused
        or (
            stack.engine_version.startswith("28.")
            and "127.0.0.1:80: connect: connection refused" in refused
        )
    ), refused


def test_registry_tls_is_verified_with_our_ca_only(stack):
    """The registry's certificate is ours: a client with only the system CAs rejects it."""
    with pytest.raises(requests.exceptions.SSLError):
        _registry_session().get(f"{stack.registry_url}/v2/", verify=True, timeout=10)


# --------------------------------------------------------------------------- (b) run


def _get(url: str) -> tuple[int, str]:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(url, timeout=2) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, ""


def test_built_image_runs_and_is_healthy(docker_client, hello_image, run_container, unused_port):
    container = run_container(
        hello_image.id, environment={"PORT": str(unused_port), "GREETING_NAME": "stack-test"}
    )
    health_url = f"http://127.0.0.1:{unused_port}/health"
    deadline = time.monotonic() + 30
    status: int | None = None
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError):
            status, _ = _get(health_url)
            if status == 200:
                break
        container.reload()
        assert container.status in ("created", "running"), container.logs().decode()
        time.sleep(0.2)
    assert status == 200, f"no 200 from {health_url}; logs:\n{container.logs().decode()}"
    assert _get(f"http://127.0.0.1:{unused_port}/") == (
        200,
        "hello from stack-test (API_TOKEN unset)\n",
    )
    assert _get(f"http://127.0.0.1:{unused_port}/nope")[0] == 404

    # The image's own HEALTHCHECK (python, no curl in the base image) turns it healthy.
    deadline = time.monotonic() + 40
    health = ""
    while time.monotonic() < deadline:
        container.reload()
        health = container.attrs["State"].get("Health", {}).get("Status", "")
        if health == "healthy":
            break
        time.sleep(0.5)
    assert health == "healthy", container.attrs["State"]


# --------------------------------------------------------------------------- (c) the guard


class _Listener:
    """A loopback TCP server that records every connection made to it."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections += 1
            with conn:
                conn.settimeout(1)
                with contextlib.suppress(OSError):
                    conn.recv(65536)
                    conn.sendall(b"HTTP/1.1 500 no\r\nContent-Length: 0\r\n\r\n")

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        self.sock.close()


@pytest.fixture
def listener() -> Iterator[_Listener]:
    server = _Listener()
    yield server
    server.close()


REGISTRY = "123456789012.dkr.ecr.us-east-1.amazonaws.com"
API = "ecs.us-east-1.amazonaws.com"


@pytest.fixture
def fake_dns(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """socket.getaddrinfo answering from this table (other names: the real resolver)."""
    table: dict[str, str] = {}
    real = socket.getaddrinfo

    def fake(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(host, str) and host in table:
            return real(table[host], port, *args, **kwargs)
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", fake)
    return table


def _guarded_call(endpoint: str, environ: dict[str, str], sent: list[str]) -> None:
    """What every test does: guard first, then boto3. Records each request botocore sends."""
    guard.guard(endpoint, registry_hosts=[REGISTRY], api_hosts=[API], environ=environ)
    import boto3
    import botocore.endpoint
    from botocore.config import Config

    real_send = botocore.endpoint.Endpoint._send

    def spy(self: Any, request: Any) -> Any:
        sent.append(request.url)
        return real_send(self, request)

    botocore.endpoint.Endpoint._send = spy  # type: ignore[method-assign]
    try:
        client = boto3.client(
            "sts",
            endpoint_url=endpoint,
            region_name="us-east-1",
            aws_access_key_id=environ["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=environ["AWS_SECRET_ACCESS_KEY"],
            config=Config(
                retries={"max_attempts": 1}, connect_timeout=2, read_timeout=2, proxies={}
            ),
        )
        with contextlib.suppress(Exception):
            client.get_caller_identity()
    finally:
        botocore.endpoint.Endpoint._send = real_send  # type: ignore[method-assign]


def test_guard_control_lets_a_loopback_run_through(listener, fake_dns):
    """The control for the refusals below: all loopback, the request does reach the server."""
    fake_dns.update({REGISTRY: "127.0.0.1", API: "127.0.0.1"})
    environ: dict[str, str] = {}
    sent: list[str] = []
    _guarded_call(f"http://127.0.0.1:{listener.port}", environ, sent)
    assert sent and listener.connections >= 1
    assert environ["AWS_ACCESS_KEY_ID"] == "testing"
    assert environ["AWS_ENDPOINT_URL"] == f"http://127.0.0.1:{listener.port}"


def test_guard_refuses_a_non_loopback_endpoint(fake_dns, monkeypatch):
    fake_dns.update({REGISTRY: "127.0.0.1", API: "127.0.0.1"})
    connects: list[object] = []
    real_connect = socket.socket.connect
    monkeypatch.setattr(
        socket.socket,
        "connect",
        lambda self, addr: connects.append(addr) or real_connect(self, addr),
    )
    environ = {"AWS_PROFILE": "prod"}
    sent: list[str] = []
    with pytest.raises(guard.GuardError) as info:
        _guarded_call("http://10.0.0.1:5000", environ, sent)
    message = str(info.value)
    assert "\n" not in message
    assert "10.0.0.1" in message and "not a loopback address" in message
    assert sent == [] and connects == []
    assert environ == {"AWS_PROFILE": "prod"}  # refused before changing anything


def test_guard_refuses_a_registry_host_that_resolves_elsewhere(listener, fake_dns):
    fake_dns.update({REGISTRY: "203.0.113.7", API: "127.0.0.1"})
    sent: list[str] = []
    with pytest.raises(guard.GuardError) as info:
        _guarded_call(f"http://127.0.0.1:{listener.port}", {}, sent)
    assert f"registry host {REGISTRY} resolves to 203.0.113.7" in str(info.value)
    assert sent == []
    time.sleep(0.3)
    assert listener.connections == 0


def test_guard_refuses_an_aws_host_or_endpoint_name_that_resolves_elsewhere(listener, fake_dns):
    fake_dns.update({REGISTRY: "127.0.0.1", API: "52.94.0.1"})
    with pytest.raises(
        guard.GuardError,
        match=r"AWS host ecs\.us-east-1\.amazonaws\.com "
        r"resolves to 52\.94\.0\.1",
    ):
        _guarded_call(f"http://127.0.0.1:{listener.port}", {}, [])
    fake_dns.update({API: "127.0.0.1", "moto.internal": "198.51.100.4"})
    with pytest.raises(guard.GuardError, match=r"moto\.internal resolves to 198\.51\.100\.4"):
        _guarded_call(f"http://moto.internal:{listener.port}", {}, [])
    time.sleep(0.3)
    assert listener.connections == 0


def test_guard_refuses_service_endpoints_and_a_missing_endpoint(fake_dns):
    fake_dns.update({REGISTRY: "127.0.0.1", API: "127.0.0.1"})
    with pytest.raises(guard.GuardError, match="AWS_ENDPOINT_URL_ECS"):
        guard.check(
            "http://127.0.0.1:1",
            registry_hosts=[REGISTRY],
            api_hosts=[API],
            environ={"AWS_ENDPOINT_URL_ECS": "https://10.1.2.3"},
        )
    with pytest.raises(guard.GuardError, match="AWS_ENDPOINT_URL is not set"):
        guard.check(None, registry_hosts=[REGISTRY], api_hosts=[API], environ={})


def test_guard_command_line_refuses_with_one_line():
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env["AWS_ENDPOINT_URL"] = "http://10.0.0.1:5000"
    res = subprocess.run(
        [sys.executable, "-m", "tests.support.guard"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert res.returncode == guard.EXIT_REFUSED
    assert res.stdout == ""
    assert res.stderr.count("\n") == 1 and "10.0.0.1" in res.stderr


def test_guard_command_line_passes_on_the_stack(stack):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(stack.env())
    res = subprocess.run(
        [sys.executable, "-m", "tests.support.guard"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert res.returncode == 0, res.stderr
    assert res.stdout.startswith(f"guard: OK endpoint={stack.endpoint_url} ")


# --------------------------------------------------------------------------- (d) up / down


def _our_processes(state_dir: Path) -> list[int]:
    """Live processes that are ours: recorded PIDs, and what our dockerd left behind."""
    paths = stack_mod.Paths(state_dir)
    live = []
    for name in stack_mod.COMPONENTS:
        proc = procs.read_pidfile(paths.pidfile(name))
        if proc is not None and proc.alive():
            live.append(proc.pid)
    return live + [p.pid for p in stack_mod.leftovers(paths)]


def _mounts_under(*roots: Path) -> list[str]:
    prefixes = tuple(f"{r}/" for r in roots)
    targets = [line.split()[1] for line in Path("/proc/mounts").read_text().splitlines()]
    return [t for t in targets if t.startswith(prefixes) or Path(t) in roots]


def _ca_files(stack: stack_mod.StackInfo) -> list[Path]:
    return [stack_mod.CERTS_D / host / "ca.crt" for host in stack.registry_hosts]


@pytest.mark.stack_lifecycle
def test_up_twice_then_down_leaves_nothing_and_hosts_as_it_was(stack):
    state = Path(stack.state_dir)
    paths = stack_mod.Paths(state)
    hosts = stack_mod.HOSTS_FILE
    before = {n: procs.read_pidfile(paths.pidfile(n)) for n in stack_mod.COMPONENTS}
    assert all(p is not None and p.alive() for p in before.values()), before

    # Down: every recorded process (and anything our dockerd started) is gone; hosts and
    # certs.d are as they were before the session's stack came up.
    res = run_stack_cli("down", timeout=300)
    assert res.returncode == 0, res.stdout + res.stderr
    for name, proc in before.items():
        assert proc is not None and not proc.alive(), f"{name} pid {proc} still runs"
    assert _our_processes(state) == []
    assert _mounts_under(state, paths.run) == []
    original = hosts.read_bytes()
    assert b"compose-ecs-deploy local stack" not in original
    assert paths.hosts_backup.read_bytes() == original  # as saved before the first up
    assert not any(f.exists() for f in _ca_files(stack))
    assert run_stack_cli("status").returncode == 1

    # Up, and up again: the second starts nothing.
    first = run_stack_cli("up")
    assert first.returncode == 0, first.stdout + first.stderr
    print(first.stdout.strip().splitlines()[-1])
    pids_first = {n: procs.read_pidfile(paths.pidfile(n)) for n in stack_mod.COMPONENTS}
    assert all(p is not None and p.alive() for p in pids_first.values())
    assert not set(pids_first.values()) & set(before.values())  # really restarted
    assert b"127.0.0.1 " + stack.registry_host.encode() in hosts.read_bytes()
    assert all(f.exists() for f in _ca_files(stack))

    second = run_stack_cli("up")
    assert second.returncode == 0, second.stdout + second.stderr
    assert "started: nothing" in second.stdout
    pids_second = {n: procs.read_pidfile(paths.pidfile(n)) for n in stack_mod.COMPONENTS}
    assert pids_second == pids_first
    assert all(p is not None and p.alive() for p in pids_second.values())
    assert hosts.read_bytes().count(b">>> compose-ecs-deploy local stack") == 1
    assert run_stack_cli("status").returncode == 0

    res = run_stack_cli("down", timeout=300)
    assert res.returncode == 0, res.stdout + res.stderr
    assert all(p is not None and not p.alive() for p in pids_second.values())
    assert _our_processes(state) == []
    assert _mounts_under(state, paths.run) == []
    assert hosts.read_bytes() == original
    assert not any(f.exists() for f in _ca_files(stack))

    # Leave the session's stack as we found it: up, on the same port and socket.
    res = run_stack_cli("up")
    assert res.returncode == 0, res.stdout + res.stderr
    again = stack_mod.StackInfo.load(state)
    assert again is not None
    assert (again.endpoint_url, again.docker_host) == (stack.endpoint_url, stack.docker_host)
