"""``failover drill`` (a measured game day for one vendor) and ``failover runbook``.

The drill's fault injector is chosen here, so that the engine never imports
the lab: ``--simulate`` touches nothing; ``--lab DIR`` (or a lab.json beside
the config) stops the vendor's origins in the lab for real.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

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
    subscribe,
)

if TYPE_CHECKING:
    from failover.drill import DrillReport, Injector
    from failover.plan import Plan


def register(app: typer.Typer) -> None:
    app.command()(drill)
    app.command()(runbook)


class LabInjector:
    """Stops and revives a vendor's origins in a lab started with ``python -m lab up``;
    with ``terminate``, also makes the vendor's control plane refuse our account."""

    real = True

    def __init__(self, directory: Path, *, terminate: bool = False) -> None:
        self.directory = directory
        self.terminate = terminate

    def stop(self, vendor: str) -> None:
        """``lab.core.kill`` (and ``suspend``): the vendor's origins refuse connections
        (and its control plane answers AccountSuspended) once this returns."""
        from lab import core

        try:
            if self.terminate:
                core.suspend(self.directory, vendor)
            core.kill(self.directory, vendor)
        except core.LabError as exc:
            from failover.errors import FailoverError

            raise FailoverError(f"lab: {exc}") from None

    def restore(self, vendor: str) -> None:
        """``lab.core.revive``: returns once the vendor's origins answer again."""
        from lab import core

        try:
            if self.terminate:
                core.unsuspend(self.directory, vendor)
            core.revive(self.directory, vendor)
        except core.LabError as exc:
            from failover.errors import FailoverError

            raise FailoverError(f"lab: {exc}") from None


