"""How long after a move its notices and the status page are out, in the lab.

``python -m bench.aftermath [--out DIR]`` starts a lab with the SaaS stand-ins
(``lab up --saas``), runs ``failover drill --vendor aws --terminate``, and reads the
journal: for the drill's move, seconds from the move's end (every authority verified,
journaled) to each channel's delivery and to each page target's publish; then takes a
Chromium screenshot of the page as the move left it. Prints one line per measure and
writes DIR/aftermath.json and DIR/page.png. Not part of ``python -m bench``: it needs
Chromium and takes about a minute.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any


def measure(out: Path) -> dict[str, Any]:
    from lab import browser
    from lab import core as lab_core

    out.mkdir(parents=True, exist_ok=True)
    root = Path(tempfile.mkdtemp(prefix="aftermath-"))
    lab = lab_core.up(root, saas=True)
    try:
        t0 = time.monotonic()
        drill = subprocess.run([sys.executable, "-m", "cli.app", "-c", lab["config"], "drill",
                                "--vendor", "aws", "--terminate", "--report", str(out / "drill")],
                               capture_output=True, text=True, env={**os.environ, "CI": "true"},
                               timeout=300, stdin=subprocess.DEVNULL)
        drill_seconds = time.monotonic() - t0
        report = json.loads((out / "drill" / "report.json").read_text())
        move_id = report["move"]["move_id"]
        db = sqlite3.connect(root / "journal.sqlite")
        finished = db.execute("SELECT finished FROM moves WHERE id=?", (move_id,)).fetchone()[0]
        rows = db.execute("SELECT kind, at, data FROM events WHERE kind IN ('notice', 'page')"
                          " ORDER BY id").fetchall()
        db.close()
        notices: list[dict[str, Any]] = []
        pages: list[dict[str, Any]] = []
        for kind, at, data in rows:
            d = json.loads(data)
            if d.get("move_id") != move_id:
                continue
            row = {"what": d.get("channel") or d.get("target"), "ok": d["ok"],
                   "after_move": round(at - finished, 3), "notice": d.get("notice")}
            (notices if kind == "notice" else pages).append(row)
        shot = browser.screenshot(f"{lab['pages']['local']}move-{move_id}.html",
                                  out / "page.png")
        result = {"drill_exit": drill.returncode, "drill_seconds": round(drill_seconds, 2),
                  "move_id": move_id, "move_seconds": report["move"]["seconds"],
                  "notices": notices, "pages": pages,
                  "notices_out": max((n["after_move"] for n in notices
                                      if n["ok"] and n["notice"] == "move"), default=None),
                  "page_out": max((p["after_move"] for p in pages if p["ok"]), default=None),
                  "screenshot": str(shot)}
    finally:
        lab_core.down(root)
    (out / "aftermath.json").write_text(json.dumps(result, indent=2) + "\n")
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.aftermath", description=__doc__)
    parser.add_argument("--out", type=Path, default=Path("aftermath"))
    args = parser.parse_args(argv)
    r = measure(args.out)
    print(f"drill exit {r['drill_exit']} in {r['drill_seconds']} s; move {r['move_id']} took "
          f"{r['move_seconds']} s")
    for n in r["notices"]:
        print(f"notice {n['notice']:<15} {n['what']:<6} {'ok' if n['ok'] else 'FAILED':<6} "
              f"+{n['after_move']:.3f} s after the move")
    for p in r["pages"]:
        print(f"page   {p['what']:<40} {'ok' if p['ok'] else 'FAILED':<6} "
              f"+{p['after_move']:.3f} s after the move")
    print(f"notices out +{r['notices_out']} s, page out +{r['page_out']} s; "
          f"screenshot {r['screenshot']}")
    return 0 if r["drill_exit"] == 0 else 2


if __name__ == "__main__":
    sys.exit(main())
