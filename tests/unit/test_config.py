"""Config: a valid file loads typed; every broken one names file, line, key and the fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from failover.config import fragility_warnings, load_config, parse_config
from failover.errors import ConfigError

EXAMPLE = Path(__file__).parents[2] / "examples" / "failover.yaml"
BASE = EXAMPLE.read_text()


def error(text: str) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        parse_config(text, "f.yaml")
    return info.value


def line_of(needle: str, text: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def test_example_loads_typed() -> None:
    c = load_config(EXAMPLE)
    assert c.zone == "example.org."
    assert c.hosting["aws-use1"].priority == 1
    assert c.checks[0].timeout == 2.0
    assert c.dns["knot-fra"].kind == "rfc2136"
    assert c.interval == 10.0


def test_unknown_key_names_line_key_and_allowed_keys() -> None:
    text = BASE.replace("priority: 2", "priorty: 2")
    e = error(text)
    assert e.line == line_of("priorty", text)
    assert e.key == "hosting.gcp-euw1.priorty"
    assert "allowed here: certificate, endpoints, priority, vendor, weight" in str(e)


def test_unknown_key_inside_provider_union_names_that_kind_fields() -> None:
    text = BASE.replace("hosted_zone_id: Z123EXAMPLE", "hosted_zone_id: Z1, zone_id: Z2")
    e = error(text)
    assert e.key == "dns.route53.zone_id"
    assert "hosted_zone_id" in str(e) and "tsig" not in str(e)


def test_wrong_type_names_the_value() -> None:
    text = BASE.replace("fall: 3", "fall: three")
    e = error(text)
    assert e.key == "fall" and e.line == line_of("fall: three", text)
    assert "'three'" in str(e)


def test_bad_duration_says_how_to_write_one() -> None:
    e = error(BASE.replace("timeout: 2s", "timeout: 2 parsecs"))
    assert e.key == "checks.0.timeout"
    assert "write 2s, 500ms, 1m or 1h" in str(e)


def test_dangling_vendor_reference() -> None:
    text = BASE.replace("vendor: gcp, priority", "vendor: gpc, priority")
    e = error(text)
    assert e.key == "hosting.gcp-euw1.vendor"
    assert e.line == line_of("gpc", text)
    assert "declared vendors: aws, colo-fra, gcp" in str(e)


def test_unknown_provider_kind_lists_kinds() -> None:
    e = error(BASE.replace("kind: rfc2136", "kind: rfc9999"))
    assert e.key == "dns.knot-fra" and "'rfc2136', 'route53'" in str(e)


def test_missing_key_inside_union() -> None:
    e = error(BASE.replace("server: 192.0.2.53", "servr: 192.0.2.53"))
    assert e.key in ("dns.knot-fra.server", "dns.knot-fra.servr")


def test_broken_yaml_and_duplicate_keys_have_lines() -> None:
    e = error(BASE.replace("records:", "records: [\n"))
    assert e.line is not None and "broken YAML" in str(e)
    text = BASE.replace("ttl: 60", "ttl: 60\nttl: 70")
    e = error(text)
    assert "duplicate key 'ttl'" in str(e) and e.line == line_of("ttl: 70", text)


def test_bad_address_and_tsig_secret_in_file_refused() -> None:
    assert "IPv4" in str(error(BASE.replace("203.0.113.10", "203.0.113.999")))
    e = error(BASE.replace("secret_env: FAILOVER_TSIG", "secret: abc"))
    assert e.key == "dns.knot-fra.tsig.secret"


def test_missing_file_and_non_mapping() -> None:
    with pytest.raises(ConfigError, match="no such file"):
        load_config("/nonexistent/failover.yaml")
    assert "must be a mapping" in str(error("- a\n- b\n"))


def test_record_type_needs_endpoints_of_that_type() -> None:
    text = BASE.replace('- {name: www, type: A}', '- {name: www, type: AAAA}')
    e = error(text)
    assert "needs AAAA endpoints" in str(e)


def test_fragility_warnings() -> None:
    assert fragility_warnings(load_config(EXAMPLE)) == []
    one = parse_config(BASE.replace("vendor: gcp, priority", "vendor: aws, priority")
                       .replace("vendor: colo-fra, priority", "vendor: aws, priority")
                       .replace("vendor: colo-fra\n", "vendor: aws\n")
                       .replace("ttl: 60", "ttl: 3600"))
    text = " | ".join(fragility_warnings(one))
    assert "all hostings are at one vendor" in text
    assert "every DNS provider is at vendor 'aws'" in text
    assert "TTL 3600s" in text


@pytest.mark.parametrize("entry, key, says", [
    ("{name: www, type: A, tll: 60}", "records.0.tll", "allowed here: name, ttl, type"),
    ("[www, A]", "records.0", "a record is a mapping such as {name: www, type: A}"),
    ("www", "records.0", "a record is a mapping such as {name: www, type: A}"),
    ("{name: 'a..b'}", "records.0.name", "empty label"),
    ("{name: www, ttl: -1}", "records.0.ttl", "greater than or equal to 0"),
    ("{name: www, type: MX}", "records.0.type", "'A', 'AAAA' or 'CNAME'"),
])
def test_a_record_is_a_mapping_checked_like_a_model(entry: str, key: str, says: str) -> None:
    """Records are light tuples (issue 13), yet refused as strictly as the model was:
    no positional form, unknown keys named with the allowed ones."""
    first = '  - {name: "@", type: A}\n'
    assert first in BASE
    text = BASE.replace(first, f"  - {entry}\n" + first)
    e = error(text)
    assert (e.key, e.line) == (key, line_of(entry, text)) and says in str(e)


def test_records_read_by_name_type_and_ttl() -> None:
    c = parse_config(BASE.replace('  - {name: "@", type: A}\n',
                                  '  - {name: "@", type: A}\n  - {name: Api, ttl: 30}\n'))
    api = next(r for r in c.records if r.name == "api")
    assert (api.type, api.ttl, c.record_ttl(api), c.record_ttl(c.records[0])) == \
        ("A", 30, 30, c.ttl)
