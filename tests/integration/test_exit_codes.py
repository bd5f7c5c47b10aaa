"""Every row of the exit-code table (failover/exitcodes.py, README's "Exit codes") against the lab.

Each test makes its row happen for real, as cron would meet it: `failover` run as a
subprocess (CI=true, no terminal) against the lab's BIND, Knot, moto and origins. The
first test checks that every row of the table has a test here, so a new code cannot
be added without one.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from failover import exitcodes
from lab.core import kill

pytestmark = pytest.mark.integration

DEAD_ROUTE53 = (r'(route53: \{[^}]*endpoint_url: )"http://127\.0\.0\.1:\d+"',
                r'\1"http://127.0.0.1:9"')
DEAD_BIND = (r"port: \d+, tsig", "port: 9, timeout: 1s, tsig")


def failover(config: Path | str, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    env = {**os.environ, "CI": "true", "COLUMNS": "80"}
    return subprocess.run([sys.executable, "-m", "cli.app", "-c", str(config), *args],
                          capture_output=True, text=True, timeout=timeout, env=env,
                          stdin=subprocess.DEVNULL)


def variant(lab: dict[str, Any], name: str, *subs: tuple[str, str]) -> Path:
    text = Path(lab["config"]).read_text()
    for pattern, repl in subs:
        new = re.sub(pattern, repl, text, count=1)
        assert new != text, pattern
        text = new
    path = lab["dir"] / name
    path.write_text(text)
    return path


def broken(lab: dict[str, Any]) -> Path:
    return variant(lab, "broken.yaml", (r"fall: 2", "fall: 2\nfal: 3"))


def said(proc: subprocess.CompletedProcess) -> str:
    return proc.stdout + proc.stderr


# -- every row has a test --------------------------------------------------------------

TESTED = {
    ("reporting", 0): "test_reporting_0_ok",
    ("reporting", 1): "test_reporting_1_warning",
    ("reporting", 2): "test_reporting_2_a_dns_provider_not_answering",  # and:
    # test_reporting_2_a_pinned_target_down
    ("reporting", 3): "test_reporting_3_nothing_judged",
    ("reporting", 64): "test_64_usage",
    ("reporting", 130): "test_130_interrupted",
    ("acting", 0): "test_acting_0_done",
    ("acting", 1): "test_acting_1_done_with_a_warning",
    ("acting", 2): "test_acting_2_failed_or_partial",
    ("acting", 3): "test_acting_3_nothing_done",
    ("acting", 4): "test_acting_4_refused",
    ("acting", 5): "test_acting_5_busy",
    ("acting", 64): "test_64_usage",
    ("acting", 130): "test_130_interrupted",
    ("plan", 0): "test_plan_detailed_exitcode",
    ("plan", 1): "test_plan_detailed_exitcode",
    ("plan", 2): "test_plan_detailed_exitcode",
}


def test_every_row_of_the_table_has_a_test() -> None:
    rows = {("reporting", r.code) for r in exitcodes.ROWS if r.reporting != "-"}
    rows |= {("acting", r.code) for r in exitcodes.ROWS if r.acting != "-"}
    rows |= {("plan", code) for code, _ in exitcodes.PLAN_ROWS}
    assert rows == set(TESTED)
    assert all(name in globals() for name in TESTED.values())


# -- reporting commands ----------------------------------------------------------------

def test_reporting_0_ok(lab: dict[str, Any]) -> None:
    assert failover(lab["config"], "check").returncode == 0


def test_reporting_1_warning(lab: dict[str, Any]) -> None:
    kill(lab["dir"], "aws")
    first = failover(lab["config"], "check")          # 1 of fall 2 failures: DEGRADED
    assert first.returncode == 1, said(first)
    assert "DEGRADED" in first.stdout


def test_reporting_2_a_dns_provider_not_answering(lab: dict[str, Any]) -> None:
    """BIND not answering is CRITICAL (it was 3, which cron read as "the check is broken")."""
    config = variant(lab, "deadbind.yaml", DEAD_BIND)
    proc = failover(config, "check")
    assert proc.returncode == 2, said(proc)
    assert re.search(r"bind.*does not answer", proc.stdout), proc.stdout


def test_reporting_2_a_pinned_target_down(lab: dict[str, Any]) -> None:
    """`reconcile --auto-move` that a strict pin keeps on a DOWN hosting: CRITICAL, never 1."""
    config = variant(lab, "strict.yaml", (r"verify: \{", "pins: {strict: true}\nverify: {"))
    moved = failover(config, "move", "--off", "aws", "--yes")         # pins gcp-euw1
    assert moved.returncode == 0, said(moved)
    kill(lab["dir"], "gcp")
    for _ in range(2):                                                # fall: 2 -> DOWN
        failover(config, "check")
    cycle = failover(config, "reconcile", "--auto-move")
    assert cycle.returncode == 2, said(cycle)
    assert "pin" in cycle.stdout, cycle.stdout


def test_reporting_3_nothing_judged(lab: dict[str, Any]) -> None:
    for command in (["check"], ["status"], ["validate"]):
        proc = failover(broken(lab), *command)
        assert proc.returncode == 3, (command, said(proc))
        assert "fal: unknown key" in proc.stderr


# -- acting commands -------------------------------------------------------------------

def test_acting_0_done(lab: dict[str, Any]) -> None:
    proc = failover(lab["config"], "move", "--off", "aws", "--yes")
    assert proc.returncode == 0, said(proc)


def test_acting_1_done_with_a_warning(lab: dict[str, Any]) -> None:
    """Evacuating aws while aws's own DNS provider (Route 53) does not answer: done at
    BIND, and the evacuated vendor's provider is tolerated."""
    config = variant(lab, "deadr53.yaml", DEAD_ROUTE53)
    proc = failover(config, "move", "--off", "aws", "--yes")
    assert proc.returncode == 1, said(proc)


