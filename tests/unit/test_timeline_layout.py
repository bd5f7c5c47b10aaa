"""The timeline picture never draws a label over another or off the picture, and a long
wait (the TTL) does not squeeze the rest into a sliver (issue 20).

Text widths are estimated as the renderer estimates them (generous per-character
widths for DejaVu Sans), so the checks hold for the picture as laid out.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from hypothesis import given
from hypothesis import strategies as st

from failover.timeline import CHAR_W, MARK_CHAR_W, WIDTH, Bar, Mark, render
from tests.hypo import cases

SVG = "{http://www.w3.org/2000/svg}"


def texts(svg: str, cls: str) -> list[ET.Element]:
    return [t for t in ET.fromstring(svg).iter(f"{SVG}text") if t.get("class") == cls]


def extent(t: ET.Element, char_w: float) -> tuple[float, float]:
    x, w = float(t.get("x", 0)), char_w * len(t.text or "")
    return (x - w, x) if t.get("text-anchor") == "end" else (x, x + w)


@cases(300)
@given(st.lists(st.tuples(st.floats(0, 70), st.text("abcdefgh :", min_size=1, max_size=40)),
                min_size=1, max_size=8))
def test_mark_labels_never_overlap_nor_leave_the_picture(marks: list[tuple[float, str]]) -> None:
    svg = render("t", "s", ["row"], [Bar("row", 0, 70, "detect")],
                 marks=[Mark(at, text) for at, text in marks])
    boxes = [(float(t.get("y", 0)), extent(t, MARK_CHAR_W)) for t in texts(svg, "mark")]
    assert len(boxes) == len(marks)
    for i, (y, (a, b)) in enumerate(boxes):
        assert a >= 0 and b <= WIDTH, (a, b)
        for y2, (c, d) in boxes[i + 1:]:
            assert y != y2 or b <= c or d <= a, ((y, a, b), (y2, c, d))


def test_the_drills_marks_at_one_moment_stack_apart() -> None:
    svg = render("t", "s", ["detect"], [Bar("detect", 0, 4.2, "detect")],
                 marks=[Mark(0, "aws stopped"), Mark(4.2, "authorities off aws: 4.20 s"),
                        Mark(4.21, "drill restores aws")])
    ys = [t.get("y") for t in texts(svg, "mark")]
    assert len(set(ys[1:])) == 2, ys


def test_row_names_are_never_clipped() -> None:
    rows = ["knot-secondary: verify at knot 127.0.0.1:53001 (rollback)",
            "route53: verify at route53 API", "x" * 200]
    svg = render("t", "s", rows, [Bar(r, 0, 1, "verify") for r in rows])
    names = texts(svg, "row")
    assert [n.text for n in names][:2] == rows[:2]            # the first two fit whole
    assert names[2].text is not None and names[2].text.endswith("…")
    for n in names:
        assert extent(n, CHAR_W)[0] >= 0, n.text
    titles = [t.text for t in ET.fromstring(svg).iter(f"{SVG}title")]
    assert rows[2] in titles                                  # whole on hover


def test_a_long_ttl_is_cut_and_the_move_keeps_its_width() -> None:
    bars = [Bar("detect", 0, 4.0, "detect"), Bar("route53: write", 4.0, 0.1, "write"),
            Bar("failback", 4.2, 4.3, "recover"),
            Bar("users", 4.1, 60.0, "ttl", text="TTL 60s: users off aws by 64.10 s")]
    svg = render("t", "s", ["detect", "route53: write", "failback", "users"], bars)
    root = ET.fromstring(svg)
    rects = {r.get("data-row"): r for r in root.iter(f"{SVG}rect") if r.get("class") == "bar"}
    plot_right = max(float(r.get("x", 0)) + float(r.get("width", 0)) for r in rects.values())
    detect = rects["detect"]
    plot_left = float(detect.get("x", 0))
    failback_end = float(rects["failback"].get("x", 0)) + float(rects["failback"].get("width", 0))
    assert failback_end - plot_left > 0.6 * (plot_right - plot_left)   # not a sliver
    labels = texts(svg, "label")
    assert any("cut: ends at 64.10 s" in (t.text or "") for t in labels)
    for t in labels:
        a, b = extent(t, CHAR_W)
        assert a >= 0 and b <= WIDTH, (t.text, a, b)
