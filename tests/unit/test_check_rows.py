"""`failover check` with many hostings: problems first, every problem drawn, the healthy
rest counted on one line (issue 13); --full draws every row."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from cli.check import HEALTHY_ROWS, table_rows
from failover.health import Verdict
from failover.probes.base import ProbeResult
from tests.hypo import cases

SEVERITY = {"TERMINATED": 0, "DOWN": 1, "UNKNOWN": 2, "DEGRADED": 3, "UP": 4}


def verdict(i: int, state: str, failed_probe: bool) -> Verdict:
    probes = [ProbeResult(f"h{i}", "http", "127.0.0.1:80", True, 0.01),
              ProbeResult(f"h{i}", "tcp", "127.0.0.1:80", not failed_probe, 0.01)]
    return Verdict(f"h{i}", "v", state, "ok", "", 1, 0, probes)


def clean(v: Verdict) -> bool:
    return v.verdict == "UP" and all(r.ok for r in v.evidence)


@cases(80)
@given(st.lists(st.tuples(st.sampled_from(sorted(SEVERITY)), st.booleans()), max_size=60),
       st.booleans())
def test_problems_first_all_drawn_healthy_counted(spec: list[tuple[str, bool]],
                                                  full: bool) -> None:
    verdicts = [verdict(i, state, failed) for i, (state, failed) in enumerate(spec)]
    rows, counted = table_rows(verdicts, full)
    healthy = [v for v in verdicts if clean(v)]
    # Every problem (and an UP hosting with a failed probe) is drawn, none twice.
    assert [v for v in verdicts if not clean(v)] == [v for v in verdicts
                                                    if not clean(v) and v in rows]
    assert len(rows) + counted == len(verdicts)
    if full or len(healthy) <= HEALTHY_ROWS:
        assert counted == 0 and len(rows) == len(verdicts)
    else:
        assert counted == len(healthy) and not any(clean(v) for v in rows)
    # Worst first; within one verdict, the config's order.
    assert [SEVERITY[v.verdict] for v in rows] == sorted(SEVERITY[v.verdict] for v in rows)
    for state in SEVERITY:
        same = [v.hosting for v in rows if v.verdict == state]
        assert same == [v.hosting for v in verdicts if v.verdict == state and v in rows]


def test_ten_thousand_healthy_and_one_down_draws_one_row() -> None:
    verdicts = [verdict(i, "UP", False) for i in range(10_000)] + [verdict(10_000, "DOWN", True)]
    rows, counted = table_rows(verdicts, False)
    assert [v.hosting for v in rows] == ["h10000"] and counted == 10_000