def drill(
    ctx: typer.Context,
    vendor: Annotated[Optional[str], typer.Option(  # noqa: UP045 - typer needs Optional
        "--vendor", metavar="VENDOR", help="The vendor to take away (not with --matrix).")
    ] = None,
    lab: Annotated[Optional[Path], typer.Option(  # noqa: UP045 - typer needs Optional
        "--lab", metavar="DIR", help="The lab to drill in (python -m lab up --dir DIR): its "
        "origins are really stopped. Default: the lab whose lab.json sits beside the config. "
        "When the config file does not exist, DIR/failover.yaml is used.")] = None,
    simulate: Annotated[bool, typer.Option(
        "--simulate", help="Touch nothing: treat the vendor as terminated (--off) and stop at "
        "the plan, unless --apply.")] = False,
    apply: Annotated[bool, typer.Option(
        "--apply", help="With --simulate: move, verify and roll back at once (asks first "
        "unless --yes).")] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask before --apply.")] = False,
    terminate: Annotated[bool, typer.Option(
        "--terminate", help="In a lab: the vendor's control plane also refuses our account "
        "(AccountSuspended), so the drill rehearses a termination, not an outage.")] = False,
    report: Annotated[Optional[Path], typer.Option(  # noqa: UP045
        "--report", metavar="DIR", help="Where to write report.md, report.json and "
        "timeline.svg. Default: ./drill-VENDOR-TIMESTAMP/")] = None,
    matrix: Annotated[bool, typer.Option(
        "--matrix", help="In a clustered lab (python -m lab up --cluster --resolver): kill "
        "every vendor alone and every pair that leaves a hosting, a DNS provider and etcd "
        "quorum, then cut the leader's vendor off etcd and the served hosting's vendor off "
        "the network; measure authorities and the resolver; write matrix.md/json/svg.")] = False,
    only: Annotated[Optional[list[str]], typer.Option(  # noqa: UP045
        "--only", metavar="KILL", help="With --matrix: run only this row (aws, or a pair "
        "gcp+metal, or 'leader': the vendor of the node leading when the row starts; or a "
        "partition row: cut:VENDOR, cut-etcd:VENDOR, cut-dns:VENDOR, VENDOR also 'leader' "
        "or 'served'); repeat for more.")] = None,
    singles: Annotated[bool, typer.Option(
        "--singles", help="With --matrix: single-vendor kill rows only: no pairs, and no "
        "partition rows unless named with --only.")] = False,
    ca: Annotated[Optional[str], typer.Option(  # noqa: UP045
        "--ca", metavar="NAME", help="A CA drill (with --refuse): CA NAME of certs.cas "
        "refuses; show a valid standby certificate from another CA on hand and served.")
    ] = None,
    refuse: Annotated[bool, typer.Option(
        "--refuse", help="With --ca: the CA refuses (in a lab its Pebble is stopped, then "
        "started again; with --simulate it is only treated as refusing).")] = False,
    format: FormatOpt = Format.table,
) -> int:
    """A game day: take VENDOR away, measure detect, decide, write and verify per DNS
    provider and authority, fail back, and write a report with a timeline picture.
    With --ca NAME --refuse: a CA drill instead (see --ca).

    In a lab the vendor's origins are really stopped and then restored, and the
    drill's move rolled back, whatever fails. Against a real config use
    --simulate. Exit 0 passed (moved, verified, failed back; or a clean plan with
    --simulate), 2 a phase failed, 3 bad usage.
    """
    from failover.drill import Drill, SimulatedInjector
    from failover.engine import Engine
    from failover.errors import ConfigError, FailoverError
    from failover.reports.drillreport import default_report_dir, write_report

    if ca is not None or refuse:
        if vendor or matrix or apply or terminate or only or singles:
            raise ConfigError("a CA drill (--ca NAME --refuse) takes no --vendor, --matrix, "
                              "--apply, --terminate, --only or --singles")
        if ca is None or not refuse:
            raise ConfigError("a CA drill needs both --ca NAME and --refuse")
        return _ca_drill(ctx, ca, lab, simulate, report, format)
    if matrix:
        if vendor or simulate or apply or terminate:
            raise ConfigError("--matrix kills every vendor in turn in a lab: leave out "
                              "--vendor, --simulate, --apply and --terminate")
        from cli.matrix import run_matrix

        return run_matrix(ctx, lab, only or [], singles, report, format)
    if only or singles:
        raise ConfigError("--only and --singles go with --matrix")
    if vendor is None:
        raise ConfigError("drill needs --vendor VENDOR (or --matrix in a clustered lab)")
    if apply and not simulate:
        raise ConfigError("--apply goes with --simulate (a lab drill always moves and rolls "
                          "back)")
    if simulate and lab is not None:
        raise ConfigError("give --simulate or --lab DIR, not both")
    if simulate and terminate:
        raise ConfigError("--terminate is for lab drills; --simulate already treats the "
                          "vendor as terminated")
    path = config_file(ctx)
    injector: Injector
    if simulate:
        injector = SimulatedInjector()
    else:
        directory = lab if lab is not None else path.parent
        if not (directory / "lab.json").exists():
            where = f"{directory}" if lab is not None else f"beside {path}"
            raise ConfigError(f"no lab.json {where}: this is not a lab, so the drill would "
                              "need to stop a real vendor; use --simulate (add --apply to "
                              "move and roll back), or --lab DIR for a lab started with "
                              "'python -m lab up --dir DIR'")
        _check_lab(directory, vendor)
        if lab is not None and not path.exists():
            path = directory / "failover.yaml"
            ctx.obj["config_path"] = path
        injector = LabInjector(directory.resolve(), terminate=terminate)
    if simulate and apply and not yes and not sys.stdin.isatty():
        raise FailoverError("not a terminal, so nobody can confirm: pass --yes to apply the "
                            "drill's plan, or leave out --apply to stop at the plan")

    as_json = format is Format.json
    engine = subscribe(Engine(load(ctx)))
    try:
        confirm = None if not (simulate and apply) or yes else _confirm
        say = None if quiet() or as_json else _progress
        run = Drill(engine, vendor, injector, apply=apply, confirm=confirm, on_progress=say)
        result = run.run()
    finally:
        engine.close()
    directory = report if report is not None else default_report_dir(vendor, result.started)
    paths = write_report(result, directory)
    if as_json:
        print_json({**result.to_json(), "files": [str(p) for p in paths]})
    else:
        _show(result, paths)
    return result.exit_code


