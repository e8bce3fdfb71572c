"""Notices about what the finished containers say: host names and plain secrets.

In an awsvpc task the containers share one network interface, so they reach each other on
localhost, and a compose service name is no host name at all. An environment value or a
health check that uses one gets a notice with the fix: localhost, unless localhost:PORT is
another container of the task (two services that listen on one port cannot share a task).
A plain environment value that holds a secret (by its name's words or its value's shape,
`secret_shapes`) is readable by anyone who can describe the task definition: a warning,
an error with `--strict`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from compose_ecs_deploy.compose.context import ConversionOptions
from compose_ecs_deploy.compose.secret_shapes import looks_secret as _looks_secret
from compose_ecs_deploy.compose.secret_shapes import secret_name, secret_value
from compose_ecs_deploy.diagnostics import Diagnostic, Diagnostics, Severity

_URL_HOST = re.compile(
    r"[A-Za-z][A-Za-z0-9+.-]*://(?:[^@/\s]*@)?(?P<host>[^:/?#@\s,;'\"`)]+)(?::(?P<port>\d{1,5}))?"
)
_HOST_PORT = re.compile(r"(?P<host>[A-Za-z0-9_.-]+):(?P<port>\d{1,5})")
_HOST_LIKE_NAME = re.compile(r"(^|_)(HOST|URL|ADDR)$", re.IGNORECASE)


def referenced_host(name: str, value: str, services: Sequence[str]) -> str | None:
    """The service `value` uses as a host: a URL's host, `HOST:PORT`, or a host-like variable.

    Only where a value really is a host: a password or a path that happens to contain a
    service's name is not one, and notices on them teach users to ignore notices.
    """
    found = _host_and_port(value, services, anywhere=False)
    if found is not None:
        return found[0]
    if value in services and _HOST_LIKE_NAME.search(name):
        return value
    return None


def _host_and_port(
    text: str, services: Sequence[str], *, anywhere: bool
) -> tuple[str, int | None] | None:
    """The first service used as a URL's host or in HOST:PORT, with the port if one is given.

    In an environment value each word must be the URL or the HOST:PORT itself; in a health
    check command (`anywhere`) a URL may sit inside code (`fetch('http://studio:3000')`)."""
    for token in re.split(r"[\s,;]+", text):
        url = _URL_HOST.search(token) if anywhere else _URL_HOST.match(token)
        host_port = None if url else _HOST_PORT.fullmatch(token)
        match = url or host_port
        if match and match.group("host") in services:
            port = match.group("port")
            return match.group("host"), int(port) if port else None
    return None


def notice_sibling_hosts(
    containers: list[dict[str, Any]], services: Sequence[str], diagnostics: Diagnostics
) -> None:
    owners = _port_owners(containers)
    for container in containers:
        for entry in container.get("environment", []):
            name, value = str(entry.get("name")), str(entry.get("value", ""))
            host = referenced_host(name, value, services) if len(services) > 1 else None
            if host is None or host == container["name"]:
                continue
            found = _host_and_port(value, services, anywhere=False)
            port = found[1] if found else None
            diagnostics.notice(
                "sibling-hostname",
                f"{name} uses {host!r} as a host name; " + _fix(host, port, owners),
                service=container["name"],
                field=f"environment.{name}",
            )
        if container["name"] in services:
            _notice_health_check_host(container, services, owners, diagnostics)


def _notice_health_check_host(
    container: Mapping[str, Any],
    services: Sequence[str],
    owners: Mapping[int, str],
    diagnostics: Diagnostics,
) -> None:
    command = (container.get("healthCheck") or {}).get("command") or []
    found = _host_and_port(" ".join(str(part) for part in command[1:]), services, anywhere=True)
    if found is None:
        return
    host, port = found
    itself = host == container["name"]
    fix = "it runs inside the container: use localhost" if itself else _fix(host, port, owners)
    diagnostics.notice(
        "healthcheck-hostname",
        f"the health check calls {'its own service' if itself else 'service'} {host!r} by "
        f"its compose name, which is no host name on ECS; {fix}",
        service=str(container["name"]),
        field="healthcheck.test",
    )


def _fix(host: str, port: int | None, owners: Mapping[int, str]) -> str:
    owner = owners.get(port) if port is not None else None
    if owner is not None and owner != host:
        return (
            f"in an awsvpc task containers reach each other on localhost, but "
            f"localhost:{port} is {owner}: {host} must listen on another port, or run as "
            "its own ECS service"
        )
    return "in an awsvpc task containers reach each other on localhost"


def _port_owners(containers: Sequence[Mapping[str, Any]]) -> dict[int, str]:
    """Which container listens on each declared port (a port has one owner per task)."""
    owners: dict[int, str] = {}
    for container in containers:
        for mapping in container.get("portMappings") or []:
            if mapping.get("containerPort") is not None:
                owners.setdefault(int(mapping["containerPort"]), str(container["name"]))
    return owners


def flag_secret_looking_environment(
    containers: list[dict[str, Any]],
    services: Sequence[str],
    options: ConversionOptions,
    from_base: frozenset[str],
    diagnostics: Diagnostics,
) -> None:
    """A plain value under a secret's name ends up readable in the task definition.

    Where compose is silent and the entry is the base's, the message names the base file
    (or says it is the running revision's), not a compose line that never set it.
    """
    for container in containers:
        if container["name"] not in services:
            continue
        for entry in container.get("environment", []):
            name, value = str(entry.get("name")), str(entry.get("value", ""))
            if not _looks_secret(name, value):
                continue
            inherited = container["name"] in from_base
            where = ""
            if inherited:
                where = (
                    " (set in the base task definition)"
                    if options.base_label
                    else " (set in the running revision)"
                )
            credential = None if secret_name(name) else secret_value(value)
            why = f"holds {credential}" if credential else "looks like a secret"
            message = (
                f"{name} {why} but is a plain environment value{where}, "
                "readable by anyone who can describe the task definition; bind it "
                f"with --secret {name}=ARN (action input: secrets)"
            )
            severity: Severity = "warning"
            if options.strict:
                severity, message = "error", message + " (strict mode)"
            diagnostics.add(
                Diagnostic(
                    severity,
                    "secret-in-environment",
                    message,
                    service=container["name"],
                    field=f"environment.{name}",
                    file=options.base_label if inherited else None,
                )
            )
