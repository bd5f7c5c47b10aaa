"""The drill report rendered: report.md, report.json and timeline.svg written into a
folder, the Markdown and the SVG timeline themselves, and the timeline drawn again
from a drill's journaled end (for the status page). Pure functions of the report model
(:mod:`failover.drill.report`)."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from failover.config import Config
from failover.drill.report import DrillReport, Phase, seconds_text
from failover.health import UP
from failover.plan import Plan
from failover.reports.files import write_file
from failover.reports.mdtext import fence_safe, md


def default_report_dir(vendor: str, at: float) -> Path:
    """``./drill-<vendor>-<YYYYmmdd-HHMMSS>``."""
    return Path(f"drill-{vendor}-{time.strftime('%Y%m%d-%H%M%S', time.localtime(at))}")


def write_report(report: DrillReport, directory: Path) -> list[Path]:
    """Write report.md, report.json and timeline.svg into ``directory``; their paths."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = [directory / "report.md", directory / "report.json", directory / "timeline.svg"]
    # 0600: a drill report holds addresses and the vendors' own words.
    write_file(paths[0], markdown(report).encode("utf-8"))
    write_file(paths[1], (json.dumps(report.to_json(), indent=2, sort_keys=True)
                          + "\n").encode("utf-8"))
    write_file(paths[2], timeline_svg(report).encode("utf-8"))
    return paths


def journaled_timeline(config: Config, at: float, sentence: str, data: Mapping[str, Any]
                       ) -> str | None:
    """The timeline picture of a drill from its journaled end (the data of its ``end``
    event, see :meth:`DrillReport.summary_json`); None when it has no phases, or when an
    old or odd record draws none."""
    report = DrillReport(
        service=config.service, zone=config.zone, vendor=data.get("vendor", "?"),
        mode=data.get("mode", "?"), applied=bool(data.get("applied")),
        config_path=config.source, interval=config.interval, fall=config.fall,
        rise=config.rise, verify_timeout=config.verify.timeout,
        hostings=config.hostings_of(data.get("vendor", "")),
        started=float(data.get("started") or at), finished=float(data.get("finished") or at),
        outcome=data.get("outcome", "?"), sentence=sentence)
    for p in data.get("phases", []):
        report.phases.append(Phase(p["name"], float(p["start"]), float(p["seconds"]),
                                   bool(p["ok"]), p.get("detail", ""), p.get("provider"),
                                   p.get("authority")))
    if not report.phases:
        return None
    try:
        return timeline_svg(report)
    except Exception:  # an old or odd record draws no picture; the page's line still shows
        return None


def timeline_rows(report: DrillReport) -> list[str]:
    """The timeline's rows: detect, decide, plan, then per DNS provider its write row and
    one row per authority it was verified at, then the failback."""
    rows: list[str] = []
    names = {p.name for p in report.phases}
    if "stop" in names or "detect" in names:
        rows.append(_row_name(report, "detect"))
    rows += [n for n in ("decide", "plan") if n in names]
    providers = [pp.provider for pp in report.plan.providers] if report.plan else []
    for p in report.phases:
        if p.provider and p.provider not in providers:
            providers.append(p.provider)
    for prov in providers:
        mine = [p for p in report.phases if p.provider == prov]
        if not mine:
            continue
        rows.append(f"{prov}: write")
        auths: list[str] = []
        for p in mine:
            if p.authority and p.authority not in auths:
                auths.append(p.authority)
        rows.extend(f"{prov}: verify at {a}" for a in auths)
    if report.moved_cleanly and report.ttl and report.totals["evacuate"] is not None:
        rows.append(_TTL_ROW)
    if names & {"restore", "recover"}:
        rows += [_row_name(report, "restore"), _row_name(report, "recover")]
    return rows


_TTL_ROW = "resolver caches (TTL)"


def _row_name(report: DrillReport, name: str, p: Phase | None = None) -> str:
    if name in ("stop", "detect"):
        return f"detect ({report.vendor} stopped)"
    if name in ("write", "rollback-write") and p is not None:
        return f"{p.provider}: write"
    if name in ("verify", "rollback-verify") and p is not None:
        return f"{p.provider}: verify at {p.authority}"
    if name == "restore":
        return f"failback: restore {report.vendor}"
    if name == "recover":
        return f"failback: rise {report.rise} checks"
    return name


