"""``failover cluster fence``: the DNS fence at every provider, and its reset.

Every DNS write in a cluster carries a fencing token (docs/fencing.md): the zone's
``_failover-fence`` TXT record holds the highest epoch (an etcd revision) that
wrote, and a write with a lower one is refused. This shows what each provider
holds. ``--reset`` deletes the record everywhere: the way out after etcd was
rebuilt from nothing or restored from an old snapshot, when its revisions start
again below the fence and every move is refused as a stale leader's.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from cli.common import Format, FormatOpt, inert, load, out, print_json


def fence(ctx: typer.Context, format: FormatOpt = Format.table,
          reset: Annotated[bool, typer.Option(
              "--reset", help="Delete the fence at every DNS provider (under the move lock; "
              "asks first unless --yes). Only after etcd was rebuilt or restored from a "
              "snapshot: a stale leader could then write once more.")] = False,
          yes: Annotated[bool, typer.Option("--yes", "-y",
                                            help="With --reset: do not ask.")] = False) -> int:
    """The DNS fence (_failover-fence TXT) each provider holds: the highest epoch that
    wrote DNS; with --reset, delete it everywhere."""
    from failover.engine import Engine
    from failover.errors import EXIT_CRITICAL, EXIT_OK, EXIT_REFUSED, EXIT_WARNING, Refused

    engine = Engine(load(ctx))
    try:
        readings = engine.fences()
        lead = engine.coord.lead_lease()
        if not reset:
            epochs = {r.epoch for r in readings if r.error is None}
            code = (EXIT_CRITICAL if any(r.error for r in readings)
                    else EXIT_WARNING if len(epochs) != 1 or None in epochs else EXIT_OK)
            if format is Format.json:
                print_json({"fences": [r.to_json() for r in readings], "exit_code": code})
                return code
            for r in readings:
                out().print(f"{inert(r.provider):<14} "
                            + (f"cannot be read: {inert(r.error)}" if r.error
                               else inert(r.text)))
            if lead is not None:
                out().print(f"this node leads with epoch {lead.epoch}")
            return code
        if not yes:
            if not sys.stdin.isatty():
                raise Refused("not a terminal, so nobody can confirm: pass --yes to delete "
                              "the fence at every DNS provider")
            if not typer.confirm("Delete the DNS fence at every provider?", default=False):
                out().print("Nothing written.")
                return EXIT_REFUSED
        with engine.lock("failover cluster fence --reset"):
            result = engine.clear_fences()
    finally:
        engine.close()
    for name, error in result.items():
        out().print(f"{inert(name):<14} "
                    + (f"NOT cleared: {inert(error)}" if error else "fence deleted"))
    return EXIT_CRITICAL if any(result.values()) else EXIT_OK
