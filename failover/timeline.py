"""A timeline picture as hand-written SVG: horizontal bars on a time axis, one row each.

Plain data in, one self-contained SVG document out (no fonts, scripts or
images fetched): :class:`Bar` (a span of time on a row, of a kind that picks
its colour), :class:`Dot` (an instant on a row, such as one check) and
:class:`Mark` (a dashed vertical line across every row, such as "aws
stopped"). Every bar is labelled with its duration, so the shortest ones
(a DNS write of a few milliseconds beside a detection of seconds) stay
readable even where the bar itself is a sliver. A legend names the kinds
that appear.

Nothing is drawn over anything else or off the picture: the row names'
column is as wide as the longest name (up to a bound; longer names are cut
with an ellipsis and shown whole on hover); mark labels take as many lines
as they need; a bar's label that would run off the right edge goes inside
the bar or before it. A wait that dwarfs everything else (a 60 s TTL beside
a 5 s move, kinds in :data:`WAITS`) is cut at the panel's end and says so.

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

# Kinds whose bars may run past the rest and are then cut: waiting, not doing.
WAITS = frozenset({"ttl"})
# A wait longer than this many times the rest of the picture is cut.
CUT_AFTER = 1.5

WIDTH = 1000
LABEL_W = 250          # the row names, left of the plot, at least
MAX_LABEL_W = 450      # ... and at most; longer names are cut with an ellipsis
CHAR_W = 7.0           # a generous width of one character at font-size 12 (DejaVu Sans)
MARK_CHAR_W = 6.6      # ... at font-size 11
MARK_LINE = 14         # one line of mark labels
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
    ends = [b.start + b.seconds for b in bars if b.kind not in WAITS]
    ends += [d.at for d in dots] + [m.at for m in marks]
    waits = [b.start + b.seconds for b in bars if b.kind in WAITS]
    starts = [b.start for b in bars] + [d.at for d in dots] + [m.at for m in marks]
    end = max([0.001, *ends])
    if waits and max(waits) > CUT_AFTER * end:
        end *= 1.2     # room after the rest; the wait is cut at the panel's edge
    else:
        end = max([end, *waits])
    label_w = label_width([*rows, *(zoom.rows if zoom is not None else ())])
    body: list[str] = []
    y: float = TOP
    y = _panel(body, y, rows, bars, dots, marks, min([0.0, *starts]), end, label_w)
    if zoom is not None:
        inside = [b for b in bars if b.row in zoom.rows and b.start < zoom.end
                  and b.start + b.seconds > zoom.start]
        body.append(f"<text x='12' y='{y + 22}' font-size='13' font-weight='bold' "
                    f"fill='#111'>{escape(zoom.heading)}</text>")
        y = _panel(body, y + 30, zoom.rows, inside, (), [], zoom.start, zoom.end, label_w)
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


def label_width(rows: Sequence[str]) -> float:
    """The row names' column: as wide as the longest name needs, within bounds."""
    need = 20 + CHAR_W * max((len(r) for r in rows), default=0)
    return min(MAX_LABEL_W, max(LABEL_W, need))


