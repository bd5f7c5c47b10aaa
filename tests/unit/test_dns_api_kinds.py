"""Config, runbook and check wiring of the HTTP-API DNS kinds (powerdns, cloudflare,
clouddns): what a user writes is validated with one clear line, and the runbook and the
delegation check know each kind."""

from __future__ import annotations

from pathlib import Path

import pytest

from failover.config import parse_config
from failover.dnscheck import _claimed_names
from failover.errors import ConfigError
from failover.runbook import render

BASE = """\
service: s
zone: example.test.
records: [{name: www}]
vendors: {metal: {}}
hosting: {h: {vendor: metal, endpoints: {A: [192.0.2.1]}}}
dns:
"""

PDNS = ("  pdns: {vendor: metal, kind: powerdns, url: 'http://192.0.2.53:8081', "
        "api_key_env: PDNS_KEY, ns_names: [NS1.Example.Test]}\n")


def test_powerdns_settings_and_defaults() -> None:
    cfg = parse_config(BASE + PDNS)
    p = cfg.dns["pdns"]
    assert p.kind == "powerdns"
    assert p.server_id == "localhost" and p.max_rrsets == 1000  # type: ignore[union-attr]
    assert p.ns_names == ["ns1.example.test."]


@pytest.mark.parametrize("secrets", ["", "api_key_env: A, api_key_file: f"])
def test_powerdns_needs_exactly_one_key_source(secrets: str) -> None:
    text = BASE + ("  pdns: {vendor: metal, kind: powerdns, url: 'http://x'"
                   + (", " + secrets if secrets else "") + "}\n")
    with pytest.raises(ConfigError, match="give exactly one of api_key_env or api_key_file"):
        parse_config(text)


def test_the_runbook_names_powerdns_and_how_to_look_at_it(tmp_path: Path) -> None:
    cfg = parse_config(BASE + PDNS, str(tmp_path / "failover.yaml"))
    text = render(cfg, tmp_path / "failover.yaml", now=0.0)
    assert "http://192.0.2.53:8081 (PowerDNS API, server localhost)" in text
    assert 'X-API-Key: $PDNS_KEY"' in text and "rrset_name=www.example.test." in text


def test_the_delegation_check_takes_ns_names_from_any_kind() -> None:
    cfg = parse_config(BASE + PDNS)
    assert _claimed_names(cfg.dns["pdns"], None) == (["ns1.example.test."], None)  # type: ignore[arg-type]


CDNS = ("  cdns: {vendor: metal, kind: clouddns, project: p1, managed_zone: example-test, "
        "token_env: GCP_TOKEN}\n")


def test_clouddns_settings_need_one_token_source_and_cap_batches_at_the_quota() -> None:
    p = parse_config(BASE + CDNS).dns["cdns"]
    assert p.kind == "clouddns" and p.max_rrsets == 1000  # type: ignore[union-attr]
    with pytest.raises(ConfigError, match="give exactly one of token_env or token_file"):
        parse_config(BASE + CDNS.replace("token_env: GCP_TOKEN", "project2: x"
                                         ).replace("project2: x", "url: 'http://x'"))
    with pytest.raises(ConfigError, match="max_rrsets"):
        parse_config(BASE + CDNS.replace("}", ", max_rrsets: 1001}"))


def test_the_runbook_shows_a_curl_per_record_for_clouddns(tmp_path: Path) -> None:
    cfg = parse_config(BASE + CDNS, str(tmp_path / "failover.yaml"))
    text = render(cfg, tmp_path / "failover.yaml", now=0.0)
    assert "Cloud DNS zone example-test in project p1" in text
    assert ("/dns/v1/projects/p1/managedZones/example-test/rrsets?name=www.example.test.&type=A"
            in text)
    assert "Bearer $GCP_TOKEN" in text


CF = "  cf: {vendor: metal, kind: cloudflare, zone_id: abc123, token_file: cf.token}\n"


def test_cloudflare_batch_limit_defaults_to_the_free_plan_and_stops_at_paid() -> None:
    p = parse_config(BASE + CF).dns["cf"]
    assert p.kind == "cloudflare" and p.batch_limit == 200  # type: ignore[union-attr]
    assert parse_config(BASE + CF.replace("}", ", batch_limit: 3500}")).dns["cf"]
    with pytest.raises(ConfigError, match="batch_limit"):
        parse_config(BASE + CF.replace("}", ", batch_limit: 3501}"))


def test_the_runbook_reads_cloudflare_with_the_token_from_its_file(tmp_path: Path) -> None:
    cfg = parse_config(BASE + CF, str(tmp_path / "failover.yaml"))
    text = render(cfg, tmp_path / "failover.yaml", now=0.0)
    assert "Cloudflare zone abc123" in text
    assert f"Bearer $(cat {tmp_path / 'cf.token'})" in text
    assert "/zones/abc123/dns_records?name=www.example.test&type=A" in text


def test_octodns_takes_class_and_settings_and_the_runbook_names_the_class(
        tmp_path: Path) -> None:
    text = BASE + ("  o: {vendor: metal, kind: octodns, class: octodns_bind.Rfc2136Provider, "
                   "settings: {host: 192.0.2.53, key_secret: env/TSIG}, "
                   "verify_servers: ['192.0.2.53']}\n")
    cfg = parse_config(text, str(tmp_path / "failover.yaml"))
    assert cfg.dns["o"].class_ == "octodns_bind.Rfc2136Provider"  # type: ignore[union-attr]
    book = render(cfg, tmp_path / "failover.yaml", now=0.0)
    assert "octoDNS octodns_bind.Rfc2136Provider" in book
    assert "dig @192.0.2.53 www.example.test. A +short" in book
    with pytest.raises(ConfigError, match="class"):
        parse_config(text.replace("octodns_bind.Rfc2136Provider", "'not a class'"))
