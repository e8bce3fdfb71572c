"""The value parsers: examples from the issue, and properties over generated inputs."""

from __future__ import annotations

import math
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from compose_ecs_deploy.compose.units import (
    bytes_to_mib,
    cpus_to_units,
    duration_to_whole_seconds,
    parse_bytes,
    parse_duration_seconds,
    parse_port_range,
)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("1m30s", 90),
        ("500ms", 1),
        ("30s", 30),
        ("1h", 3600),
        ("1m0s", 60),
        ("0s", 0),
        ("1.5s", 2),
        ("2m0.001s", 121),
        ("10", 10),
        (5, 5),
        ("1h1m1s", 3661),
        ("999us", 1),
    ],
)
def test_durations_round_up_to_whole_seconds(text, seconds) -> None:
    assert duration_to_whole_seconds(text) == seconds


@pytest.mark.parametrize("text", ["", "abc", "1x", "m", "-1s", "1s2", "s1"])
def test_bad_durations_are_refused(text) -> None:
    with pytest.raises(ValueError, match="duration"):
        parse_duration_seconds(text)


@given(
    hours=st.integers(0, 100),
    minutes=st.integers(0, 59),
    seconds=st.integers(0, 59),
    millis=st.integers(0, 999),
)
def test_duration_parts_add_up(hours, minutes, seconds, millis) -> None:
    text = f"{hours}h{minutes}m{seconds}s{millis}ms"
    exact = Decimal(hours * 3600 + minutes * 60 + seconds) + Decimal(millis) / 1000
    assert parse_duration_seconds(text) == exact
    assert duration_to_whole_seconds(text) == math.ceil(exact)


@given(st.integers(0, 10**7))
def test_whole_seconds_never_undercount(ms) -> None:
    assert duration_to_whole_seconds(f"{ms}ms") * 1000 >= ms
    assert duration_to_whole_seconds(f"{ms}ms") * 1000 < ms + 1000


@pytest.mark.parametrize(
    ("text", "mib"),
    [
        ("512M", 512),
        ("512m", 512),
        ("1.5g", 1536),
        ("1g", 1024),
        ("104857600", 100),
        ("1024k", 1),
        ("1025k", 2),
        ("1gb", 1024),
        (268435456, 256),
        ("1b", 1),
    ],
)
def test_sizes_to_mib_rounded_up(text, mib) -> None:
    assert bytes_to_mib(parse_bytes(text)) == mib


@pytest.mark.parametrize("text", ["", "12q", "-1m", "m", "1 zb", "1..5m"])
def test_bad_sizes_are_refused(text) -> None:
    with pytest.raises(ValueError):
        parse_bytes(text)


@given(amount=st.integers(0, 10**6), unit=st.sampled_from(["", "b", "k", "m", "g"]))
def test_size_units_are_powers_of_1024(amount, unit) -> None:
    factor = {"": 1, "b": 1, "k": 1024, "m": 1024**2, "g": 1024**3}[unit]
    assert parse_bytes(f"{amount}{unit}") == amount * factor
    assert parse_bytes(f"{amount}{unit.upper()}") == amount * factor


@given(st.integers(0, 2**40))
def test_mib_never_undercounts(size) -> None:
    mib = bytes_to_mib(size)
    assert mib * 1024**2 >= size > (mib - 1) * 1024**2 or size == mib == 0


@pytest.mark.parametrize(
    ("cpus", "units"),
    [("0.5", 512), (0.25, 256), ("1", 1024), ("0.3", 308), (2, 2048), ("0.001", 2)],
)
def test_cpus_to_units(cpus, units) -> None:
    assert cpus_to_units(cpus) == units


@given(st.decimals(min_value=Decimal("0.001"), max_value=Decimal(64), places=3))
def test_cpu_units_cover_the_request(cpus) -> None:
    units = cpus_to_units(str(cpus))
    assert units >= cpus * 1024 > units - 1


@pytest.mark.parametrize("cpus", ["0", "-1", "x", "nan", True])
def test_bad_cpus_are_refused(cpus) -> None:
    with pytest.raises(ValueError):
        cpus_to_units(cpus)


@given(low=st.integers(1, 65535), span=st.integers(0, 100))
def test_port_ranges(low, span) -> None:
    high = low + span
    if high > 65535:
        with pytest.raises(ValueError):
            parse_port_range(f"{low}-{high}")
        return
    assert parse_port_range(f"{low}-{high}") == range(low, high + 1)
    assert parse_port_range(str(low)) == range(low, low + 1)
    assert parse_port_range(low) == range(low, low + 1)


@pytest.mark.parametrize("text", ["0", "65536", "80-79", "http", "8080/tcp", "", "1-2-3"])
def test_bad_ports_are_refused(text) -> None:
    with pytest.raises(ValueError):
        parse_port_range(text)
