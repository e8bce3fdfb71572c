"""The loopback guard: nothing a test or the demo sends may leave this machine.

`guard()` must be called before the first AWS or registry request. It checks, before any
request is sent, that

- `AWS_ENDPOINT_URL` (and every service-specific `AWS_ENDPOINT_URL_*`) points at a loopback
  address (127.0.0.0/8 or ::1), as a literal or through name resolution;
- every ECR registry hostname of the stack resolves, and only to loopback;
- every AWS API hostname we could reach (ecs/ecr/sts/logs/... of the stack's regions)
  resolves to nothing or only to loopback;

and then sets fake credentials, the region, and disables the shared config files and the
instance metadata service, so that nothing can pick up a real identity. A refusal raises
`GuardError` whose message is one line saying what would have gone where.

Names are resolved with `socket.getaddrinfo`, exactly what boto3 and the docker SDK use.

From a shell (the demo): `python -m tests.support.guard` prints `guard: OK ...` or one line
on stderr and exits 2.
"""

from __future__ import annotations

import ipaddress
import os
import socket
import sys
from collections.abc import Iterable, Mapping, MutableMapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from tests.support import names

EXIT_REFUSED = 2
PROXY_VARIABLES = (
    "http_proxy",
    "https_proxy",
    "all_proxy",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
)


class GuardError(RuntimeError):
    """The run would send traffic somewhere other than loopback; nothing was sent."""


@dataclass(frozen=True)
class GuardResult:
    endpoint_url: str
    region: str
    checked_hosts: tuple[str, ...]


def is_loopback(address: str) -> bool:
    """True for 127.0.0.0/8, ::1 and IPv4-mapped loopback (::ffff:127.x.y.z)."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_loopback


def resolve(host: str) -> list[str] | None:
    """All addresses `host` resolves to (socket.getaddrinfo), or None when it does not."""
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError):
        return None
    return sorted({str(info[4][0]) for info in infos})


def check_host(host: str, *, what: str, must_resolve: bool) -> None:
    """Refuse unless `host` is (or resolves only to) loopback.

    With must_resolve=False a name that does not resolve at all is accepted: no traffic
    can go to it.
    """
    if not host:
        raise GuardError(f"guard: refusing to run: {what} has no host name")
    literal = host.strip("[]")
    try:
        ipaddress.ip_address(literal.split("%", 1)[0])
    except ValueError:
        pass
    else:
        if not is_loopback(literal):
            raise GuardError(
                f"guard: refusing to run: {what} {host} is not a loopback address "
                "(127.0.0.0/8 or ::1); nothing was sent"
            )
        return
    addresses = resolve(host)
    if addresses is None:
        if must_resolve:
            raise GuardError(
                f"guard: refusing to run: {what} {host} does not resolve "
                "(is the stack up? scripts/stack up); nothing was sent"
            )
        return
    outside = [a for a in addresses if not is_loopback(a)]
    if outside:
        raise GuardError(
            f"guard: refusing to run: {what} {host} resolves to {', '.join(outside)}, "
            "not loopback (127.0.0.0/8 or ::1); nothing was sent"
        )


def check_url(url: str, *, what: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise GuardError(f"guard: refusing to run: {what} {url!r} is not an http(s) URL")
    check_host(parts.hostname or "", what=what, must_resolve=True)


def endpoint_variables(environ: Mapping[str, str]) -> dict[str, str]:
    """AWS_ENDPOINT_URL and every AWS_ENDPOINT_URL_<SERVICE> that is set."""
    return {k: v for k, v in environ.items() if k.startswith("AWS_ENDPOINT_URL") and v}


def check(
    endpoint_url: str | None = None,
    *,
    registry_hosts: Iterable[str] | None = None,
    api_hosts: Iterable[str] | None = None,
    environ: Mapping[str, str] | None = None,
) -> tuple[str, tuple[str, ...]]:
    """Check everything, change nothing. Returns (endpoint_url, hostnames checked)."""
    env = os.environ if environ is None else environ
    endpoint = endpoint_url or env.get("AWS_ENDPOINT_URL", "")
    if not endpoint:
        raise GuardError(
            "guard: refusing to run: AWS_ENDPOINT_URL is not set, boto3 would call real AWS "
            '(eval "$(scripts/stack env)" first)'
        )
    check_url(endpoint, what="AWS endpoint")
    for key, value in sorted(endpoint_variables(env).items()):
        if key != "AWS_ENDPOINT_URL":  # that one is `endpoint` (checked) or replaced by it
            check_url(value, what=key)
    registries = tuple(names.registry_hosts() if registry_hosts is None else registry_hosts)
    apis = tuple(names.api_hosts() if api_hosts is None else api_hosts)
    for host in registries:
        check_host(host, what="registry host", must_resolve=True)
    for host in apis:
        check_host(host, what="AWS host", must_resolve=False)
    return endpoint, (*registries, *apis)


def apply_env(
    endpoint_url: str, region: str, environ: MutableMapping[str, str] | None = None
) -> None:
    """Fake credentials, the endpoint and region; no shared config, metadata service or proxy."""
    env = os.environ if environ is None else environ
    for key in PROXY_VARIABLES:  # a proxy would carry loopback requests off this machine
        env.pop(key, None)
    for key in (
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
        "AWS_SESSION_TOKEN",
        "AWS_SECURITY_TOKEN",
        "AWS_ROLE_ARN",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    ):
        env.pop(key, None)
    env["AWS_ACCESS_KEY_ID"] = names.FAKE_ACCESS_KEY_ID
    env["AWS_SECRET_ACCESS_KEY"] = names.FAKE_SECRET_ACCESS_KEY
    env["AWS_ENDPOINT_URL"] = endpoint_url
    env["AWS_REGION"] = region
    env["AWS_DEFAULT_REGION"] = region
    env["AWS_CONFIG_FILE"] = os.devnull
    env["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull
    env["AWS_EC2_METADATA_DISABLED"] = "true"


def guard(
    endpoint_url: str | None = None,
    *,
    region: str | None = None,
    registry_hosts: Iterable[str] | None = None,
    api_hosts: Iterable[str] | None = None,
    environ: MutableMapping[str, str] | None = None,
) -> GuardResult:
    """Check (raising GuardError before anything is sent), then set the safe environment."""
    env = os.environ if environ is None else environ
    endpoint, checked = check(
        endpoint_url, registry_hosts=registry_hosts, api_hosts=api_hosts, environ=env
    )
    region_name = region or env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or names.region()
    apply_env(endpoint, region_name, env)
    return GuardResult(endpoint_url=endpoint, region=region_name, checked_hosts=checked)


def boto3_client(service: str, **kwargs: object) -> object:
    """A boto3 client made only after the guard passed (endpoint and region from the guard)."""
    result = guard()
    import boto3

    return boto3.client(  # type: ignore[call-overload]
        service, endpoint_url=result.endpoint_url, region_name=result.region, **kwargs
    )


def main(argv: list[str] | None = None) -> int:
    del argv
    try:
        result = guard()
    except GuardError as exc:
        print(exc, file=sys.stderr)
        return EXIT_REFUSED
    print(
        f"guard: OK endpoint={result.endpoint_url} region={result.region} "
        f"hosts={len(result.checked_hosts)} loopback-only"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
