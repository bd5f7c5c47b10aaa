"""status reports the last move that changed what is served: a finished ACME challenge
(its TXT records come and go as certificates are issued) does not hide it, and an
unfinished one still shows (issue 23's challenges go through the move's own path)."""

from __future__ import annotations

from pathlib import Path

from failover.engine.status import _last_move
from failover.journal import Journal


def begin(journal: Journal, kind: str) -> int:
    return journal.begin_move(kind=kind, at=1.0, reason=kind, args={}, checksum="c",
                              steps=[])


def test_a_finished_challenge_does_not_hide_the_last_move(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "j.sqlite")
    try:
        moved = begin(journal, "move")
        journal.move_state(moved, "done", at=2.0, summary="move done")
        challenge = begin(journal, "acme-challenge")
        journal.move_state(challenge, "done", at=3.0, summary="challenge done")
        last = _last_move(journal)
        assert last is not None and last.id == moved
        unfinished = begin(journal, "acme-challenge")
        last = _last_move(journal)
        assert last is not None and last.id == unfinished
    finally:
        journal.close()
