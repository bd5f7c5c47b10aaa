"""``failover delegation plan|move|rollback``: the zone's NS set at the registrar, off a vendor.

Like ``move``: the plan is shown first, ``move`` asks unless --yes, has --dry-run and
--checksum, journals before writing, and ``rollback`` restores the journaled NS sets.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer

from cli.common import (
    Format,
    FormatOpt,
    config_file,
    err,
    inert,
    load,
    out,
    print_json,
    quiet,
)
from cli.interrupt import EXIT_INTERRUPTED, Interrupts
from cli.moves import DryOpt, YesOpt
from failover.configpath import DEFAULT_CONFIG

if TYPE_CHECKING:
    from failover.config import Config
    from failover.delegation import DelegationPlan, DelegationResult
    from failover.registrars.base import Registrar

delegation_app = typer.Typer(
    help="Move the zone's delegation (its NS set at each registrar) off a vendor, and back.",
    no_args_is_help=True)

OffOpt = Annotated[list[str], typer.Option(
    "--off", metavar="VENDOR", help="Remove this vendor's name servers (repeatable).")]
ForceOpt = Annotated[bool, typer.Option(
    "--force", help="Apply even if fewer than two name servers, or name servers of only one "
    "vendor, would be left (never an empty set).")]

DelegationSumOpt = Annotated[Optional[str], typer.Option(  # noqa: UP045 - typer needs Optional
    "--checksum", metavar="SUM", help="Apply only if the delegation plan's checksum is SUM "
    "(the 'Checksum:' line of a reviewed 'failover delegation plan' with the same --off); "
    "refuse if anything changed since.")]
DelegationRollbackSumOpt = Annotated[Optional[str], typer.Option(  # noqa: UP045
    "--checksum", metavar="SUM", help="Apply only if the rollback's checksum is SUM (the "
    "'Checksum:' line of a reviewed 'failover delegation rollback --dry-run' with the same "
    "ID); refuse if anything changed since.")]


def register(app: typer.Typer) -> None:
    app.add_typer(delegation_app, name="delegation")


def _registrars(config: Config) -> dict[str, Registrar]:
    from failover.errors import ConfigError
    from failover.registrars import make_registrar

    if config.delegation is None or not config.delegation.registrars:
        raise ConfigError("no registrars: add delegation.registrars (kind rfc2136, "
                          "route53domains or plugin) to say where the NS set is written",
                          file=config.source, key="delegation")
    return {name: make_registrar(name, config) for name in config.delegation.registrars}


@delegation_app.command("plan")
def plan(ctx: typer.Context, off: OffOpt, format: FormatOpt = Format.table) -> int:
    """Show each registrar's NS set without VENDOR's name servers; write nothing.
    Exit 0; 1 if a registrar cannot be read or --force would be needed; 2 if the plan
    could never be applied (an empty NS set)."""
    from failover.delegation import plan as make_plan
    from failover.engine import Engine

    config = load(ctx)
    engine = Engine(config)
    registrars = _registrars(config)
    try:
        p = make_plan(config, {n: engine.provider(n) for n in config.dns}, registrars, off)
    finally:
        _close(engine, registrars)
    if format is Format.json:
        print_json(p.to_json())
    else:
        _show_plan(p)
    if p.blockers:
        return 2
    return 1 if p.refusals or any(r.error for r in p.registrars) else 0


@delegation_app.command("move")
def move(ctx: typer.Context, off: OffOpt, yes: YesOpt = False, dry_run: DryOpt = False,
         force: ForceOpt = False, checksum: DelegationSumOpt = None,
         format: FormatOpt = Format.table) -> int:
    """Write each registrar's NS set without VENDOR's name servers, verify at the parent."""
    from failover.delegation import plan as make_plan
    from failover.engine import Engine

    config = load(ctx)
    engine = Engine(config)
    registrars = _registrars(config)
    with Interrupts("delegation move") as stop:
        try:
            with engine.lock("failover delegation move"):
                p = make_plan(config, {n: engine.provider(n) for n in config.dns},
                              registrars, off)
                return _apply(engine, config, p, registrars, yes=yes, dry_run=dry_run,
                              force=force, checksum=checksum, format=format,
                              kind="delegation", args={"off": sorted(off), "force": force},
                              stop=stop, config_path=config_file(ctx))
        finally:
            _close(engine, registrars)


@delegation_app.command("rollback")
def rollback(ctx: typer.Context,
             move_id: Annotated[Optional[int], typer.Argument(  # noqa: UP045
                 metavar="ID",
                 help="The delegation move to undo; default: the newest not yet undone.")
             ] = None,
             yes: YesOpt = False, dry_run: DryOpt = False,
             checksum: DelegationRollbackSumOpt = None,
             format: FormatOpt = Format.table) -> int:
    """Restore the NS sets a delegation move replaced (its journaled before-images)."""
    from failover.delegation import rollback_plan, rollback_target
    from failover.engine import Engine

    config = load(ctx)
    engine = Engine(config)
    registrars = _registrars(config)
    with Interrupts("delegation rollback") as stop:
        try:
            with engine.lock("failover delegation rollback"):
                target = rollback_target(engine.store, move_id)
                p = rollback_plan(config, engine.store, target, registrars)
                return _apply(engine, config, p, registrars, yes=yes, dry_run=dry_run,
                              force=True, checksum=checksum, format=format,
                              kind="delegation-rollback", args={"move": target.id},
                              rollback_of=target.id, stop=stop,
                              config_path=config_file(ctx))
        finally:
            _close(engine, registrars)


def _apply(engine: Any, config: Config, p: DelegationPlan, registrars: dict[str, Registrar],
           *, yes: bool, dry_run: bool, force: bool, checksum: str | None, format: Format,
           kind: str, args: dict[str, Any], rollback_of: int | None = None,
           stop: Interrupts | None = None, config_path: Path | None = None) -> int:
    from failover.delegation import apply, check_safety
    from failover.errors import EXIT_REFUSED, ChecksumMismatch, Refused

    as_json = format is Format.json
    if not as_json:
        _show_plan(p)
    if checksum is not None and checksum != p.checksum:
        raise ChecksumMismatch(f"the delegation plan is now {p.checksum}, not the reviewed "
                               f"{checksum}: something changed since; plan and review again")
    if p.empty:
        if as_json:
            print_json({"plan": p.to_json(), "result": None})
        else:
            out().print("Nothing to change: every registrar already holds this NS set.")
        return 1 if any(r.error for r in p.registrars) else 0
    check_safety(p, force=force)
    if dry_run:
        if as_json:
            print_json({"plan": p.to_json(), "result": None})
        else:
            out().print("Dry run: nothing written.")
        return 0
    if not yes:
        if not sys.stdin.isatty():
            raise Refused("not a terminal, so nobody can confirm: pass --yes to apply "
                          f"this plan (checksum {p.checksum}), or --dry-run")
        if not typer.confirm(f"Apply this plan (checksum {p.checksum})?", default=False):
            out().print("Nothing written.")
            return EXIT_REFUSED
    verify = config.verify
    if stop is not None:
        stop.arm()
    result = apply(p, registrars, engine.store, engine.clock, config, kind=kind, args=args,
                   rollback_of=rollback_of, verify_timeout=verify.timeout,
                   verify_interval=verify.interval,
                   on_event=None if quiet() or as_json else _progress,
                   cancel=stop.cancel if stop else None, abandon=stop.abandon if stop else None)
    if stop is not None:
        stop.finish()
    if as_json:
        print_json({"plan": p.to_json(), "result": result.to_json()})
    else:
        _show_result(result)
    if result.interrupted:
        return _interrupted(result, args, config_path or Path(DEFAULT_CONFIG))
    return result.exit_code


def _progress(kind: str, data: dict[str, Any]) -> None:
    """A registrar's write as it ends (on a terminal): when it is split, the line says so."""
    if kind == "registrar":
        state = str(data.get("state"))
        said = "written" if state == "applied" else f"not written ({inert(data.get('error'))})"
        err().print(f"  {said} {inert(data.get('registrar'))}")


