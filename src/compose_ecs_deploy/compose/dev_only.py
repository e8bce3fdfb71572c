"""Development-only settings with an unambiguous ECS meaning: dropped with a notice.

Files written for `docker compose up` on a laptop carry settings that only make sense there:
a hostname, a log driver that writes to the laptop's disk, `host-gateway` for the developer's
machine, a service that runs once and exits. ECS can run the rest of the service as asked, so
refusing the file would be wrong; each of these says what it drops, and why that is safe.
"""

from __future__ import annotations

from typing import Any

from compose_ecs_deploy.compose.field_context import FieldContext, FieldRule
from compose_ecs_deploy.compose.units import as_text

FARGATE_LOG_DRIVERS = ("awslogs", "splunk", "awsfirelens")
LOCAL_LOG_DRIVERS = ("json-file", "local")
_ONE_SHOT_RESTARTS = ("no", "on-failure")


def _map_hostname(
    ctx: FieldContext, service: str, value: Any, c: dict[str, Any], linux: dict[str, Any]
) -> None:
    if not value:
        return
    if ctx.awsvpc:
        ctx.notice(
            service,
            "hostname",
            "hostname-dropped",
            f"hostname {value} dropped: under awsvpc the task's network interface names the task",
        )
        return
    c["hostname"] = str(value)


def _map_extra_hosts(
    ctx: FieldContext, service: str, value: Any, c: dict[str, Any], linux: dict[str, Any]
) -> None:
    hosts = [_host_entry(entry) for entry in value or []]
    gateway = [host for host in hosts if host["ipAddress"] == "host-gateway"]
    others = [host for host in hosts if host["ipAddress"] != "host-gateway"]
    if gateway:
        names = ", ".join(host["hostname"] for host in gateway)
        ctx.notice(
            service,
            "extra_hosts",
            "extra-hosts-host-gateway",
            f"extra_hosts {names} (host-gateway, the developer's machine) dropped: "
            "there is no such host on ECS",
        )
    if not others:
        return
    if ctx.awsvpc:
        ctx.error(
            service,
            "extra_hosts",
            "awsvpc-extra-hosts",
            "extra_hosts cannot be set under the awsvpc network mode (the task's "
            "/etc/hosts is managed by ECS); remove "
            + ", ".join(host["hostname"] for host in others)
            + " and reach them by a DNS name",
        )
        return
    c["extraHosts"] = others


def _host_entry(entry: Any) -> dict[str, str]:
    """`name=address` as `config` writes it, or the older `name:address`."""
    name, sep, address = str(entry).partition("=")
    if not sep:
        name, _, address = str(entry).partition(":")
    return {"hostname": name, "ipAddress": address}


def _map_dns_search(
    ctx: FieldContext, service: str, value: Any, c: dict[str, Any], linux: dict[str, Any]
) -> None:
    domains = [str(domain) for domain in ([value] if isinstance(value, str) else value or [])]
    if not any(domains):
        if domains:
            ctx.notice(
                service,
                "dns_search",
                "dns-search-empty",
                "an empty dns_search dropped: it sets nothing",
            )
        return
    if ctx.awsvpc:
        ctx.error(
            service,
            "dns_search",
            "awsvpc-dns-search",
            "dns_search cannot be set under the awsvpc network mode (DNS comes from "
            "the VPC's DHCP options); remove it",
        )
        return
    c["dnsSearchDomains"] = [domain for domain in domains if domain]


def _map_network_mode(
    ctx: FieldContext, service: str, value: Any, c: dict[str, Any], linux: dict[str, Any]
) -> None:
    text = str(value or "")
    if text.startswith(("service:", "container:")) and ctx.awsvpc:
        ctx.notice(
            service,
            "network_mode",
            "network-mode-shared",
            f"network_mode {text} dropped: under awsvpc the containers of a task "
            "already share one network (reach the other one on localhost)",
        )
        return
    if value == "host" and ctx.fargate:
        ctx.error(
            service,
            "network_mode",
            "fargate-network-mode",
            "network_mode host is not available on Fargate (tasks use awsvpc); remove it",
        )
    else:
        ctx.error(
            service,
            "network_mode",
            "network-mode-service",
            f"network_mode {value!r} is a task-level setting in ECS; remove it and set "
            "x-ecs.networkMode",
        )


