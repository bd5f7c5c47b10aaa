"""The local backend: the lock and the pin are keyed by the zone, wherever the journal is."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from failover.config import parse_config
from failover.coord.base import Holder, Pin
from failover.coord.local import LOCK_DIR_ENV, lock_dir, zone_key
from failover.engine import Engine
from failover.errors import LockHeld

CONFIG = """
service: s
zone: {zone}
records: [{{name: www, type: A}}]
vendors: {{aws: {{}}, gcp: {{}}}}
hosting:
  a: {{vendor: aws, priority: 1, endpoints: {{A: [127.0.0.21]}}}}
  g: {{vendor: gcp, priority: 2, endpoints: {{A: [127.0.0.22]}}}}
dns:
  bind: {{vendor: gcp, kind: rfc2136, server: 127.0.0.1}}
journal: {journal}
"""


@pytest.fixture(autouse=True)
def locks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "locks"
    monkeypatch.setenv(LOCK_DIR_ENV, str(folder))
    return folder


def write_config(path: Path, journal: Path, zone: str = "example.test.") -> Path:
    path.write_text(CONFIG.format(zone=zone, journal=journal))
    return path


def engine_for(tmp_path: Path, name: str, zone: str = "example.test.") -> Engine:
    cfg = write_config(tmp_path / f"{name}.yaml", tmp_path / name / "j.sqlite", zone)
    return Engine(parse_config(cfg.read_text(), str(cfg)))


def test_two_journals_share_one_lock_per_zone(tmp_path: Path) -> None:
    one, two = engine_for(tmp_path, "one"), engine_for(tmp_path, "two")
    other_zone = engine_for(tmp_path, "three", zone="other.test.")
    try:
        assert one.journal.path != two.journal.path
        with one.lock("failover move --off aws"):
            with pytest.raises(LockHeld, match=r"held by .*\(pid \d+, host .*, since .*, "
                                               r"failover move --off aws\)"), two.lock():
                pass
            with other_zone.lock():   # another zone is not blocked
                pass
        with two.lock():
            pass
    finally:
        for e in (one, two, other_zone):
            e.close()


def test_pin_is_shared_by_zone_and_cleared_by_resume(tmp_path: Path) -> None:
    one, two = engine_for(tmp_path, "one"), engine_for(tmp_path, "two")
    try:
        assert two.coord.pin() is None
        one.coord.set_pin(Pin(Holder.me("laptop", "failover pause"), "paused"))
        pin = two.coord.pin()
        assert pin is not None and pin.reason == "paused" and pin.holder.node == "laptop"
        assert "until 'failover resume'" in pin.sentence()
        assert two.coord.clear_pin() == pin
        assert one.coord.pin() is None
    finally:
        one.close()
        two.close()


def test_lock_dir_falls_back_and_names_the_zone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(LOCK_DIR_ENV)
    assert lock_dir().is_dir()
    assert zone_key("Example.ORG.") == "example.org"
    assert zone_key("a/../b.") == "a_.._b"


MOVER = """
import os, sys, time
from pathlib import Path
from failover.config import load_config
from failover.engine import Engine
from failover.errors import LockHeld

engine = Engine(load_config(sys.argv[1]))
log = Path(sys.argv[2])
start, trials = float(sys.argv[3]), int(sys.argv[4])
for trial in range(trials):
    while time.time() < start + trial * PERIOD:
        time.sleep(0.001)
    try:
        with engine.lock("failover move"):
            with log.open("a") as f:
                f.write(f"begin {os.getpid()}\\n")
            time.sleep(0.3)             # a move's writes take a while
            with log.open("a") as f:
                f.write(f"end {os.getpid()}\\n")
        print("moved", trial, flush=True)
    except LockHeld as exc:
        print("held", trial, exc, flush=True)
engine.close()
""".replace("PERIOD", "0.8")


def run_movers(script: Path, configs: list[Path], log: Path, env: dict[str, str],
               trials: int = 10) -> None:
    """``trials`` rounds in two long-lived processes, both trying the lock at the same
    moments; asserts that no two ever held it at once, and that they did meet."""
    log.touch()
    start = time.time() + 2.0          # both are imported and waiting by then
    procs = [subprocess.Popen([sys.executable, str(script), str(c), str(log), str(start),
                               str(trials)], stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, env=env)
             for c in configs]
    outs = [p.communicate(timeout=120)[0] for p in procs]
    assert all(p.returncode == 0 for p in procs), outs
    lines = log.read_text().split()
    events = list(zip(lines[0::2], lines[1::2], strict=True))
    # Every 'begin' is followed by its own 'end' before any other 'begin'.
    for (b, pid1), (e, pid2) in zip(events[0::2], events[1::2], strict=True):
        assert (b, e) == ("begin", "end") and pid1 == pid2, lines
    rows = [line.split(" ", 2) for out in outs for line in out.splitlines()
            if line.startswith(("moved", "held"))]
    assert len(rows) == 2 * trials, outs
    for trial in range(trials):
        assert any(r[0] == "moved" and r[1] == str(trial) for r in rows), (trial, outs)
    held = [r[2] for r in rows if r[0] == "held"]
    assert held, "the movers never met: the test proved nothing"
    assert all("(pid" in h and "failover move" in h for h in held), held


def test_two_movers_with_different_journals_never_both_write(tmp_path: Path) -> None:
    """10 trials, real processes, one config copied with two journal files."""
    import os

    script = tmp_path / "mover.py"
    script.write_text(MOVER)
    configs = [write_config(tmp_path / f"c{i}.yaml", tmp_path / f"j{i}" / "j.sqlite")
               for i in (1, 2)]
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    run_movers(script, configs, tmp_path / "log", env)
