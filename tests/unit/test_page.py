"""The status page renderer: self-contained, escaped, and the public page tells no internals."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from failover.reports.page import (
    DrillLine,
    HostingRow,
    MoveLine,
    PageData,
    ProviderRow,
    SaasRow,
    render,
)


def data(name: str = "aws-use1", reason: str = "http /healthz 10.0.0.5:443: refused",
         vendor: str = "aws") -> PageData:
    return PageData(
        service="social", zone="example.org.", generated=1_700_000_000.0,
        hostings=[HostingRow(name, vendor, "TERMINATED", 1_700_000_000.0, reason),
                  HostingRow("gcp-euw1", "gcp", "UP", 1_699_000_000.0, "1/1 probes passed")],
        providers=[ProviderRow("route53", "aws", (), "route53: AccessDenied at 10.0.0.9"),
                   ProviderRow("knot-fra", "colo", ("gcp-euw1",))],
        terminated={vendor: "2023-11-14 22:13"},
        saas=[SaasRow("sms", "vonage", "gcp", "alive", None)],
        moves=[MoveLine(7, "move", 1_700_000_000.0, 1.5, "done", reason,
                        "move done in 1.50s; written: knot-fra")],
        drill=DrillLine(vendor, "passed", 1_700_000_000.0, "drill passed", 2.5,
                        "<?xml version='1.0'?><svg xmlns='http://www.w3.org/2000/svg'>"
                        "<text>knot-fra verify at 10.0.0.9:53</text></svg>"))


def test_internal_page_shows_everything_inline() -> None:
    html = render(data(), audience="internal")
    assert 'id="hosting-aws-use1" data-verdict="TERMINATED"' in html
    assert 'id="provider-knot-fra" data-serving="gcp-euw1"' in html
    assert 'id="saas-sms" data-selected="vonage"' in html
    assert "10.0.0.5" in html and "<svg" in html and "<?xml" not in html
    assert not re.search(r"<(script|link|img|iframe)\b", html)
    # The time zone is said, once (not "UTC (UTC+0000)"); a move's time is one token.
    assert re.search(r"\d\d:\d\d:\d\d (UTC|\S+ \(UTC[+-]\d\d:\d\d\)|UTC[+-]\d\d:\d\d)<", html)
    assert "UTC (UTC" not in html


def test_public_page_has_no_addresses_reasons_or_drill_picture() -> None:
    html = render(data(), audience="public")
    assert "10.0.0." not in html and "AccessDenied" not in html and "<svg" not in html
    assert 'data-verdict="TERMINATED"' in html and "route53" in html


def test_hide_names_hides_every_hosting_provider_and_vendor_name() -> None:
    html = render(data(), audience="public", hide_names=True)
    body = html.split("<body", 1)[1]
    for name in ("aws-use1", "gcp-euw1", "route53", "knot-fra", "vonage", "aws", "gcp",
                 "colo"):
        assert not re.search(rf"\b{re.escape(name)}\b", body), name
    assert 'id="hosting-hosting-1" data-verdict="TERMINATED"' in html
    assert 'data-serving="hosting-2"' not in html and 'data-serving="hosting 2"' in html


def test_vantage_points_get_a_column_each_when_present() -> None:
    d = data()
    d.hostings[1] = HostingRow("gcp-euw1", "gcp", "UP", None, "", {"w-aws": "DOWN",
                                                                   "w-metal": "UP"})
    html = render(d, audience="internal")
    assert "<th>w-aws</th>" in html and "<th>w-metal</th>" in html


hostile = st.text(min_size=1, max_size=30).filter(lambda s: s.strip() != "")


@given(name=hostile, reason=hostile, vendor=hostile)
def test_no_input_can_add_markup(name: str, reason: str, vendor: str) -> None:
    name, reason, vendor = (f"<script>{name}", f"</td><img src=x>{reason}",
                            f'"><b onload=1>{vendor}')
    for audience in ("internal", "public"):
        html = render(data(name, reason, vendor), audience=audience)  # type: ignore[arg-type]
        assert "<script" not in html and "<img" not in html and "<b onload" not in html


def test_the_internal_page_shows_the_pin_and_its_expiry_the_public_one_does_not() -> None:
    import dataclasses

    pin = ("pinned by laptop (pid 1, host h, since x, failover move --off aws): move 7; "
           "watchers move nothing until 2026-12-07 22:10 UTC (in 29 min) or 'failover "
           "resume' <script>")
    page = dataclasses.replace(data(), pin=pin)
    internal = render(page, audience="internal")
    assert 'id="pin"' in internal and "until 2026-12-07 22:10 UTC (in 29 min)" in internal
    assert "<script>" not in internal and "&lt;script&gt;" in internal
    assert 'id="pin"' not in render(page, audience="public")
