"""``failover notify test``: send a test notice to every channel and ping every heartbeat."""

from __future__ import annotations

import typer

from cli.common import Format, FormatOpt, fmt_seconds, inert, load, out, print_json

notify_app = typer.Typer(help="Notices: test every channel.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(notify_app, name="notify")


@notify_app.command("test")
def test(ctx: typer.Context, format: FormatOpt = Format.table) -> int:
    """Send a test notice to every channel at once and ping every heartbeat URL; one row
    each. Only scheme://host of a URL is shown. Exit 0 all delivered, 1 some failed,
    2 all failed, 3 no 'notify:' in the config."""
    from failover.errors import ConfigError
    from failover.journal import Journal
    from failover.notify.heartbeat import ping_all
    from failover.notify.notices import trial_notice
    from failover.notify.send import Notifier

    config = load(ctx)
    if config.notify is None:
        raise ConfigError("no 'notify:' section in the config; add channels (see README, "
                          "'What else a vendor takes with it')", file=config.source)
    journal = Journal(config.journal_path())
    try:
        deliveries = Notifier(config, journal=journal).send(trial_notice(config.service))
        pings = ping_all(config, journal=journal)
    finally:
        journal.close()
    rows = [("channel", d.channel, d.target, d.ok, d.seconds, d.error or "delivered")
            for d in deliveries if d.notice == "test"]
    rows += [("heartbeat", p.name, p.target, p.ok, p.seconds, p.error or "pinged")
             for p in pings]
    ok = sum(r[3] for r in rows)
    code = 0 if ok == len(rows) else 2 if ok == 0 else 1
    if format is Format.json:
        print_json({"exit_code": code, "results": [
            {"kind": k, "name": n, "target": t, "ok": o, "seconds": round(s, 3), "detail": d}
            for k, n, t, o, s, d in rows]})
        return code
    from rich.markup import escape
    from rich.table import Table

    table = Table(box=None, pad_edge=False, show_edge=False)
    for col in ("KIND", "NAME", "TARGET", "RESULT", "TOOK", "DETAIL"):
        table.add_column(col, overflow="fold", no_wrap=col != "DETAIL")
    for kind, name, target, good, seconds, detail in rows:
        table.add_row(escape(kind), escape(name), escape(target),
                      "[green]ok[/]" if good else "[red]FAILED[/]",
                      fmt_seconds(seconds), inert(detail))
    o = out()
    o.print(table)
    o.print(f"{ok} of {len(rows)} delivered" + ("" if ok == len(rows) else
            "; failures were reported on the channels that work"))
    return code