def _interrupted(r: DelegationResult, args: dict[str, Any], config: Path) -> int:
    """After a Ctrl-C: which registrars hold which NS set, and the commands that finish
    and undo it; 130 when a registrar was left unwritten or unverified."""
    from cli.intent import config_flag

    written = [s.registrar for s in r.steps if s.state == "applied"]
    behind = [s.registrar for s in r.steps if s.state == "failed"]
    e = err()
    if written and behind:
        e.print(f"[red]The registrars are split[/]: written {', '.join(written)}; not "
                f"written {', '.join(behind)}")
    flag = config_flag(config)
    if behind and r.kind == "delegation":
        offs = " ".join(f"--off {v}" for v in args.get("off") or [])
        e.print(f"Finish it with: failover{flag} delegation move {offs}", markup=False)
    elif behind:
        e.print(f"Finish it with: failover{flag} delegation rollback {args.get('move')}",
                markup=False)
    if written:
        e.print(f"Undo with: failover{flag} delegation rollback {r.move_id}", markup=False)
    unverified = any(s.state == "applied" and not s.verified for s in r.steps)
    return EXIT_INTERRUPTED if behind or unverified else r.exit_code


def _show_plan(p: DelegationPlan) -> None:
    from rich.markup import escape

    o = out()
    o.print(f"Delegation of {escape(p.zone)}: {inert(p.reason)}")
    for r in p.registrars:
        o.print(f"[bold]{escape(r.label)}[/]")
        if r.before is None or r.after is None:
            o.print(f"  [red]unreachable[/]: {inert(r.error or '')}")
            continue
        width = max((len(n) for n in {*r.before, *r.after}), default=0)
        for n in sorted({*r.before, *r.after}):
            mark, style = (("-", "red") if n not in r.after else ("+", "green")
                           if n not in r.before else ("=", "dim"))
            vendor = p.owners.get(n, "?") if p.owners else ""
            o.print(f"  [{style}]{mark} {escape(n):<{width}}[/]  [dim]{escape(vendor)}[/]")
        if not r.changed:
            o.print("  [dim]no changes[/]")
    removed = sum(len(set(r.before) - set(r.after)) for r in p.registrars
                  if r.before is not None and r.after is not None)
    added = sum(len(set(r.after) - set(r.before)) for r in p.registrars
                if r.before is not None and r.after is not None)
    for w in p.warnings:
        err().print(f"[yellow]WARNING[/]: {escape(w)}")
    for w in p.refusals:
        err().print(f"[red]REFUSED without --force[/]: {escape(w)}")
    for w in p.blockers:
        err().print(f"[red]REFUSED[/]: {escape(w)}")
    o.print(f"[bold]Totals[/]: {removed} name servers to remove, {added} to add at "
            f"{sum(r.changed for r in p.registrars)} registrars")
    o.print(f"Checksum: [bold]{p.checksum}[/]  (apply exactly this with --checksum "
            f"{p.checksum})")


