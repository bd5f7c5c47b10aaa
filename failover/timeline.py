"""A timeline picture as hand-written SVG: horizontal bars on a time axis, one row each.

Plain data in, one self-contained SVG document out (no fonts, scripts or
images fetched): :class:`Bar` (a span of time on a row, of a kind that picks
its colour), :class:`Dot` (an instant on a row, such as one check) and
:class:`Mark` (a dashed vertical line across every row, such as "aws
stopped"). Every bar is labelled with its duration, so the shortest ones
(a DNS write of a few milliseconds beside a detection of seconds) stay
readable even where the bar itself is a sliver. A legend names the kinds
that appear.

The drill (``failover.drill``) draws its phases with it; nothing here knows
what a drill is.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

# kind -> (fill colour, legend text). Colours from the Okabe-Ito palette, which stays
# distinguishable for the common colour-vision deficiencies.
KINDS: dict[str, tuple[str, str]] = {
    "stop": ("#000000", "fault injected"),
    "detect": ("#D55E00", "detect (checks until DOWN)"),
    "decide": ("#E69F00", "decide (policy)"),
    "plan": ("#F0E442", "plan (read every provider, diff)"),
    "write": ("#0072B2", "write DNS provider"),
    "verify": ("#009E73", "verify at authority"),
    "restore": ("#555555", "restore vendor"),
    "recover": ("#999999", "wait for rise good checks"),
    "rollback-write": ("#56B4E9", "failback: write (rollback)"),
    "rollback-verify": ("#8FD9B6", "failback: verify (rollback)"),
    "ttl": ("#CC79A7", "resolvers may still answer from cache (TTL)"),
    "authority": ("#0072B2", "authorities healthy (from the kill)"),
    "resolver-gap": ("#E69F00", "resolver catches up (the gap)"),
}
FAILED = "#C00000"

WIDTH = 1000
LABEL_W = 250          # the row names, left of the plot
RIGHT_W = 90           # room for the duration label of a bar ending at the right edge
ROW_H = 28
BAR_H = 16
TOP = 58               # title and subtitle; the first panel starts here
AXIS_H = 34
LEGEND_ROW = 20
FONT = "font-family='DejaVu Sans, Verdana, Arial, sans-serif'"


@dataclass(frozen=True)
class Bar:
    """``seconds`` of ``kind`` starting ``start`` seconds after time zero, on ``row``."""

    row: str
    start: float
    seconds: float
    kind: str
    ok: bool = True
    text: str | None = None     # the label beside the bar; default its duration
    title: str | None = None    # shown on hover


@dataclass(frozen=True)
class Dot:
    """An instant on a row: green when ``ok``, red otherwise."""

    row: str
    at: float
    ok: bool
    title: str = ""


@dataclass(frozen=True)
class Mark:
    """A dashed line across all rows at ``at``, labelled at the top."""

    at: float
    text: str


def duration(seconds: float) -> str:
    """``12 ms`` below a second, ``4.02 s`` above."""
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.2f} s"


def nice_step(span: float, target: int = 8) -> float:
    """The smallest step of 1, 2 or 5 times a power of ten giving at most ``target`` ticks."""
    if span <= 0:
        return 1.0
    raw = span / target
    power = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 5, 10):
        if raw <= m * power:
            return float(m * power)
    return float(10 * power)


@dataclass(frozen=True)
class Zoom:
    """A second panel under the first: ``rows`` only, from ``start`` to ``end`` seconds."""

    start: float
    end: float
    rows: tuple[str, ...]
    heading: str


def render(title: str, subtitle: str, rows: Sequence[str], bars: Sequence[Bar],
           dots: Sequence[Dot] = (), marks: Sequence[Mark] = (),
           zoom: Zoom | None = None) -> str:
    """The SVG document: rows top to bottom in the order given, time left to right; with
    ``zoom``, a second panel magnifying a stretch of time that the first shows as slivers."""
    ends = [b.start + b.seconds for b in bars] + [d.at for d in dots] + [m.at for m in marks]
    starts = [b.start for b in bars] + [d.at for d in dots] + [m.at for m in marks]
    body: list[str] = []
    y: float = TOP
    y = _panel(body, y, rows, bars, dots, marks, min([0.0, *starts]), max([0.001, *ends]))
    if zoom is not None:
        inside = [b for b in bars if b.row in zoom.rows and b.start < zoom.end
                  and b.start + b.seconds > zoom.start]
        body.append(f"<text x='12' y='{y + 22}' font-size='13' font-weight='bold' "
                    f"fill='#111'>{escape(zoom.heading)}</text>")
        y = _panel(body, y + 30, zoom.rows, inside, (), [], zoom.start, zoom.end)
    kinds = [k for k in KINDS if any(b.kind == k for b in bars)]
    legend_cols = 3
    col_w = (WIDTH - 24) / legend_cols
    entries = [(KINDS[k][0], KINDS[k][1], False) for k in kinds]
    entries.append(("#ffffff", "failed phase (red outline); dots: checks (red failed)", True))
    ly = y + 10
    for i, (fill, text, failed) in enumerate(entries):
        lx = 12 + (i % legend_cols) * col_w
        yy = ly + (i // legend_cols) * LEGEND_ROW
        stroke = f" stroke='{FAILED}' stroke-width='2'" if failed else ""
        body.append(f"<rect class='legend' x='{lx:.1f}' y='{yy}' width='14' height='12' "
                    f"fill='{fill}'{stroke}/>")
        body.append(f"<text class='legend' x='{lx + 20:.1f}' y='{yy + 10}' "
                    f"fill='#222'>{escape(text)}</text>")
    height = ly + LEGEND_ROW * math.ceil(len(entries) / legend_cols) + 8
    head = [
        f"<svg xmlns='http://www.w3.org/2000/svg' width='{WIDTH}' height='{height}' "
        f"viewBox='0 0 {WIDTH} {height}' {FONT} font-size='12'>",
        f"<title>{escape(title)}</title>",
        f"<rect x='0' y='0' width='{WIDTH}' height='{height}' fill='#ffffff'/>",
        f"<text x='12' y='24' font-size='16' font-weight='bold' fill='#111'>{escape(title)}</text>",
        f"<text x='12' y='44' fill='#444'>{escape(subtitle)}</text>",
    ]
    return "\n".join([*head, *body, "</svg>"]) + "\n"


def _panel(out: list[str], y0: float, rows: Sequence[str], bars: Sequence[Bar],
           dots: Sequence[Dot], marks: Sequence[Mark], t0: float, t1: float) -> float:
    """Draw one panel (rows, grid, marks, bars, dots, axis) from ``y0``; its bottom."""
    step = nice_step(t1 - t0)
    t1 = math.ceil(t1 / step - 1e-9) * step
    t0 = math.floor(t0 / step + 1e-9) * step
    if t1 <= t0:
        t1 = t0 + step
    plot_x0, plot_x1 = LABEL_W, WIDTH - RIGHT_W

    def x(t: float) -> float:
        return plot_x0 + (t - t0) / (t1 - t0) * (plot_x1 - plot_x0)

    top = y0 + 20
    row_y = {name: top + 4 + i * ROW_H for i, name in enumerate(rows)}
    plot_y1 = top + 4 + len(rows) * ROW_H
    # Zebra rows and their names.
    for i, name in enumerate(rows):
        ry = row_y[name]
        if i % 2 == 0:
            out.append(f"<rect x='0' y='{ry}' width='{WIDTH}' height='{ROW_H}' fill='#f4f6f8'/>")
        out.append(f"<text class='row' x='{LABEL_W - 10}' y='{ry + ROW_H / 2 + 4:.1f}' "
                   f"text-anchor='end' fill='#111'>{escape(name)}</text>")
    # Time grid and axis.
    for i in range(round((t1 - t0) / step) + 1):
        t = t0 + i * step
        tx = x(t)
        out.append(f"<line x1='{tx:.1f}' y1='{top}' x2='{tx:.1f}' y2='{plot_y1}' "
                   "stroke='#d0d4d8' stroke-width='1'/>")
        out.append(f"<text class='tick' x='{tx:.1f}' y='{plot_y1 + 16}' text-anchor='middle' "
                   f"fill='#333'>{_tick(t, step)}</text>")
    out.append(f"<line x1='{plot_x0}' y1='{plot_y1}' x2='{plot_x1}' y2='{plot_y1}' "
               "stroke='#333' stroke-width='1'/>")
    out.append(f"<text x='{(plot_x0 + plot_x1) / 2:.1f}' y='{plot_y1 + 30}' "
               "text-anchor='middle' fill='#333'>seconds</text>")
    # Marks under the bars; their labels on one of two lines, the lower unless it would
    # overlap the previous label.
    free = [float("-inf"), float("-inf")]
    for m in sorted(marks, key=lambda m: m.at):
        mx = x(m.at)
        level = 0 if mx >= free[0] else 1
        free[level] = mx + 3 + 6.2 * len(m.text) + 8
        ty = top - 6 - level * 14
        out.append(f"<line class='mark' x1='{mx:.1f}' y1='{ty + 2}' x2='{mx:.1f}' "
                   f"y2='{plot_y1}' stroke='#666' stroke-width='1' stroke-dasharray='4 3'/>")
        out.append(f"<text class='mark' x='{mx + 3:.1f}' y='{ty}' fill='#444' "
                   f"font-size='11'>{escape(m.text)}</text>")
    for b in bars:
        if b.row not in row_y:
            continue
        by = row_y[b.row] + (ROW_H - BAR_H) / 2
        bx = x(max(b.start, t0))
        bw = max(2.0, x(min(b.start + b.seconds, t1)) - bx)
        fill = KINDS.get(b.kind, ("#777777", b.kind))[0]
        stroke = f" stroke='{FAILED}' stroke-width='2'" if not b.ok else ""
        hover = b.title or f"{b.row}: {b.kind} {duration(b.seconds)}"
        out.append(f"<rect class='bar' data-kind={quoteattr(b.kind)} data-row={quoteattr(b.row)} "
                   f"x='{bx:.1f}' y='{by:.1f}' width='{bw:.1f}' height='{BAR_H}' fill='{fill}'"
                   f"{stroke}><title>{escape(hover)}</title></rect>")
        text = b.text if b.text is not None else duration(b.seconds)
        if not b.ok:
            text += " FAILED"
        colour = FAILED if not b.ok else "#111"
        out.append(f"<text class='label' x='{bx + bw + 4:.1f}' y='{by + BAR_H - 4:.1f}' "
                   f"fill='{colour}'>{escape(text)}</text>")
    for d in dots:
        if d.row not in row_y:
            continue
        colour = "#009E73" if d.ok else FAILED
        out.append(f"<circle class='dot' cx='{x(d.at):.1f}' cy='{row_y[d.row] + 5}' r='3.5' "
                   f"fill='{colour}' stroke='#fff' stroke-width='1'>"
                   f"<title>{escape(d.title)}</title></circle>")
    return plot_y1 + AXIS_H


def _tick(t: float, step: float) -> str:
    decimals = max(0, -math.floor(math.log10(step))) if step < 1 else 0
    return f"{t:.{decimals}f}"
