"""Naming DNS server software from its version.bind answer: known products by name,
BIND by its bare version, anything else (hidden, hostile) as nothing."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from failover.dns.software import software_name
from tests.hypo import cases


@pytest.mark.parametrize(("text", "name"), [
    ("Knot DNS 3.2.6", "Knot"),
    ("9.18.49-1~deb12u3-Debian", "BIND"),
    ("BIND 9.16.1", "BIND"),
    ("PowerDNS Authoritative Server 4.8.3", "PowerDNS"),
    ("NSD 4.6.1", "NSD"),
    ("unbound 1.17.1", "Unbound"),
    ("", None),
    ("none", None),
    ("go away", None),
    ("9", None),
])
def test_names(text: str, name: str | None) -> None:
    assert software_name(text) == name


@cases(50)
@given(st.text(max_size=300))
def test_any_text_gives_a_known_name_or_none(text: str) -> None:
    assert software_name(text) in (None, "Knot", "BIND", "PowerDNS", "NSD", "Unbound")
