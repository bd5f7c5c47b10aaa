"""A CA drill's report: report.md for people and report.json (the report's own shape),
written 0600 like every drill report (it holds addresses and the CAs' own words)."""

from __future__ import annotations

import json
import time
from pathlib import Path

from failover.drill.ca import CaDrillReport
from failover.reports.files import write_file
from failover.untrusted import clean


def default_dir(ca: str, at: float) -> Path:
    """``./drill-ca-<CA>-<YYYYmmdd-HHMMSS>``."""
    return Path(f"drill-ca-{ca}-{time.strftime('%Y%m%d-%H%M%S', time.localtime(at))}")


def _cell(text: object) -> str:
    """Text from outside as a Markdown table cell: one clean line, no pipe, no markup."""
    return (clean(text, 300).replace("\\", "\\\\").replace("|", "\\|")
            .replace("<", "&lt;").replace(">", "&gt;").replace("`", "\\`"))


def markdown(r: CaDrillReport) -> str:
    when = time.strftime("%Y-%m-%d %H:%M:%S %Z", time.localtime(r.started))
    lines = [f"# CA drill: {_cell(r.ca)} refuses ({r.outcome})", "",
             f"Started {when}; {'in a lab, the CA really stopped' if r.real else 'simulated'}"
             f"; names: {_cell(', '.join(r.names))}.", "",
             "| phase | where | at | took | result | detail |",
             "| --- | --- | ---: | ---: | --- | --- |"]
    for p in r.phases:
        lines.append(f"| {p.name} | {_cell(p.provider or '-')} | {p.start:.2f} s | "
                     f"{p.seconds:.2f} s | {'ok' if p.ok else 'FAILED'} | {_cell(p.detail)} |")
    if r.errors:
        lines += ["", "## Problems", ""] + [f"- {_cell(e)}" for e in r.errors]
    return "\n".join(lines) + "\n"


def write(report: CaDrillReport, directory: Path) -> list[Path]:
    """report.md and report.json in ``directory``; their paths."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = [directory / "report.md", directory / "report.json"]
    write_file(paths[0], markdown(report).encode("utf-8"))
    write_file(paths[1], (json.dumps(report.to_json(), indent=2, sort_keys=True)
                          + "\n").encode("utf-8"))
    return paths
