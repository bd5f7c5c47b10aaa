"""``failover certs issue|renew|status``: standby certificates through ACME DNS-01.

The challenge tokens are written at every DNS provider by the move's own path (journaled
as moves of kind ``acme-challenge``, verified at every authority) and withdrawn the same
way; they touch only ``_acme-challenge`` names, never a managed record, so there is no
prompt: ``--dry-run`` shows what would be asked for and written where.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from cli.common import Format, FormatOpt, inert, load, out, print_json

if TYPE_CHECKING:
    from failover.certs.issue import Issued

certs_app = typer.Typer(
    help="Standby certificates from any configured ACME CA through DNS-01: issue, renew, "
         "and what is on hand.",
    no_args_is_help=True)

CaOpt = Annotated[Optional[str], typer.Option(  # noqa: UP045 - typer needs Optional
    "--ca", metavar="NAME", help="The CA (a key of certs.cas); default: certs.standby_ca, "
    "else the first.")]
NameOpt = Annotated[Optional[list[str]], typer.Option(  # noqa: UP045
    "--name", metavar="NAME", help="A name to certify (repeatable); default: certs.names, "
    "else every managed record's name.")]
DryOpt = Annotated[bool, typer.Option(
    "--dry-run", help="Say which CA, names, DNS providers and targets; ask and write "
    "nothing.")]


def register(app: typer.Typer) -> None:
    app.add_typer(certs_app, name="certs")


@certs_app.command("issue")
def issue(ctx: typer.Context, ca: CaOpt = None, name: NameOpt = None, dry_run: DryOpt = False,
          format: FormatOpt = Format.table) -> int:
    """Take a certificate from CA for the names: tokens written and verified at every DNS
    provider, then validated, then withdrawn; kept at every target. Exit 0; 1 if a
    target or the withdrawal failed; 2 if no certificate; 3 on a bad config."""
    from failover.certs import issue as certs
    from failover.certs.names import certified_names
    from failover.certs.store import where
    from failover.engine import Engine

    config = load(ctx)
    chosen = certs.choose_ca(config, ca)
    names = certified_names(config, name or ())
    if dry_run:
        providers = sorted(config.dns)
        targets = [where(t) for t in certs.settings(config).targets]
        if format is Format.json:
            print_json({"ca": chosen, "names": names, "providers": providers,
                        "targets": targets, "result": None})
        else:
            o = out()
            o.print(f"Would ask CA {inert(chosen)} for: {inert(', '.join(names))}")
            o.print(f"  _acme-challenge TXT at: {inert(', '.join(providers))}")
            o.print(f"  kept at: {inert(', '.join(targets))}")
            o.print("Dry run: nothing asked, nothing written.")
        return 0
    engine = Engine(config)
    try:
        result = certs.issue(engine, chosen, names)
    finally:
        engine.close()
    if format is Format.json:
        print_json({"ca": chosen, "names": names, "result": result.to_json(time.time())})
    else:
        out().print(f"Certificate from {inert(chosen)}, "
                    f"{(result.not_after - time.time()) / 86400:.0f} days left")
        _show_issued(result)
    if not result.saved:
        return 2
    return 1 if result.failed or result.withdraw_error else 0


@certs_app.command("renew")
def renew(ctx: typer.Context, format: FormatOpt = Format.table) -> int:
    """Issue again, from the same CA, every certificate on hand under certs.min_days.
    Exit 0 (nothing due, or all renewed); 2 if one could not be renewed."""
    from failover.certs.issue import renew as renew_all
    from failover.engine import Engine

    engine = Engine(load(ctx))
    try:
        rows = renew_all(engine)
    finally:
        engine.close()
    now = time.time()
    if format is Format.json:
        print_json({"renewals": [
            {"ca": r.ca, "lineage": r.lineage, "days_left": round(r.days_left, 1),
             "issued": r.issued.to_json(now) if r.issued else None, "error": r.error}
            for r in rows]})
    else:
        o = out()
        if not rows:
            o.print("Nothing to renew: every certificate on hand has at least "
                    f"{engine.config.certs.min_days if engine.config.certs else 21} days left.")
        for r in rows:
            head = f"{inert(r.ca)} {inert(r.lineage)} ({r.days_left:.0f} days left)"
            if r.issued:
                o.print(f"{head}: renewed")
                _show_issued(r.issued)
            else:
                o.print(f"{head}: [red]NOT renewed[/]: {inert(r.error or '')}")
    return 2 if any(r.error for r in rows) else 0


@certs_app.command("status")
def status(ctx: typer.Context, format: FormatOpt = Format.table) -> int:
    """Every certificate on hand: where, from which CA, its names, issuer and days left.
    Exit 0; 1 if one is under certs.min_days or a target cannot be read; 2 if one has
    expired or none is on hand."""
    from failover.certs.issue import settings
    from failover.certs.store import on_hand

    config = load(ctx)
    certs = settings(config)
    found = on_hand(config)
    now = time.time()
    if format is Format.json:
        print_json({"min_days": certs.min_days,
                    "certificates": [c.to_json(now) for c in found.certs],
                    "unreadable": found.unreadable})
    else:
        o = out()
        if not found.certs:
            o.print("No certificate on hand: run 'failover certs issue'.")
        width = max((len(c.target) for c in found.certs), default=0)
        for c in found.certs:
            if c.error:
                o.print(f"{inert(c.target):<{width}}  {inert(c.ca)}/{inert(c.lineage)}  "
                        f"[red]{inert(c.error)}[/]")
                continue
            days = c.days_left(now)
            colour = "red" if days < 0 else "yellow" if days < certs.min_days else "green"
            o.print(f"{inert(c.target):<{width}}  {inert(c.ca):<10} "
                    f"[{colour}]{days:6.1f} days[/]  {inert(c.issuer)}  "
                    f"{inert(', '.join(c.names))}")
        for why in found.unreadable.values():
            o.print(f"[red]unreadable[/]: {inert(why)}")
    days_left = [c.days_left(now) for c in found.certs if not c.error]
    if not days_left or min(days_left) < 0:
        return 2
    if min(days_left) < certs.min_days or found.unreadable or any(c.error for c in found.certs):
        return 1
    return 0


def _show_issued(r: Issued) -> None:
    o = out()
    timing = ", ".join(f"{k} {v:.2f}s" for k, v in r.seconds.items())
    moves = ", ".join(f"{k} move {v}" for k, v in r.moves.items())
    o.print(f"  from {inert(r.ca)} ({inert(r.issuer)}): {inert(', '.join(r.names))}")
    o.print(f"  {timing}" + (f"; journal: {moves}" if moves else ""))
    for place in r.saved:
        o.print(f"  [green]kept[/] at {inert(place)}")
    for place, why in r.failed.items():
        o.print(f"  [red]NOT kept[/] at {inert(place)}: {inert(why)}")
    if r.withdraw_error:
        o.print(f"  [yellow]tokens not all withdrawn[/]: {inert(r.withdraw_error)}")
