"""What a process outside the test (the action's container) asked the stack's moto, in order.

Why: a test of the action's container cannot hook botocore inside the container, as the CLI
tests do (tests/deploy/test_codedeploy.py's ``calls``); moto's own request recorder
(/moto-api/recorder/*, moto_api/_internal/recorder) sees every request the server answers.
``tests/support/moto_server.py`` points it at a file of its own (never the checkout) and makes
each entry one whole line. ``recorded(endpoint)`` starts a fresh recording and, on exit,
fills its list with ``(operation, body)`` for the JSON-protocol services (ECS, CodeDeploy,
Secrets Manager, Logs, ECR: their ``X-Amz-Target`` header names the operation) and the query
ones (IAM, STS: ``Action`` in the form body).
"""

from __future__ import annotations

import base64
import json
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from tests.support import guard

Call = tuple[str, dict[str, Any]]


def _post(endpoint: str, verb: str) -> str:
    guard.check_url(endpoint, what="moto endpoint")
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    method = "GET" if verb == "download-recording" else "POST"
    request = urllib.request.Request(
        f"{endpoint}/moto-api/recorder/{verb}", method=method, data=None if method == "GET" else b""
    )
    with opener.open(request, timeout=30) as answer:
        return str(answer.read().decode())


def parse(entry: dict[str, Any]) -> Call | None:
    """One recorded request as (operation, parameters); None for moto's own API."""
    headers = {str(k).lower(): str(v) for k, v in (entry.get("headers") or {}).items()}
    raw = entry.get("body") or ""
    body = base64.b64decode(raw).decode() if entry.get("body_encoded") else str(raw)
    target = headers.get("x-amz-target")
    if target:
        return target.rsplit(".", 1)[-1], json.loads(body or "{}")
    form = dict(urllib.parse.parse_qsl(body))
    if "Action" in form:
        return form.pop("Action"), form
    return None


@contextmanager
def recorded(endpoint: str) -> Iterator[list[Call]]:
    """Record what moto is asked inside the block; the list is filled when it ends."""
    calls: list[Call] = []
    _post(endpoint, "reset-recording")
    _post(endpoint, "start-recording")
    try:
        yield calls
    finally:
        _post(endpoint, "stop-recording")
        for line in _post(endpoint, "download-recording").splitlines():
            found = parse(json.loads(line)) if line.strip() else None
            if found is not None:
                calls.append(found)
