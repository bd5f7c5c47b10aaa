"""The SaaS register without a network: config, verdicts, which provider, the switch plan,
and a move that switches off an evacuated vendor and a rollback that switches back."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from failover.config import fragility_warnings, parse_config
from failover.engine import Engine
from failover.errors import ConfigError
from failover.records import RRSet
from failover.saas.probe import verdict
from failover.saas.report import rows, runbook_lines
from failover.saas.switch import choose, desired, selected, switch_keys
from tests.unit.memprovider import MemProvider

BASE = """
service: s
zone: example.test.
records: [{name: www, type: A}]
vendors: {aws: {}, gcp: {}, metal: {}}
hosting:
  a: {vendor: aws, priority: 1, endpoints: {A: [127.0.0.21]}}
  g: {vendor: gcp, priority: 2, endpoints: {A: [127.0.0.22]}}
dns:
  r53: {vendor: aws, kind: route53, hosted_zone_id: Z1}
  bind: {vendor: metal, kind: rfc2136, server: 127.0.0.1}
checks: [{kind: tcp, port: 9}]
verify: {timeout: 1s, interval: 50ms}
"""
SAAS = """saas:
  sms:
    switch: {kind: dns, name: _sms, type: TXT}
    providers: {twilio: {vendor: aws}, vonage: {vendor: gcp}}
  auth:
    switch: {kind: dns, name: login, type: CNAME}
    providers:
      okta: {vendor: aws, value: t.okta.test.}
      auth0: {vendor: metal, value: t.auth0.test.}
