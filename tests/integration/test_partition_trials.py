"""Three partition trials (bench.partition_trials) in a clustered lab of their own: the
leader, mid-move, is frozen past its lease and cut off etcd while it can still reach every
DNS provider; a new leader takes over and decides differently; the old one wakes. No write
of the stale leader may land after the new leader's first, judged from BIND's own journal
and from every authority's answers sampled throughout.

PowerDNS is fenced by reading the fence again just before each write (its API has no
conditional write): a stale leader frozen between that read and its PATCH lands the write
after the new leader's fence. The trials find it when the freeze falls there; the test
then reports xfail naming it, and fails on any stale write at a provider that checks the
fence itself (BIND and Knot, Route 53)."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.partition_trials import run_trials
from lab import core, vendors

pytestmark = [pytest.mark.integration, pytest.mark.own_lab]

REREAD = ("pdns",)  # providers fenced by a re-read, not by the server (README: the window)


@pytest.fixture
def clustered(tmp_path: Path) -> Iterator[Path]:
    root = tmp_path / "lab"
    try:
        core.up(root)
        vendors.start(root)
    except core.LabError as exc:
        core.down(root)
        pytest.fail(f"the clustered lab did not start: {exc}", pytrace=False)
    try:
        yield root.resolve()
    finally:
        core.down(root)


@pytest.mark.timeout(900)  # about a minute a trial on a loaded two-core machine, and the lab
def test_three_trials_no_stale_write_lands_after_the_new_leaders_first(
        clustered: Path) -> None:
    seed = random.randrange(2**32)
    lines: list[str] = []
    summary = run_trials(clustered, 3, seed=seed, say=lines.append)
    report = f"seed {seed}:\n" + "\n".join(lines) + "\n" + summary.text()
    assert not summary.errors, report
    assert all(t.new_leader and t.new_leader != t.leader for t in summary.trials), report
    strict = [v for t in summary.trials for v in t.violations
              if not v.startswith(REREAD)]
    assert strict == [], report
    reread = [v for t in summary.trials for v in t.violations if v.startswith(REREAD)]
    if reread:
        pytest.xfail("PowerDNS is fenced by a re-read, so a stale leader frozen between its "
                     f"re-read and its write lands it late: {reread[0]} ({report})")
