"""The vendor-kill matrix's pure parts: which rows run, the bounds each is held to, and the
report (table, Markdown, SVG)."""

from __future__ import annotations

import dataclasses
import xml.etree.ElementTree as ET
from collections.abc import Callable
from typing import cast

import pytest

from failover.config import Config, parse_config
from failover.errors import ConfigError
from failover.matrix import (
    LEADER,
    Authority,
    Matrix,
    MatrixLab,
    MatrixReport,
    Row,
    _split,
    rows_to_run,
)
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


# -- partition rows ---------------------------------------------------------------------


class _Lab:
    """A stand-in lab for the partition rows' pure checks: who runs where, what the
    watchers' last cycles did."""

    def __init__(self, actions: dict[str, tuple[float, str]]) -> None:
        self.actions = actions

    def vendors(self) -> list[str]:
        return list(VENDORS)

    def node_vendor(self, node: str) -> str | None:
        return node.removeprefix("watcher-") if node.startswith("watcher-") else None

    def watcher_actions(self) -> dict[str, tuple[float, str]]:
        return self.actions


def _matrix(actions: dict[str, tuple[float, str]], leader: str | None) -> Matrix:
    config = parse_config("""\
service: s
zone: example.test.
records: [{name: www, type: A}]
vendors: {aws: {}, gcp: {}, laptop: {}}
hosting:
  aws-use1: {vendor: aws, priority: 1, endpoints: {A: [127.0.0.11]}}
  gcp-euw1: {vendor: gcp, priority: 2, endpoints: {A: [127.0.0.12]}}
dns:
  route53: {vendor: aws, kind: route53, hosted_zone_id: Z1}
cluster: {endpoints: ['http://127.0.0.1:1'], node: operator, vendor: laptop,
          watchers: [watcher-aws, watcher-gcp, watcher-metal]}
""")
    m = Matrix(config, cast(MatrixLab, _Lab(actions)), wall=lambda: 1000.0)
    m.view.leader = lambda: leader  # type: ignore[method-assign]
    return m


def test_partition_rows_are_named_and_pass_on_one_leader_and_no_split() -> None:
    row = Row(["aws"], survived=True, authority=0.3, resolver=0.1, authority_bound=9.0,
              resolver_bound=7.3, chosen=LEADER, cut="etcd", one_leader=True, split=False)
    assert row.name == "cut-etcd:aws (leader)" and row.within
    assert Row(["gcp"], cut="all").name == "cut:gcp"
    assert not dataclasses.replace(row, one_leader=False).within
    assert not dataclasses.replace(row, split=True).within
    assert not dataclasses.replace(row, survived=False).within
    # a slow partition row is still within: a cut's times are shown, not bounded
    assert dataclasses.replace(row, authority=30.0).within


def test_partition_row_names_are_checked() -> None:
    m = _matrix({}, "watcher-gcp")
    assert m._cut("cut-etcd:leader") == (LEADER, "etcd")
    assert m._cut("cut:served") == ("served", None)
    assert m._cut("cut-dns:metal") == ("metal", "dns")
    for bad in ("cut:ibm", "cut:", "cut-etcd:aws+gcp"):
        with pytest.raises(ConfigError, match=r"a partition row is cut\|cut-etcd\|cut-dns:TARGET"):
            m._cut(bad)


def test_one_leader_means_etcd_and_the_watchers_agree() -> None:
    fresh, old = 995.0, 900.0
    good = {"watcher-aws": (fresh, "fail-static"), "watcher-gcp": (fresh, "none"),
            "watcher-metal": (fresh, "follower"), "watcher-hetzner": (old, "keep")}
    assert _matrix(good, "watcher-gcp")._leaders("aws", "etcd") is None
    # the cut vendor's node still named by etcd
    assert "still leads" in (_matrix(good, "watcher-aws")._leaders("aws", "etcd") or "")
    # a stale leader that still acts as one: two watchers lead
    two = {**good, "watcher-aws": (fresh, "moved")}
    assert "watcher-aws, watcher-gcp" in (_matrix(two, "watcher-gcp")._leaders("aws", "etcd")
                                          or "")
    # nobody leads: etcd names no one, or its leader's cycles are stuck
    assert _matrix(good, None)._leaders("aws", "etcd") == "no cluster leader after the cut"
    stuck = {**good, "watcher-gcp": (old, "none")}
    assert "acting as leader: none" in (_matrix(stuck, "watcher-gcp")._leaders("aws", "etcd")
                                        or "")
    # a DNS cut leaves etcd alone: the cut vendor may go on leading
    dns = {**good, "watcher-aws": (fresh, "keep"), "watcher-gcp": (fresh, "follower")}
    assert _matrix(dns, "watcher-aws")._leaders("aws", "dns") is None


def test_split_dns_names_the_authorities_that_disagree() -> None:
    def serving(*answer: str) -> Callable[[str], list[str]]:
        return lambda _name: list(answer)

    def dead(_name: str) -> list[str]:
        raise OSError("timed out")

    same = [Authority("bind", "metal", serving("127.0.0.12")),
            Authority("pdns", "hetzner", serving("127.0.0.12"))]
    assert _split(same, ["www.example.test."]) is None
    apart = [*same, Authority("route53", "aws", serving("127.0.0.11"))]
    assert _split(apart, ["www.example.test."]) == (
        "split DNS for www.example.test.: bind 127.0.0.12; pdns 127.0.0.12; "
        "route53 127.0.0.11")
    assert "no answer (timed out)" in (_split([*same, Authority("knot", "metal", dead)],
                                              ["www.example.test."]) or "")
