"""Percentiles, and the millisecond figures every section prints the same way."""

from __future__ import annotations

import math
from collections.abc import Sequence


def quantile(sorted_values: Sequence[float], fraction: float) -> float:
    """The value below which `fraction` of the (sorted) values lie; nan for none."""
    if not sorted_values:
        return math.nan
    return sorted_values[min(len(sorted_values) - 1, int(fraction * len(sorted_values)))]


def percentile(values: Sequence[float], fraction: float) -> float:
    """quantile() of values in any order."""
    return quantile(sorted(values), fraction)


def ms(sorted_values: Sequence[float], fraction: float, places: int = 2) -> str:
    """One quantile of seconds, in ms without the unit; "-" for no values."""
    if not sorted_values:
        return "-"
    return f"{quantile(sorted_values, fraction) * 1000:.{places}f}"


def ms_line(
    sorted_values: Sequence[float], *fractions: float, width: int = 0, places: int = 1
) -> str:
    """'p50 1.2 ms   p99 3.4 ms   max 5.6 ms' of seconds; a width pads every number."""
    if not sorted_values:
        return "(no samples)"
    spec = f"{width}.{places}f" if width else f".{places}f"
    parts = [f"p{round(f * 100)} {quantile(sorted_values, f) * 1000:{spec}} ms" for f in fractions]
    return "   ".join([*parts, f"max {sorted_values[-1] * 1000:{spec}} ms"])
