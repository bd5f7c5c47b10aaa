"""``failover page``: write the status page, and publish it to the config's targets."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from cli.common import Format, FormatOpt, fmt_seconds, inert, load, out, print_json


def register(app: typer.Typer) -> None:
    app.command()(page)


def page(ctx: typer.Context,
         out_dir: Annotated[Optional[Path], typer.Option(  # noqa: UP045 - typer needs Optional
             "--out", metavar="DIR", help="Write DIR/index.html.")] = None,
         audience: Annotated[str, typer.Option(
             metavar="public|internal",
             help="public (no addresses, no reasons; names hidden with page.hide_names) or "
                  "internal (everything, with the last drill's timeline).")] = "public",
         publish: Annotated[bool, typer.Option(
             "--publish", help="Also publish to every target in the config's page: "
                               "section (as watch and reconcile do each cycle).")] = False,
         format: FormatOpt = Format.table) -> int:
    """Write the status page: one self-contained HTML file (no external assets, no
    JavaScript): each hosting's verdict, which hosting each DNS provider serves now, SaaS
    dependencies, the last moves, the last drill, when it was generated.

    Exit 0 written (and published everywhere), 1 a target failed, 3 nothing to do.
    """
    from failover.engine import Engine
    from failover.errors import ConfigError
    from failover.reports.drillreport import journaled_timeline
    from failover.reports.page import render
    from failover.reports.pagedata import gather
    from failover.reports.publish import publish_page

    if audience not in ("public", "internal"):
        raise ConfigError(f"--audience {audience}: use public or internal")
    if out_dir is None and not publish:
        raise ConfigError("give --out DIR, --publish, or both")
    config = load(ctx)
    if publish and (config.page is None or not config.page.targets):
        raise ConfigError("--publish: the config has no page: targets; add them (see README, "
                          "'What else a vendor takes with it')", file=config.source)
    engine = Engine(config)
    written: Path | None = None
    try:
        served = engine.read_all()      # one read for the file and the targets
        if out_dir is not None:
            data = gather(engine, served, picture=journaled_timeline)
            html = render(data, audience="internal" if audience == "internal" else "public",
                          hide_names=bool(config.page and config.page.hide_names))
            out_dir.mkdir(parents=True, exist_ok=True)
            written = out_dir / "index.html"
            written.write_text(html, encoding="utf-8")
        results = (publish_page(engine, served, picture=journaled_timeline) if publish
                   else [])
    finally:
        engine.close()
    code = 0 if all(r.ok for r in results) else 1
    if format is Format.json:
        print_json({"exit_code": code, "written": str(written) if written else None,
                    "published": [r.to_json() for r in results]})
        return code
    o = out()
    if written is not None:
        o.print(f"Wrote {written} ({audience})")
    for r in results:
        mark = "[green]published[/]" if r.ok else f"[red]NOT published[/]: {inert(r.error)}"
        o.print(f"{inert(r.target)}: {mark} in {fmt_seconds(r.seconds)}")
    return code
