"""One benchmark row and the table they make: measured value, spread, target, met.

A row is plain data so that the same rows print as a Markdown table (pasted into the README
as is) and go into bench/results/*.json for comparing runs. A row that could not be
measured says why in place of a number: a placeholder would be read as a result.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Row:
    """One line of the table.

    `value` is the measured number (the median where repeated), None when nothing could be
    measured; `text` replaces the formatted number where a number alone would not say it
    (e.g. "62 / 62 / 0"); `met` is None when there is no target or no measurement;
    `detail` says what the number is made of, or why there is none.
    """

    name: str
    value: float | None
    unit: str
    spread: str
    target: str
    met: bool | None
    detail: str = ""
    text: str = ""

    @property
    def shown(self) -> str:
        if self.value is None:
            return "not measured"
        return self.text or f"{format_number(self.value, self.unit)} {self.unit}".strip()


def format_number(value: float, unit: str = "") -> str:
    """Whole numbers without decimals; seconds to the millisecond below 10 s; one decimal
    otherwise (MB, ratios, long times)."""
    if float(value).is_integer() and unit != "s":
        return str(int(value))
    if unit == "s" and abs(value) < 10:
        return f"{value:.3f}"
    return f"{value:.1f}"


def not_measured(name: str, target: str, why: str) -> Row:
    """A row whose measurement failed: no number, and the reason in its place."""
    return Row(name, None, "", "", target, None, detail=f"not measured: {why}")


def spread(values: Sequence[float], unit: str = "s") -> str:
    """`min-max` of repeated measurements (empty for a single one)."""
    if len(values) < 2:
        return ""
    low, high = format_number(min(values), unit), format_number(max(values), unit)
    return f"{low}-{high} {unit} (n={len(values)})"


def time_row(
    name: str,
    times: Sequence[float],
    limit: float | None,
    detail: str = "",
    no_target: str = "none (breakdown)",
) -> Row:
    """The median of repeated wall times against an upper limit (None: no target, and
    `no_target` says why there is none)."""
    median = statistics.median(times)
    target = f"< {limit:g} s" if limit is not None else no_target
    met = None if limit is None else median < limit
    return Row(name, round(median, 3), "s", spread(times), target, met, detail)


def met_word(met: bool | None, measured: bool) -> str:
    if not measured:
        return "-"
    return {True: "yes", False: "NO", None: "n/a"}[met]


def markdown(rows: Sequence[Row]) -> str:
    """The table as Markdown, columns padded so that it also reads well in a terminal."""
    header = ("measurement", "value", "spread", "target", "met", "detail")
    lines = [header] + [
        (
            r.name,
            r.shown,
            r.spread,
            r.target,
            met_word(r.met, r.value is not None),
            r.detail.replace("|", "/"),
        )
        for r in rows
    ]
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    out = []
    for index, line in enumerate(lines):
        out.append(
            "| " + " | ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)) + " |"
        )
        if index == 0:
            out.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(out)
