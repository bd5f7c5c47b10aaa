"""Local files another user could use against us (issue 21): the lock directory is ours and
0755, and a pin or a lock file owned by another uid (here ``nobody``, chowned as root) is
refused in one line, never obeyed.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from failover.config import parse_config
from failover.coord.base import Holder, Pin
from failover.coord.local import LOCK_DIR_ENV, lock_dir
from failover.engine import Engine
from failover.errors import JournalError

NOBODY = 65534
CONFIG = """
service: s
zone: example.test.
records: [{{name: www, type: A}}]
vendors: {{aws: {{}}}}
hosting:
  a: {{vendor: aws, endpoints: {{A: [127.0.0.21]}}}}
dns:
  bind: {{vendor: aws, kind: rfc2136, server: 127.0.0.1}}
journal: {journal}
"""

needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="chown to another uid needs root")


@pytest.fixture
def locks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "locks"
    monkeypatch.setenv(LOCK_DIR_ENV, str(folder))
    return folder


def _engine(tmp_path: Path) -> Engine:
    text = CONFIG.format(journal=tmp_path / "j" / "journal.sqlite")
    return Engine(parse_config(text, str(tmp_path / "failover.yaml")))


def test_the_lock_directory_is_ours_and_0755(locks: Path) -> None:
    assert stat.S_IMODE(lock_dir().stat().st_mode) == 0o755
    locks.chmod(0o1777)            # as an older failover made it
    assert stat.S_IMODE(lock_dir().stat().st_mode) == 0o755


@needs_root
def test_a_lock_directory_of_another_user_is_refused(locks: Path) -> None:
    locks.mkdir()
    os.chown(locks, NOBODY, NOBODY)
    with pytest.raises(JournalError) as info:
        lock_dir()
    said = str(info.value)
    assert f"owned by uid {NOBODY}" in said and LOCK_DIR_ENV in said and "\n" not in said


@needs_root
def test_a_pin_forged_by_another_uid_is_refused(tmp_path: Path, locks: Path) -> None:
    engine = _engine(tmp_path)
    try:
        coord = engine.coord
        coord.set_pin(Pin(Holder.me("laptop", "failover pause"), "paused"))
        path = locks / "example.test.pin.json"
        assert stat.S_IMODE(path.stat().st_mode) == 0o644
        assert coord.pin() is not None
        os.chown(path, NOBODY, NOBODY)
        with pytest.raises(JournalError) as info:
            coord.pin()
        assert f"a pin owned by uid {NOBODY}" in str(info.value)
        assert coord.clear_pin() is None and not path.exists()   # resume removes it
    finally:
        engine.close()


@needs_root
def test_a_lock_file_of_another_uid_is_refused(tmp_path: Path, locks: Path) -> None:
    engine = _engine(tmp_path)
    try:
        with engine.lock():
            pass
        path = locks / "example.test.lock"
        os.chown(path, NOBODY, NOBODY)
        with pytest.raises(JournalError, match=f"a lock owned by uid {NOBODY}"), engine.lock():
            pass
        path.unlink()
        path.symlink_to(tmp_path / "elsewhere")
        with pytest.raises(JournalError, match="cannot open the move lock"), engine.lock():
            pass
    finally:
        engine.close()


def test_drill_reports_and_the_internal_page_are_0600_the_public_page_0644(
        tmp_path: Path) -> None:
    from failover.drill import DrillReport
    from failover.reports.drillreport import write_report
    from failover.reports.publish import publish

    report = DrillReport("s", "example.test.", "aws", "simulate", False, "f.yaml", 10.0, 3, 2,
                         5.0, ["a"], 1000.0, finished=1010.0)
    for path in write_report(report, tmp_path / "drill"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    text = CONFIG.format(journal=tmp_path / "j.sqlite") + f"""page:
  targets:
    - {{kind: dir, path: {tmp_path}/public}}
    - {{kind: dir, path: {tmp_path}/internal, audience: internal}}
"""
    config = parse_config(text, str(tmp_path / "failover.yaml"))
    assert all(r.ok for r in publish(config, {"public": "<p>1</p>", "internal": "<p>2</p>"},
                                     move_id=7))
    for name in ("index.html", "move-7.html"):
        assert stat.S_IMODE((tmp_path / "public" / name).stat().st_mode) == 0o644
        assert stat.S_IMODE((tmp_path / "internal" / name).stat().st_mode) == 0o600
    assert sorted(p.name for p in (tmp_path / "internal").iterdir()) == ["index.html",
                                                                          "move-7.html"]


def test_the_journal_is_0600_and_its_folder_is_not_made_from_the_root(tmp_path: Path) -> None:
    from failover.journal import Journal

    Journal(tmp_path / ".failover" / "journal.sqlite").close()   # the default's one level
    path = tmp_path / ".failover" / "journal.sqlite"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    path.chmod(0o666)                     # as an older failover left it under umask 0
    Journal(path).close()
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    with pytest.raises(JournalError) as info:
        Journal(tmp_path / "nonexistent" / "x" / "journal.sqlite")
    said = str(info.value)
    assert "does not exist" in said and "'journal:'" in said and "\n" not in said
    assert not (tmp_path / "nonexistent").exists()