def _show_result(r: DelegationResult) -> None:
    from rich.markup import escape

    o = out()
    for s in r.steps:
        style = {"applied": "green", "unchanged": "dim"}.get(s.state, "red")
        verified = "[green]verified[/]" if s.verified else "[red]not verified[/]"
        o.print(f"  {s.registrar:<14} [{style}]{s.state:<11}[/] "
                f"{verified if s.state in ('applied', 'unchanged') else inert(s.error or '')}"
                + (f"  [dim]{inert(s.detail)}[/]" if not s.verified and s.detail else ""))
    for server, ok, detail in r.parent:
        said = "[green]lists the new set[/]" if ok else f"[red]{inert(detail)}[/]"
        o.print(f"  parent {escape(server):<14} {said}")
    colour = "green" if r.exit_code == 0 else "yellow" if r.exit_code == 1 else "red"
    details = r.summary.split("; ", 1)[1] if "; " in r.summary else ""
    o.print(f"[{colour}]{r.kind} {r.move_id} {r.state}[/]"
            + (f": {inert(details)}" if details else ""))
    if r.kind == "delegation" and r.state != "failed" and not r.interrupted:
        o.print(f"Undo with: failover delegation rollback {r.move_id}")


def _close(engine: Any, registrars: dict[str, Registrar]) -> None:
    for registrar in registrars.values():
        registrar.close()
    engine.close()