class LabCaInjector:
    """Makes a lab's CA refuse (its Pebble stopped) and answer again (started anew)."""

    real = True

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def stop(self, ca: str) -> None:
        from lab import pebble
        from lab.procs import LabError

        try:
            pebble.refuse(self.directory, ca)
        except LabError as exc:
            from failover.errors import FailoverError

            raise FailoverError(f"lab: {exc}") from None

    def restore(self, ca: str) -> None:
        from lab import pebble
        from lab.procs import LabError

        try:
            pebble.restore(self.directory, ca)
        except LabError as exc:
            from failover.errors import FailoverError

            raise FailoverError(f"lab: {exc}") from None


def _ca_drill(ctx: typer.Context, ca: str, lab: Path | None, simulate: bool,
              report: Path | None, format: Format) -> int:
    """``drill --ca NAME --refuse``: in a lab (lab.json beside the config, or --lab) the
    CA's Pebble really stops; with --simulate nothing is touched."""
    from failover.drill import SimulatedInjector
    from failover.drill.ca import CaDrill
    from failover.engine import Engine
    from failover.errors import ConfigError
    from failover.reports.cadrill import default_dir, write

    path = config_file(ctx)
    injector: Injector
    if simulate:
        if lab is not None:
            raise ConfigError("give --simulate or --lab DIR, not both")
        injector = SimulatedInjector()
    else:
        directory = lab if lab is not None else path.parent
        if not (directory / "lab.json").exists():
            raise ConfigError(f"no lab.json beside {path}: only a lab's CA can be made to "
                              "refuse; use --simulate (the CA is treated as refusing), or "
                              "--lab DIR for a lab started with 'python -m lab up --cas'")
        if lab is not None and not path.exists():
            path = directory / "failover.yaml"
            ctx.obj["config_path"] = path
        injector = LabCaInjector(directory.resolve())
    engine = Engine(load(ctx))
    try:
        result = CaDrill(engine, ca, injector, engine.endpoints).run()
    finally:
        engine.close()
    paths = write(result, report if report is not None else default_dir(ca, result.started))
    if format is Format.json:
        print_json({**result.to_json(), "files": [str(p) for p in paths]})
    else:
        from cli.common import fmt_seconds

        o = out()
        for p in result.phases:
            mark = "[green]ok[/]" if p.ok else "[red]FAILED[/]"
            o.print(f"{p.start:6.2f}s {fmt_seconds(p.seconds):>7} {mark:<6} "
                    f"{inert(p.label)}: {inert(p.detail)}", soft_wrap=True)
        for e in result.errors:
            o.print(f"[red]problem[/]: {inert(e)}")
        colour = "green" if result.passed else "red"
        o.print(f"[{colour}]CA drill {result.outcome}[/]; report: "
                + ", ".join(str(p) for p in paths))
    return result.exit_code


def _check_lab(directory: Path, vendor: str) -> None:
    """Refuse (exit 3) a lab that is down or has no such vendor, before touching anything."""
    from failover.errors import ConfigError
    from lab import core

    try:
        data = core.load(directory)
    except core.LabError as exc:
        raise ConfigError(f"lab: {exc}") from None
    if data.get("down"):
        raise ConfigError(f"the lab in {directory} is down; start it with "
                          f"'python -m lab up --dir {directory}'")
    vendors = sorted({h["vendor"] for h in data["origins"]["hostings"].values()})
    if vendor not in vendors:
        raise ConfigError(f"--vendor {vendor}: the lab has no such vendor; its vendors: "
                          f"{', '.join(vendors)}")


