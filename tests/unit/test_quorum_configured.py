"""Quorum of the configured vantage points, not of the live ones; stale views expire
(issue 19, defect 6): a 20 s old DOWN view from a stuck watcher does not count, and a
lone surviving watcher is never a quorum unless the config's quorum says so."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from failover.coord.quorum import View, cluster_verdicts, fresh, needed
from tests.hypo import cases

VENDORS = {"a": "aws", "g": "gcp"}
WATCHERS = ["w1", "w2", "w3", "w4", "w5"]
VERDICT = st.sampled_from(["UP", "DEGRADED", "DOWN", "TERMINATED", "UNKNOWN"])


def view(node: str, at: float = 100.0, **verdicts: str) -> View:
    return View(node, "v", at, {h: (v, "") for h, v in verdicts.items()})


def test_a_lone_survivor_of_five_is_not_a_quorum() -> None:
    views, _ = fresh([view("w1", a="DOWN", g="UP")], WATCHERS, at=100.0, max_age=8)
    verdicts, _ = cluster_verdicts(views, VENDORS, "majority", configured=len(WATCHERS))
    assert verdicts["a"].verdict != "DOWN"
    assert "1 of 5 configured vantage points say down, 0 up, 3 needed" in verdicts["a"].reason


def test_a_lone_survivor_is_a_quorum_when_the_config_says_so() -> None:
    views, _ = fresh([view("w1", a="DOWN", g="UP")], WATCHERS, at=100.0, max_age=8)
    verdicts, _ = cluster_verdicts(views, VENDORS, 0.2, configured=len(WATCHERS))
    assert verdicts["a"].verdict == "DOWN"


def test_a_stale_view_from_a_stuck_watcher_is_not_counted() -> None:
    # Defect 6: a 20 s old DOWN view (ttl 3 s) counted toward quorum.
    views = [view("w1", 80.0, a="DOWN", g="UP"), view("w2", 80.0, a="DOWN", g="UP"),
             view("w3", 99.0, a="DOWN", g="UP")]
    counted, dropped = fresh(views, WATCHERS, at=100.0, max_age=8)
    assert [v.node for v in counted] == ["w3"]
    assert dropped == {"w1": "its view is 20s old, expiry 8s",
                       "w2": "its view is 20s old, expiry 8s"}
    verdicts, _ = cluster_verdicts(counted, VENDORS, "majority", configured=5)
    assert verdicts["a"].verdict != "DOWN"


def test_a_view_from_a_node_not_configured_is_not_counted() -> None:
    counted, dropped = fresh([view("intruder", a="DOWN")], WATCHERS, at=100.0, max_age=8)
    assert counted == [] and dropped == {"intruder": "not in cluster.watchers"}


@cases(300)
@given(st.lists(st.tuples(st.sampled_from(WATCHERS), st.floats(0, 40), VERDICT, VERDICT),
                max_size=5, unique_by=lambda t: t[0]),
       st.sampled_from(["majority", 0.5, 0.82]))
def test_down_needs_a_quorum_of_configured_fresh_views(
        rows: list[tuple[str, float, str, str]], quorum: str | float) -> None:
    """Whatever the live views say: the cluster says a hosting DOWN only when at least the
    quorum of the *configured* watchers say so in fresh views."""
    now, max_age = 100.0, 8.0
    views = [view(n, now - age, a=va, g=vg) for n, age, va, vg in rows]
    counted, _ = fresh(views, WATCHERS, at=now, max_age=max_age)
    verdicts, _ = cluster_verdicts(counted, VENDORS, quorum, configured=len(WATCHERS))
    for hosting in VENDORS:
        if verdicts[hosting].verdict in ("DOWN", "TERMINATED"):
            votes = [v for v in views if now - v.at <= max_age and not v.cut_off
                     and v.verdicts[hosting][0] in ("DOWN", "TERMINATED")]
            assert len(votes) >= needed(quorum, len(WATCHERS))