def timeline_svg(report: DrillReport) -> str:
    """The timeline picture of the drill's phases per DNS provider (SVG); when the move is a
    sliver beside detection, a second panel magnifies it."""
    from failover.timeline import Bar, Dot, Mark, Zoom, render

    # The fault itself is the "stopped" mark, not a bar.
    bars = [Bar(_row_name(report, p.name, p), p.start, p.seconds, p.name, p.ok,
                text=_bar_text(p), title=f"{p.label}: {seconds_text(p.seconds)}; {p.detail}")
            for p in report.phases if p.name != "stop"]
    dots = []
    for c in report.checks:
        if c.phase == "baseline":
            continue
        healthy = all(v == UP for v in c.verdicts.values())
        dots.append(Dot(_row_name(report, c.phase), c.at, healthy,
                        f"{c.phase} check {c.number} at {c.at:.2f}s: "
                        + ", ".join(f"{h} {v}" for h, v in c.verdicts.items())))
    marks = []
    t = report.totals
    if report.phase("stop"):
        marks.append(Mark(0.0, f"{report.vendor} stopped"))
    if t["evacuate"] is not None:
        marks.append(Mark(t["evacuate"], f"authorities off {report.vendor}: "
                          f"{seconds_text(t['evacuate'])}"
                          if report.moved_cleanly else "move ended (not everywhere)"))
    if t["users_off"] is not None and report.moved_cleanly and report.ttl:
        # The outage users see ends here at worst, not at the authorities' mark.
        bars.append(Bar(_TTL_ROW, t["evacuate"] or 0.0, float(report.ttl), "ttl",
                        text=f"TTL {report.ttl}s: users off {report.vendor} by "
                             f"{seconds_text(t['users_off'])}",
                        title=f"resolvers may answer {report.vendor}'s address from cache for "
                              f"up to {report.ttl}s after every authority serves the standby"))
    restore = report.phase("restore")
    if restore:
        # The drill ends the fault itself, to fail back; the vendor did not recover.
        marks.append(Mark(restore[0].start, f"drill restores {report.vendor}"))
    title = (f"failover drill: vendor {report.vendor} ({report.mode}) {report.outcome}"
             + (f", off {report.vendor} in {seconds_text(t['evacuate'])}"
                if t["evacuate"] is not None and report.moved_cleanly else ""))
    subtitle = (f"{report.service} ({report.zone})   interval {report.interval:g}s, "
                f"fall {report.fall}, rise {report.rise}   "
                f"{_stamp(report.started)}")
    rows = timeline_rows(report)
    zoom = None
    moving = [p for p in report.phases if p.name in ("decide", "plan", "write", "verify")]
    if moving and t["total"]:
        lo = min(p.start for p in moving)
        hi = max(p.end for p in moving)
        if hi - lo < 0.25 * t["total"]:
            pad = max(0.002, 0.04 * (hi - lo))
            zrows = tuple(r for r in rows
                          if not r.startswith(("detect", "failback")) and r != _TTL_ROW)
            zoom = Zoom(lo - pad, hi + pad, zrows,
                        f"The move, magnified: {lo:.2f} s to {hi:.2f} s after "
                        f"{'the fault' if report.mode == 'lab' else 'the start'}")
    return render(title, subtitle, rows, bars, dots, marks, zoom)


def _bar_text(p: Phase) -> str:
    prefix = "rollback " if p.name.startswith("rollback-") else ""
    if p.name in ("decide", "plan"):
        prefix = f"{p.name} "
    return prefix + seconds_text(p.seconds)


