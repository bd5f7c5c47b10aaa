"""The vendor-kill matrix's pure parts: which rows run, the bounds each is held to, and the
report (table, Markdown, SVG)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from failover.config import Config, parse_config
from failover.matrix import MatrixReport, Row, rows_to_run
from failover.matrixreport import markdown, picture, table

VENDORS = ["aws", "gcp", "metal", "hetzner", "quorum"]


def _config(pdns: bool = True) -> Config:
    extra = ("  pdns: {vendor: hetzner, kind: powerdns, url: 'http://127.0.0.1:1', "
             "api_key_env: K}\n") if pdns else ""
    return parse_config(f"""\
service: s
zone: example.test.
records: [{{name: www, type: A}}]
vendors: {{aws: {{}}, gcp: {{}}, metal: {{}}, hetzner: {{}}, quorum: {{}}}}
hosting:
  aws-use1: {{vendor: aws, priority: 1, endpoints: {{A: [127.0.0.11]}}}}
  gcp-euw1: {{vendor: gcp, priority: 2, endpoints: {{A: [127.0.0.12]}}}}
  metal-fra: {{vendor: metal, priority: 3, endpoints: {{A: [127.0.0.13]}}}}
dns:
  route53: {{vendor: aws, kind: route53, hosted_zone_id: Z1}}
  bind: {{vendor: metal, kind: rfc2136, server: 127.0.0.1}}
{extra}""")


def test_every_single_and_every_pair_that_leaves_enough() -> None:
    rows, skipped = rows_to_run(_config(), VENDORS, VENDORS)
    assert [r for r in rows if len(r) == 1] == [[v] for v in VENDORS]
    assert len([r for r in rows if len(r) == 2]) == 10  # PowerDNS at hetzner: all pairs
    assert skipped == []


def test_pairs_that_leave_no_dns_provider_or_no_quorum_are_left_out() -> None:
    rows, skipped = rows_to_run(_config(pdns=False), VENDORS, VENDORS)
    assert ["aws", "metal"] not in rows
    assert ("aws+metal", "no DNS provider left") in skipped
    rows, skipped = rows_to_run(_config(), VENDORS, ["aws", "gcp", "metal"])
    assert ("aws+gcp", "etcd loses quorum (1 of 3 members left)") in skipped
    assert ["hetzner", "quorum"] in rows  # neither holds an etcd member here


def test_bounds_and_gap() -> None:
    ok = Row(["aws"], survived=True, authority=4.0, resolver=8.5, authority_bound=9.0,
             resolver_bound=11.0, moved=True, mover="watcher-gcp", clean=True)
    assert ok.within and ok.gap == 4.5
    slow = Row(["aws"], survived=True, authority=9.5, resolver=10.0, authority_bound=9.0,
               resolver_bound=16.5)
    assert not slow.within
    early = Row(["gcp"], survived=True, authority=0.2, resolver=0.05, authority_bound=9.0,
                resolver_bound=7.2)
    assert early.within and early.gap == 0.0  # the resolver was never behind
    lost = Row(["metal", "hetzner"], survived=False, authority=3.0, resolver=None,
               authority_bound=9.0, resolver_bound=10.0)
    assert not lost.within and lost.gap is None


def test_report_reads_at_80_columns_and_the_picture_is_svg() -> None:
    rows = [Row(["hetzner", "quorum"], True, 2.76, 5.52, 9.0, 9.76, "watcher-hetzner",
                "watcher-quorum", True, True),
            Row(["aws", "gcp"], False, 3.1, None, 9.0, 10.1, "watcher-aws", None, True,
                False, notes=["the resolver handed no healthy address within 60s"]),
            Row(["metal", "hetzner"], True, 0.2, None, 9.0, None, "watcher-aws", None, False,
                True, resolver_path=False)]
    report = MatrixReport(0.0, 1.0, 2, 5.0, 5, rows, [("aws+metal", "no DNS provider left")])
    lines = table(report)
    widths = [max(len(line[i]) for line in lines) for i in range(len(lines[0]))]
    assert sum(widths) + 2 * (len(widths) - 1) <= 80
    assert lines[1][5] == "hetzner→quorum" and lines[2][1] == "no"
    text = markdown(report)
    assert "FAILED" in text and "aws+metal: no DNS provider left" in text
    assert "aws+gcp: the resolver handed no healthy address" in text
    assert lines[3][1:4] == ["yes", "0.20 ≤9", "n/a"]  # no server left the resolver reaches
    svg = ET.fromstring(picture(report))
    labels = [t.text for t in svg.iter("{http://www.w3.org/2000/svg}text")]
    assert "hetzner+quorum: resolver" in labels and "2.76 s (bound 9 s)" in labels
    assert "n/a: no DNS server it can reach survives" in labels
    assert "never healthy for long enough FAILED" in labels
    assert not report.passed and report.exit_code == 2
