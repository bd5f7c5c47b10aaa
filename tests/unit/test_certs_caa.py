"""CAA as a CA reads it (RFC 8659) and certificate names as a client matches them (RFC
6125): properties, and hostile CAA values from a DNS provider."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from failover.certs import caa
from failover.certs.served import covers
from failover.records import RRKey, RRSet
from tests.hypo import cases

DOMAINS = st.sampled_from(["letsencrypt.org", "sectigo.com", "pki.goog", "ca.test",
                           "pebble-a.ca.test", "pebble-b.ca.test"])


@cases(300)
@given(st.lists(DOMAINS, min_size=1, max_size=4), DOMAINS,
       st.sampled_from(["", "; validationmethods=dns-01", ";accounturi=https://x/1"]))
def test_an_issue_set_allows_exactly_the_cas_it_names(named: list[str], mine: str,
                                                      params: str) -> None:
    values = [f'0 issue "{d}{params}"' for d in named] + ['0 iodef "mailto:x@example.org"']
    ok, why = caa.allows(values, [mine])
    assert ok == (mine in named), why


@cases(200)
@given(st.lists(st.sampled_from(["www", "a", "b", "api"]), max_size=4))
def test_the_relevant_set_is_the_closest_one_up_to_the_apex(labels: list[str]) -> None:
    zone = "example.org."
    name = ".".join([*labels, "example.org."]) if labels else zone
    chain = caa.lookup_names(name, zone)
    assert chain[0] == name and chain[-1] == zone and len(chain) == len(labels) + 1
    served = {RRKey(zone, "CAA"): RRSet.of(zone, "CAA", 60, ['0 issue "ca.test"'])}
    assert caa.relevant(served, name, zone) == (zone, ('0 issue "ca.test"',))
    if labels:
        closer = {**served, RRKey(chain[0], "CAA"): RRSet.of(chain[0], "CAA", 60,
                                                             ['0 issue ";"'])}
        assert caa.relevant(closer, name, zone)[0] == chain[0]
        assert not caa.allows(caa.relevant(closer, name, zone)[1], ["ca.test"])[0]


def test_no_caa_and_no_issue_property_allow_any_ca() -> None:
    assert caa.allows([], [])[0]
    assert caa.allows(['0 issuewild "ca.test"', '0 iodef "mailto:a@b.c"'], ["other"])[0]
    assert not caa.allows(['0 issue ";"'], ["ca.test"])[0]


@pytest.mark.parametrize("value", [
    '0 issue "ca.test\x1b[31m',                # no closing quote, an escape
    "0 issue ca.test",                          # unquoted
    '999 issue "ca.test"',                      # flags over 255
    '0 is\u202esue "ca.test"',                  # a bidi override in the tag
    "x" * 10_000,
])
def test_a_hostile_caa_value_forbids_and_is_reported_clean(value: str) -> None:
    ok, why = caa.allows([value], ["ca.test"])
    assert not ok and "unreadable CAA value" in why
    assert "\x1b" not in why and "\u202e" not in why and len(why) < 300


def test_an_unknown_critical_property_forbids() -> None:
    ok, why = caa.allows(['128 future "x"', '0 issue "ca.test"'], ["ca.test"])
    assert not ok and "critical" in why


@cases(200)
@given(st.sampled_from(["www", "api", "a-b"]), st.sampled_from(["example.org", "x.test"]))
def test_a_wildcard_names_exactly_one_label(label: str, base: str) -> None:
    assert covers((f"*.{base}",), f"{label}.{base}")
    assert covers((f"*.{base}",), f"{label.upper()}.{base}.")
    assert not covers((f"*.{base}",), base)
    assert not covers((f"*.{base}",), f"deep.{label}.{base}")
    assert covers((f"{label}.{base}",), f"{label}.{base}")
    assert not covers((f"{label}.{base}",), f"other{label}.{base}")
