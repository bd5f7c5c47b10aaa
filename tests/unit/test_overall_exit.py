"""The check's exit code as a property (issue 20): 3 only when nothing at all could be
judged; a part that could not be seen beside judged ones is CRITICAL; otherwise the worst
judged severity."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from failover.report import Finding, overall_exit_code
from tests.hypo import cases

SEVERITY = st.sampled_from([0, 1, 2, 3])


@cases(1000)
@given(SEVERITY, st.lists(st.tuples(st.sampled_from(["dns", "serving", "backup", "vendor"]),
                                    SEVERITY), max_size=6))
def test_three_means_nothing_was_judged(hostings: int, others: list[tuple[str, int]]) -> None:
    findings = [Finding(kind, f"n{i}", "X", sev, "") for i, (kind, sev) in enumerate(others)]
    code = overall_exit_code(hostings, findings)
    codes = [hostings, *(sev for _, sev in others)]
    if all(c == 3 for c in codes):
        assert code == 3
    elif 3 in codes or 2 in codes:
        assert code == 2
    else:
        assert code == max(codes)
