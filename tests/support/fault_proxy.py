"""A fault-injecting HTTP proxy on loopback, between boto3 and moto.

Each request's API action is read the way AWS routes it (`X-Amz-Target` for the JSON
protocols of ECS and ECR, `Action=` for the query protocols of IAM and STS). A rule per
action (or `*`) says how often and how it fails:

    throttle   400 ThrottlingException, as AWS sends it (not forwarded)
    500 / 503  ServerException / ServiceUnavailableException (not forwarded)
    reset      the connection is closed without an answer (not forwarded)
    slow       forwarded after `delay` seconds
    lost       forwarded, then the connection is closed: the call landed, its answer did not
    late-500   forwarded, then answered 500 ServerException: the call landed, and what came
               back says it failed (a front end that gave up waiting, say)

`after` spares the first N calls of the action (a plan's reads, say) and `first` limits a
rule to the N calls after those; `rate` is a probability drawn
from a seeded generator, so a scenario repeats exactly. `forwarded` counts what reached moto and
`answered` what moto said to it (`Action:status`), whatever reached the caller.
A gate (`gates[action]`, a `threading.Barrier`) holds each call of the action until as many as
the barrier's parties have arrived, then forwards them one after the other: two deploys of one
service then surely both update it before either can finish, however long each took to get
there.

With `buckets` (tests/support/account_buckets.py), the proxy is also the account: every
request first takes a token from its action's documented bucket, and one that finds it empty
gets the service's throttling answer, not forwarded, before any rule applies.
"""

from __future__ import annotations

import http.client
import json
import random
import threading
import time
import urllib.parse
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.support import guard
from tests.support.account_buckets import AccountBuckets

_ERRORS = {
    "throttle": (400, "ThrottlingException", "Rate exceeded"),
    "500": (500, "ServerException", "An internal error occurred"),
    "503": (503, "ServiceUnavailableException", "Service is unavailable, try again later"),
}


@dataclass
class Rule:
    kinds: tuple[str, ...]
    rate: float = 1.0
    first: int | None = None
    delay: float = 0.3
    after: int = 0


@dataclass
class FaultProxy:
    upstream: str
    rules: dict[str, Rule] = field(default_factory=dict)
    seed: int = 7
    buckets: AccountBuckets | None = None
    forwarded: Counter[str] = field(default_factory=Counter)
    injected: Counter[str] = field(default_factory=Counter)
    seen: Counter[str] = field(default_factory=Counter)
    answered: Counter[str] = field(default_factory=Counter)
    gates: dict[str, threading.Barrier] = field(default_factory=dict)

    def __post_init__(self) -> None:
        guard.check_url(self.upstream, what="fault proxy upstream")
        self._random = random.Random(self.seed)
        self._lock = threading.Lock()
        self._gated = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def reseed(self, seed: int) -> None:
        with self._lock:
            self.seed = seed
            self._random = random.Random(seed)

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> FaultProxy:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                """Quiet: the tests read counters, not access logs."""

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                proxy.serve(self, body)

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _handle

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def fault_for(self, action: str) -> tuple[str, Rule] | None:
        with self._lock:
            self.seen[action] += 1
            rule = self.rules.get(action) or self.rules.get("*")
            if rule is None or self.seen[action] <= rule.after:
                return None
            if rule.first is not None and self.seen[action] > rule.after + rule.first:
                return None
            if self._random.random() >= rule.rate:
                return None
            kind = self._random.choice(rule.kinds)
            self.injected[f"{action}:{kind}"] += 1
            return kind, rule

    def serve(self, handler: BaseHTTPRequestHandler, body: bytes) -> None:
        action = api_action(dict(handler.headers), body)
        refused = self.buckets.admit(action) if self.buckets is not None else None
        if refused is not None:
            _error(handler, *refused)
            return
        fault = self.fault_for(action)
        if fault is not None:
            kind, rule = fault
            if kind in _ERRORS:
                _error(handler, *_ERRORS[kind])
                return
            if kind == "reset":
                _drop(handler)
                return
            if kind == "slow":
                time.sleep(rule.delay)
        if action in self.gates:
            self.gates[action].wait(timeout=60)  # broken after that: the handler fails loudly
            with self._gated:  # then one at a time, as ECS applies a service's updates
                status, headers, answer = self.forward(handler, body)
        else:
            status, headers, answer = self.forward(handler, body)
        with self._lock:
            self.forwarded[action] += 1
            self.answered[f"{action}:{status}"] += 1
        if fault is not None and fault[0] == "lost":
            _drop(handler)
            return
        if fault is not None and fault[0] == "late-500":
            _error(handler, *_ERRORS["500"])
            return
        _answer(handler, status, headers, answer)

    def forward(
        self, handler: BaseHTTPRequestHandler, body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        target = urllib.parse.urlsplit(self.upstream)
        connection = http.client.HTTPConnection(
            target.hostname or "127.0.0.1", target.port or 80, timeout=60
        )
        try:
            headers = {k: v for k, v in handler.headers.items() if k.lower() != "host"}
            headers["Host"] = target.netloc
            connection.request(handler.command, handler.path, body=body, headers=headers)
            response = connection.getresponse()
            answer = response.read()
            kept = {
                k: v
                for k, v in response.getheaders()
                if k.lower() not in ("transfer-encoding", "connection", "content-length")
            }
            return response.status, kept, answer
        finally:
            connection.close()


def api_action(headers: dict[str, str], body: bytes) -> str:
    """`RegisterTaskDefinition` from the JSON target header, or `Action=` of a query call."""
    target = next((v for k, v in headers.items() if k.lower() == "x-amz-target"), "")
    if target:
        return target.rsplit(".", 1)[-1]
    query = urllib.parse.parse_qs(body.decode("utf-8", "replace"))
    return query.get("Action", ["other"])[0]


def _answer(
    handler: BaseHTTPRequestHandler, status: int, headers: dict[str, str], payload: bytes
) -> None:
    handler.send_response(status)
    for key, value in headers.items():
        handler.send_header(key, value)
    handler.send_header("Content-Length", str(len(payload)))
    handler.end_headers()
    handler.wfile.write(payload)


def _error(handler: BaseHTTPRequestHandler, status: int, code: str, message: str) -> None:
    """An error as the JSON protocols of ECS, ECR and CloudWatch Logs send it."""
    payload = json.dumps({"__type": code, "message": message}).encode()
    headers = {"Content-Type": "application/x-amz-json-1.1", "x-amzn-ErrorType": code}
    _answer(handler, status, headers, payload)


def _drop(handler: BaseHTTPRequestHandler) -> None:
    handler.close_connection = True
    handler.connection.close()
