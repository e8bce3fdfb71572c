"""Fargate's task sizes: the valid cpu/memory pairs, and picking the smallest that fits."""

from __future__ import annotations

from collections.abc import Iterator

# cpu units -> (lowest MiB, highest MiB, step MiB), from the ECS developer guide's table.
_MEMORY_BY_CPU: dict[int, tuple[int, int, int]] = {
    256: (512, 2048, 512),
    512: (1024, 4096, 1024),
    1024: (2048, 8192, 1024),
    2048: (4096, 16384, 1024),
    4096: (8192, 30720, 1024),
    8192: (16384, 61440, 4096),
    16384: (32768, 122880, 8192),
}


def valid_memory_for(cpu: int) -> list[int]:
    if cpu not in _MEMORY_BY_CPU:
        return []
    if cpu == 256:
        return [512, 1024, 2048]
    low, high, step = _MEMORY_BY_CPU[cpu]
    return list(range(low, high + 1, step))


def valid_pairs() -> Iterator[tuple[int, int]]:
    """Every pair, cheapest first: Fargate's price is dominated by vCPU, then memory."""
    for cpu in sorted(_MEMORY_BY_CPU):
        for memory in valid_memory_for(cpu):
            yield cpu, memory


def is_valid_pair(cpu: int, memory: int) -> bool:
    return memory in valid_memory_for(cpu)


def describe_valid_memory(cpu: int) -> str:
    if cpu not in _MEMORY_BY_CPU:
        return "cpu must be one of " + ", ".join(str(c) for c in sorted(_MEMORY_BY_CPU))
    if cpu == 256:
        return "with cpu 256, memory must be 512, 1024 or 2048"
    low, high, step = _MEMORY_BY_CPU[cpu]
    return f"with cpu {cpu}, memory must be {low}-{high} in steps of {step}"


def smallest_fitting_pair(
    cpu_needed: int, memory_needed: int, *, cpu: int | None = None, memory: int | None = None
) -> tuple[int, int] | None:
    """The cheapest valid pair with at least the needed units, honouring a half that is fixed."""
    for pair_cpu, pair_memory in valid_pairs():
        if cpu is not None and pair_cpu != cpu:
            continue
        if memory is not None and pair_memory != memory:
            continue
        if pair_cpu >= cpu_needed and pair_memory >= memory_needed:
            return pair_cpu, pair_memory
    return None


_UNIT_SUFFIXES = {"vcpu": 1024, "gb": 1024}


def parse_task_size(value: object, unit: str) -> int:
    """ECS accepts `1024`, `"1024"`, `"1 vCPU"` or `"2 GB"` at task level; we keep units."""
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a task {unit}")
    if isinstance(value, int):
        return value
    text = str(value).strip().lower().replace(" ", "")
    for suffix, factor in _UNIT_SUFFIXES.items():
        if text.endswith(suffix):
            number = text[: -len(suffix)]
            try:
                return round(float(number) * factor)
            except ValueError as exc:
                raise ValueError(f"{value!r} is not a task {unit}") from exc
    if text.isdigit():
        return int(text)
    raise ValueError(f"{value!r} is not a task {unit} (use e.g. 1024 or '1 vCPU' / '2 GB')")