def _fit(name: str, width: float) -> str:
    """``name`` cut with an ellipsis to fit ``width`` pixels."""
    room = int((width - 20) // CHAR_W)
    return name if len(name) <= room else name[:max(1, room - 1)] + "…"


def mark_places(xs: Sequence[float], texts: Sequence[str]) -> list[tuple[float, int, str]]:
    """Where each mark's label goes: (its left x, its line, its anchor), in the order given.

    A label starts right of its line, or ends left of it where it would run off the
    picture; it takes the lowest line where it overlaps no label placed before it."""
    taken: list[list[tuple[float, float]]] = []
    out: list[tuple[float, int, str]] = []
    for mx, text in zip(xs, texts, strict=True):
        w = MARK_CHAR_W * len(text)
        left, anchor = (mx + 3, "start") if mx + 3 + w <= WIDTH - 4 else (mx - 3 - w, "end")
        left = max(4.0, left)
        span = (left - 4, left + w + 4)
        level = next((i for i, line in enumerate(taken)
                      if all(span[1] <= a or span[0] >= b for a, b in line)), len(taken))
        if level == len(taken):
            taken.append([])
        taken[level].append(span)
        out.append((left, level, anchor))
    return out


def _panel(out: list[str], y0: float, rows: Sequence[str], bars: Sequence[Bar],
           dots: Sequence[Dot], marks: Sequence[Mark], t0: float, t1: float,
           label_w: float = LABEL_W) -> float:
    """Draw one panel (rows, grid, marks, bars, dots, axis) from ``y0``; its bottom."""
    step = nice_step(t1 - t0)
    t1 = math.ceil(t1 / step - 1e-9) * step
    t0 = math.floor(t0 / step + 1e-9) * step
    if t1 <= t0:
        t1 = t0 + step
    plot_x0, plot_x1 = label_w, WIDTH - RIGHT_W

    def x(t: float) -> float:
        return plot_x0 + (t - t0) / (t1 - t0) * (plot_x1 - plot_x0)

    ordered = sorted(marks, key=lambda m: m.at)
    places = mark_places([x(m.at) for m in ordered], [m.text for m in ordered])
    lines = max((level for _, level, _ in places), default=-1) + 1
    top = y0 + 20 + max(0, lines - 1) * MARK_LINE
    row_y = {name: top + 4 + i * ROW_H for i, name in enumerate(rows)}
    plot_y1 = top + 4 + len(rows) * ROW_H
    # Zebra rows and their names (cut to the column, whole on hover).
    for i, name in enumerate(rows):
        ry = row_y[name]
        if i % 2 == 0:
            out.append(f"<rect x='0' y='{ry}' width='{WIDTH}' height='{ROW_H}' fill='#f4f6f8'/>")
        out.append(f"<g><title>{escape(name)}</title><text class='row' x='{label_w - 10}' "
                   f"y='{ry + ROW_H / 2 + 4:.1f}' text-anchor='end' fill='#111'>"
                   f"{escape(_fit(name, label_w))}</text></g>")
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
    # Marks under the bars; each label on the lowest line where it overlaps no other
    # (mark_places), the panel moved down by the lines it needs.
    for m, (left, level, _anchor) in zip(ordered, places, strict=True):
        mx = x(m.at)
        ty = top - 6 - level * MARK_LINE
        out.append(f"<line class='mark' x1='{mx:.1f}' y1='{ty + 2}' x2='{mx:.1f}' "
                   f"y2='{plot_y1}' stroke='#666' stroke-width='1' stroke-dasharray='4 3'/>")
        out.append(f"<text class='mark' x='{left:.1f}' y='{ty}' fill='#444' "
                   f"font-size='11'>{escape(m.text)}</text>")
    for b in bars:
        if b.row not in row_y:
            continue
        by = row_y[b.row] + (ROW_H - BAR_H) / 2
        bx = x(max(b.start, t0))
        cut = b.start + b.seconds > t1 + 1e-9
        bw = max(2.0, x(min(b.start + b.seconds, t1)) - bx)
        fill = KINDS.get(b.kind, ("#777777", b.kind))[0]
        stroke = f" stroke='{FAILED}' stroke-width='2'" if not b.ok else ""
        hover = b.title or f"{b.row}: {b.kind} {duration(b.seconds)}"
        out.append(f"<rect class='bar' data-kind={quoteattr(b.kind)} data-row={quoteattr(b.row)} "
                   f"x='{bx:.1f}' y='{by:.1f}' width='{bw:.1f}' height='{BAR_H}' fill='{fill}'"
                   f"{stroke}><title>{escape(hover)}</title></rect>")
        text = b.text if b.text is not None else duration(b.seconds)
        if cut:        # the bar goes on past the panel: a break, and where it ends
            ex = bx + bw
            out.append(f"<path class='cut' d='M{ex - 6:.1f},{by - 2:.1f} l6,{BAR_H / 2 + 2:.1f} "
                       f"l-6,{BAR_H / 2 + 2:.1f}' fill='none' stroke='#ffffff' "
                       "stroke-width='3'/>")
            text += f" (cut: ends at {duration(b.start + b.seconds)})"
        if not b.ok:
            text += " FAILED"
        colour = FAILED if not b.ok else "#111"
        out.append(_bar_label(bx, bw, by, text, colour))
    for d in dots:
        if d.row not in row_y:
            continue
        colour = "#009E73" if d.ok else FAILED
        out.append(f"<circle class='dot' cx='{x(d.at):.1f}' cy='{row_y[d.row] + 5}' r='3.5' "
                   f"fill='{colour}' stroke='#fff' stroke-width='1'>"
                   f"<title>{escape(d.title)}</title></circle>")
    return plot_y1 + AXIS_H


def _bar_label(bx: float, bw: float, by: float, text: str, colour: str) -> str:
    """A bar's label: right of the bar; inside it (white) where that would leave the
    picture and the bar is wide enough; else left of the bar."""
    w = CHAR_W * len(text)
    y = f"{by + BAR_H - 4:.1f}"
    if bx + bw + 4 + w <= WIDTH - 4:
        return f"<text class='label' x='{bx + bw + 4:.1f}' y='{y}' fill='{colour}'>" \
               f"{escape(text)}</text>"
    if bw >= w + 8:
        return (f"<text class='label' x='{bx + bw - 8:.1f}' y='{y}' text-anchor='end' "
                f"fill='#ffffff'>{escape(text)}</text>")
    return (f"<text class='label' x='{max(4.0, bx - 4):.1f}' y='{y}' text-anchor='end' "
            f"fill='{colour}'>{escape(text)}</text>")


def _tick(t: float, step: float) -> str:
    decimals = max(0, -math.floor(math.log10(step))) if step < 1 else 0
    return f"{t:.{decimals}f}"
