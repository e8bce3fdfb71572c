"""A compose health check fitted into ECS's ranges, never with less patience than compose asked.

Laptop files tune checks for a machine where a second is cheap (`interval: 1s`,
`retries: 30`); ECS takes interval 5-300 s, timeout 2-60 s, retries 1-10, startPeriod
0-300 s (HealthCheck, Amazon ECS API Reference). The promise a check makes is how long a
failing container has before it is called unhealthy: interval x retries + start period. So
the interval is raised to 5 s, the retries lowered to 10, the start period to 300, and then,
where that shortened the promise, the interval grows (up to 300), then the retries (up to
10), then the start period (up to 300) until the promise holds again. A timeout under 2 s
becomes 2 (more patient). What no adjustment can keep is refused, with why: a single check
allowed more than 60 s, or a promise longer than ECS's longest (300 x 10 + 300 s).

Docker reads 0 (retries, a 0s duration) as "inherit the default", which is ECS's default
too (interval 30 s, retries 3; HealthCheck), so 0 is left unset.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

# (ECS key, compose key, lowest, highest): HealthCheck, Amazon ECS API Reference.
HEALTH_RANGES: tuple[tuple[str, str, int, int], ...] = (
    ("interval", "interval", 5, 300),
    ("timeout", "timeout", 2, 60),
    ("retries", "retries", 1, 10),
    ("startPeriod", "start_period", 0, 300),
)
_LOW = {ecs: low for ecs, _, low, _ in HEALTH_RANGES}
_HIGH = {ecs: high for ecs, _, _, high in HEALTH_RANGES}
# ECS's defaults for what a check leaves unset (HealthCheck); Docker's are the same for these.
_DEFAULTS = {"interval": 30, "retries": 3, "startPeriod": 0}
_COMPOSE = {ecs: compose for ecs, compose, _, _ in HEALTH_RANGES}
_UNIT = {"interval": "s", "timeout": "s", "retries": "", "startPeriod": "s"}


@dataclass
class Fitted:
    """The check's timing keys for ECS, what changed (for the notice), or why it cannot fit."""

    timing: dict[str, int] = field(default_factory=dict)
    changes: list[str] = field(default_factory=list)
    refusal: str | None = None
    refused_field: str = "healthcheck"
    patience: tuple[int, int] | None = None  # interval x retries + start period: asked, given


def _show(key: str, value: int | None) -> str:
    if value is None:
        return f"unset ({_DEFAULTS[key]}{_UNIT[key]} by default)"
    return f"{value}{_UNIT[key]}"


def fit(given: dict[str, int]) -> Fitted:
    """`given`: the ECS keys compose set, in whole seconds (retries a count)."""
    asked = {key: value for key, value in given.items() if value != 0 or key == "startPeriod"}
    result = Fitted(timing=dict(asked))
    for key, value in given.items():
        if value == 0 and key != "startPeriod":
            result.changes.append(f"{_COMPOSE[key]} 0 (Docker's default) left unset")
    timeout = asked.get("timeout")
    if timeout is not None and timeout > _HIGH["timeout"]:
        result.refused_field = "healthcheck.timeout"
        result.refusal = (
            f"timeout is {timeout}s, and ECS gives one check at most {_HIGH['timeout']}s: "
            "a check that needs longer always fails on ECS; make the check faster and set "
            f"timeout to {_HIGH['timeout']}s or less"
        )
        return result
    if timeout is not None and timeout < _LOW["timeout"]:
        result.timing["timeout"] = _LOW["timeout"]
    current = {key: asked.get(key, default) for key, default in _DEFAULTS.items()}
    promise = current["interval"] * current["retries"] + current["startPeriod"]
    longest = _HIGH["interval"] * _HIGH["retries"] + _HIGH["startPeriod"]
    if promise > longest:
        too_long = [
            key for key in ("interval", "retries", "startPeriod") if current[key] > _HIGH[key]
        ]
        if too_long:
            result.refused_field = f"healthcheck.{_COMPOSE[too_long[0]]}"
        result.refusal = (
            f"interval x retries + start_period is {promise}s, longer than any ECS health "
            f"check can wait ({_HIGH['interval']}s x {_HIGH['retries']} + "
            f"{_HIGH['startPeriod']}s = {longest}s); shorten it to {longest}s or less"
        )
        return result
    fitted = {key: min(max(value, _LOW[key]), _HIGH[key]) for key, value in current.items()}
    for key in ("interval", "retries", "startPeriod"):
        missing = promise - (fitted["interval"] * fitted["retries"] + fitted["startPeriod"])
        if missing <= 0:
            break
        if key == "startPeriod":
            fitted[key] = min(_HIGH[key], fitted[key] + missing)
        else:
            other = fitted["retries"] if key == "interval" else fitted["interval"]
            needed = math.ceil((promise - fitted["startPeriod"]) / other)
            fitted[key] = min(_HIGH[key], max(fitted[key], needed))
    if fitted != current:
        patience = fitted["interval"] * fitted["retries"] + fitted["startPeriod"]
        result.patience = (promise, patience)
    for key, value in fitted.items():
        if value != current[key] or key in asked:
            result.timing[key] = value
        if value != current[key]:
            result.changes.append(f"{_COMPOSE[key]} {_show(key, asked.get(key))} -> {value}")
    if result.timing.get("timeout") != asked.get("timeout"):
        result.changes.append(f"timeout {asked['timeout']}s -> {result.timing['timeout']}")
    return result