# LogConfiguration.options (ECS API Reference): awslogs needs awslogs-group and awslogs-region,
# and awslogs-stream-prefix on Fargate. The awslogs driver's own options start with awslogs-,
# plus the delivery mode and its buffer.
AWSLOGS_REQUIRED = ("awslogs-group", "awslogs-region", "awslogs-stream-prefix")
_AWSLOGS_OPTIONS = ("mode", "max-buffer-size")


def _map_logging(
    ctx: FieldContext, service: str, value: Any, c: dict[str, Any], linux: dict[str, Any]
) -> None:
    spec = value or {}
    driver = spec.get("driver")
    options = {str(k): as_text(v) for k, v in (spec.get("options") or {}).items()}
    if driver in LOCAL_LOG_DRIVERS and driver not in FARGATE_LOG_DRIVERS:
        ctx.notice(
            service,
            "logging",
            "logging-local-dropped",
            f"logging driver {driver} (and its options) dropped: it keeps logs on "
            "the developer's disk; the base revision's logging applies, else the "
            "awslogs default",
        )
        return
    if driver == "none":
        c["logConfiguration"] = None  # no logs: neither the base's logging nor ours
        ctx.notice(
            service,
            "logging",
            "logging-none",
            "logging driver none: the container gets no logConfiguration (ECS's way to "
            "keep no logs), so neither the base revision's logging nor the awslogs "
            "default applies",
        )
        return
    if not driver:
        _options_without_driver(ctx, service, options, c)
        return
    if ctx.fargate and driver not in FARGATE_LOG_DRIVERS:
        ctx.error(
            service,
            "logging.driver",
            "fargate-log-driver",
            f"log driver {driver!r} is not available on Fargate; use awslogs, splunk "
            "or awsfirelens (or remove the logging block for the awslogs default)",
        )
        return
    config: dict[str, Any] = {"logDriver": str(driver)}
    if options:
        config["options"] = options
    c["logConfiguration"] = config
    if driver == "awslogs":
        _note_awslogs_gaps(ctx, service, options)


def _options_without_driver(
    ctx: FieldContext, service: str, options: dict[str, str], c: dict[str, Any]
) -> None:
    """Options with no driver: the awslogs ones go over the awslogs configuration the
    container gets anyway (as Docker's ECS integration merged them over its defaults); the
    others belong to the local json-file driver compose would use, and are dropped."""
    awslogs = {
        k: v for k, v in options.items() if k.startswith("awslogs-") or k in _AWSLOGS_OPTIONS
    }
    others = [name for name in options if name not in awslogs]
    if others:
        ctx.notice(
            service,
            "logging.options",
            "logging-options-dropped",
            f"logging options {', '.join(others)} dropped: with no driver they are the "
            "local json-file driver's, which keeps logs on the developer's disk",
        )
    if awslogs:
        c["logConfiguration"] = {"logDriver": "awslogs", "options": awslogs}
        ctx.driverless_logging.add(service)
        _note_awslogs_gaps(ctx, service, awslogs)


def _note_awslogs_gaps(ctx: FieldContext, service: str, options: dict[str, str]) -> None:
    """Which required awslogs options to fill (from the base's awslogs, else ours)."""
    required = AWSLOGS_REQUIRED if ctx.fargate else AWSLOGS_REQUIRED[:2]
    missing = tuple(name for name in required if name not in options)
    if missing:
        ctx.logging_gaps[service] = missing


