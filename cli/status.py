"""``failover status`` and ``failover history``."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Annotated, Optional

import typer

if TYPE_CHECKING:
    from failover.engine import Engine

from cli.common import (
    Format,
    FormatOpt,
    config_file,
    fmt_seconds,
    inert,
    live,
    load,
    out,
    print_json,
)


def register(app: typer.Typer) -> None:
    app.command()(status)
    app.command()(history)


def _when(ts: float | None) -> str:
    """With its zone: an operator in Berlin reading a watcher's move in UTC must not guess."""
    from failover.clock import stamp

    return stamp(ts)


def status(ctx: typer.Context, format: FormatOpt = Format.table) -> int:
    """What every DNS provider answers now for each managed record, and whether they agree.

    Also shows the journal's path and the last move; for a move that was
    interrupted, what each provider now serves compared with its before-image
    and the plan: written, not written, or partly written. AGREE is
    "unknown" while a provider cannot be read. Exit 0 when all agree, 1 when
    a provider is unreachable or they disagree, or the cluster is (then the
    last move is this node's own journal's, said first), 2 when a move was
    interrupted or no provider can be read.
    """
    from failover.engine import Engine
    from failover.records import by_record, relative_name

    started = time.monotonic()
    config = load(ctx)
    engine = Engine(config)
    try:
        degraded = _fall_back(engine)
        if format is Format.json:
            report = engine.status()
        else:
            with live(engine, "reading every DNS provider..."):
                report = engine.status()
        pin = engine.coord.pin()
    finally:
        engine.close()
    code = 0
    if not report.all_agree:
        code = 1
    # A DNS provider that does not answer is CRITICAL, as in check (issue 20): what it
    # sends users to is out of sight.
    if (report.last_move and report.last_move.shown_state == "interrupted") \
            or not report.readable or any(p.rrsets is None for p in report.providers) \
            or any(not s.now.startswith("written") for s in report.unknown):
        code = 2
    if degraded:
        code = max(code, 1)
    if format is Format.json:
        print_json({
            "journal": report.journal, "exit_code": code, "degraded": degraded,
            "pin": pin.to_json() if pin else None,
            "providers": [{"provider": p.provider, "vendor": p.vendor, "error": p.error,
                           "rrsets": None if p.rrsets is None else
                           [p.rrsets[k].to_json() for k in sorted(p.rrsets)]}
                          for p in report.providers],
            "agree": [{"name": n, "type": t, "agree": a} for (n, t), a in report.agree.items()],
            "last_move": None if report.last_move is None else {
                "id": report.last_move.id, "kind": report.last_move.kind,
                "state": report.last_move.shown_state, "started": report.last_move.started,
                "summary": report.last_move.summary},
            "unfinished": [{"provider": s.step.provider, "step": s.step.state, "now": s.now}
                           for s in report.unfinished],
            "unknown": [{"provider": s.step.provider, "error": s.step.error, "now": s.now}
                        for s in report.unknown]})
        return code

    from rich.markup import escape
    from rich.table import Table

    o = out()
    o.print(f"Journal: {escape(str(report.journal))}")
    if pin is not None:
        o.print(f"[yellow]Pin[/]: {inert(pin.sentence())}")
    table = Table(box=None, pad_edge=False, show_edge=False)
    table.add_column("RECORD")
    for p in report.providers:
        table.add_column(escape(f"{p.provider} ({p.vendor})"))
    table.add_column("AGREE")
    grouped = {p.provider: by_record(p.rrsets) for p in report.providers if p.rrsets is not None}
    for name, rtype in report.managed:
        row = [escape(f"{relative_name(name, config.zone)} {rtype}")]
        for p in report.providers:
            if p.rrsets is None:
                row.append("[red]unreachable[/]")
                continue
            sets = [rr for _k, rr in sorted(grouped[p.provider].get((name, rtype), {}).items())]
            # Values were read from the DNS provider: inert, whatever they hold.
            row.append(inert(" ".join(",".join(rr.values) + (f" w{rr.weight}" if rr.weight
                                                              else "") for rr in sets))
                       or "[dim](none)[/]")
        ok = report.agree[(name, rtype)]
        row.append("[green]yes[/]" if ok else "[red]NO[/]" if ok is False
                   else "[yellow]unknown[/]")
        table.add_row(*row)
    o.print(table)
    for p in report.providers:
        if p.error:   # the error names its provider
            o.print(f"[red]unreachable[/]: {inert(p.error)}")
    if not report.readable:
        o.print("[red]CRITICAL[/]: no DNS provider reachable, so what is served is unknown")
    m = report.last_move
    if m is None:
        o.print("No moves yet.")
    else:
        o.print(f"Last {m.kind}: {m.id} [bold]{m.shown_state}[/] at {_when(m.started)}: "
                f"{inert(m.summary or m.reason)}")
    if report.unfinished:
        o.print(f"[red]Move {m.id if m else '?'} did not finish[/] (pid {m.pid if m else '?'} "
                "is gone). Per provider, against what it serves now:")
        for s in report.unfinished:
            o.print(f"  {escape(s.step.provider)}: step '{s.step.state}', "
                    f"now [bold]{inert(s.now)}[/]")
        if m is not None:
            from cli.intent import redo, undo

            # The journaled intent (--off aws), not a plain 'failover move' that would plan
            # back to aws once it answers again (issue 20).
            o.print(f"Finish it with '{redo(m.kind, m.args, config_file(ctx))}' or undo it "
                    f"with '{undo(m.kind, m.id, config_file(ctx))}'.", markup=False)
    for s in report.unknown:
        o.print(f"{escape(s.step.provider)}: its write in {m.kind if m else 'move'} "
                f"{m.id if m else '?'} had no answer ({inert(s.step.error or '')}); "
                f"read again now: [bold]{inert(s.now)}[/]")
    o.print(f"Read {len(report.providers)} DNS providers in "
            f"{fmt_seconds(time.monotonic() - started)}.")
    return code


