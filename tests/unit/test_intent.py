"""The commands hints print ('Finish it with', 'Undo with') carry the move's intent and
parse as the real command tree parses them (issue 20). The lab tests run them."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any

import pytest
import typer
from hypothesis import given
from hypothesis import strategies as st

from cli.intent import config_flag, redo, undo
from tests.hypo import cases

NAME = st.text(st.sampled_from("abcxyz-_.0 '\"$;"), min_size=1, max_size=12)


def parsed(command: str) -> dict[str, Any]:
    """The params the real 'failover ... move|rollback' would run with."""
    from cli.app import app

    words = shlex.split(command)
    assert words[0] == "failover"
    root: Any = typer.main.get_command(app)
    ctx = root.make_context("failover", words[1:])
    rest = [*getattr(ctx, "_protected_args", getattr(ctx, "protected_args", [])), *ctx.args]
    name, sub, rest = root.resolve_command(ctx, rest)
    sub_ctx = sub.make_context(name, rest, parent=ctx)
    return {"command": name, "config": ctx.params.get("config"), **sub_ctx.params}


@given(off=st.lists(NAME, max_size=3, unique=True), to=st.one_of(st.none(), NAME),
       force=st.booleans(), config=st.sampled_from(["failover.yaml", "/tmp/a b/c.yaml",
                                                    "x;rm -rf.yaml"]))
@cases(200)
def test_finish_it_with_runs_the_same_move(off: list[str], to: str | None, force: bool,
                                           config: str) -> None:
    command = redo("move", {"off": off, "to": to, "force": force}, Path(config))
    got = parsed(command)
    assert got["command"] == "move"
    assert sorted(got["off"] or []) == sorted(off) and got["to"] == to
    assert got["force"] == force
    if config != "failover.yaml":
        assert str(got["config"]) == config


@pytest.mark.parametrize("kind", ["move", "rollback"])
def test_undo_with_rolls_back_that_move(kind: str) -> None:
    got = parsed(undo(kind, 17, Path("/srv/f o/failover.yaml")))
    assert got["command"] == "rollback" and got["move_id"] == 17
    assert str(got["config"]) == "/srv/f o/failover.yaml"
    assert parsed(redo("rollback", {"move": 9}, Path("failover.yaml")))["move_id"] == 9


def test_the_default_config_needs_no_flag(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FAILOVER_CONFIG", raising=False)
    assert config_flag(Path("failover.yaml")) == ""
    monkeypatch.setenv("FAILOVER_CONFIG", "/etc/failover.yaml")
    assert config_flag(Path("/etc/failover.yaml")) == ""
    assert config_flag(Path("/other.yaml")) == " -c /other.yaml"
