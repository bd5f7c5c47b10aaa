"""A plan of thousands of changes reads as a screen: each DNS provider shows its first N
changes and counts the rest; --full shows every one; totals and checksum never change."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from cli import moves
from cli.common import Format
from failover.plan import Plan, ProviderPlan, plan_lines
from failover.policy import Decision
from failover.records import Change, RRSet
from tests.hypo import cases


def bulk_plan(sizes: list[int]) -> Plan:
    """One provider per size, each updating that many A records."""
    providers = []
    for i, n in enumerate(sizes):
        changes = [Change("update", RRSet.of(f"h{j}.example.test.", "A", 60, ["10.0.0.1"]),
                          RRSet.of(f"h{j}.example.test.", "A", 60, ["10.0.0.2"]))
                   for j in range(n)]
        providers.append(ProviderPlan(f"p{i}", "v", {}, {}, changes))
    managed = [(f"h{j}.example.test.", "A") for j in range(max(sizes, default=0))]
    return Plan("example.test.", Decision(("g",), "serve g"), providers, managed)


@cases(30)
@given(sizes=st.lists(st.integers(0, 40), min_size=1, max_size=4), limit=st.integers(0, 30))
def test_limit_shows_first_changes_and_counts_the_rest(sizes: list[int], limit: int) -> None:
    p = bulk_plan(sizes)
    full, short = plan_lines(p), plan_lines(p, limit)
    for pp in p.providers:
        more = [x for x in short if x.kind == "more" and x.provider == pp.provider]
        left = len(pp.changes) - min(len(pp.changes), limit)
        assert [x.text for x in more] == ([f"{left:,}"] if left else [])
    changes_full = [x for x in full if x.kind == "change"]
    changes_short = [x for x in short if x.kind == "change"]
    assert len(changes_full) == sum(sizes) and not [x for x in full if x.kind == "more"]
    assert len(changes_short) == sum(min(n, limit) for n in sizes)
    # The lines shown are the plan's own first ones, in order, per provider.
    keys_short = [x.key for x in changes_short]
    expected = [str(c.key) for pp in p.providers for c in pp.changes[:limit]]
    assert keys_short == expected
    # What the operator approves is the same whatever is shown.
    assert [x for x in short if x.kind in ("totals", "checksum")] == \
           [x for x in full if x.kind in ("totals", "checksum")]


def test_cli_plan_prints_a_screen_and_full_prints_all(capsys) -> None:
    p = bulk_plan([2_000, 3])
    moves._show_plan(p, Format.table)
    text = capsys.readouterr().out
    lines = text.splitlines()
    assert len(lines) < 2 * moves.PLAN_ROWS + 12
    assert "... and 1,980 more (--full lists every change, --format json too)" in text
    assert "h2.example.test." in text and "Totals" in text and p.checksum in text
    assert all(len(line) <= 80 for line in lines if "more (" in line or " ~ " in line)
    moves._show_plan(p, Format.table, full=True)
    text = capsys.readouterr().out
    assert "more (--full" not in text and "h1999.example.test." in text
    moves._show_plan(p, Format.json)
    assert capsys.readouterr().out.count('"action": "update"') == 2_003