def _confirm(plan: Plan) -> bool:
    from cli.moves import _show_plan

    _show_plan(plan, Format.table)
    return typer.confirm(f"Apply this plan (checksum {plan.checksum}), verify it, then roll it "
                         "back?", default=False)


def _progress(text: str) -> None:
    err().print(f"  [dim]drill[/] {inert(text)}", highlight=False)


def _show(r: DrillReport, paths: list[Path]) -> None:
    from rich.markup import escape
    from rich.table import Table

    from cli.common import fmt_seconds

    o = out()
    # The phase's name and its numbers stay whole; where it ran (provider or authority)
    # is cut with an ellipsis (report.md has it); the detail wraps under its column at
    # word boundaries: it says what happened, and at 80 columns it was cut mid-sentence.
    rows = [[p.name, f"{p.start:.2f}s", fmt_seconds(p.seconds), "ok" if p.ok else "FAILED",
             p.authority or p.provider or "-", p.detail]
            for p in sorted(r.phases, key=lambda p: (round(p.start, 3), p.end))]
    heads = ["PHASE", "AT", "TOOK", "RESULT"]
    widths = [max(len(h), *(len(row[i]) for row in rows)) for i, h in enumerate(heads)]
    room = o.width - sum(widths) - 2 * (len(heads) + 1)
    where = min(max([5, *(len(row[4]) for row in rows)]), max(5, room // 2))
    table = Table(box=None, pad_edge=False, show_edge=False)
    for head, width in zip(heads, widths, strict=True):
        table.add_column(head, no_wrap=True, min_width=width)
    table.add_column("WHERE", no_wrap=True, overflow="ellipsis", max_width=where)
    table.add_column("DETAIL", overflow="fold", max_width=max(12, room - where))
    for name, at, took, ok, at_where, detail in rows:
        result = "[green]ok[/]" if ok == "ok" else "[red]FAILED[/]"
        table.add_row(escape(name), at, took, result, escape(at_where), inert(detail))
    o.print(table, soft_wrap=False)   # fit the terminal (80 columns when piped)
    t = r.totals
    bits = []
    for key, text in (("detect", "detect"), ("decide", "decide+plan"),
                      ("evacuate", "authorities off the vendor"),
                      ("users_off", f"users off at worst (+TTL {r.ttl}s)"),
                      ("failback", "failback"), ("total", "total")):
        value = t[key]
        if value is not None:
            bits.append(f"{text} {fmt_seconds(value)}")
    colour = {"passed": "green", "planned": "green", "declined": "yellow"}.get(r.outcome, "red")
    o.print(f"[{colour}]drill {r.outcome}[/] (interval {r.interval:g}s, fall {r.fall}, "
            f"rise {r.rise}): " + ", ".join(bits), soft_wrap=False)
    if r.restored:
        o.print(f"left as found: {inert(r.restored.get('detail', '-'))}")
    for e in r.errors:
        o.print(f"[red]problem[/]: {inert(e)}")
    o.print("report: " + ", ".join(str(p) for p in paths))


def runbook(
    ctx: typer.Context,
    vendor: Annotated[Optional[str], typer.Option(  # noqa: UP045
        "--vendor", metavar="VENDOR", help="Only this vendor's section.")] = None,
    output: Annotated[Optional[Path], typer.Option(  # noqa: UP045
        "--output", "-o", metavar="FILE", help="Write the runbook here instead of stdout.")
    ] = None,
) -> int:
    """An incident runbook in Markdown, from the config and the journal: per vendor how its
    termination shows, the exact commands to evacuate, verify and roll back, what else goes
    with it, the standby that remains, the last drill's timings, and what to check after.
    """
    from failover.runbook import render

    config = load(ctx)
    text = render(config, config_file(ctx), vendor=vendor)
    if output is not None:
        output.write_text(text, encoding="utf-8")
        if not quiet():
            err().print(f"runbook written to {output}")
    else:
        sys.stdout.write(text)
    return 0