def markdown(report: DrillReport) -> str:
    """report.md: the outcome first, then phases, providers, authorities, checks, the plan."""
    r = report
    t = r.totals
    lines = [f"# Drill of vendor {r.vendor}: {r.outcome.upper()}", "",
             f"{md(r.sentence)}.", ""]
    how = ("lab: the vendor's origins were really stopped, then restored"
           if r.mode == "lab" else
           "simulated: nothing was stopped; the vendor was treated as terminated (--off)"
           + ("; DNS was written and rolled back" if r.applied else "; stopped at the plan"))
    lines += [f"- Service **{r.service}**, zone `{r.zone}`, config `{r.config_path}`",
              f"- Mode: {how}",
              f"- Started {_stamp(r.started)}, finished {_stamp(r.finished)}; "
              f"exit code {r.exit_code}",
              f"- Hostings at {r.vendor}: {', '.join(r.hostings)}", ""]
    lines += ["## Why detection took what it took", "",
              f"The config checks every **{r.interval:g}s** (`interval`), calls a hosting DOWN "
              f"after **{r.fall}** failed checks in a row (`fall`) and UP again after "
              f"**{r.rise}** good ones (`rise`). The drill's first check comes one interval "
              f"after the fault (a watcher's worst case), so detection takes about fall x "
              f"interval = {r.fall * r.interval:g}s, and the failback waits about rise x "
              f"interval = {r.rise * r.interval:g}s before rolling back. To detect faster, "
              f"lower `interval` or `fall`; each costs more probes or more false alarms.", ""]
    lines += ["## Totals", "", "| what | seconds |", "| --- | ---: |"]
    names = {"detect": "detect (fault to DOWN)", "decide": "decide and plan",
             "write": "write (slowest DNS provider)", "verify": "verify (slowest authority)",
             "evacuate": "evacuate (fault to every authority verified)",
             "users_off": f"users off {r.vendor} at worst (evacuate + TTL {r.ttl}s: "
                          "resolver caches)",
             "failback": "failback (restore to rollback verified)", "total": "total"}
    for key, text in names.items():
        if t[key] is not None:
            lines.append(f"| {text} | {t[key]:.3f} |")
    if r.mode != "lab":
        lines.append(f"| detect (not measured: simulated; expect up to fall x interval) | "
                     f"{r.fall * r.interval:.3f} |")
    lines += ["", "## Phases", "",
              "Times in seconds from the fault (lab) or the start (simulated).", "",
              "| phase | start | seconds | result | detail |",
              "| --- | ---: | ---: | --- | --- |"]
    for p in sorted(r.phases, key=lambda p: (round(p.start, 3), p.end)):
        lines.append(f"| {p.label} | {p.start:.3f} | {p.seconds:.3f} | "
                     f"{'ok' if p.ok else '**FAILED**'} | {_cell(p.detail)} |")
    providers = r.providers()
    if providers:
        lines += ["", "## Per DNS provider", "",
                  "| provider | vendor | changes | write (s) | rollback write (s) |",
                  "| --- | --- | ---: | ---: | ---: |"]
        for row in providers:
            lines.append(f"| {row['provider']} | {row['vendor']} | {row['changes']} | "
                         f"{_num(row['write'])} | {_num(row['rollback_write'])} |")
    auths = r.authorities()
    if auths:
        lines += ["", "## Per authoritative server", "",
                  "verify: seconds from the provider's write until this server served the "
                  "move's answers; rollback verify: until it served the answers from before "
                  "the move again.",
                  "", "| provider | authority | verify (s) | rollback verify (s) | result |",
                  "| --- | --- | ---: | ---: | --- |"]
        for row in auths:
            lines.append(f"| {row['provider']} | {row['authority']} | {_num(row['verify'])} | "
                         f"{_num(row['rollback_verify'])} | "
                         f"{'ok' if row['ok'] else '**FAILED**'} |")
    if r.checks:
        lines += ["", "## Checks", "", "| phase | # | at (s) | took (s) | verdicts |",
                  "| --- | ---: | ---: | ---: | --- |"]
        for c in r.checks:
            said = "; ".join(f"{h} {v} ({c.reasons.get(h, '')})" for h, v in c.verdicts.items())
            at = "before" if c.phase == "baseline" and r.mode == "lab" else f"{c.at:.3f}"
            lines.append(f"| {c.phase} | {c.number} | {at} | {c.seconds:.3f} | "
                         f"{_cell(said)} |")
    lines += ["", "## The plan", ""]
    if r.plan is None:
        lines.append("No plan was made (the drill stopped before deciding).")
    else:
        lines += [f"Decision: {md(r.plan.decision.reason)}. Checksum `{r.plan.checksum}`.", "",
                  "```", *(fence_safe(line) for line in _plan_text(r.plan)), "```"]
    lines += ["", "## Outcome", ""]
    if r.move is not None:
        lines.append(f"- Move {r.move.move_id}: {md(r.move.summary)}")
    if r.rollback is not None:
        lines.append(f"- Rollback {r.rollback.move_id}: {md(r.rollback.summary)}")
    if r.restored:
        lines.append(f"- Left as found: {md(r.restored.get('detail', '-'))}"
                     + ("" if "vendor_up" not in r.restored else
                        f"; vendor {r.vendor} UP again: "
                        f"{'yes' if r.restored['vendor_up'] else 'NO'}"))
    for e in r.errors:
        lines.append(f"- Problem: {md(e)}")
    if not (r.move or r.rollback or r.restored or r.errors):
        lines.append("- Nothing was written.")
    lines += ["", "## Timeline", "", "![timeline of the drill](timeline.svg)", ""]
    return "\n".join(lines)


def _plan_text(plan: Plan) -> list[str]:
    """The plan as plain text: per provider its changes (``+ ~ -``), then the totals.

    The report gives the decision and the checksum above it, so no warnings, TTLs,
    checksum line or notes on unreachable providers here.
    """
    from failover.plan import plan_lines

    out = []
    for line in plan_lines(plan):
        head = f"{line.provider} ({line.vendor})"
        match line.kind:
            case "header":
                out.append(f"Plan for {line.zone}: {line.text}")
            case "provider":
                out.append(head)
            case "unreachable":
                out.append(f"{head}  unreachable: {line.text}")
            case "no-changes":
                out.append(f"{head}  no changes")
            case "change":
                out.append(f"  {line.mark} {line.key:<{line.width}}  {line.values}")
            case "totals":
                out.append(f"Totals: {line.text}")
    return out


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def _cell(text: str) -> str:
    """A table cell of text that quotes vendors (reasons, details): escaped Markdown."""
    return md(text)


def _stamp(at: float) -> str:
    """Local time with its UTC offset, so a postmortem can line it up with other logs."""
    if not at:
        return "-"
    from datetime import datetime

    return datetime.fromtimestamp(at).astimezone().isoformat(sep=" ", timespec="seconds")
