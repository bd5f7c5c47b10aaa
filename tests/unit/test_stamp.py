"""Times for people carry their zone, said once: the page, `status` and `history` print
'2026-12-07 22:20:19 UTC', or 'CET (UTC+01:00)' where the name does not say the offset."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from failover.clock import stamp

AT = 1_796_682_019.0      # 2026-12-07 22:20:19 UTC


@pytest.fixture
def zone(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    yield monkeypatch
    monkeypatch.undo()
    time.tzset()


@pytest.mark.parametrize(("tz", "said"), [
    ("UTC", "2026-12-07 22:20:19 UTC"),
    ("Europe/Berlin", "2026-12-07 23:20:19 CET (UTC+01:00)"),
    ("America/St_Johns", "2026-12-07 18:50:19 NST (UTC-03:30)"),
    ("<+03>-3", "2026-12-08 01:20:19 UTC+03:00"),
])
def test_a_moment_says_its_zone_once(zone: pytest.MonkeyPatch, tz: str, said: str) -> None:
    zone.setenv("TZ", tz)
    time.tzset()
    assert stamp(AT) == said
    assert stamp(None) == stamp(0) == "-"
