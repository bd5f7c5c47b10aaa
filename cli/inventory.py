"""``failover inventory``: every hosting's endpoints, with ``from_stack`` ones resolved.

Shows where each hosting's addresses come from (the file, the deploy
pipeline's export, the Pulumi CLI) and can write a resolved config for
machines without Pulumi access. Exit 0 when every hosting resolved, 1 when
they did but a stack serves on a port no check probes, 3 when one did not
resolve (each failure or warning is one line on stderr).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from cli.common import Format, FormatOpt, err, load, out, print_json
from failover.errors import EXIT_OK, EXIT_UNKNOWN, EXIT_WARNING

if TYPE_CHECKING:
    from failover.inventory import Inventory


def register(app: typer.Typer) -> None:
    app.command("inventory")(inventory)


def inventory(
    ctx: typer.Context,
    format: FormatOpt = Format.table,
    write: Annotated[Optional[Path], typer.Option(  # noqa: UP045 - typer needs Optional
        "--output", "-o", metavar="FILE",
        help="Also write the config with from_stack endpoints replaced by the resolved "
             "addresses, for machines without Pulumi access (only if all resolved).")] = None,
) -> int:
    """Every hosting's endpoints: from the file, or from_stack (export file, else Pulumi CLI)."""
    from failover.inventory import resolve_inventory, write_resolved_config

    config = load(ctx)
    result = resolve_inventory(config)
    if format is Format.json:
        print_json(result.to_json())
    else:
        _render(result)
    for error in result.errors:
        err().print(f"failover: {error}", markup=False)
    warnings = [] if result.errors else result.warnings
    for warning in warnings:
        err().print(f"failover: warning: {warning}", markup=False)
    if result.errors:
        if write is not None:
            err().print(f"failover: {write} not written: not every hosting resolved",
                        markup=False)
        return EXIT_UNKNOWN
    if write is not None:
        write_resolved_config(result, write)
        note = ""
        if write.resolve().parent != Path(config.source).resolve().parent:
            note = (" (in another folder than the config: relative paths in it, such as "
                    "journal or secret files, now start from there)")
        err().print(f"wrote {write}{note}", markup=False)
    return EXIT_WARNING if warnings else EXIT_OK


def _render(result: Inventory) -> None:
    from rich.markup import escape
    from rich.table import Table

    table = Table(box=None, pad_edge=False, show_edge=False)
    for column in ("HOSTING", "VENDOR", "SOURCE", "A", "AAAA", "CNAME"):
        table.add_column(column)
    for h in result.hostings:
        origin = "file" if h.stack is None else h.stack
        if h.source is not None:
            where = h.source.kind
            if h.source.kind == "export":
                where += f" {Path(h.source.detail).name}"
            if h.source.written_at is not None:
                where += f", {_age(h.source.written_at)} old"
            origin += f" ({where})"
        cells = [escape(h.name), escape(h.vendor), escape(origin)]
        if h.error:
            table.add_row(*cells, "[red]unresolved[/] (see below)", "", "")
            continue
        table.add_row(*cells, *(escape(", ".join(h.endpoints[t])) or "-"
                                for t in ("A", "AAAA", "CNAME")))
    out().print(table)


def _age(written_at: float) -> str:
    seconds = max(0.0, time.time() - written_at)
    if seconds < 120:
        return f"{seconds:.0f}s"
    if seconds < 7200:
        return f"{seconds / 60:.0f}m"
    if seconds < 172800:
        return f"{seconds / 3600:.0f}h"
    return f"{seconds / 86400:.0f}d"
