"""Small pure helpers: medians of repeated runs, ratios said in words, numbers for people."""

from __future__ import annotations

import statistics
from collections.abc import Sequence


def median(values: Sequence[float]) -> float:
    """The median of the runs (the middle run of 3); NaN for none."""
    return statistics.median(values) if values else float("nan")


def ratio(faster: float, slower: float) -> float:
    """``slower / faster``: how many times faster the first is (NaN if undefined)."""
    if faster <= 0 or slower != slower or faster != faster:
        return float("nan")
    return slower / faster


def share(part: float | None, whole: float | None) -> float:
    """``part / whole`` (NaN if either is unknown or ``whole`` is zero)."""
    if part is None or whole is None or whole <= 0:
        return float("nan")
    return part / whole


def times(value: float) -> str:
    """``12.3x``, ``1.05x``, ``0.52x``; ``n/a`` for NaN."""
    if value != value:
        return "n/a"
    if value >= 10:
        return f"{value:.0f}x"
    return f"{value:.2f}x" if value < 2 else f"{value:.1f}x"


def faster_or_slower(mine: float, theirs: float) -> str:
    """``**12x faster**`` or ``**2.5x slower**``, comparing two durations."""
    if mine != mine or theirs != theirs or mine <= 0 or theirs <= 0:
        return "**n/a**"
    if theirs >= mine:
        return f"**{times(theirs / mine)} faster**"
    return f"**{times(mine / theirs)} slower**"


def seconds(value: float) -> str:
    """``0.84 s``, ``35 ms``, ``12.4 s``; ``-`` for NaN."""
    if value != value:
        return "-"
    if value < 1:
        return f"{value * 1000:.0f} ms"
    return f"{value:.2f} s" if value < 10 else f"{value:.1f} s"


def rate(value: float) -> str:
    """``2,340/s``; ``-`` for NaN."""
    return "-" if value != value else f"{value:,.0f}/s"


def mib(kib: float | None) -> str:
    """KiB as ``48.2 MiB``; ``-`` when unknown."""
    return "-" if kib is None or kib != kib else f"{kib / 1024:.1f} MiB"


def gib(kib: float | None) -> str:
    """KiB as ``23.5 GiB``; ``-`` when unknown."""
    return "-" if kib is None else f"{kib / 1024 / 1024:.1f} GiB"


def count(n: int) -> str:
    """``10,000``."""
    return f"{n:,}"