def history(ctx: typer.Context,
            move_id: Annotated[Optional[int], typer.Argument(  # noqa: UP045
                metavar="ID", help="Show one move in full: its steps and verifications.")] = None,
            limit: Annotated[int, typer.Option(metavar="N", help="How many moves to list.")] = 20,
            format: FormatOpt = Format.table) -> int:
    """List moves and rollbacks with their outcomes, newest first.

    With a cluster: etcd's shared history; when the cluster cannot be reached,
    this node's own journal, said first in one line, and exit 1.
    """
    from failover.engine import Engine

    config = load(ctx)
    engine = Engine(config)    # the journal, or etcd's shared history with cluster: set
    try:
        # A degraded answer (this node's journal only, the cluster unreachable) exits 1.
        code = 1 if _fall_back(engine) else 0
        if move_id is not None:
            return max(code, _one(engine, move_id, format))
        moves = engine.store.moves(limit=limit)
        where = engine.coord.where
    finally:
        engine.close()
    if format is Format.json:
        print_json([{"id": m.id, "kind": m.kind, "state": m.shown_state, "started": m.started,
                     "finished": m.finished, "reason": m.reason, "checksum": m.checksum,
                     "rollback_of": m.rollback_of, "summary": m.summary,
                     "node": m.args.get("node", m.host)} for m in moves])
        return code
    from rich.table import Table

    if not moves:
        out().print(f"No moves in {where}.")
        return code
    # Key columns stay whole; WHY is cut with an ellipsis (the full text is in
    # 'history ID' and --format json), and below 120 columns CHECKSUM is left out.
    wide = out().width >= 120
    rows = [[str(m.id), f"{m.kind} of {m.rollback_of}" if m.rollback_of else m.kind,
             _when(m.started), fmt_seconds(m.finished - m.started) if m.finished else "-",
             m.shown_state, *([m.checksum] if wide else []), m.reason] for m in moves]
    heads = ["ID", "KIND", "STARTED", "TOOK", "STATE", *(["CHECKSUM"] if wide else [])]
    widths = [max(len(col), *(len(row[i]) for row in rows)) for i, col in enumerate(heads)]
    table = Table(box=None, pad_edge=False, show_edge=False)
    for col, width in zip(heads, widths, strict=True):
        table.add_column(col, no_wrap=True, min_width=width)
    # What is left of the line, less two spaces between columns.
    why = max(12, out().width - sum(widths) - 2 * len(widths))
    table.add_column("WHY", no_wrap=True, overflow="ellipsis", max_width=why)
    for row in rows:
        # A move's reason quotes probes and vendors: shown as text, never read as markup.
        table.add_row(*row[:-1], inert(row[-1]))
    out().print(table, soft_wrap=False)   # fit the terminal (80 columns when piped)
    return code


def _fall_back(engine: Engine) -> str | None:
    """With the cluster out of reach, read this node's own journal, saying so in one line
    on stderr first (stdout stays the answer, parseable with --format json)."""
    degraded = engine.coord.fall_back()
    if degraded:
        from rich.markup import escape

        from cli.common import err

        err().print(f"[yellow]WARNING[/]: {escape(degraded)}")
    return degraded


def _one(engine: Engine, move_id: int, format: Format) -> int:
    from failover.errors import JournalError

    store = engine.store
    m = store.move(move_id)
    if m is None:
        raise JournalError(f"no move {move_id} in {engine.coord.where}; see 'failover history'")
    steps = store.steps(move_id)
    checks = store.verifications(move_id)
    from failover.notify.send import deliveries_for

    # Notices are journaled by the node that sent them, under its own journal's move id.
    local = next((j.id for j in engine.journal.moves(limit=1000)
                  if j.args.get("shared_id") == move_id), None) \
        if store is not engine.journal else move_id
    notices = deliveries_for(engine.journal, local) if local is not None else []
    if format is Format.json:
        print_json({"id": m.id, "kind": m.kind, "state": m.shown_state, "reason": m.reason,
                    "summary": m.summary, "started": m.started, "finished": m.finished,
                    "steps": [{"provider": s.provider, "vendor": s.vendor, "state": s.state,
                               "error": s.error, "changes": s.changes, "before": s.before}
                              for s in steps],
                    "verifications": checks, "notices": notices})
        return 0
    from rich.markup import escape

    o = out()
    o.print(f"[bold]{m.kind} {m.id}[/] {m.shown_state}: {inert(m.reason)}")
    o.print(f"  started {_when(m.started)}, finished {_when(m.finished)}, checksum {m.checksum}")
    for s in steps:
        o.print(f"  {escape(s.provider)} ({escape(s.vendor)}): {s.state}, {len(s.changes)} "
                "changes" + (f": {inert(s.error)}" if s.error else ""))
    for v in checks:
        mark = "[green]ok[/]" if v["ok"] else "[red]failed[/]"
        o.print(f"    verify {escape(v['provider'])} at {escape(v['authority'])}: {mark} after "
                f"{fmt_seconds(v['seconds'])}")
    if m.summary:
        o.print(f"  {inert(m.summary)}")
    for n in notices:
        mark = "[green]delivered[/]" if n["ok"] else f"[red]NOT delivered[/]: {inert(n['error'])}"
        o.print(f"  notice {escape(n['notice'])} to {escape(n['channel'])} "
                f"({escape(n['target'])}): {mark}")
    return 0
