"""The octoDNS bridge (kind: octodns) for real: octodns-powerdns against pdns_server and
octodns-bind's Rfc2136Provider against BIND, both started by lab/. failover builds the
plan (only the managed records that change), octoDNS reads and applies; what each server
serves is then read over DNS."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from failover.config import Config, OctodnsProvider, parse_config
from failover.dns.octodns import Octodns
from failover.dns.query import DnsAuthority
from failover.errors import ConfigError, ProviderAuthError, ProviderConflict
from failover.records import Change, RRSet
from lab import bind as lab_bind
from lab import pdns as lab_pdns
from lab.procs import stop

pytestmark = pytest.mark.integration

ZONE = "example.test."
WWW, API, APEX = f"www.{ZONE}", f"api.{ZONE}", ZONE
MANAGED = [(APEX, "A"), (WWW, "A"), (API, "A")]


def a(name: str, *values: str, ttl: int = 60) -> RRSet:
    return RRSet.of(name, "A", ttl, values)


@pytest.fixture
def pdns(tmp_path: Path) -> Iterator[dict[str, Any]]:
    proc, dns_port, api_port, key = lab_pdns.start(tmp_path)
    try:
        lab_pdns.wait_ready(proc, tmp_path, api_port, key, 30)
        lab_pdns.create_zone(api_port, key, ZONE, [APEX, WWW, API], "127.0.0.11", 60,
                             ["ns1.example.test."])
        yield {"dir": tmp_path, "dns": dns_port, "settings": (
            f"{{host: 127.0.0.1, port: {api_port}, api_key: file/pdns.key}}")}
    finally:
        stop(proc.pid)


@pytest.fixture
def bind(tmp_path: Path) -> Iterator[dict[str, Any]]:
    secret = lab_bind.write_secret(tmp_path / "tsig.secret")
    proc, port = lab_bind.start(tmp_path, secret)
    try:
        lab_bind.wait_ready(proc, tmp_path, port, 30)
        yield {"dir": tmp_path, "dns": port, "settings": (
            f"{{host: 127.0.0.1, port: {port}, key_name: failover-lab., "
            f"key_secret: file/tsig.secret, key_algorithm: hmac-sha256}}")}
    finally:
        stop(proc.pid)


CLASSES = {"pdns": "octodns_powerdns.PowerDnsProvider", "bind": "octodns_bind.Rfc2136Provider"}


def config(server: dict[str, Any], cls: str, settings: str | None = None) -> Config:
    return parse_config(f"""\
service: s
zone: example.test.
records: [{{name: "@"}}, {{name: www}}, {{name: api}}]
vendors: {{metal: {{}}}}
hosting: {{h: {{vendor: metal, endpoints: {{A: [192.0.2.1]}}}}}}
dns:
  octo: {{vendor: metal, kind: octodns, class: {cls}, settings: {settings or server['settings']},
          verify_servers: ["127.0.0.1:{server['dns']}"]}}
""", str(server["dir"] / "failover.yaml"))


def bridge(server: dict[str, Any], cls: str, settings: str | None = None) -> Octodns:
    cfg = config(server, cls, settings)
    s = cfg.dns["octo"]
    assert isinstance(s, OctodnsProvider)
    return Octodns("octo", s, cfg)


def served(server: dict[str, Any], keys: list[tuple[str, str]]) -> dict[Any, RRSet]:
    return DnsAuthority("t", "127.0.0.1", server["dns"], ZONE, 2.0).read(keys)


@pytest.mark.parametrize("kind", ["pdns", "bind"])
def test_reads_and_applies_only_the_managed_records(kind: str,
                                                    request: pytest.FixtureRequest) -> None:
    server = request.getfixturevalue(kind)
    p = bridge(server, CLASSES[kind])
    assert p.read(MANAGED) == {rr.key: rr for rr in (a(APEX, "127.0.0.11"),
                                                     a(WWW, "127.0.0.11"), a(API, "127.0.0.11"))}
    new = f"new.{ZONE}"
    p.apply([Change("update", a(WWW, "127.0.0.11"), a(WWW, "127.0.0.12", "127.0.0.13")),
             Change("create", None, a(new, "127.0.0.14", ttl=30)),
             Change("delete", a(API, "127.0.0.11"), None)])
    now = served(server, [(WWW, "A"), (new, "A"), (API, "A"), (APEX, "A"), (f"mail.{ZONE}", "A")])
    assert now[a(WWW).key] == a(WWW, "127.0.0.12", "127.0.0.13")
    assert now[a(new).key] == a(new, "127.0.0.14", ttl=30)
    assert a(API).key not in now
    assert now[a(APEX).key].values == ("127.0.0.11",)            # unchanged: not in the plan
    assert now[a(f"mail.{ZONE}").key].values == ("127.0.0.99",)  # not managed: untouched
    assert [x.label for x in p.authorities()] == [f"octo 127.0.0.1:{server['dns']}"]


@pytest.mark.parametrize("kind", ["pdns", "bind"])
def test_a_changed_record_is_refused_before_octodns_applies(
        kind: str, request: pytest.FixtureRequest) -> None:
    server = request.getfixturevalue(kind)
    p = bridge(server, CLASSES[kind])
    p.apply([Change("update", a(WWW, "127.0.0.11"), a(WWW, "198.51.100.7"))])  # someone else
    with pytest.raises(ProviderConflict, match=r"plan expected 127\.0\.0\.11, the provider has "
                                               r"198\.51\.100\.7"):
        p.apply([Change("update", a(APEX, "127.0.0.11"), a(APEX, "127.0.0.12")),
                 Change("update", a(WWW, "127.0.0.11"), a(WWW, "127.0.0.12"))])
    assert served(server, [(APEX, "A")])[a(APEX).key].values == ("127.0.0.11",)


def test_a_refused_key_names_its_file_and_never_shows_it(pdns: dict[str, Any]) -> None:
    key = (pdns["dir"] / "pdns.key").read_text().strip()
    (pdns["dir"] / "pdns.key").write_text("wrong-key-i11\n")
    p = bridge(pdns, CLASSES["pdns"])
    with pytest.raises(ProviderAuthError) as info:
        p.read(MANAGED)
    text = str(info.value)
    assert text.startswith("octo: ") and str(pdns["dir"] / "pdns.key") in text
    assert "wrong-key-i11" not in text and key not in text and "\n" not in text


def test_a_missing_provider_package_is_one_config_line(pdns: dict[str, Any]) -> None:
    with pytest.raises(ConfigError, match=r"dns\.octo\.class: octodns_nope\.NopeProvider is not "
                                          r"an octoDNS provider from an installed octodns-\* "
                                          r"distribution.*pip install octodns-nope\)"):
        bridge(pdns, "octodns_nope.NopeProvider")
