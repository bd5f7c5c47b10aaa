"""The cluster verdict: only live vantage points, only by quorum, both ways, never on a
cut-off watcher's own view."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from failover.coord.quorum import View, cluster_verdicts, needed
from tests.hypo import cases

VENDORS = {"a": "aws", "g": "gcp", "m": "metal"}
VERDICT = st.sampled_from(["UP", "DEGRADED", "DOWN", "TERMINATED", "UNKNOWN"])


def view(node: str, **verdicts: str) -> View:
    return View(node, "v", 0.0, {h: (v, "") for h, v in verdicts.items()})


def test_needed_majority_and_fraction() -> None:
    assert [needed("majority", n) for n in (1, 2, 3, 4, 5)] == [1, 2, 2, 3, 3]
    assert needed(0.82, 5) == 5 and needed(0.5, 4) == 2 and needed(0.18, 1) == 1


def test_a_lone_cut_off_watcher_is_not_a_quorum() -> None:
    verdicts, _ = cluster_verdicts([view("w1", a="DOWN", g="DOWN", m="DOWN")], VENDORS,
                                   "majority")
    assert {v.verdict for v in verdicts.values()} == {"UNKNOWN"}


def test_quorum_of_live_views_decides_down_and_a_minority_does_not() -> None:
    views = [view("w1", a="DOWN", g="UP", m="UP"), view("w2", a="DOWN", g="UP", m="UP"),
             view("w3", a="UP", g="UP", m="UP")]
    verdicts, _ = cluster_verdicts(views, VENDORS, "majority")
    assert verdicts["a"].verdict == "DOWN" and verdicts["g"].verdict == "UP"
    verdicts, _ = cluster_verdicts(views, VENDORS, 0.82)     # Route 53's 18%, as a quorum
    assert verdicts["a"].verdict == "DEGRADED"


def test_back_up_only_after_rise_with_a_quorum_and_no_flap_without_one() -> None:
    down = {"a": {"verdict": "DOWN", "up_streak": 0, "since": 0.0}}
    split = [view("w1", a="DOWN", g="UP"), view("w2", a="DEGRADED", g="UP")]
    verdicts, state = cluster_verdicts(split, VENDORS, "majority", down, rise=2)
    assert verdicts["a"].verdict == "DOWN", "no quorum either way keeps the last verdict"
    up = [view("w1", a="UP", g="UP"), view("w2", a="UP", g="UP")]
    verdicts, state = cluster_verdicts(up, VENDORS, "majority", state, rise=2)
    assert verdicts["a"].verdict == "DOWN" and state["a"]["up_streak"] == 1
    verdicts, state = cluster_verdicts(up, VENDORS, "majority", state, rise=2)
    assert verdicts["a"].verdict == "UP"


@cases(500)
@given(st.lists(st.fixed_dictionaries({h: VERDICT for h in VENDORS}), max_size=6),
       st.sampled_from(["majority", 0.5, 0.18, 0.82, 1.0]))
def test_down_only_when_a_quorum_of_counted_views_says_so(rows: list[dict[str, str]],
                                                          quorum: str | float) -> None:
    views = [view(f"w{i}", **r) for i, r in enumerate(rows)]
    verdicts, _ = cluster_verdicts(views, VENDORS, quorum)
    counted = [v for v in views if not v.cut_off]
    for h, v in verdicts.items():
        if v.verdict in ("DOWN", "TERMINATED"):
            bad = sum(c.verdicts[h][0] in ("DOWN", "TERMINATED") for c in counted)
            assert counted and bad >= needed(quorum, len(counted))
    if all(v.cut_off for v in views):
        assert all(v.verdict not in ("DOWN", "TERMINATED") for v in verdicts.values())
