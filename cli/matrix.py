"""``failover drill --matrix``: the vendor-kill matrix in a clustered lab, rendered."""

from __future__ import annotations

import time
from pathlib import Path

import typer

from cli.common import Format, config_file, err, load, out, print_json, quiet


def run_matrix(ctx: typer.Context, lab: Path | None, only: list[str], singles: bool,
               report: Path | None, format: Format) -> int:
    """Run the matrix against the lab (``--lab DIR`` or the one beside the config)."""
    from failover.errors import ConfigError
    from failover.matrix import Matrix
    from failover.matrixreport import table, write
    from lab.matrixlab import VendorLab
    from lab.procs import LabError

    path = config_file(ctx)
    directory = (lab if lab is not None else path.parent).resolve()
    if lab is not None and not path.exists():
        ctx.obj["config_path"] = directory / "failover.yaml"
    try:
        vendor_lab = VendorLab(directory)
    except LabError as exc:
        raise ConfigError(f"lab: {exc}") from None
    as_json = format is Format.json
    say = None if quiet() or as_json else _progress
    result = Matrix(load(ctx), vendor_lab, on_progress=say).run(only=only, singles=singles)
    folder = report if report is not None else Path(
        time.strftime("matrix-%Y%m%d-%H%M%S", time.localtime(result.started)))
    paths = write(result, folder)
    if as_json:
        print_json({**result.to_json(), "files": [str(p) for p in paths]})
        return result.exit_code
    from rich.markup import escape
    from rich.table import Table

    lines = table(result)
    t = Table(box=None, pad_edge=False, show_edge=False)
    for col in lines[0]:
        t.add_column(col, no_wrap=True)
    for line in lines[1:]:
        colour = "green" if line[1] == "yes" else "red"  # within bounds, or not
        t.add_row(escape(line[0]), f"[{colour}]{escape(line[1])}[/]",
                  *(escape(c) for c in line[2:]))
    o = out()
    if result.resolver:
        o.print(f"resolver: {escape(result.resolver)}")
    o.print(t)
    for r in result.rows:
        for note in r.notes:
            o.print(f"[red]problem[/] {escape(r.name)}: {escape(note)}")
    o.print(("[green]matrix passed[/]" if result.passed else "[red]matrix FAILED[/]") +
            f": {len(result.rows)} rows; report: " + ", ".join(str(p) for p in paths))
    return result.exit_code


def _progress(text: str) -> None:
    from rich.markup import escape

    err().print(f"  [dim]matrix[/] {escape(text)}", highlight=False)