def _map_restart(
    ctx: FieldContext, service: str, value: Any, c: dict[str, Any], linux: dict[str, Any]
) -> None:
    deploy = ctx.project.services[service].get("deploy") or {}
    if (deploy.get("restart_policy") or {}).get("condition"):
        ctx.notice(
            service,
            "restart",
            "field-ignored",
            "restart ignored: deploy.restart_policy decides, as with docker compose",
        )
        return
    restart_policy(ctx, service, c, "restart", str(value or "").partition(":")[0], value)


# deploy.restart_policy.condition (Compose Deploy Specification) -> the `restart` it means.
RESTART_CONDITIONS = {"none": "no", "on-failure": "on-failure", "any": "always"}


def restart_policy(
    ctx: FieldContext, service: str, c: dict[str, Any], field: str, policy: str, shown: Any
) -> None:
    """A non-primary service that runs once must not stop the task when it exits.

    `policy` is `restart`'s (no, on-failure, always, unless-stopped), whichever of `restart`
    or `deploy.restart_policy.condition` said it; `shown` is what the user wrote.
    """
    primary = bool(ctx.services) and ctx.services[0] == service
    own = ctx.project.services[service].get("x-ecs")
    decided = isinstance(own, dict) and "essential" in own  # the user's word wins, silently
    if policy in _ONE_SHOT_RESTARTS and not primary and not decided:
        c["essential"] = False
        ctx.notice(
            service,
            field,
            "one-shot-not-essential",
            f"{field} {shown!r}: it runs once, so it is not essential "
            "(its exit does not stop the task); for a migration or seed job a one-off "
            "task fits better (compose-ecs-deploy run, --run-before); x-ecs.essential: "
            "true keeps it essential",
        )
        return
    ctx.notice(
        service,
        field,
        "field-ignored",
        f"{field} ignored: the ECS service scheduler replaces stopped tasks",
    )


def _map_networks(
    ctx: FieldContext, service: str, value: Any, c: dict[str, Any], linux: dict[str, Any]
) -> None:
    """Compose's implicit `default` network says nothing; a named one is worth a notice."""
    if set(value or {}) <= {"default"}:
        return
    ctx.notice(
        service,
        "networks",
        "field-ignored",
        "networks ignored: containers of one task share its network",
    )


RULES: tuple[FieldRule, ...] = (
    FieldRule(
        "logging",
        "mapped",
        "logConfiguration",
        "passed through; Fargate allows awslogs, splunk, awsfirelens; json-file and "
        "local are dropped with a notice; `none` → no logConfiguration; awslogs options "
        "without a driver, and the group, region and stream prefix awslogs needs, come "
        "over the base's awslogs, else ours (with a notice); without one, the base's, "
        "else awslogs to /ecs/<family>",
        _map_logging,
    ),
    FieldRule(
        "extra_hosts",
        "mapped",
        "extraHosts",
        "`host-gateway` entries dropped with a notice; others rejected under awsvpc",
        _map_extra_hosts,
    ),
    FieldRule(
        "hostname", "mapped", "hostname", "dropped with a notice under awsvpc", _map_hostname
    ),
    FieldRule(
        "dns_search",
        "mapped",
        "dnsSearchDomains",
        "an empty one dropped with a notice; rejected under awsvpc",
        _map_dns_search,
    ),
    FieldRule(
        "network_mode",
        "rejected",
        "networkMode",
        "`service:X` dropped with a notice under awsvpc (a task shares one network); "
        "`host` is rejected on Fargate; else set x-ecs.networkMode",
        _map_network_mode,
    ),
    FieldRule(
        "restart",
        "mapped",
        "essential",
        "a non-primary service with `no` or `on-failure` runs once: essential false, "
        "with a notice (x-ecs.essential overrides); else ignored: the ECS service "
        "scheduler replaces stopped tasks",
        _map_restart,
    ),
    FieldRule(
        "networks", "ignored", "-", "containers of one task share its network", _map_networks
    ),
)
