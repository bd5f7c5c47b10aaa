"""The PowerDNS provider against the real pdns_server (gsqlite3, API key) started by lab.pdns:
reads, PATCH writes verified over DNS at that server, the re-read precondition, a refused
key, rate limiting through a fault proxy in front of the real API, and batching."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from failover.config import Config, PowerDnsProvider, parse_config
from failover.dns.powerdns import PowerDns
from failover.dns.query import DnsAuthority
from failover.dns.route53 import Backoff
from failover.errors import ConfigError, ProviderAuthError, ProviderConflict
from failover.records import Change, RRSet
from lab import pdns as lab_pdns
from lab.httpfault import FaultProxy
from lab.procs import stop

pytestmark = pytest.mark.integration

ZONE = "example.test."
WWW, API, APEX = f"www.{ZONE}", f"api.{ZONE}", ZONE
MANAGED = [(APEX, "A"), (WWW, "A"), (API, "A")]


@pytest.fixture
def server(tmp_path: Path) -> Iterator[dict[str, Any]]:
    """A pdns_server with example.test. at 127.0.0.11, and a config naming it."""
    proc, dns_port, api_port, key = lab_pdns.start(tmp_path)
    try:
        lab_pdns.wait_ready(proc, tmp_path, api_port, key, 30)
        lab_pdns.create_zone(api_port, key, ZONE, [APEX, WWW, API], "127.0.0.11", 60,
                             ["ns1.example.test."])
        yield {"dir": tmp_path, "dns_port": dns_port, "api_port": api_port, "key": key,
               "url": f"http://127.0.0.1:{api_port}"}
    finally:
        stop(proc.pid)


def config(server: dict[str, Any], url: str | None = None, **extra: Any) -> Config:
    settings = ", ".join(f"{k}: {v}" for k, v in extra.items())
    text = f"""\
service: s
zone: example.test.
records: [{{name: "@"}}, {{name: www}}, {{name: api}}]
vendors: {{metal: {{}}}}
hosting: {{h: {{vendor: metal, endpoints: {{A: [192.0.2.1]}}}}}}
dns:
  pdns: {{vendor: metal, kind: powerdns, url: "{url or server['url']}",
          api_key_file: pdns.key, verify_servers: ["127.0.0.1:{server['dns_port']}"]
          {', ' + settings if settings else ''}}}
