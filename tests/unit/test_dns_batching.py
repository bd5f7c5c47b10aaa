"""Batching without a server: Route 53 change batches within the API's limits, RFC 2136
UPDATE messages within max_update_bytes (built, signed and parsed back), the backoff
schedule, and the small parsers the DNS providers share."""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import dns.message
import dns.name
import dns.rdataclass
import dns.rdatatype
import dns.rrset
import dns.tsig
import pytest

from failover.config import Rfc2136Provider, parse_config
from failover.dns.query import make_query, parse_answer, parse_server
from failover.dns.rfc2136 import Rfc2136
from failover.dns.route53 import (
    MAX_CHANGES,
    MAX_RECORDS,
    MAX_VALUE_CHARS,
    Backoff,
    _records_and_chars,
    batch_changes,
)
from failover.errors import ProviderError
from failover.records import Change, RRKey, RRSet

ZONE = "example.test."
SECRET = "c2VjcmV0LWZvci10aGUtdW5pdC10ZXN0cy0zMi1ieXRlcw=="
CONFIG = """\
service: s
zone: example.test.
records: [{name: www}]
vendors: {metal: {}}
hosting: {h: {vendor: metal, endpoints: {A: [192.0.2.1]}}}
dns:
  bind: {vendor: metal, kind: rfc2136, server: 127.0.0.1,
         tsig: {name: unit., algorithm: hmac-sha256, secret_env: UNIT_TSIG}}
"""


def a(name: str, *values: str, ttl: int = 60, set_id: str | None = None,
      weight: int | None = None) -> RRSet:
    return RRSet.of(name, "A", ttl, values, set_id, weight)


def host(i: int) -> str:
    return f"h{i}.bulk.{ZONE}"


def ip(i: int, j: int = 0) -> str:
    return f"10.{j}.{i // 256}.{i % 256}"


# -- Route 53 ------------------------------------------------------------------

def check_route53_batches(batches: list[list[dict[str, Any]]], changes: list[Change]) -> None:
    """Within every limit; every change once; an update's two halves together, DELETE first."""
    expected = Counter((action, c.key.name, c.key.set_id) for c in changes
                       for action, rr in (("DELETE", c.before), ("CREATE", c.after)) if rr)
    halves = {c.key.name: 2 if c.action == "update" else 1 for c in changes}
    seen: Counter[tuple[str, str, str | None]] = Counter()
    for batch in batches:
        records, chars = _records_and_chars(batch)
        assert records <= MAX_RECORDS and chars <= MAX_VALUE_CHARS and len(batch) <= MAX_CHANGES
        actions = [c["Action"] for c in batch]
        assert actions == sorted(actions, key=lambda x: x != "DELETE")
        names = Counter(c["ResourceRecordSet"]["Name"] for c in batch)
        assert all(halves[name] == count for name, count in names.items())
        seen.update((c["Action"], c["ResourceRecordSet"]["Name"],
                     c["ResourceRecordSet"].get("SetIdentifier")) for c in batch)
    assert seen == expected


def test_three_thousand_creates_make_six_batches_of_five_hundred() -> None:
    changes = [Change("create", None, a(host(i), ip(i))) for i in range(3000)]
    batches = batch_changes(changes)
    assert [len(b) for b in batches] == [MAX_CHANGES] * 6
    check_route53_batches(batches, changes)
    assert batches[0][0] == {"Action": "CREATE", "ResourceRecordSet": {
        "Name": host(0), "Type": "A", "TTL": 60, "ResourceRecords": [{"Value": ip(0)}]}}


def test_updates_keep_delete_and_create_together() -> None:
    changes = [Change("update", a(host(i), ip(i)), a(host(i), ip(i, 1), ip(i, 2)))
               for i in range(3000)]
    batches = batch_changes(changes)
    # 2 Change elements per update, so 250 updates per batch; 3 records each is 750.
    assert len(batches) == 12
    check_route53_batches(batches, changes)


