"""A move's before-image, desired state and changes, journaled as JSON text (issue 13).

The text is built one item at a time; it must read back exactly as the dicts did,
in both stores' shapes, or rollback would restore something else. The plan's
checksum, hashed one change at a time, must stay the checksum operators reviewed.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from failover.journal import Journal, json_text, json_value
from failover.plan import Plan, ProviderPlan
from failover.policy import Decision
from failover.records import Change, RRSet, json_array, rrsets_json
from tests.hypo import cases

# quotes, backslashes and non-ASCII: what JSON text must escape
names = st.from_regex(r"[a-z0-9\"\\\u00e9-]{1,12}", fullmatch=True).map(
    lambda s: s + ".example.org.")
addresses = st.ip_addresses(v=4).map(str)
rrsets = st.builds(
    lambda name, ttl, values, set_id, weight: RRSet.of(name, "A", ttl, values, set_id,
                                                       weight if set_id else None),
    names, st.integers(0, 2**31 - 1), st.lists(addresses, min_size=1, max_size=4),
    st.none() | st.text(min_size=1, max_size=8), st.integers(0, 255))
changes = st.builds(lambda action, a, b: Change(action, None if action == "create" else a,
                                                None if action == "delete" else b),
                    st.sampled_from(["create", "update", "delete"]), rrsets, rrsets)


@cases(200)
@given(st.lists(rrsets, max_size=20), st.lists(changes, max_size=20))
def test_text_reads_back_as_the_dicts(items: list[RRSet], diffs: list[Change]) -> None:
    by_key = {rr.key: rr for rr in items}
    assert json.loads(rrsets_json(by_key)) == [by_key[k].to_json() for k in sorted(by_key)]
    assert json.loads(json_array(diffs)) == [c.to_json() for c in diffs]
    restored = [RRSet.from_json(d) for d in json.loads(rrsets_json(by_key))]
    assert {rr.key: rr for rr in restored} == by_key


def test_journal_keeps_text_and_lists_alike(tmp_path: Path) -> None:
    rr = RRSet.of("www.example.org.", "A", 60, ["192.0.2.1"])
    change = Change("update", rr, RRSet.of("www.example.org.", "A", 60, ["192.0.2.2"]))
    j = Journal(tmp_path / "j.sqlite")
    try:
        common = {"vendor": "metal", "state": "planned", "tolerated": False, "error": None}
        j.begin_move(kind="move", at=0.0, reason="t", args={}, checksum="c", steps=[
            {"provider": "a", "before": rrsets_json({rr.key: rr}), "desired": "[]",
             "changes": json_array([change]), **common},
            {"provider": "b", "before": [rr.to_json()], "desired": [],
             "changes": [change.to_json()], **common}])
        a, b = j.steps(1)
    finally:
        j.close()
    assert (a.before, a.desired, a.changes) == (b.before, b.desired, b.changes)
    assert a.before == [rr.to_json()] and a.changes == [change.to_json()]


def test_text_and_value_are_inverse() -> None:
    data = [{"name": "a.", "type": "A", "ttl": 1, "values": ["192.0.2.1"]}]
    assert json_value(json_text(data)) == data
    assert json_text(json.dumps(data)) == json.dumps(data)


def test_a_journal_from_before_step_images_still_reads(tmp_path: Path) -> None:
    """Rows written when the images lived in move_steps read back with their images."""
    rr = RRSet.of("www.example.org.", "A", 60, ["192.0.2.1"])
    j = Journal(tmp_path / "j.sqlite")
    try:
        mid = j.begin_move(kind="move", at=0.0, reason="t", args={}, checksum="c", steps=[])
        j._db.execute("INSERT INTO move_steps (move_id, provider, vendor, before, desired,"
                      " changes, state) VALUES (?, 'old', 'metal', ?, '[]', '[]', 'applied')",
                      (mid, json.dumps([rr.to_json()])))
        j.step_state(mid, "old", "applied", at=1.0)
        (step,) = j.steps(mid)
    finally:
        j.close()
    assert step.before == [rr.to_json()] and step.state == "applied"


@cases(200)
@given(st.text(max_size=10), st.lists(st.tuples(st.text(max_size=8), st.booleans(),
                                                st.lists(changes, max_size=6)), max_size=4))
def test_checksum_is_the_whole_plan_hashed_as_one_document(
        zone: str, parts: list[tuple[str, bool, list[Change]]]) -> None:
    """The streamed checksum equals the one computed from the whole JSON document."""
    plan = Plan(zone, Decision((), "keep"), [
        ProviderPlan(name, "metal", {} if reachable else None, {}, diffs)
        for name, reachable, diffs in parts], [])
    body = [{"provider": name, "reachable": reachable,
             "changes": [c.to_json() for c in diffs]} for name, reachable, diffs in parts]
    raw = json.dumps({"zone": zone, "providers": body}, sort_keys=True)
    assert plan.checksum == hashlib.sha256(raw.encode()).hexdigest()[:16]
