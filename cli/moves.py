"""``failover plan``, ``failover move`` and ``failover rollback``: the commands that write DNS.

Each shows its plan first, then asks (unless --yes), and has --dry-run.
The lock is held from planning to the end of verification, so what is
applied is what was shown.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer

from cli.common import (
    Format,
    FormatOpt,
    config_file,
    err,
    fmt_seconds,
    inert,
    live,
    load,
    out,
    print_json,
    quiet,
    subscribe,
)
from cli.interrupt import EXIT_INTERRUPTED
from failover.configpath import DEFAULT_CONFIG

if TYPE_CHECKING:
    from cli.interrupt import Interrupts
    from failover.coord.base import Pin
    from failover.engine import Engine
    from failover.move import MoveResult
    from failover.plan import Plan, PlanLine

# Changes shown per DNS provider: a screen at 3 a.m., where 10,000 rows were a scroll.
PLAN_ROWS = 20

OffOpt = Annotated[Optional[list[str]], typer.Option(  # noqa: UP045 - typer needs Optional
    "--off", metavar="VENDOR", help="Evacuate every hosting of VENDOR whatever the probes say "
    "(repeatable). Its own DNS providers are still written where they answer; their failure "
    "does not fail the move.")]
ToOpt = Annotated[Optional[str], typer.Option(  # noqa: UP045
    "--to", metavar="HOSTING", help="Serve exactly this hosting, whatever the probes say.")]
SaasOpt = Annotated[Optional[str], typer.Option(  # noqa: UP045
    "--saas", metavar="DEPENDENCY", help="Switch this SaaS dependency to the provider --to "
    "names (hostings are kept as served). Dependencies at an --off vendor switch anyway.")]
YesOpt = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask; apply the plan shown.")]
DryOpt = Annotated[bool, typer.Option("--dry-run", help="Show the plan and stop.")]
ForceOpt = Annotated[bool, typer.Option(
    "--force", help="Apply even when the plan changes more than policy.max_change_fraction "
    "of the managed records, or would serve a DOWN or TERMINATED hosting (--to, rollback).")]
GlassOpt = Annotated[bool, typer.Option(
    "--break-glass", help="With cluster: set and etcd out of reach, move without the cluster "
    "lock. Watchers are not stopped; the move is journaled here and copied to etcd's shared "
    "history when it answers again.")]
SumOpt = Annotated[Optional[str], typer.Option(  # noqa: UP045
    "--checksum", metavar="SUM", help="Apply only if the plan's checksum is SUM (from a "
    "reviewed 'failover plan'); refuse if anything changed since.")]
FullOpt = Annotated[bool, typer.Option(
    "--full", help=f"List every change; by default each DNS provider shows its first "
    f"{PLAN_ROWS} and counts the rest (--format json always lists them all).")]
RollbackSumOpt = Annotated[Optional[str], typer.Option(  # noqa: UP045
    "--checksum", metavar="SUM", help="Apply only if the rollback plan's checksum is SUM: "
    "the 'Checksum:' line of a reviewed 'failover rollback --dry-run' (with the same ID); "
    "refuse if anything changed since.")]


def register(app: typer.Typer) -> None:
    app.command()(plan)
    app.command()(move)
    app.command()(rollback)


def plan(ctx: typer.Context, off: OffOpt = None, to: ToOpt = None, saas: SaasOpt = None,
         full: FullOpt = False, format: FormatOpt = Format.table,
         detailed_exitcode: Annotated[bool, typer.Option(
             "--detailed-exitcode", help="Exit as Terraform's plan does: 0 no changes, "
             "1 an error, 2 changes present.")] = False) -> int:
    """Show what a move would change at every DNS provider, and its checksum. Writes nothing.

    Every provider with changes first proves our write credentials (a write
    that changes nothing). Exit 0 when every provider could be planned, 1 when
    one could not be read, 2 when nothing is healthy (the plan keeps what is
    served) or the plan needs --force (a provider refuses our credentials).
    """
    from failover.engine import Engine
    from failover.errors import FailoverError
    from failover.exitcodes import PLAN_CHANGES, PLAN_ERROR, PLAN_NO_CHANGES

    try:
        engine = subscribe(Engine(load(ctx)))
        try:
            p = _make_plan(engine, off or [], *_saas_request(saas, to))
        finally:
            engine.close()
    except FailoverError as exc:
        if not detailed_exitcode:
            raise
        from failover.untrusted import clean

        sys.stderr.write(f"failover: {clean(exc, 4000)}\n")
        return PLAN_ERROR
    _show_plan(p, format, full)
    if detailed_exitcode:
        # A provider that could not be read or refuses our credentials leaves the plan
        # incomplete: "no changes" would be a guess, so it is Terraform's error.
        incomplete = p.refusals or any(not pp.reachable and not pp.tolerated
                                       for pp in p.providers)
        return PLAN_ERROR if incomplete else PLAN_NO_CHANGES if p.empty else PLAN_CHANGES
    return _plan_exit(p)


def move(ctx: typer.Context, off: OffOpt = None, to: ToOpt = None, saas: SaasOpt = None,
         yes: YesOpt = False,
         dry_run: DryOpt = False, force: ForceOpt = False, checksum: SumOpt = None,
         break_glass: GlassOpt = False, full: FullOpt = False,
         format: FormatOpt = Format.table) -> int:
    """Plan, confirm, write every live DNS provider at once, verify at each authoritative server.

    Without --off/--to the policy decides from fresh checks. One failing
    provider does not stop the others; the result names each. Before-images
    are journaled first: 'failover rollback' restores them. A move pins its
    decision: watchers leave it alone for pins.move_expires (30 min) or until
    'failover resume', unless what it serves goes DOWN. Ctrl-C while writing: the
    writes under way finish and are verified, then the summary and the undo command;
    Ctrl-C again stops waiting and prints what is split.
    """
    from cli.interrupt import Interrupts
    from failover.engine import Engine

    engine = subscribe(Engine(load(ctx)))
    with Interrupts("move") as stop, _closing(engine, stop):
        if break_glass and engine.config.cluster is not None:
            err().print("[bold red]BREAK GLASS[/]: moving WITHOUT the cluster lock. Watchers "
                        "and other operators are not stopped; make sure nobody else moves. "
                        "This move is journaled here and copied to etcd when it answers.")
        with engine.lock(break_glass=break_glass):
            started = time.monotonic()
            p = _make_plan(engine, off or [], *_saas_request(saas, to))
            args = {"off": sorted(off or []), "to": to, "force": force,
                    "break_glass": break_glass, **({"saas": saas} if saas else {})}
            return _apply(engine, p, kind="move", format=format, yes=yes, dry_run=dry_run,
                          force=force, full=full, checksum=checksum, reason=p.decision.reason,
                          args=args, after=lambda r: _pin(engine, r),
                          planning=time.monotonic() - started, stop=stop,
                          config=config_file(ctx))


def rollback(ctx: typer.Context,
             move_id: Annotated[Optional[int], typer.Argument(  # noqa: UP045
                 metavar="ID", help="The move to undo (see 'failover history'); default: the "
                 "newest move not yet rolled back.")] = None,
             yes: YesOpt = False, dry_run: DryOpt = False, force: ForceOpt = False,
             checksum: RollbackSumOpt = None, full: FullOpt = False,
             format: FormatOpt = Format.table) -> int:
    """Restore the answers every DNS provider served before a move (its journaled before-images)."""
    from cli.interrupt import Interrupts
    from failover.engine import Engine

    engine = subscribe(Engine(load(ctx)))
    with Interrupts("rollback") as stop, _closing(engine, stop), engine.lock():
        target = engine.rollback_target(move_id)
        p = engine.rollback_plan(target)
        return _apply(engine, p, kind="rollback", format=format, yes=yes, dry_run=dry_run,
                      force=force, full=full, checksum=checksum, rollback_of=target.id,
                      reason=f"roll back move {target.id}", args={"move": target.id},
                      after=lambda r: _pin(engine, r), stop=stop,
                      config=config_file(ctx))


@contextmanager
def _closing(engine: Engine, stop: Interrupts | None = None) -> Iterator[Engine]:
    """Close the engine inside the Ctrl-C handling, so that a Ctrl-C while it waits never
    turns a move's outcome into 130. What it waits for (notices, the page: bounded) is
    said first in one line, then how long the person waited in all."""
    from cli.common import still_sending
    from cli.interrupt import LeaveWaiting

    try:
        yield engine
    finally:
        waiting, bound = still_sending(engine)
        if waiting:
            err().print(f"waiting up to {bound:g} s for {', '.join(waiting)} (Ctrl-C stops "
                        "waiting; the outcome stands)", markup=False, soft_wrap=True)
        if stop is not None:
            stop.closing = stop.finished
        try:
            engine.close()
        except LeaveWaiting:
            pass
        finally:
            if stop is not None:
                stop.closing = False
        if waiting and stop is not None and stop.finished:
            err().print(f"took {fmt_seconds(time.monotonic() - stop.started)} in all (wall "
                        "time, the wait included)", markup=False)


# -- the shared path -------------------------------------------------------------------

def _saas_request(saas: str | None, to: str | None) -> tuple[str | None, dict[str, str] | None]:
    """(--to as a hosting, the SaaS switch asked for): with --saas, --to names its provider."""
    if saas is None:
        return to, None
    if to is None:
        from failover.errors import ConfigError

        raise ConfigError(f"--saas {saas} needs --to PROVIDER: the provider to switch to")
    return None, {saas: to}


def _make_plan(engine: Engine, off: list[str], to: str | None,
               saas: dict[str, str] | None = None) -> Plan:
    with live(engine, "checking hostings and reading every DNS provider..."):
        return engine.plan(off=off, to=to, saas=saas)


def _pin(engine: Engine, result: MoveResult) -> Pin | None:
    """A person's move or rollback pins its decision (still under the lock, so no watcher
    can slip a move in between)."""
    if result.state == "failed":
        return None
    from failover.coord.base import Holder, Pin

    holder = Holder.me(engine.coord.node)
    # It expires (pins.move_expires): a decision taken in an incident never switches
    # automatic failover off for good.
    pin = Pin(holder, f"{result.kind} {result.move_id}", result.move_id,
              until=holder.since + engine.config.pins.move_expires)
    engine.coord.set_pin(pin)
    return pin


def _apply(engine: Engine, p: Plan, *, kind: str, format: Format, yes: bool, dry_run: bool,
           force: bool, checksum: str | None, reason: str, args: dict[str, Any],
           full: bool = False, rollback_of: int | None = None,
           after: Callable[[MoveResult], Pin | None] | None = None,
           planning: float | None = None, stop: Interrupts | None = None,
           config: Path | None = None) -> int:
    from failover.errors import ChecksumMismatch, ConfigError

    as_json = format is Format.json
    if not as_json:
        _show_plan(p, format, full)
    if checksum is not None and checksum != p.checksum:
        raise ChecksumMismatch(f"the plan is now {p.checksum}, not the reviewed {checksum}: "
                               "something changed since; run 'failover plan' and review again")
    if p.decision.keep and kind == "move" and not args.get("saas"):
        if as_json:
            print_json({"plan": p.to_json(), "result": None})
        err().print(f"[red]CRITICAL[/]: {inert(p.decision.reason)}; nothing written")
        return 2
    if p.empty and not engine.saas_webhooks_pending:
        if as_json:
            print_json({"plan": p.to_json(), "result": None})
        else:
            out().print("Nothing to change: every reachable DNS provider already serves this.")
        return _plan_exit(p)
    engine.check_safety(p, force=force)
    if dry_run:
        if as_json:
            print_json({"plan": p.to_json(), "result": None})
        else:
            out().print("Dry run: nothing written.")
        return 0
    if not yes:
        if not sys.stdin.isatty():
            from failover.errors import Refused

            raise Refused("not a terminal, so nobody can confirm: pass --yes to apply "
                                f"this plan (checksum {p.checksum}), or --dry-run")
        if not typer.confirm(f"Apply this plan (checksum {p.checksum})?", default=False):
            out().print("Nothing written.")
            from failover.errors import EXIT_REFUSED

            return EXIT_REFUSED
    try:
        if stop is not None:
            stop.arm()
        result = engine.move(p, kind=kind, reason=reason, args=args, rollback_of=rollback_of,
                             on_event=None if quiet() or as_json else _progress,
                             cancel=stop.cancel if stop else None,
                             abandon=stop.abandon if stop else None)
        if stop is not None:
            stop.finish()
    except ConfigError:
        raise
    pin = after(result) if after is not None else None
    if as_json:
        print_json({"plan": p.to_json(), "result": result.to_json()})
    else:
        _show_result(result, planning, pin,
                     wall=time.monotonic() - stop.started if stop is not None else None)
    if result.interrupted:
        return _interrupted(result, args, config or Path(DEFAULT_CONFIG), stop)
    if not as_json:
        _undo_line(result, config or Path(DEFAULT_CONFIG))
    return result.exit_code


def _interrupted(r: MoveResult, args: dict[str, Any], config: Path,
                 stop: Interrupts | None = None) -> int:
    """After a Ctrl-C: what is split, the command that finishes the move and the one that
    undoes it (on stderr, as the interrupt's own lines are); 130 when the interrupt left
    something unwritten or unverified, else the move's own code (it completed)."""
    from cli.intent import redo, undo
    from failover.move import LEFT_BEHIND, NOT_STARTED

    written = [s.provider for s in r.steps if s.state == "applied"]
    # Left unwritten by the interrupt (an evacuated vendor's provider too: it still
    # serves the old answers), or not written for a reason of its own.
    behind = [s.provider for s in r.steps if s.state != "applied" and s.changes
              and (s.error in (NOT_STARTED, LEFT_BEHIND) or not s.tolerated)]
    e = err()
    if written and behind:
        e.print(f"[red]DNS is split[/]: written {', '.join(written)}; not written (or "
                f"unknown) {', '.join(behind)}", markup=True, soft_wrap=True)
    elif behind:
        e.print("Interrupted before any write landed: DNS is as it was.")
    if behind:
        e.print(f"Finish it with: {redo(r.kind, args, config)}", markup=False, soft_wrap=True)
    if written:
        e.print(f"Undo with: {undo(r.kind, r.move_id, config)}", markup=False,
                soft_wrap=True)
    unverified = any(s.written and not s.verified for s in r.steps if s.state == "applied")
    if stop is not None:
        stop.left_behind = any(s.error == LEFT_BEHIND for s in r.steps)
    return EXIT_INTERRUPTED if behind or unverified else r.exit_code


def _undo_line(r: MoveResult, config: Path) -> None:
    from cli.intent import undo

    if r.state != "failed" and any(s.state == "applied" for s in r.steps):
        out().print(f"Undo with: {undo(r.kind, r.move_id, config)}", markup=False,
                    soft_wrap=True)


def _plan_exit(p: Plan) -> int:
    from failover.engine import HOSTINGS_KEPT

    if (p.decision.keep and not p.decision.reason.startswith(("roll back", HOSTINGS_KEPT))) \
            or p.refusals:
        return 2
    # A DNS provider that does not answer is CRITICAL, as in check (issue 20); one at a
    # vendor being evacuated is tolerated.
    return 2 if any(not pp.reachable and not pp.tolerated for pp in p.providers) else 0


def _progress(kind: str, data: dict[str, Any]) -> None:
    from rich.markup import escape

    e = err()
    if kind == "apply-start":
        e.print(f"  writing {escape(data['provider'])}: {data['changes']} changes...")
    elif kind == "apply-done":
        e.print(f"  [green]written[/] {escape(data['provider'])} in "
                f"{fmt_seconds(data['seconds'])}")
    elif kind == "apply-failed" and data.get("unknown"):
        e.print(f"  [yellow]outcome unknown[/] {escape(data['provider'])}: "
                f"{inert(data['error'])}")
    elif kind == "apply-failed":
        style = "yellow" if data.get("tolerated") else "red"
        e.print(f"  [{style}]not written[/] {escape(data['provider'])}: {inert(data['error'])}")
    elif kind == "verified":
        e.print(f"  [green]verified[/] {escape(data['provider'])} at "
                f"{escape(data['authority'])} after "
                f"{fmt_seconds(data['seconds'])}")
    elif kind == "verify-failed":
        e.print(f"  [red]not verified[/] {escape(data['provider'])} at "
                f"{escape(data['authority'])}: {inert(data['detail'])}")


# -- rendering -----------------------------------------------------------------------------

_STYLE = {"+": "green", "~": "yellow", "-": "red"}


def _show_plan(p: Plan, format: Format, full: bool = False) -> None:
    if format is Format.json:
        print_json(p.to_json())
        return
    from failover.plan import plan_lines

    # One print for the whole plan: with --full a bulk move has thousands of lines.
    out().print("\n".join(_markup(line) for line in plan_lines(p, None if full else PLAN_ROWS)))


def _markup(line: PlanLine) -> str:
    """One plan line in rich markup; what came from the plan is escaped (weighted keys
    print as "[set]", not markup)."""
    from rich.markup import escape

    head = f"[bold]{escape(line.provider)}[/] ({escape(line.vendor)})"
    match line.kind:
        case "header":
            return f"[bold]Plan for {line.zone}[/]: {escape(line.text)}"
        case "warning":
            return f"[yellow]warning[/]: {escape(line.text)}"
        case "refusal":
            return f"[red]needs --force[/]: {escape(line.text)}"
        case "provider":
            return head
        case "unreachable":
            return (f"{head}  [red]unreachable[/]: {inert(line.text)} "
                    f"[dim]({escape(line.note)})[/]")
        case "no-changes":
            return f"{head}  [dim]no changes[/]"
        case "change":
            return (f"  [{_STYLE[line.mark]}]{line.mark} {escape(line.key):<{line.width}}[/]  "
                    f"{escape(line.values)}  [dim]{line.ttl}[/]")
        case "more":
            return (f"  [dim]... and {line.text} more (--full lists every change, "
                    "--format json too)[/]")
        case "totals":
            return f"[bold]Totals[/]: {line.text}" + (f" ({line.note})" if line.note else "")
        case "checksum":
            # 78 columns with a 16-digit checksum.
            return (f"Checksum: [bold]{line.text}[/]; to apply exactly this: --checksum "
                    f"{line.text}")


def _show_result(r: MoveResult, planning: float | None = None, pin: Pin | None = None, *,
                 wall: float | None = None) -> None:
    """``planning``: the seconds spent planning, said beside the move's own so the summary
    gives the whole command's time (a slow provider is felt there, not in the writes)."""
    from rich.markup import escape
    from rich.table import Table
    from rich.text import Text

    o = out()
    rows: list[list[str]] = []
    problems: list[str] = []
    for s in r.steps:
        style = {"applied": "green", "unchanged": "dim", "failed": "red",
                 "unreachable": "red", "unknown": "yellow"}[s.state]
        if s.tolerated and not s.written:
            style = "yellow"
        write = f"[{style}]{s.state}{' (tolerated)' if s.tolerated and not s.written else ''}[/]"
        took = fmt_seconds(s.apply_seconds) if s.state == "applied" else "-"
        if not s.verifications:
            rows.append([escape(s.provider), escape(s.vendor), write, took, "-", "-"])
            if s.error:
                problems.append(f"[red]{escape(s.provider)}[/]: {inert(s.error)}")
        for i, v in enumerate(s.verifications):
            conv = (f"[green]{fmt_seconds(v.seconds)}[/]" if v.ok
                    else f"[red]{inert(v.detail)}[/]")
            if not v.ok:
                problems.append(f"[red]{escape(s.provider)}[/] at {escape(v.authority)}: "
                                f"{inert(v.detail)}")
            first = [escape(s.provider), escape(s.vendor), write, took] if i == 0 else [""] * 4
            rows.append([*first, escape(v.authority), conv])
    heads = ["PROVIDER", "VENDOR", "WRITE", "TOOK", "VERIFIED AT"]
    widths = [max(len(h), *(Text.from_markup(row[i]).cell_len for row in rows))
              for i, h in enumerate(heads)]
    if o.width - sum(widths) - 2 * len(widths) < 12:   # narrow: VENDOR is the one to spare
        del heads[1], widths[1]
        rows = [row[:1] + row[2:] for row in rows]
    table = Table(box=None, pad_edge=False, show_edge=False)
    for head, width in zip(heads, widths, strict=True):
        table.add_column(head, no_wrap=True, min_width=width)
    # A failed verification's reason is cut here and said in full below the table.
    left = max(9, o.width - sum(widths) - 2 * len(widths))
    table.add_column("CONVERGED", no_wrap=True, overflow="ellipsis", max_width=left)
    for row in rows:
        table.add_row(*row)
    o.print(table, soft_wrap=False)   # fit the terminal (80 columns when piped)
    for line in problems:
        o.print(line, soft_wrap=False)
    for s in r.steps:
        if s.state == "unknown" and s.verifications:   # the table shows the verification
            o.print(f"[yellow]{escape(s.provider)}[/]: {inert(s.error or '')}")
    colour = "green" if r.exit_code == 0 else "yellow" if r.exit_code == 1 else "red"
    # The summary opens with "<kind> <state> in <seconds>" (for the journal); said once here.
    details = r.summary.split("; ", 1)[1] if "; " in r.summary else ""
    o.print(f"[{colour}]{r.kind} {r.move_id} {r.state}[/] in {fmt_seconds(r.seconds)}"
            + (f": {inert(details)}" if details else ""))
    if planning is not None:   # its own line: the summary above is already long
        # "in all" is the wall time the person has waited so far (start-up, planning, the
        # prompt, the writes), not a sum of the parts that were timed.
        total = wall if wall is not None else planning + r.seconds
        o.print(f"{fmt_seconds(total)} in all, {fmt_seconds(planning)} of it "
                "planning (checks and reads)")
    if r.state != "failed" and pin is not None:
        o.print(f"Pinned: watchers leave this decision alone {pin.expiry()}.")
