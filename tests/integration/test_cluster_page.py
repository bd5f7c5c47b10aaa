"""The status page in a cluster shows every node's moves: the shared history, not the
journal of the node that happens to publish it."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tests.integration.clusterworld import World

pytestmark = pytest.mark.integration


def test_the_page_of_one_node_shows_a_move_another_node_made(world: World) -> None:
    laptop = world.config("laptop", "metal", auto=False)
    moved = world.cli(laptop, "move", "--to", "g", "--yes")
    assert moved.returncode == 0, moved.stdout + moved.stderr
    assert world.served() == ["127.0.0.12"]

    desk = world.config("desk", "gcp", auto=False)
    out = world.root / "desk-page"
    made = world.cli(desk, "page", "--out", str(out))
    assert made.returncode == 0, made.stdout + made.stderr
    html = (out / "index.html").read_text()
    assert 'id="move-1" data-state="done"' in html, "the laptop's move is missing from " \
        "desk's page"
    # desk made no move: what its page shows came from the shared history
    assert _local_moves(world.root / "desk" / "journal.sqlite") == []


def _local_moves(path: Path) -> list[str]:
    if not path.exists():
        return []
    with sqlite3.connect(path) as db:
        return [str(kind) for (kind,) in db.execute("SELECT kind FROM moves").fetchall()]
