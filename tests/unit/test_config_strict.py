"""Records and values that used to validate and then break moves (issue 8, defect 8).

Each is one ``file:line`` error at load time, naming the fix.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from failover.config import dns_name, parse_config
from failover.errors import ConfigError
from failover.records import absolute_name

BASE = (Path(__file__).resolve().parents[2] / "examples" / "failover.yaml").read_text()
RECORDS = 'records:\n  - {name: "@", type: A}\n  - {name: www, type: A}\n'
assert RECORDS in BASE


def error(text: str) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        parse_config(text, "f.yaml")
    return info.value


def line_of(needle: str, text: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def with_record(entry: str) -> str:
    return BASE.replace(RECORDS, RECORDS + f"  - {entry}\n")


def assert_at(text: str, needle: str, says: str) -> None:
    e = error(text)
    assert says in str(e), str(e)
    assert e.line == line_of(needle, text), str(e)
    assert str(e).startswith(f"f.yaml:{e.line}: ")
    assert "\n" not in str(e)


@pytest.mark.parametrize("name", ["api.other.org.", "api.", "org."])
def test_record_outside_the_zone(name: str) -> None:
    assert_at(with_record(f'{{name: "{name}", type: A}}'), f'name: "{name}"',
              "outside zone example.org.")


def test_absolute_name_in_the_zone_is_fine() -> None:
    config = parse_config(with_record("{name: api.example.org., type: A}"), "f.yaml")
    assert config.records[-1].name == "api.example.org."


def test_idn_names_are_kept_in_their_xn_form() -> None:
    # Providers store and servers answer xn--bcher-kva; verification compared
    # that with 'bücher' and every move ended unverified.
    config = parse_config(with_record("{name: bücher, type: A}").replace(
        "zone: example.org.", "zone: Exämple.org."), "f.yaml")
    assert config.zone == "xn--exmple-cua.org."
    assert config.records[-1].name == "xn--bcher-kva"
    name = absolute_name(config.records[-1].name, config.zone)
    assert name == "xn--bcher-kva.xn--exmple-cua.org."


def test_invalid_idn_label() -> None:
    assert_at(with_record('{name: "a\u200db", type: A}'), "name: \"a", "label")


@pytest.mark.parametrize(("zone", "says"), [
    ("example..test.", "empty label"),
    ('"exa mple.test."', "may hold only letters"),
    (".", "zone must be a domain name"),
    ('"' + "a" * 64 + '.test."', "longer than 63"),
])
def test_bad_zone(zone: str, says: str) -> None:
    assert_at(BASE.replace("zone: example.org.", f"zone: {zone}"), "zone:", says)


def test_bad_record_name() -> None:
    assert_at(with_record('{name: "w w", type: A}'), "w w", "may hold only letters")


def test_rdtype_bogus() -> None:
    text = BASE.replace("checks:\n", "checks:\n  - {kind: dns, qname: www, rdtype: BOGUS}\n")
    assert_at(text, "BOGUS", "'BOGUS' is not a DNS record type")


def test_rdtype_is_normalised() -> None:
    text = BASE.replace("checks:\n", "checks:\n  - {kind: dns, qname: www, rdtype: aaaa}\n")
    assert parse_config(text, "f.yaml").checks[0].rdtype == "AAAA"  # type: ignore[union-attr]


def test_expect_status_empty() -> None:
    text = BASE.replace("expect_status: [200]", "expect_status: []")
    assert_at(text, "expect_status", "at least 1 item")


def test_min_healthy_above_hostings() -> None:
    text = BASE.replace("min_healthy: 1", "min_healthy: 4")
    assert_at(text, "min_healthy", "only 3 hostings")


def test_two_credential_sources() -> None:
    text = BASE.replace("{kind: aws, region: us-east-1,",
                        "{kind: aws, region: us-east-1, credentials_file: aws.ini, "
                        "access_key_id_env: K, secret_access_key_env: S,")
    assert_at(text, "credentials_file", "give the keys one way")


def test_line_break_in_host_header() -> None:
    text = BASE.replace("path: /healthz,",
                        'path: /healthz, host: "www.example.org\\r\\nX-Injected: 1",')
    assert_at(text, "kind: http", "control character")


@pytest.mark.parametrize(("old", "new", "says"), [
    ("fall: 3", "fall: true", "valid integer"),
    ("port: 8080", 'port: "8080"', "valid integer"),
    ("auto_move: false", 'auto_move: "off"', "valid boolean"),
    ("ttl: 60", 'ttl: "60"', "valid integer"),
    ("priority: 1", "priority: 1.5", "valid integer"),
])
def test_values_are_not_coerced(old: str, new: str, says: str) -> None:
    assert old in BASE
    assert_at(BASE.replace(old, new, 1), new, says)


@pytest.mark.parametrize(("entry", "says"), [
    ("::1:53", "'[::1]:53'"),
    ("2001:db8::53", "ambiguous"),
    ("[::1]:99999", "port must be a number"),
    ("ns1.example.net:x", "port must be a number"),
    ("[::1", "not [address]:port"),
])
def test_ambiguous_server_addresses(entry: str, says: str) -> None:
    text = BASE.replace("ns_names: [ns1.example.org.]",
                        f'ns_names: [ns1.example.org.]\n    verify_servers: ["{entry}"]')
    assert_at(text, "verify_servers", says)


@pytest.mark.parametrize("entry", ["[::1]:53", "[2001:db8::53]", "192.0.2.1:5353", "ns1.example"])
def test_unambiguous_server_addresses(entry: str) -> None:
    text = BASE.replace("ns_names: [ns1.example.org.]",
                        f'ns_names: [ns1.example.org.]\n    verify_servers: ["{entry}"]')
    parse_config(text, "f.yaml")


def test_dns_name_keeps_relative_and_apex() -> None:
    assert dns_name("@") == "@"
    assert dns_name("WWW") == "www"
    assert dns_name("_acme-challenge.www") == "_acme-challenge.www"
    assert dns_name("*.example.org.") == "*.example.org."