"""
    return parse_config(text, str(server["dir"] / "failover.yaml"))


def provider(server: dict[str, Any], url: str | None = None, **extra: Any) -> PowerDns:
    cfg = config(server, url, **extra)
    settings = cfg.dns["pdns"]
    assert isinstance(settings, PowerDnsProvider)
    return PowerDns("pdns", settings, cfg, backoff=Backoff(tries=4, base=0.01, cap=0.05))


def a(name: str, *values: str, ttl: int = 60) -> RRSet:
    return RRSet.of(name, "A", ttl, values)


def served(server: dict[str, Any], keys: list[tuple[str, str]]) -> dict[Any, RRSet]:
    """What pdns_server answers over DNS (not through the API or the provider)."""
    return DnsAuthority("t", "127.0.0.1", server["dns_port"], ZONE, 2.0).read(keys)


def test_reads_the_managed_records_and_leaves_out_the_rest(server: dict[str, Any]) -> None:
    p = provider(server)
    got = p.read(MANAGED)
    assert got == {rr.key: rr for rr in (a(APEX, "127.0.0.11"), a(WWW, "127.0.0.11"),
                                          a(API, "127.0.0.11"))}
    many = p.read([*MANAGED, *((f"n{i}.{ZONE}", "A") for i in range(10))])  # whole zone
    assert many == got


def test_apply_update_create_delete_is_served_over_dns(server: dict[str, Any]) -> None:
    p = provider(server)
    new = f"new.{ZONE}"
    p.apply([Change("update", a(WWW, "127.0.0.11"), a(WWW, "127.0.0.12", "127.0.0.13")),
             Change("create", None, a(new, "127.0.0.14", ttl=30)),
             Change("delete", a(API, "127.0.0.11"), None)])
    assert p.patches_sent == 1
    now = served(server, [(WWW, "A"), (new, "A"), (API, "A"), (f"mail.{ZONE}", "A")])
    assert now[a(WWW).key] == a(WWW, "127.0.0.12", "127.0.0.13")
    assert now[a(new).key] == a(new, "127.0.0.14", ttl=30)
    assert a(API).key not in now
    assert now[a(f"mail.{ZONE}").key].values == ("127.0.0.99",)  # not managed: untouched
    authorities = p.authorities()
    assert [x.label for x in authorities] == [f"pdns 127.0.0.1:{server['dns_port']}"]


def test_a_concurrent_change_is_refused_and_nothing_is_sent(server: dict[str, Any]) -> None:
    p = provider(server)
    # Someone else writes www after our plan was made against 127.0.0.11.
    lab_pdns.api(server["api_port"], server["key"], "PATCH", f"/zones/{ZONE}", {"rrsets": [
        {"name": WWW, "type": "A", "ttl": 60, "changetype": "REPLACE",
         "records": [{"content": "198.51.100.7", "disabled": False}]}]})
    with pytest.raises(ProviderConflict) as info:
        p.apply([Change("update", a(APEX, "127.0.0.11"), a(APEX, "127.0.0.12")),
                 Change("update", a(WWW, "127.0.0.11"), a(WWW, "127.0.0.12"))])
    assert "www.example.test. A (plan expected 127.0.0.11, PowerDNS has 198.51.100.7)" \
        in str(info.value)
    assert p.patches_sent == 0
    now = served(server, [(APEX, "A"), (WWW, "A")])
    assert now[a(APEX).key].values == ("127.0.0.11",)  # the batch was not sent at all
    assert now[a(WWW).key].values == ("198.51.100.7",)


def test_a_refused_key_is_one_line_naming_the_file_never_the_key(
        server: dict[str, Any]) -> None:
    (server["dir"] / "pdns.key").write_text("not-the-key\n")
    p = provider(server)
    with pytest.raises(ProviderAuthError) as info:
        p.read(MANAGED)
    text = str(info.value)
    assert text.startswith("pdns: ")
    assert str(server["dir"] / "pdns.key") in text
    assert "not-the-key" not in text and server["key"] not in text
    assert "\n" not in text


def test_a_key_from_an_unset_variable_is_a_config_error(server: dict[str, Any]) -> None:
    os.environ.pop("I11_NO_SUCH_KEY", None)
    cfg = config(server)
    with pytest.raises(ConfigError, match=r"dns\.pdns\.api_key_env: environment variable "
                                          r"I11_NO_SUCH_KEY is not set"):
        settings = cfg.dns["pdns"].model_copy(update={"api_key_env": "I11_NO_SUCH_KEY",
                                                      "api_key_file": None})
        assert isinstance(settings, PowerDnsProvider)
        PowerDns("pdns", settings, cfg)


def test_rate_limited_then_written(server: dict[str, Any]) -> None:
    with FaultProxy(server["url"]) as proxy:
        p = provider(server, url=proxy.url)
        proxy.answer_next(429, count=2, retry_after="0")
        p.apply([Change("update", a(WWW, "127.0.0.11"), a(WWW, "127.0.0.12"))])
        assert p.api.retries == 2
        assert [s for _, _, s in proxy.answered][:2] == [429, 429]
    assert served(server, [(WWW, "A")])[a(WWW).key].values == ("127.0.0.12",)


def test_rate_limited_for_good_fails_with_one_line(server: dict[str, Any]) -> None:
    with FaultProxy(server["url"]) as proxy:
        p = provider(server, url=proxy.url)
        proxy.answer_next(429, count=10, retry_after="0")
        with pytest.raises(Exception, match=r"^pdns: GET zone: PowerDNS still answered 429 "
                                            r"after 4 tries"):
            p.apply([Change("update", a(WWW, "127.0.0.11"), a(WWW, "127.0.0.12"))])
    assert served(server, [(WWW, "A")])[a(WWW).key].values == ("127.0.0.11",)


def test_plans_larger_than_max_rrsets_are_several_patches(server: dict[str, Any]) -> None:
    p = provider(server, max_rrsets=2)
    names = [f"h{i}.{ZONE}" for i in range(5)]
    p.apply([Change("create", None, a(n, "127.0.0.20")) for n in names])
    assert p.patches_sent == 3
    assert set(served(server, [(n, "A") for n in names])) == {a(n).key for n in names}