def test_the_record_limit_binds_for_many_values() -> None:
    changes = [Change("create", None, a(host(i), *(ip(i, j) for j in range(8))))
               for i in range(3000)]
    batches = batch_changes(changes)
    assert {_records_and_chars(b)[0] for b in batches} == {1000}
    assert len(batches) == 24
    check_route53_batches(batches, changes)


def test_the_character_limit_binds_for_long_values() -> None:
    target = ("x" * 60 + ".") * 4 + "example.org."
    changes = [Change("create", None, RRSet.of(f"c{i}.{ZONE}", "CNAME", 60, [target]))
               for i in range(1000)]
    batches = batch_changes(changes)
    per_batch = MAX_VALUE_CHARS // len(target)
    assert [len(b) for b in batches[:-1]] == [per_batch] * (len(batches) - 1)
    check_route53_batches(batches, changes)


def test_random_plans_stay_within_the_limits() -> None:
    rng = random.Random(7)
    for _ in range(8):
        changes = []
        for i in range(rng.randrange(1, 1500)):
            before = a(host(i), *(ip(i, j) for j in range(rng.randrange(1, 30))))
            after = a(host(i), *(ip(i, j + 100) for j in range(rng.randrange(1, 30))))
            action = rng.choice(["create", "update", "delete"])
            changes.append(Change(action, None if action == "create" else before,
                                  None if action == "delete" else after))
        check_route53_batches(batch_changes(changes), changes)


def test_a_delete_uses_route53s_own_spelling() -> None:
    raw = {"Name": "www.example.test.", "Type": "CNAME", "TTL": 60,
           "ResourceRecords": [{"Value": "Target.Example.Org"}]}
    before = RRSet.of(f"www.{ZONE}", "CNAME", 60, ["Target.Example.Org"])
    after = RRSet.of(f"www.{ZONE}", "CNAME", 60, ["other.example.org."])
    [batch] = batch_changes([Change("update", before, after)], {before.key: raw})
    assert batch[0] == {"Action": "DELETE", "ResourceRecordSet": raw}
    assert batch[1]["ResourceRecordSet"]["ResourceRecords"] == [{"Value": "other.example.org."}]


def test_weighted_sets_carry_identifier_and_weight() -> None:
    [batch] = batch_changes([Change("create", None, a(f"w.{ZONE}", "192.0.2.1", set_id="blue",
                                                      weight=70))])
    assert batch[0]["ResourceRecordSet"]["SetIdentifier"] == "blue"
    assert batch[0]["ResourceRecordSet"]["Weight"] == 70


def test_a_change_too_big_for_one_request_is_refused() -> None:
    with pytest.raises(ValueError, match="alone has 1001 records"):
        batch_changes([Change("create", None, a(host(0), *(ip(i) for i in range(1001))))])


def test_upserts_count_twice() -> None:
    rrs = {"Name": "x.", "Type": "A", "TTL": 1, "ResourceRecords": [{"Value": "192.0.2.1"}]}
    assert _records_and_chars([{"Action": "UPSERT", "ResourceRecordSet": rrs},
                               {"Action": "DELETE", "ResourceRecordSet": rrs}]) == (3, 18)


def test_backoff_grows_with_jitter_and_is_capped() -> None:
    backoff = Backoff(tries=6, base=0.2, cap=5.0)
    rng = random.Random(1)
    for _ in range(100):
        # The waits between six tries: each one at least as long as the one before.
        delays = [backoff.delay(n, rng) for n in range(backoff.tries - 1)]
        assert delays == sorted(delays)
        assert 0.1 <= delays[0] <= 0.2
        assert all(2.5 <= backoff.delay(n, rng) <= 5.0 for n in range(5, 40))


# -- RFC 2136 ------------------------------------------------------------------