def test_acting_2_failed_or_partial(lab: dict[str, Any]) -> None:
    """BIND (metal, not evacuated) does not answer: nothing can be promised there."""
    config = variant(lab, "deadbind.yaml", DEAD_BIND)
    proc = failover(config, "move", "--off", "aws", "--yes", "--force")
    assert proc.returncode == 2, said(proc)


def test_acting_3_nothing_done(lab: dict[str, Any]) -> None:
    proc = failover(broken(lab), "move", "--off", "aws", "--yes")
    assert proc.returncode == 3, said(proc)


def test_acting_4_refused(lab: dict[str, Any]) -> None:
    stale = failover(lab["config"], "move", "--off", "aws", "--yes", "--checksum", "0" * 16)
    assert stale.returncode == 4 and "not the reviewed" in stale.stderr, said(stale)
    no_terminal = failover(lab["config"], "move", "--off", "aws")
    assert no_terminal.returncode == 4 and "pass --yes" in no_terminal.stderr
    nothing = failover(lab["config"], "rollback", "--yes")
    assert nothing.returncode == 3, said(nothing)             # nothing to roll back: not a no


def test_acting_5_busy(lab: dict[str, Any]) -> None:
    from failover.coord.local import lock_dir, zone_key
    from failover.coord.lock import MoveLock

    with MoveLock(lock_dir() / f"{zone_key('example.test.')}.lock", "failover move --to x"):
        proc = failover(lab["config"], "move", "--off", "aws", "--yes")
        resumed = failover(lab["config"], "resume")
    assert proc.returncode == 5, said(proc)
    assert "held by" in proc.stderr and "failover move --to x" in proc.stderr
    assert resumed.returncode == 5, said(resumed)


# -- both kinds ------------------------------------------------------------------------

def test_64_usage(lab: dict[str, Any]) -> None:
    for args in (["move", "--of", "aws"], ["check", "--format", "xml"], ["chek"]):
        proc = failover(lab["config"], *args)
        assert proc.returncode == 64, (args, said(proc))
        assert len(proc.stderr.splitlines()) == 1


def test_130_interrupted(lab: dict[str, Any]) -> None:
    """Ctrl-C while `check` waits on a DNS server that never answers: 130, at most a line."""
    silent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    silent.bind(("127.0.0.1", 0))
    port = silent.getsockname()[1]
    config = variant(lab, "silent.yaml", (r"port: \d+, tsig", f"port: {port}, tsig"))
    env = {**os.environ, "CI": "true"}
    proc = subprocess.Popen([sys.executable, "-m", "cli.app", "-c", str(config), "check"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                            stdin=subprocess.DEVNULL)
    try:
        silent.settimeout(60)
        silent.recvfrom(4096)                         # it is asking: it is mid-check
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        silent.close()
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err
    assert "Traceback" not in err and len(err.strip().splitlines()) <= 1, err


# -- plan --detailed-exitcode ----------------------------------------------------------

def test_plan_detailed_exitcode(lab: dict[str, Any]) -> None:
    same = failover(lab["config"], "plan", "--detailed-exitcode")
    assert same.returncode == 0, said(same)
    changes = failover(lab["config"], "plan", "--off", "aws", "--detailed-exitcode")
    assert changes.returncode == 2, said(changes)
    error = failover(broken(lab), "plan", "--detailed-exitcode")
    assert error.returncode == 1 and "fal: unknown key" in error.stderr, said(error)
    started = time.monotonic()
    unreadable = failover(variant(lab, "deadbind.yaml", DEAD_BIND), "plan", "--off", "aws",
                          "--detailed-exitcode")
    assert unreadable.returncode == 1, (said(unreadable), time.monotonic() - started)
