"""``failover pause``, ``failover resume`` and ``failover cluster``: the operator over the watchers.

A pin is the operator's decision: while it stands, watchers check and report
but move nothing (Patroni's pause mode). A manual move or rollback pins
itself; ``pause`` pins without a move; ``resume`` lets the watchers act again.
"""

from __future__ import annotations

from typing import Annotated

import typer

from cli.common import Format, FormatOpt, load, out, print_json


def register(app: typer.Typer) -> None:
    app.command()(pause)
    app.command()(resume)
    app.command()(cluster)


def pause(ctx: typer.Context,
          reason: Annotated[str, typer.Option(metavar="TEXT",
                                                 help="Why, for whoever reads 'status'.")]
          = "paused") -> int:
    """Pin what is served now: watchers move nothing until 'failover resume'."""
    from failover.coord.base import Holder, Pin
    from failover.engine import Engine

    engine = Engine(load(ctx))
    try:
        with engine.lock("failover pause"):
            pin = Pin(Holder.me(engine.coord.node, "failover pause"), reason)
            engine.coord.set_pin(pin)
    finally:
        engine.close()
    out().print(pin.sentence())
    return 0


def resume(ctx: typer.Context) -> int:
    """Remove the operator's pin: watchers decide (and, with auto_move, move) again."""
    from failover.engine import Engine

    engine = Engine(load(ctx))
    try:
        with engine.lock("failover resume"):
            old = engine.coord.clear_pin()
    finally:
        engine.close()
    out().print("resumed: watchers act again" + (f" (was {old.sentence()})" if old else
                                                 "; there was no pin"))
    return 0


def cluster(ctx: typer.Context, format: FormatOpt = Format.table) -> int:
    """Who leads, who holds the move lock, the pin, and each watcher's last cycle sentence."""
    from failover.engine import Engine

    engine = Engine(load(ctx))
    try:
        state = engine.coord.describe()
    finally:
        engine.close()
    if format is Format.json:
        print_json(state)
        return 0
    o = out()
    o.print(f"Backend: {state['backend']} ({state['where']})")
    o.print(f"Leader: {state.get('leader') or '-'}")
    o.print(f"Move lock: {state.get('lock') or 'free'}")
    o.print(f"Pin: {state.get('pin') or 'none'}")
    for node in state.get("nodes", []):
        o.print(f"  {node['node']} ({node['vendor']}): {node['sentence']}")
    return 0
