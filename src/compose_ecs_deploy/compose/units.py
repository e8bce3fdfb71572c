"""Parsers for the value syntaxes Compose writes: Go durations, byte sizes, port ranges.

`docker compose config` normalises most values (memory to a byte count, durations to Go's
`1m30s` form), but x-ecs blocks, base files and older Compose versions still hand us the
human forms, so each parser accepts both.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal, InvalidOperation
from typing import Any

_DURATION_UNITS: dict[str, Decimal] = {
    "ns": Decimal("1e-9"),
    "us": Decimal("1e-6"),
    "µs": Decimal("1e-6"),
    "μs": Decimal("1e-6"),
    "ms": Decimal("1e-3"),
    "s": Decimal(1),
    "m": Decimal(60),
    "h": Decimal(3600),
}
_DURATION_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)")


def parse_duration_seconds(value: str | int | float) -> Decimal:
    """Seconds in a Go duration (`1m30s`, `500ms`, `1.5h`); a bare number is seconds."""
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a duration")
    if isinstance(value, int | float):
        if value < 0:
            raise ValueError(f"{value!r} is negative")
        return Decimal(str(value))
    text = value.strip()
    if re.fullmatch(r"\d+(\.\d+)?", text):
        return Decimal(text)
    if text == "0":
        return Decimal(0)
    position = 0
    total = Decimal(0)
    for match in _DURATION_PART.finditer(text):
        if match.start() != position:
            break
        total += Decimal(match.group(1)) * _DURATION_UNITS[match.group(2)]
        position = match.end()
    if position != len(text) or not text:
        raise ValueError(f"{value!r} is not a duration (use Go's form, e.g. 30s, 1m30s, 500ms)")
    return total


def duration_to_whole_seconds(value: str | int | float) -> int:
    """ECS takes whole seconds; rounding up keeps a `500ms` timeout from becoming 0."""
    return math.ceil(parse_duration_seconds(value))


_SIZE_UNITS: dict[str, int] = {
    "": 1,
    "b": 1,
    "k": 1024,
    "kb": 1024,
    "m": 1024**2,
    "mb": 1024**2,
    "g": 1024**3,
    "gb": 1024**3,
    "t": 1024**4,
    "tb": 1024**4,
}
_SIZE = re.compile(r"(\d+(?:\.\d+)?|\.\d+)\s*([a-z]*)")


def parse_bytes(value: str | int) -> int:
    """Bytes in a Compose size (`512M`, `1.5g`, `104857600`); units are powers of 1024."""
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a size")
    if isinstance(value, int):
        if value < 0:
            raise ValueError(f"{value!r} is negative")
        return value
    match = _SIZE.fullmatch(value.strip().lower())
    if not match or match.group(2) not in _SIZE_UNITS:
        raise ValueError(f"{value!r} is not a size (use e.g. 512m, 1.5g or a byte count)")
    try:
        amount = Decimal(match.group(1))
    except InvalidOperation as exc:  # pragma: no cover - the regex admits only decimals
        raise ValueError(f"{value!r} is not a size") from exc
    return math.ceil(amount * _SIZE_UNITS[match.group(2)])


def bytes_to_mib(size: int) -> int:
    """ECS memory is whole MiB; rounding up never gives a container less than asked."""
    return math.ceil(size / 1024**2)


def cpus_to_units(cpus: str | int | float) -> int:
    """Docker's `cpus: 0.5` is half a core; ECS counts 1024 units per vCPU, rounded up."""
    if isinstance(cpus, bool):
        raise ValueError(f"{cpus!r} is not a CPU count")
    try:
        amount = Decimal(str(cpus).strip())
    except InvalidOperation as exc:
        raise ValueError(f"{cpus!r} is not a CPU count (use e.g. 0.5)") from exc
    if not amount.is_finite() or amount <= 0:
        raise ValueError(f"{cpus!r} is not a positive CPU count")
    # Compose keeps cpus as a 32-bit float and prints its shortest form (0.0185546875, 19
    # units, comes back as 0.018554688): round away that noise before rounding up.
    return math.ceil(round(amount * 1024, 3))


def parse_port_range(value: str | int) -> range:
    """Ports in `8080` or `8000-8010`; each must be 1-65535 and a range must go upward."""
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a port")
    text = str(value).strip()
    match = re.fullmatch(r"(\d{1,5})(?:-(\d{1,5}))?", text)
    if not match:
        raise ValueError(f"{value!r} is not a port or port range")
    low = int(match.group(1))
    high = int(match.group(2)) if match.group(2) else low
    if not 1 <= low <= high <= 65535:
        raise ValueError(f"{value!r} is outside 1-65535 or runs backwards")
    return range(low, high + 1)


def as_text(value: Any) -> str:
    """A YAML scalar as the string ECS wants: booleans as compose writes them, not `True`."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
