"""The drill's timeline picture: well-formed SVG, a bar and a label per phase and provider,
ticks, a legend, and a magnified panel when the move is a sliver beside detection."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from failover.drill import CheckRow, DrillReport, Phase
from failover.reports.drillreport import markdown, timeline_rows, timeline_svg
from failover.timeline import Bar, Dot, Mark, Zoom, duration, nice_step, render

NS = {"s": "http://www.w3.org/2000/svg"}


def report() -> DrillReport:
    r = DrillReport(service="lab", zone="example.test.", vendor="aws", mode="lab",
                    applied=True, config_path="/tmp/failover.yaml", interval=2.0, fall=2,
                    rise=2, verify_timeout=15.0, hostings=["aws-use1"],
                    started=1_700_000_000.0, finished=1_700_000_009.0, outcome="passed")
    r.phases = [
        Phase("stop", 0.0, 0.014, True, "stopped"),
        Phase("detect", 0.0, 4.02, True, "aws-use1 DOWN after 2 checks"),
        Phase("decide", 4.02, 0.0004, True, "active-passive"),
        Phase("plan", 4.021, 0.041, True, "6 changes"),
        Phase("write", 4.07, 0.069, True, "written", provider="route53"),
        Phase("write", 4.086, 0.013, True, "written", provider="bind"),
        Phase("verify", 4.11, 0.048, True, "ok", provider="bind",
              authority="bind 127.0.0.1:5300"),
        Phase("verify", 4.15, 0.045, True, "ok", provider="route53", authority="route53 API"),
        Phase("restore", 4.21, 0.21, True, "serving again"),
        Phase("recover", 4.43, 4.02, True, "UP after 2 good checks"),
        Phase("rollback-write", 8.54, 0.072, True, "written", provider="route53"),
        Phase("rollback-write", 8.54, 0.020, False, "not written: refused", provider="bind"),
        Phase("rollback-verify", 8.61, 0.032, True, "ok", provider="route53",
              authority="route53 API"),
    ]
    r.checks = [CheckRow("detect", 1, 2.02, 0.01, {"aws-use1": "DEGRADED"}, {}),
                CheckRow("detect", 2, 4.02, 0.01, {"aws-use1": "DOWN"}, {}),
                CheckRow("recover", 1, 6.44, 0.01, {"aws-use1": "DOWN"}, {}),
                CheckRow("recover", 2, 8.45, 0.01, {"aws-use1": "UP"}, {})]
    return r


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def texts(root: ET.Element) -> list[str]:
    return ["".join(t.itertext()) for t in root.iter("{http://www.w3.org/2000/svg}text")]


def test_rows_follow_the_phases_per_provider_then_the_failback() -> None:
    assert timeline_rows(report()) == [
        "detect (aws stopped)", "decide", "plan",
        "route53: write", "route53: verify at route53 API",
        "bind: write", "bind: verify at bind 127.0.0.1:5300",
        "failback: restore aws", "failback: rise 2 checks"]


def test_svg_is_well_formed_with_bars_and_labels_per_provider() -> None:
    root = parse(timeline_svg(report()))
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    bars = root.findall(".//s:rect[@class='bar']", NS)
    # Every phase but the fault itself (shown as a mark), in the first panel; the move
    # again in the magnified panel.
    by_row: dict[str, list[str]] = {}
    for b in bars:
        by_row.setdefault(b.get("data-row", ""), []).append(b.get("data-kind", ""))
    assert by_row["route53: write"].count("write") == 2          # both panels
    assert by_row["route53: write"].count("rollback-write") == 1
    assert by_row["bind: write"].count("rollback-write") == 1
    assert by_row["bind: verify at bind 127.0.0.1:5300"].count("verify") == 2
    assert by_row["detect (aws stopped)"] == ["detect"]
    assert "stop" not in {b.get("data-kind") for b in bars}
    words = texts(root)
    for row in timeline_rows(report()):
        assert row in words
    assert "4.02 s" in words and "rollback 72 ms" in words and "plan 41 ms" in words
    assert "rollback 20 ms FAILED" in words
    failed = [b for b in bars if b.get("stroke") == "#C00000"]
    assert len(failed) == 1 and failed[0].get("data-row") == "bind: write"
    assert any(w.startswith("failover drill: vendor aws (lab) passed, off aws in") for w in words)
    assert "aws stopped" in words and "drill restores aws" in words
    assert "aws restored" not in words     # read as if the outage had ended there
    assert any(w.startswith("The move, magnified") for w in words)
    # Ticks on both axes, a legend naming what is drawn, dots for the checks.
    assert {"0", "2", "4", "6", "8", "10"} <= set(words)
    assert "write DNS provider" in words and "verify at authority" in words
    assert "wait for rise good checks" in words
    assert len(root.findall(".//s:circle[@class='dot']", NS)) == 4


def test_no_zoom_when_the_move_is_most_of_the_time() -> None:
    r = report()
    r.phases = [p for p in r.phases if p.name in ("decide", "plan", "write", "verify")]
    words = texts(parse(timeline_svg(r)))
    assert not any(w.startswith("The move, magnified") for w in words)


def test_render_escapes_text_and_keeps_tiny_bars_visible() -> None:
    svg = render("a <b> & c", "sub", ["x & y"], [Bar("x & y", 0.0, 0.0, "write")],
                 [Dot("x & y", 0.0, True, "<t>")], [Mark(0.0, "m<")])
    root = parse(svg)
    bar = root.find(".//s:rect[@class='bar']", NS)
    assert bar is not None and float(bar.get("width", "0")) >= 2.0
    assert "a <b> & c" in texts(root)


def test_zoom_panel_shows_only_its_rows_and_window() -> None:
    bars = [Bar("d", 0.0, 10.0, "detect"), Bar("w", 10.0, 0.05, "write")]
    root = parse(render("t", "s", ["d", "w"], bars, zoom=Zoom(9.99, 10.06, ("w",), "zoom")))
    rows = [b.get("data-row") for b in root.findall(".//s:rect[@class='bar']", NS)]
    assert rows == ["d", "w", "w"]


@pytest.mark.parametrize("span, step", [(10.0, 2.0), (8.6, 2.0), (0.17, 0.05), (0.0, 1.0),
                                        (95.0, 20.0), (3.0, 0.5)])
def test_nice_steps(span: float, step: float) -> None:
    assert nice_step(span) == pytest.approx(step)


def test_duration_text() -> None:
    assert duration(0.0123) == "12 ms" and duration(4.016) == "4.02 s"


def test_the_ttl_window_shows_when_users_are_off_the_vendor() -> None:
    # "authorities off aws" is not when users stop reaching aws: resolvers keep the old
    # answer up to the records' TTL. The picture and the totals say so.
    r = report()
    r.ttl = 5
    evacuate = r.totals["evacuate"]
    assert evacuate is not None and r.totals["users_off"] == evacuate + 5
    assert "resolver caches (TTL)" in timeline_rows(r)
    root = parse(timeline_svg(r))
    ttl = [b for b in root.findall(".//s:rect[@class='bar']", NS) if b.get("data-kind") == "ttl"]
    assert len(ttl) == 1 and ttl[0].get("data-row") == "resolver caches (TTL)"
    words = texts(root)
    assert f"TTL 5s: users off aws by {evacuate + 5:.2f} s" in words
    assert f"authorities off aws: {evacuate:.2f} s" in words
    assert "resolvers may still answer from cache (TTL)" in words     # the legend
    md = markdown(r)
    assert f"| users off aws at worst (evacuate + TTL 5s: resolver caches) | " \
           f"{evacuate + 5:.3f} |" in md
    assert "served the answers from before the move again" in md
    assert "serving the new answers" not in md


def test_times_carry_their_utc_offset() -> None:
    r = report()
    stamp = re.compile(r"2023-11-1[45] \d\d:\d\d:20[+-]\d\d:\d\d")
    assert any(stamp.search(w) for w in texts(parse(timeline_svg(r))))
    assert stamp.search(markdown(r))
