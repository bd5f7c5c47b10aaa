"""failover/certs without a CA: the challenge plan's promises (hypothesis), the guard that
keeps the CA from being asked too early, and hostile input to every reader (secret files,
--name, certificate files). Issuance itself is tested against two real Pebble CAs in
tests/integration/test_certs_lab.py."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from failover.certs import challenge, store
from failover.certs.client import MAX_SECRET_BYTES, _secret
from failover.certs.issue import choose_ca
from failover.certs.names import certified_names
from failover.config import Config, parse_config
from failover.errors import CertError, ConfigError
from failover.move import MoveResult, StepResult, Verification
from failover.records import RRKey, RRSet
from tests.hypo import cases

ZONE = "example.org."
CONFIG = """\
service: s
zone: example.org.
records: [{name: "@", type: A}, {name: www, type: A}]
vendors: {aws: {}, metal: {}}
hosting: {a: {vendor: aws, endpoints: {A: [192.0.2.1]}}}
dns:
  r53: {vendor: aws, kind: route53, hosted_zone_id: Z1}
  ns: {vendor: metal, kind: rfc2136, server: 127.0.0.1}
certs:
  cas:
    one: {directory: "https://ca.one.test/dir"}
    two: {directory: "https://ca.two.test/dir", eab: {kid_env: KID, hmac_file: hmac.txt}}
  standby_ca: two
  targets: [{kind: dir, path: certs}]
"""


def config(tmp_path: Path, text: str = CONFIG) -> Config:
    path = tmp_path / "failover.yaml"
    path.write_text(text)
    return parse_config(text, str(path))


NAMES = st.sampled_from([f"_acme-challenge.{n}{ZONE}" for n in ("", "www.", "api.", "a.b.")])
VALUES = st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123456789-_", min_size=1,
                 max_size=43)
SERVED = st.dictionaries(NAMES, st.lists(VALUES, min_size=1, max_size=3), max_size=4)
OTHER = RRSet.of(f"www.{ZONE}", "A", 60, ["192.0.2.1"])


def served(values: dict[str, list[str]], ttl: int = 300) -> dict[RRKey, RRSet]:
    rrsets = {rr.key: rr for rr in (RRSet.of(n, "TXT", ttl, v) for n, v in values.items())}
    return {OTHER.key: OTHER, **rrsets}


def after(plan_desired: dict[RRKey, RRSet], current: dict[RRKey, RRSet],
          keys: list[tuple[str, str]]) -> dict[RRKey, RRSet]:
    """What a provider serves once the plan is applied: the plan's keys replaced."""
    kept = {k: rr for k, rr in current.items() if (k.name, k.rtype) not in keys}
    return {**kept, **plan_desired}


@cases(300)
@given(SERVED, st.dictionaries(NAMES, st.lists(VALUES, min_size=1, max_size=2), min_size=1,
                               max_size=4))
def test_publish_then_withdraw_gives_back_what_was_served(
        before: dict[str, list[str]], tokens: dict[str, list[str]]) -> None:
    current = served(before)
    reads = {"r53": (current, None), "ns": (current, None)}
    dns = {"r53": "aws", "ns": "metal"}
    published = challenge.txt_plan(ZONE, dns, reads, tokens, "publish", "t")
    keys = published.managed
    for pp in published.providers:
        # only challenge names, never a managed record; every token served, every other
        # value kept
        assert all(c.key.name.startswith("_acme-challenge.") for c in pp.changes)
        for name, values in tokens.items():
            have = set(pp.desired[RRKey(name, "TXT")].values)
            assert set(RRSet.of(name, "TXT", 60, values).values) <= have
            if name in before:
                assert set(RRSet.of(name, "TXT", 60, before[name]).values) <= have
    middle = after(published.providers[0].desired, current, keys)
    withdrawn = challenge.txt_plan(ZONE, dns, {"r53": (middle, None), "ns": (middle, None)},
                                   tokens, "withdraw", "t")
    end = after(withdrawn.providers[0].desired, middle, keys)
    # Every name serves what it served before, less our tokens: another client's stay.
    def txt(rrsets: dict[RRKey, RRSet]) -> dict[str, set[str]]:
        return {k.name: set(rr.values) for k, rr in rrsets.items() if k.rtype == "TXT"}

    ours = {n: set(RRSet.of(n, "TXT", 60, v).values) for n, v in tokens.items()}
    want = {n: vs - ours.get(n, set()) for n, vs in txt(current).items()}
    assert txt(end) == {n: vs for n, vs in want.items() if vs}
    assert {k for k in end if k.name not in tokens} == {k for k in current
                                                        if k.name not in tokens}
    assert end[OTHER.key] == OTHER


def test_an_unreadable_provider_is_unreachable_in_the_plan() -> None:
    plan = challenge.txt_plan(ZONE, {"r53": "aws", "ns": "metal"},
                              {"r53": (None, "r53: refused"), "ns": ({}, None)},
                              {f"_acme-challenge.{ZONE}": ["tok"]}, "publish", "t")
    assert [p.reachable for p in plan.providers] == [False, True]
    assert plan.providers[0].error == "r53: refused"


def _result(*steps: StepResult) -> MoveResult:
    return MoveResult(7, challenge.KIND, "done", "x", 0.1, list(steps), "")


def _step(name: str, state: str, oks: list[bool]) -> StepResult:
    step = StepResult(name, "v", state, 1, False)
    step.verifications = [Verification(name, f"{name}-{i}", ok, 0.1, "")
                          for i, ok in enumerate(oks)]
    return step