@pytest.fixture
def rfc2136(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Rfc2136:
    monkeypatch.setenv("UNIT_TSIG", SECRET)
    config = parse_config(CONFIG, str(tmp_path / "failover.yaml"))
    settings = config.dns["bind"]
    assert isinstance(settings, Rfc2136Provider)
    return Rfc2136("bind", settings, config)


def mixed_plan(n: int) -> list[Change]:
    changes = []
    for i in range(n):
        old, new = a(host(i), ip(i)), a(host(i), ip(i, 1), ip(i, 2), ttl=30)
        action = ("create", "update", "delete")[i % 3]
        changes.append(Change(action, None if action == "create" else old,
                              None if action == "delete" else new))
    return changes


@pytest.mark.parametrize("limit", [512, 4096, 32000, 65535])
def test_update_messages_stay_under_the_limit_and_carry_every_change(
        rfc2136: Rfc2136, limit: int) -> None:
    rfc2136.max_update_bytes = limit
    changes = mixed_plan(10_000 if limit == 32000 else 1500)
    keyring = {dns.name.from_text("unit."): dns.tsig.Key("unit.", SECRET)}
    carried: list[Change] = []
    sizes = []
    for batch, _, wire in rfc2136.update_messages(changes):
        sizes.append(len(wire))
        assert len(wire) <= limit
        parsed = dns.message.from_wire(wire, keyring=keyring)  # signed, and the MAC checks
        assert parsed.had_tsig
        check_update(parsed, batch)
        carried += batch
    assert carried == changes
    # Sizes are estimated from above, but not wastefully: messages are mostly full.
    assert sum(sizes[:-1]) >= 0.6 * limit * (len(sizes) - 1)


def check_update(message: dns.message.Message, batch: list[Change]) -> None:
    """Prerequisites and updates as RFC 2136 spells them, for each change of ``batch``.

    dnspython parses an UPDATE one record per RRset, and class NONE and ANY records
    into RRsets of the zone's class with ``deleting`` set to that class.
    """
    prereqs: defaultdict[str, list[dns.rrset.RRset]] = defaultdict(list)
    updates: defaultdict[str, list[dns.rrset.RRset]] = defaultdict(list)
    for rr in message.sections[1]:
        prereqs[rr.name.to_text()].append(rr)
    for rr in message.sections[2]:
        updates[rr.name.to_text()].append(rr)
    assert set(prereqs) == set(updates) == {c.key.name for c in batch}
    for change in batch:
        wanted = prereqs[change.key.name]
        assert all(rr.ttl == 0 for rr in wanted)
        if change.before is None:  # "RRset does not exist": class NONE, no data
            [absent] = wanted
            assert absent.deleting == dns.rdataclass.NONE and len(absent) == 0
        else:  # "RRset exists (value dependent)"
            assert all(rr.deleting is None for rr in wanted)
            assert sorted(rd.to_text() for rr in wanted for rd in rr) == list(
                change.before.values)
        changed = updates[change.key.name]
        deleted = [rr for rr in changed if rr.deleting == dns.rdataclass.ANY]
        assert len(deleted) == (0 if change.before is None else 1)
        added = [rr for rr in changed if rr.deleting is None]
        if change.after is None:
            assert not added
        else:
            assert {rr.ttl for rr in added} == {change.after.ttl}
            assert sorted(rd.to_text() for rr in added for rd in rr) == list(change.after.values)


def test_update_wire_for_every_kind_of_owner_and_value(rfc2136: Rfc2136) -> None:
    """The wire is written by hand (issue 13): the apex, deep names, names spelt in
    upper case, names that end like the zone without being in it, and values that
    hold names, all parse back (with dnspython) as the change they came from."""
    changes = [
        Change("update", a(ZONE, "192.0.2.1"), a(ZONE, "192.0.2.2", "192.0.2.3")),
        Change("create", None, RRSet.of(f"a.b.c.{ZONE}", "CNAME", 30, ["target.example.org."])),
        Change("delete", RRSet.of(f"txt.{ZONE}", "TXT", 60, ['"v=spf1 -all"']), None),
        Change("update", RRSet.of(f"v6.{ZONE}", "AAAA", 60, ["2001:db8::1"]),
               RRSet.of(f"v6.{ZONE}", "AAAA", 90, ["2001:db8::2"])),
        Change("create", None, a("WWW.Example.Test.", "192.0.2.9")),
        Change("create", None, a("xexample.test.", "192.0.2.10")),
        Change("create", None, a("test.", "192.0.2.11")),
    ]
    keyring = {dns.name.from_text("unit."): dns.tsig.Key("unit.", SECRET)}
    [(batch, mac, wire)] = list(rfc2136.update_messages(changes))
    parsed = dns.message.from_wire(wire, keyring=keyring)
    assert parsed.had_tsig and parsed.mac == mac
    assert [q.to_text() for q in parsed.sections[0]] == [f"{ZONE} IN SOA"]
    check_update(parsed, batch)
    assert batch == changes
    [cname] = [rr for rr in parsed.sections[2] if rr.rdtype == dns.rdatatype.CNAME]
    assert [rd.to_text() for rd in cname] == ["target.example.org."]


def test_an_rrset_too_big_for_one_message_fails_before_anything_is_sent(
        rfc2136: Rfc2136) -> None:
    rfc2136.max_update_bytes = 512
    huge = RRSet.of(host(1), "AAAA", 60, [f"2001:db8::{i:x}" for i in range(100)])
    changes = [Change("create", None, a(host(0), ip(0))), Change("create", None, huge)]
    messages = rfc2136.update_messages(changes)
    with pytest.raises(ProviderError, match="raise max_update_bytes"):
        next(messages)


def test_weighted_sets_are_not_for_rfc2136(rfc2136: Rfc2136) -> None:
    with pytest.raises(ProviderError, match="weighted"):
        list(rfc2136.update_messages([Change("create", None,
                                             a(host(0), ip(0), set_id="x", weight=1))]))


def test_the_secret_stays_out_of_reprs(rfc2136: Rfc2136) -> None:
    assert SECRET not in repr(rfc2136) and "$UNIT_TSIG" in repr(rfc2136)


# -- shared parsers ---------------------------------------------------------------

@pytest.mark.parametrize(("text", "expected"), [
    ("192.0.2.53", ("192.0.2.53", 53)),
    ("192.0.2.53:5353", ("192.0.2.53", 5353)),
    ("ns1.example.org", ("ns1.example.org", 53)),
    ("ns1.example.org:54", ("ns1.example.org", 54)),
    ("[::1]:5353", ("::1", 5353)),
    ("[2001:db8::53]", ("2001:db8::53", 53)),
    ("2001:db8::53", ("2001:db8::53", 53)),
])
def test_parse_server(text: str, expected: tuple[str, int]) -> None:
    assert parse_server(text) == expected


def test_an_answer_is_parsed_without_authority_and_additional() -> None:
    query = make_query(f"www.{ZONE}", "A")
    response = dns.message.make_response(query)
    response.answer.append(dns.rrset.from_text(f"www.{ZONE}", 60, "IN", "A", "192.0.2.1"))
    response.authority.append(dns.rrset.from_text(ZONE, 60, "IN", "NS", f"ns1.{ZONE}"))
    response.additional.append(dns.rrset.from_text(f"ns1.{ZONE}", 60, "IN", "A", "192.0.2.53"))
    parsed = parse_answer(response.to_wire(), query)
    assert query.is_response(parsed)
    assert [rr.to_text() for rr in parsed.answer] == [rr.to_text() for rr in response.answer]
    assert not parsed.authority and not parsed.additional
    assert RRKey(f"www.{ZONE}", "A") == RRSet.of(f"www.{ZONE}", "A", 60, ["192.0.2.1"]).key
    assert dns.rdatatype.from_text("A") == dns.rdatatype.A
