"""``failover validate`` and ``failover check``."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import typer

from cli.common import (
    VERDICT_STYLE,
    Format,
    FormatOpt,
    coloured,
    fmt_seconds,
    inert,
    live,
    load,
    out,
    print_json,
    subscribe,
)

if TYPE_CHECKING:
    from failover.health import Verdict

# Above this many healthy hostings, the table shows the problems and one line for the
# healthy rest: drawing 10,000 rows was 63% of a 10,000-hosting check (issue 13).
HEALTHY_ROWS = 20
# Problems first, the worst at the top.
_ORDER = {"TERMINATED": 0, "DOWN": 1, "UNKNOWN": 2, "DEGRADED": 3, "UP": 4}
# Finding severities, worst first: CRITICAL, UNKNOWN, WARNING, OK.
_SEVERITY_ORDER = {2: 0, 3: 1, 1: 2, 0: 3}


def register(app: typer.Typer) -> None:
    app.command()(validate)
    app.command()(check)


def validate(ctx: typer.Context, format: FormatOpt = Format.table,
             strict: Annotated[bool, typer.Option(
                 "--strict", help="A secret file that group or others may read is an error "
                 "(exit 3), not a warning.")] = False) -> int:
    """Check the config file: types, unknown keys, references; warn about fragile setups
    and about secret files that group or others may read.

    Exit 0 when clean, 1 when it validates with warnings, 3 when it is broken
    (one line naming the file, the line, the key and the fix).
    """
    from failover.config import fragility_warnings
    from failover.config.secretfile import secret_file_warnings

    config = load(ctx)
    loose = secret_file_warnings(config)
    if strict and loose:
        sys.stderr.write("".join(f"{coloured('error', 'red')}: {config.source}: {line}\n"
                                 for line in loose))
        return 3
    warnings = fragility_warnings(config) + loose
    if format is Format.json:
        print_json({"file": config.source, "valid": True, "warnings": warnings,
                    "service": config.service, "zone": config.zone,
                    "vendors": sorted(config.vendors), "hostings": sorted(config.hosting),
                    "dns": sorted(config.dns)})
    else:
        # Plain lines, not rich: validate is run in editors and pre-commit hooks, on every save.
        lines = [f"{coloured('valid', 'green')}: {config.source}: service {config.service}, "
                 f"zone {config.zone}, {len(config.vendors)} vendors, {len(config.hosting)} "
                 f"hostings, {len(config.dns)} DNS providers, {len(config.records)} managed "
                 "records"]
        lines += [f"{coloured('warning', 'yellow')}: {w}" for w in warnings]
        sys.stdout.write("".join(line + "\n" for line in lines))
    return 1 if warnings else 0


class CheckFormat(StrEnum):
    table = "table"
    json = "json"
    junit = "junit"
    prometheus = "prometheus"


def check(ctx: typer.Context,
          format: Annotated[CheckFormat, typer.Option(
              "--format", "-f", help="table for people; json (documented shape), junit (CI "
              "test reports) or prometheus (textfile collector, Pushgateway) for machines."
          )] = CheckFormat.table,
          every_row: Annotated[bool, typer.Option(
              "--full", help=f"One row per hosting; by default, above {HEALTHY_ROWS} healthy "
              "hostings, one line counts those UP with every probe passed.")] = False) -> int:
    """Probe every hosting, ask every vendor's control plane, check backups; one line each.

    Verdicts use rise/fall hysteresis kept in the journal, so repeated runs
    (cron, CI) accumulate like a daemon. A hosting whose data plane is down
    while its vendor refuses our account is TERMINATED; one that serves while
    the vendor refuses is a WARNING (termination in progress?). It reads what
    each DNS provider serves (one SERVING line each), and the exit code follows
    what users are sent to: 2 while a DOWN/TERMINATED hosting is still served,
    too few are healthy or a backup is missing; 1 while healthy standbys serve
    with a primary down, or another warning; 0 all well; 3 nothing judged.
    """
    from failover.engine import Engine

    config = load(ctx)
    engine = subscribe(Engine(config))
    try:
        if format is CheckFormat.table and not _quiet():
            with live(engine, f"probing {len(config.hosting)} hostings and every DNS "
                              "provider..."):
                full = engine.check_all()
        else:
            full = engine.check_all()
    finally:
        engine.close()
    report = full.report
    if format is CheckFormat.json:
        print_json(full.to_json(config.service))
        return full.exit_code
    if format is CheckFormat.junit:
        from failover.report import to_junit

        sys.stdout.write(to_junit(config.service, report.at, full.findings))
        return full.exit_code
    if format is CheckFormat.prometheus:
        from failover.report import to_prometheus

        sys.stdout.write(to_prometheus(config.service, report.at, full.exit_code, full.findings,
                                       seconds=full.seconds, moves=full.moves,
                                       last_move=full.last_move))
        return full.exit_code
    from rich.markup import escape
    from rich.table import Table
    from rich.text import Text

    from failover.serving import evacuation, move_off
    from failover.untrusted import clean

    o = out()
    serving = [f for f in full.findings if f.kind == "serving"]
    # The action first, as the exact commands: at 3 a.m. at 80 columns it must not sit
    # below a screen of evidence, nor be a 'failover move' the policy could send back.
    vendors = evacuation(report.verdicts, serving, report.terminated)
    if vendors:
        dead = [v for v in report.verdicts if v.vendor in vendors
                and v.verdict in ("DOWN", "TERMINATED")]
        where = ", ".join(f"{v.hosting} ({v.verdict})" for v in dead) or ", ".join(vendors)
        o.print(Text.assemble(("ACTION", "bold red"), f": users are still sent to {where}; "
                              "move them off:"), soft_wrap=False)
        o.print(Text(f"  {move_off(vendors, 'plan')}"), soft_wrap=False, no_wrap=True,
                overflow="ignore")
        o.print(Text(f"  {move_off(vendors)}"), soft_wrap=False, no_wrap=True,
                overflow="ignore")
        o.print()
    table = Table(box=None, pad_edge=False, show_edge=False)
    for col in ("HOSTING", "VENDOR", "VERDICT", "PROBES", "LATENCY", "EVIDENCE"):
        table.add_column(col, no_wrap=col != "EVIDENCE")
    shown, healthy = table_rows(report.verdicts, every_row)
    for v in shown:
        passed = sum(r.ok for r in v.evidence)
        latency = max((r.latency for r in v.evidence if r.ok), default=None)
        # Evidence quotes what servers and vendors said: escaped, never read as markup.
        table.add_row(escape(v.hosting), escape(v.vendor),
                      f"[{VERDICT_STYLE[v.verdict]}]{v.verdict}[/]",
                      f"{passed}/{len(v.evidence)}",
                      fmt_seconds(latency) if latency is not None else "-", inert(v.reason))
    o.print(table)
    if healthy:
        o.print(f"[green]{healthy:,} more hostings UP[/], every probe passed (--full lists "
                "them, --format json too)")
    others = [f for f in full.findings if f.kind not in ("hosting", "serving")]
    if others:
        more = Table(box=None, pad_edge=False, show_edge=False)
        for col in ("CHECK", "NAME", "STATUS", "EVIDENCE"):
            more.add_column(col, no_wrap=col != "EVIDENCE")
        # Problems first (CRITICAL, UNKNOWN, WARNING, then OK), config order within each.
        for f in sorted(others, key=lambda f: _SEVERITY_ORDER.get(f.severity, 1)):
            style = ["green", "yellow", "red", "magenta"][f.severity]
            # An OK row's evidence is one line (…): it proves, it does not instruct.
            evidence = Text(clean(f.reason, 2000), no_wrap=f.severity == 0 and not every_row,
                            overflow="ellipsis")
            more.add_row(escape(f.kind), escape(f.name), f"[{style}]{escape(f.status)}[/]",
                         evidence)
        o.print()
        o.print(more)
    if serving:             # what users are sent to: the exit code follows these
        # A table, so rich wraps the reason at word boundaries under its own column,
        # never the terminal inside a word.
        sent = Table(box=None, pad_edge=False, show_edge=False)
        for col in ("SERVING", "STATUS", "USERS ARE SENT TO"):
            sent.add_column(col, no_wrap=col != "USERS ARE SENT TO")
        for f in serving:
            style = ["green", "yellow", "red", "magenta"][f.severity]
            sent.add_row(f"{escape(f.name)} ({escape(str(f.vendor))})",
                         f"[{style}]{escape(f.status)}[/]", Text(clean(f.reason, 2000)))
        o.print()
        o.print(sent)
    label = ["OK", "WARNING", "CRITICAL", "UNKNOWN"][full.exit_code]
    up = sum(v.verdict == "UP" for v in report.verdicts)
    degraded = sum(v.verdict == "DEGRADED" for v in report.verdicts)
    still = f", {degraded} degraded (still served)" if degraded else ""
    # The whole check's wall time (probes, control planes, DNS providers, backups), and
    # what held it up when one thing took most of it.
    slow = max(full.findings, key=lambda f: f.seconds, default=None)
    held = (f"; slowest: {slow.kind} {slow.name} {fmt_seconds(slow.seconds)}"
            if slow is not None and slow.seconds >= 1 and slow.seconds >= full.seconds / 2
            else "")
    o.print(f"{label}: {up}/{len(report.verdicts)} hostings up{still}, "
            f"{len(report.results)} probes; took {fmt_seconds(full.seconds)}{escape(held)}",
            soft_wrap=False)
    return full.exit_code


def table_rows(verdicts: Sequence[Verdict], full: bool) -> tuple[list[Verdict], int]:
    """(the rows to draw, problems first; how many healthy hostings one line counts instead).

    Healthy is UP with every probe passed; anything else is always drawn.
    """
    rows = sorted(verdicts, key=lambda v: _ORDER.get(v.verdict, 2))  # stable: config order
    if full:
        return rows, 0
    clean = [v for v in rows if v.verdict == "UP" and all(r.ok for r in v.evidence)]
    if len(clean) <= HEALTHY_ROWS:
        return rows, 0
    return [v for v in rows if not (v.verdict == "UP" and all(r.ok for r in v.evidence))], \
        len(clean)


def _quiet() -> bool:
    from cli.common import quiet

    return quiet()