def test_the_ca_is_asked_only_when_every_authority_serves_the_tokens() -> None:
    challenge.served_everywhere(_result(_step("a", "applied", [True, True]),
                                        _step("b", "unchanged", [True])))
    with pytest.raises(CertError, match="b not served at b-1"):
        challenge.served_everywhere(_result(_step("a", "applied", [True]),
                                            _step("b", "applied", [True, False])))
    with pytest.raises(CertError, match="a not written"):
        challenge.served_everywhere(_result(_step("a", "unreachable", [])))
    with pytest.raises(CertError, match="no authority"):
        challenge.served_everywhere(_result(_step("a", "applied", [])))


def test_names_default_to_the_managed_ones_and_must_be_in_the_zone(tmp_path: Path) -> None:
    cfg = config(tmp_path)
    assert certified_names(cfg) == ["example.org", "www.example.org"]
    assert certified_names(cfg, ["api", "www.example.org.", "WWW.example.org"]) == [
        "api.example.org", "www.example.org"]
    with pytest.raises(ConfigError) as caught:
        certified_names(cfg, ["evil.test.\x1b[31m"])
    assert "\x1b" not in str(caught.value) and "--name" in str(caught.value)
    with pytest.raises(ConfigError, match="not in the zone"):
        certified_names(cfg, ["www.example.org.evil.test."])
    assert choose_ca(cfg, None) == "two"
    with pytest.raises(ConfigError, match="no such CA"):
        choose_ca(cfg, "three")


@pytest.mark.parametrize("content, problem", [
    (b"", "is empty"),
    (b"k" * (MAX_SECRET_BYTES + 1), "larger than 4 KB"),
    (b"\xff\xfe\x00tok3n", "not UTF-8 text"),
])
def test_a_bad_secret_file_is_one_line_naming_it(tmp_path: Path, content: bytes,
                                                 problem: str) -> None:
    cfg = config(tmp_path)
    (tmp_path / "hmac.txt").write_bytes(content)
    with pytest.raises(ConfigError) as caught:
        _secret(cfg, None, "hmac.txt", "certs.cas.two.eab HMAC key")
    text = str(caught.value)
    assert problem in text and "hmac.txt" in text and "\n" not in text
    assert "kkkkkkkk" not in text and "tok3n" not in text


def test_a_secret_is_never_in_the_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                        ) -> None:
    cfg = config(tmp_path)
    monkeypatch.delenv("KID", raising=False)
    with pytest.raises(ConfigError, match="KID is not set"):
        _secret(cfg, "KID", None, "certs.cas.two.eab key id")
    (tmp_path / "hmac.txt").write_text("c2VjcmV0LWhtYWMta2V5\n")
    assert _secret(cfg, None, "hmac.txt", "x") == "c2VjcmV0LWhtYWMta2V5"


def test_bad_certs_sections_are_refused(tmp_path: Path) -> None:
    for bad, said in (("http://ca.one.test/dir", "https://"),):
        with pytest.raises(ConfigError, match=said):
            config(tmp_path, CONFIG.replace("https://ca.one.test/dir", bad))
    with pytest.raises(ConfigError, match="standby_ca"):
        config(tmp_path, CONFIG.replace("standby_ca: two", "standby_ca: nine"))
    with pytest.raises(ConfigError, match="hmac_env or hmac_file"):
        config(tmp_path, CONFIG.replace("hmac_file: hmac.txt", "hmac_env: H, hmac_file: x"))


def _self_signed(cn: str, days: int) -> bytes:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(1)
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=days))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("www.example.org")]),
                           critical=False)
            .sign(key, hashes.SHA256()))
    return cert.public_bytes(serialization.Encoding.PEM)


def test_certificates_on_hand_hostile_files_and_issuers(tmp_path: Path) -> None:
    cfg = config(tmp_path)
    good = tmp_path / "certs" / "two" / "www.example.org"
    good.mkdir(parents=True)
    (good / store.CHAIN).write_bytes(_self_signed("Evil \x1b[2J\u202eCA", 10))
    junk = tmp_path / "certs" / "one" / "junk"
    junk.mkdir(parents=True)
    (junk / store.CHAIN).write_bytes(b"-----BEGIN CERTIFICATE-----\n\x1b]0;x\x07\n")
    found = store.on_hand(cfg)
    by = {c.ca: c for c in found.certs}
    assert by["two"].names == ("www.example.org",)
    assert "\x1b" not in by["two"].issuer and "\u202e" not in by["two"].issuer
    assert 9 < by["two"].days_left(datetime.datetime.now().timestamp()) < 11
    assert by["one"].error and "\x1b" not in by["one"].error


def test_a_webhook_target_never_shows_its_url(tmp_path: Path) -> None:
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    (tmp_path / "hook.url").write_text(f"http://127.0.0.1:{port}/s3cr3t-token/certs\n")
    cfg = config(tmp_path, CONFIG.replace("targets: [{kind: dir, path: certs}]",
                                          "targets: [{kind: webhook, url_file: hook.url}]"))
    found = store.on_hand(cfg)
    [(place, why)] = found.unreadable.items()
    assert place == "webhook:hook.url" and f"127.0.0.1:{port}" in why
    assert "s3cr3t" not in why and "s3cr3t" not in place
    with pytest.raises(OSError) as caught:
        store.save(cfg, cfg.certs.targets[0], "one", "example.org", b"chain", b"key")  # type: ignore[union-attr]
    assert "s3cr3t" not in str(caught.value)
