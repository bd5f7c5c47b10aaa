"""Tables and lines that fit 80 columns (the width when piped), and use 160 when there.

Key columns stay whole; secondary text is cut with an ellipsis where its full
form is shown elsewhere (history's WHY in 'history ID' and JSON, a failed
verification's reason below the move's table).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from rich.console import Console

import cli.common
from cli import moves
from failover.journal import Journal
from failover.move import MoveResult, StepResult, Verification
from failover.plan import PlanLine

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = Path(sys.executable).parent / "failover"
REASON = ("aws-use1 is DOWN (all 2 probes failed: connection refused); serving gcp-euw1 "
          "and metal-fra instead, by policy active-passive")
CONFIG = """service: demo
zone: example.test.
records: [{name: www, type: A}]
vendors: {a: {}, b: {}}
hosting:
  one: {vendor: a, endpoints: {A: [127.0.0.1]}}
  two: {vendor: b, endpoints: {A: [127.0.0.2]}}
dns:
  bind: {vendor: a, kind: rfc2136, server: 127.0.0.1, port: 9}
"""


def width(line: str) -> int:
    return len(line.rstrip("\n"))


@pytest.fixture(scope="module")
def journal_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("history")
    (d / "failover.yaml").write_text(CONFIG)
    (d / ".failover").mkdir()
    j = Journal(d / ".failover" / "journal.sqlite")
    for i in range(3):
        mid = j.begin_move(kind="move", at=time.time() - 100 + i, reason=REASON, args={},
                           checksum="3f9a0c2d1b7e4a55", steps=[])
        j.move_state(mid, "done", at=time.time() - 99 + i, summary="written")
    j.close()
    return d


def history(d: Path, columns: int) -> list[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": str(columns)}
    result = subprocess.run([str(SCRIPT), "-c", str(d / "failover.yaml"), "history"],
                            capture_output=True, text=True, env=env, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


def test_history_at_80_columns(journal_dir: Path) -> None:
    lines = history(journal_dir, 80)
    assert all(width(line) <= 80 for line in lines), lines
    assert lines[0].split() == ["ID", "KIND", "STARTED", "TOOK", "STATE", "WHY"]
    for line in lines[1:]:
        assert line.split()[0] in {"1", "2", "3"} and " done " in line
        assert line.rstrip().endswith("…")          # cut, one line per move
    assert len(lines) == 4
    assert "3f9a0c2d1b7e4a55" not in "\n".join(lines)   # CHECKSUM dropped when narrow


def test_history_at_160_columns(journal_dir: Path) -> None:
    lines = history(journal_dir, 160)
    assert all(width(line) <= 160 for line in lines), lines
    assert "CHECKSUM" in lines[0] and "3f9a0c2d1b7e4a55" in lines[1]
    assert "serving gcp-euw1" in lines[1]
    assert len(lines) == 4


@pytest.fixture
def console(request: pytest.FixtureRequest) -> Iterator[Console]:
    c = Console(width=request.param, record=True, highlight=False, soft_wrap=True,
                force_terminal=False, file=open(os.devnull, "w"))  # noqa: SIM115
    saved = cli.common._out
    cli.common._out = c
    yield c
    cli.common._out = saved
    c.file.close()


def result() -> MoveResult:
    long = ("no answer from 127.0.0.1:53001 after 15.00 s: the server timed out; it "
            "still serves the old answers 127.0.0.11")
    steps = [StepResult("route53", "aws", "unreachable", 2, tolerated=True,
                        error="could not connect to http://127.0.0.1:9/ (connection refused); "
                              "tolerated because vendor aws is being evacuated"),
             StepResult("bind", "colo-fra", "applied", 2, tolerated=False, apply_seconds=0.012,
                        verifications=[Verification("bind", "bind 127.0.0.1:53001", False,
                                                    15.0, long),
                                       Verification("bind", "knot 127.0.0.2:53002", True,
                                                    0.004, "ok")])]
    return MoveResult(7, "move", "unverified", "3f9a0c2d1b7e4a55", 15.2, steps,
                      "move unverified in 15.20 s; bind not verified at 1 of 2 servers")


@pytest.mark.parametrize("console", [80, 160], indirect=True)
def test_move_result_keeps_errors_out_of_the_converged_column(console: Console) -> None:
    moves._show_result(result())
    lines = console.export_text().splitlines()
    assert all(width(line) <= console.width for line in lines), lines
    head = lines[0].split()
    # VENDOR is dropped when the line is too narrow for it; the key columns stay whole.
    vendor = ["VENDOR"] if console.width >= 100 else []
    assert head == ["PROVIDER", *vendor, "WRITE", "TOOK", "VERIFIED", "AT", "CONVERGED"]
    # The route53 row says no verification; its error is its own line below the table.
    route53 = next(line for line in lines if line.startswith("route53"))
    assert route53.split()[-1] == "-"
    assert any(line.startswith("route53: could not connect") for line in lines)
    assert "unreachable (tolerated)" in route53
    assert any(line.startswith("bind at bind 127.0.0.1:53001: no answer") for line in lines)
    assert any("knot 127.0.0.2:53002" in line and "4 ms" in line for line in lines)


@pytest.mark.parametrize("console", [80, 160], indirect=True)
def test_move_result_gives_the_whole_time_with_planning(console: Console) -> None:
    # A hung provider is felt while planning, not in the writes: the wall time says so.
    moves._show_result(result(), planning=12.5)
    lines = console.export_text().splitlines()
    assert all(width(line) <= console.width for line in lines), lines
    at = next(i for i, line in enumerate(lines) if line.startswith("move 7 unverified in 15.20 s"))
    assert lines[at + 1] == "27.70 s in all, 12.50 s of it planning (checks and reads)"


@pytest.mark.parametrize("columns", [80, 160])
def test_checksum_line_fits(columns: int) -> None:
    c = Console(width=columns, record=True, highlight=False, file=open(os.devnull, "w"))  # noqa: SIM115
    c.print(moves._markup(PlanLine("checksum", "3f9a0c2d1b7e4a55")))
    (line,) = c.export_text().splitlines()
    assert width(line) <= 80
    assert line.count("3f9a0c2d1b7e4a55") == 2 and "--checksum" in line
    c.file.close()


@pytest.mark.parametrize("console", [80, 160], indirect=True)
def test_drill_table_fits(console: Console) -> None:
    from cli import drill
    from tests.unit.test_drill_timeline import report

    r = report()
    r.ttl = 5
    drill._show(r, [])
    lines = console.export_text().splitlines()
    assert all(width(line) <= console.width for line in lines), lines
    assert lines[0].split() == ["PHASE", "AT", "TOOK", "RESULT", "WHERE", "DETAIL"]
    phases = [line.split()[0] for line in lines[1:] if line[:1].strip()][:13]
    assert phases[:4] == ["stop", "detect", "decide", "plan"]
    assert "rollback-verify" in phases                # the phase's name is never cut
    assert any("bind 127.0.0.1:5300" in line for line in lines)
    text = " ".join(lines)
    assert "users off at worst (+TTL 5s) 9.20 s" in text
    # The detail wraps under its column at word boundaries (issue 20): every word whole.
    words = set(text.split())
    assert all(set(p.detail.split()) <= words for p in r.phases), text
