"""Names shared by the stack manager and the guard: account, regions and the AWS hostnames.

Every hostname listed here is mapped to 127.0.0.1 in /etc/hosts while the stack is up, and
the guard refuses to run when any of them resolves to anything but loopback.
"""

from __future__ import annotations

import os

ACCOUNT_ID = "123456789012"
"""moto's default account: the one the product sees through STS and ECR."""

DEFAULT_REGION = "us-east-1"
EXTRA_REGIONS: tuple[str, ...] = ("ap-northeast-1",)
"""Regions that get an ECR registry hostname (in the TLS certificate and /etc/hosts)."""

FAKE_ACCESS_KEY_ID = "testing"
FAKE_SECRET_ACCESS_KEY = "testing"

BASE_IMAGE = "compose-ecs-deploy/base-python:local"

# AWS API endpoints the product (boto3) or its tools could reach without AWS_ENDPOINT_URL.
_REGIONAL_SERVICES = ("api.ecr", "ecr", "ecs", "sts", "logs", "secretsmanager", "ssm", "iam")
_GLOBAL_HOSTS = ("sts.amazonaws.com", "iam.amazonaws.com")


def region() -> str:
    """The stack's primary region: STACK_REGION, else us-east-1."""
    return os.environ.get("STACK_REGION") or DEFAULT_REGION


def regions() -> tuple[str, ...]:
    """The primary region first, then the extra ones (STACK_EXTRA_REGIONS, space-separated)."""
    extra_env = os.environ.get("STACK_EXTRA_REGIONS")
    extra = tuple(extra_env.split()) if extra_env is not None else EXTRA_REGIONS
    out: list[str] = []
    for name in (region(), *extra):
        if name and name not in out:
            out.append(name)
    return tuple(out)


def registry_host(region_name: str | None = None) -> str:
    """ECR's registry hostname for the test account: what GetAuthorizationToken returns."""
    return f"{ACCOUNT_ID}.dkr.ecr.{region_name or region()}.amazonaws.com"


def registry_hosts() -> tuple[str, ...]:
    return tuple(registry_host(r) for r in regions())


def api_hosts() -> tuple[str, ...]:
    """The AWS API hostnames of every stack region, plus the global ones."""
    hosts = [f"{svc}.{r}.amazonaws.com" for r in regions() for svc in _REGIONAL_SERVICES]
    return (*hosts, *_GLOBAL_HOSTS)


def all_hosts() -> tuple[str, ...]:
    """Every hostname the stack maps to loopback: registries first."""
    return (*registry_hosts(), *api_hosts())
