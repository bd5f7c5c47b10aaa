"""The action `check` prints first: which vendors to move off (failover.serving.evacuation).

Its promise, as a property: every vendor it names has a DOWN or TERMINATED hosting that a
DNS provider still serves; a healthy hosting at a vendor it does not name remains, so
`failover move --off ...` has somewhere to go; and it names every such vendor when it
names any. The command it prints is the exact one (`move_off`).
"""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from failover.finding import Finding
from failover.serving import evacuation, move_off
from failover.verdict import Verdict
from tests.hypo import cases

VENDORS = ["aws", "gcp", "metal", "hetzner"]
VERDICTS = ["UP", "DEGRADED", "DOWN", "TERMINATED", "UNKNOWN"]


@st.composite
def worlds(draw: st.DrawFn) -> tuple[list[Verdict], list[Finding], set[str]]:
    count = draw(st.integers(1, 6))
    verdicts = [Verdict(f"h{i}", draw(st.sampled_from(VENDORS)), draw(st.sampled_from(VERDICTS)),
                        "none", "", 0, 0) for i in range(count)]
    serving = [Finding("serving", f"p{j}", "OK", 0, "", metrics={
        f"served.{v.hosting}": float(draw(st.booleans())) for v in verdicts})
        for j in range(draw(st.integers(0, 3)))]
    terminated = set(draw(st.lists(st.sampled_from(VENDORS), max_size=2)))
    return verdicts, serving, terminated


@cases(2000)
@given(worlds())
def test_evacuation_names_exactly_the_vendors_users_must_leave(
        world: tuple[list[Verdict], list[Finding], set[str]]) -> None:
    verdicts, serving, terminated = world
    vendors = evacuation(verdicts, serving, terminated)
    served = {h for f in serving for h, on in
              ((k.removeprefix("served."), v) for k, v in f.metrics.items()) if on}
    dead_served = {v.vendor for v in verdicts if v.hosting in served
                   and (v.verdict in ("DOWN", "TERMINATED") or v.vendor in terminated)}
    if vendors:
        assert set(vendors) == dead_served
        assert any(v.verdict in ("UP", "DEGRADED") and v.vendor not in set(vendors) | terminated
                   for v in verdicts)
        assert vendors == sorted(vendors)
    elif dead_served:
        # Nothing to say only when nowhere healthy is left outside those vendors.
        assert not any(v.verdict in ("UP", "DEGRADED") and v.vendor not in dead_served
                       | terminated for v in verdicts)


def test_move_off_is_the_exact_command() -> None:
    assert move_off(["gcp", "aws", "aws"]) == "failover move --off aws --off gcp"
    assert move_off(["aws"], "plan") == "failover plan --off aws"
