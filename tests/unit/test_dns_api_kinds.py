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