"""


def config(extra: str = SAAS, journal: Path | None = None):  # type: ignore[no-untyped-def]
    text = BASE + extra + (f"journal: {journal}\n" if journal else "")
    return parse_config(text, "f.yaml")


def test_a_dependency_without_fallback_is_a_validate_warning() -> None:
    cfg = config("saas: {sms: {providers: {twilio: {vendor: aws}}}}\n")
    assert any(w.startswith("sms has no fallback; losing twilio stops it")
               for w in fragility_warnings(cfg))
    same = config("saas: {sms: {switch: {kind: dns, name: _sms}, providers: "
                  "{twilio: {vendor: aws}, sns: {vendor: aws}}}}\n")
    assert any("every provider of sms is at vendor 'aws'" in w for w in fragility_warnings(same))
    assert not any("sms" in w for w in fragility_warnings(config()))


@pytest.mark.parametrize(("extra", "said"), [
    ("saas: {auth: {switch: {kind: dns, name: login, type: CNAME}, providers: "
     "{okta: {vendor: aws}}}}\n", "needs each provider's target as 'value'; 'okta'"),
    ("saas: {sms: {providers: {twilio: {vendor: azure}}}}\n", "unknown vendor 'azure'"),
    ("saas: {sms: {switch: {kind: dns, name: _x}, providers: {t: {vendor: aws}}}, "
     "mail: {switch: {kind: dns, name: _x}, providers: {m: {vendor: aws}}}}\n",
     "'_x TXT' is already managed by saas 'sms'"),
    ("saas: {sms: {switch: {kind: dns, name: www, type: CNAME}, providers: "
     "{t: {vendor: aws, value: x.}}}}\n", "a CNAME cannot stand beside other types"),
    ("saas: {sms: {switch: {kind: webhook, url: 'http://x/secret'}, providers: "
     "{t: {vendor: aws}}}}\n", "unknown key 'url'"),
    ("saas: {sms: {switch: {kind: carrier-pigeon}, providers: {t: {vendor: aws}}}}\n",
     "unknown kind 'carrier-pigeon'"),
])
def test_bad_saas_config_is_one_line_naming_the_place(extra: str, said: str) -> None:
    with pytest.raises(ConfigError) as exc:
        config(extra)
    text = str(exc.value)
    assert said in text and text.startswith("f.yaml:") and "\n" not in text
    assert "secret" not in text


def test_verdicts_tell_termination_from_outage() -> None:
    assert verdict("refused", "down") == "TERMINATED"
    assert verdict("refused", "not probed") == "TERMINATED"
    assert verdict("refused", "up") == "DEGRADED"        # refused while serving: under way?
    assert verdict("alive", "down") == "DEGRADED"
    assert verdict("unknown", "down") == "UNKNOWN"       # a timeout is never termination
    assert verdict("alive", "up") == verdict("alive", "not probed") == "UP"


def served(cfg, sms: str = '"provider=twilio"', login: str = "t.okta.test."):  # type: ignore[no-untyped-def]
    txt = RRSet.of("_sms.example.test.", "TXT", 60, [sms])
    cname = RRSet.of("login.example.test.", "CNAME", 60, [login])
    www = RRSet.of("www.example.test.", "A", 60, ["127.0.0.21"])
    return {n: ({r.key: r for r in (txt, cname, www)}, None) for n in cfg.dns}


def test_the_provider_in_use_is_read_from_dns() -> None:
    cfg = config()
    assert selected(cfg, served(cfg)) == {"sms": "twilio", "auth": "okta"}
    assert selected(cfg, served(cfg, '"provider=vonage"', "T.AUTH0.test")) == \
        {"sms": "vonage", "auth": "auth0"}
    assert selected(cfg, served(cfg, '"provider=nobody"'))["sms"] is None
    gone = {n: (None, "down") for n in cfg.dns}
    assert selected(cfg, gone) == {"sms": None, "auth": None}


def test_choose_moves_off_an_evacuated_vendor_to_the_first_usable_provider() -> None:
    cfg = config()
    now = {"sms": "twilio", "auth": "okta"}
    picked = {c.dependency: c.to_provider for c in choose(cfg, now, off=["aws"])}
    assert picked == {"sms": "vonage", "auth": "auth0"}
    assert choose(cfg, now, off=["gcp"]) == []
    # A fallback that is itself TERMINATED is never chosen.
    assert [c.dependency for c in choose(cfg, now, off=["aws"],
                                         verdicts={("sms", "vonage"): "TERMINATED"})] == ["auth"]
    asked = choose(cfg, now, requested={"sms": "vonage"})
    assert [(c.dependency, c.from_provider, c.to_provider) for c in asked] == \
        [("sms", "twilio", "vonage")]
    assert choose(cfg, now, requested={"sms": "twilio"}) == []      # already there
    with pytest.raises(ConfigError, match="no provider 'sinch'"):
        choose(cfg, now, requested={"sms": "sinch"})
    with pytest.raises(ConfigError, match="no such dependency"):
        choose(cfg, now, requested={"fax": "x"})


@given(text=st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=1,
                    max_size=60).filter(lambda t: t.strip() and not t.strip().startswith('"')))
def test_a_txt_value_is_one_quoted_string_whatever_it_holds(text: str) -> None:
    cfg = config(SAAS.replace("twilio: {vendor: aws}", "twilio: {vendor: aws, value: 'x'}"))
    spec = cfg.saas["sms"]
    object.__setattr__(spec.providers["twilio"], "value", text)
    rr = next(iter(desired(cfg, choose(cfg, {"sms": "vonage", "auth": "okta"},
                                       requested={"sms": "twilio"}))[
        ("_sms.example.test.", "TXT")].values()))
    (value,) = rr.values
    assert value.startswith('"') and value.endswith('"')
    import dns.rdata
    import dns.rdataclass
    import dns.rdatatype

    parsed = dns.rdata.from_text(dns.rdataclass.IN, dns.rdatatype.TXT, value)
    assert b"".join(parsed.strings).decode() == text.strip()  # type: ignore[attr-defined]


def test_a_move_off_aws_switches_both_and_the_rollback_switches_back(tmp_path: Path) -> None:
    cfg = config(journal=tmp_path / "j.sqlite")
    assert switch_keys(cfg) == [("_sms.example.test.", "TXT"), ("login.example.test.", "CNAME")]
    start = served(cfg)["r53"][0]
    assert start is not None
    mems = {n: MemProvider(n, cfg.dns[n].vendor, cfg.zone, dict(start)) for n in cfg.dns}
    engine = Engine(cfg, provider_factory=lambda n, _c: mems[n])
    try:
        with engine.lock():
            plan = engine.plan_for(engine.decide({}, off=["aws"], to="g"))
            assert "sms: twilio -> vonage" in plan.decision.reason
            moved = engine.move(plan, reason=plan.decision.reason, args={})
        assert moved.state == "done"
        assert engine.saas_selected() == {"sms": "vonage", "auth": "auth0"}
        for m in mems.values():
            assert {rr.values for rr in m.records.values()} == \
                {('"provider=vonage"',), ("t.auth0.test.",), ("127.0.0.22",)}
        with engine.lock():
            target = engine.rollback_target(None)
            back = engine.move(engine.rollback_plan(target), kind="rollback",
                               reason="undo", args={}, rollback_of=target.id)
        assert back.state == "done"
        assert engine.saas_selected() == {"sms": "twilio", "auth": "okta"}
        assert all(m.records == start for m in mems.values())
        # Only the dependency asked for: hostings stay as they are.
        with engine.lock():
            one = engine.plan(saas={"sms": "vonage"})
        assert {(c.key.name, c.key.rtype) for p in one.providers for c in p.changes} == \
            {("_sms.example.test.", "TXT")}
    finally:
        engine.close()


def test_rows_and_runbook_say_what_a_vendor_takes() -> None:
    cfg = config()
    r = {x.dependency: x for x in rows(cfg, {"sms": "twilio", "auth": None}, {}, {"aws"})}
    assert r["sms"].status == "WARNING" and "switch with 'failover move --saas sms --to " \
        "vonage'" in r["sms"].reason
    assert r["auth"].status == "UNKNOWN"
    lines = runbook_lines(cfg, "aws")
    assert any("SaaS sms" in line and "falls back to vonage (gcp)" in line for line in lines)
    solo = config("saas: {chat: {providers: {slack: {vendor: aws}}}}\n")
    assert any("no fallback" in line for line in runbook_lines(solo, "aws"))
    assert runbook_lines(solo, "gcp") == []
