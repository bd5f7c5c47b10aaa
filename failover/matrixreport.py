"""The vendor-kill matrix's report: a Markdown table, JSON, and a timeline picture that shows
per row the authority column and, after it, the gap until the resolver caught up."""

from __future__ import annotations

import json
from pathlib import Path

from failover.matrix import MatrixReport, Row
from failover.timeline import Bar, render


def _s(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def _node(name: str | None) -> str:
    return (name or "-").removeprefix("watcher-")


def table(report: MatrixReport) -> list[list[str]]:
    """Header and one line per row, narrow enough for 80 columns: kill, survived within
    bounds, authority and resolver seconds with their bounds, the gap, the leader before
    the kill and the node that led the move, clean after the restore."""
    lines = [["KILL", "OK", "AUTHORITY", "RESOLVER", "GAP", "LEADER→MOVER", "CLEAN"]]
    for r in report.rows:
        ok = "yes" if r.within else ("over" if r.survived else "no")
        mover = _node(r.mover) if r.mover else ("no move" if not r.moved else "?")
        res = f"{_s(r.resolver)} ≤{_s(r.resolver_bound)}" if r.resolver_path else "n/a"
        lines.append([r.name, ok, f"{_s(r.authority)} ≤{r.authority_bound:.0f}", res,
                      _s(r.gap),
                      f"{_node(r.leader_before)}→{mover}", "yes" if r.clean else "no"])
    return lines


def markdown(report: MatrixReport) -> str:
    rows = table(report)
    out = [f"# Vendor-kill matrix ({'passed' if report.passed else 'FAILED'})", "",
           f"interval {report.interval:g} s, fall {report.fall}, lease ttl "
           f"{report.lease_ttl:g} s, record TTL {report.record_ttl} s"
           + (f", resolver: {report.resolver}" if report.resolver else "") + ". Authority: seconds "
           "from the kill until every surviving authority answers only healthy hostings' "
           "addresses for every managed name (bound: interval x fall + lease ttl + 2 s). "
           "Resolver: until Unbound hands a client only healthy addresses (bound: authority "
           "+ record TTL + 2 s). Gap: what users wait beyond the authorities. LEADER→MOVER: "
           "the cluster's leader before the kill and the watcher that made the move.", "",
           "| " + " | ".join(rows[0]) + " |", "|" + "---|" * len(rows[0])]
    out += ["| " + " | ".join(r) + " |" for r in rows[1:]]
    notes = [(r.name, n) for r in report.rows for n in r.notes]
    if notes:
        out += ["", "Notes:", ""] + [f"- {name}: {n}" for name, n in notes]
    if report.skipped:
        out += ["", "Pairs left out:", ""] + [f"- {k}: {w}" for k, w in report.skipped]
    return "\n".join(out) + "\n"


def picture(report: MatrixReport) -> str:
    rows: list[str] = []
    bars: list[Bar] = []
    for r in report.rows:
        a_row, r_row = f"{r.name}: authorities", f"{r.name}: resolver"
        rows += [a_row, r_row]
        if r.authority is not None:
            bars.append(Bar(a_row, 0, max(r.authority, 0.001), "authority",
                            ok=r.authority <= r.authority_bound,
                            text=f"{r.authority:.2f} s (bound {r.authority_bound:.0f} s)"))
        if r.resolver is not None and r.authority is not None:
            gap = max(r.resolver - r.authority, 0.0)
            bars.append(Bar(r_row, r.authority, max(gap, 0.001), "resolver-gap",
                            ok=_resolver_ok(r),
                            text=f"{r.resolver:.2f} s (gap {gap:.2f} s)"))
        elif not r.resolver_path:
            bars.append(Bar(r_row, 0, 0.001, "resolver-gap",
                            text="n/a: no DNS server it can reach survives"))
        else:
            bars.append(Bar(r_row, 0, 0.001, "resolver-gap", ok=False,
                            text="never healthy for long enough"))
    title = "Vendor-kill matrix: " + ("every row survived within its bounds" if report.passed
                                      else "some rows failed")
    subtitle = (f"interval {report.interval:g} s, fall {report.fall}, lease ttl "
                f"{report.lease_ttl:g} s, record TTL {report.record_ttl} s; time from the kill")
    return render(title, subtitle, rows, bars)


def _resolver_ok(r: Row) -> bool:
    return r.resolver is not None and r.resolver_bound is not None and \
        r.resolver <= r.resolver_bound


def write(report: MatrixReport, directory: Path) -> list[Path]:
    """matrix.md, matrix.json and matrix.svg in ``directory``; their paths."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = [directory / "matrix.md", directory / "matrix.json", directory / "matrix.svg"]
    paths[0].write_text(markdown(report), encoding="utf-8")
    paths[1].write_text(json.dumps(report.to_json(), indent=2) + "\n", encoding="utf-8")
    paths[2].write_text(picture(report), encoding="utf-8")
    return paths
