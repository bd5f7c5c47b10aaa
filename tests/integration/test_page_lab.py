"""The status page in a real browser: published by a move to a local folder, the moto
bucket and a webhook, opened from each over loopback HTTP by headless Chromium, whose
DOM must show the served hosting and the verdicts."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from lab import browser
from lab.core import kill

pytestmark = pytest.mark.integration


def failover(config: Path | str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CI": "true"}
    return subprocess.run([sys.executable, "-m", "cli.app", "-c", str(config), *args],
                          capture_output=True, text=True, timeout=120, env=env,
                          stdin=subprocess.DEVNULL)


def rows(dom: str, table: str) -> dict[str, str]:
    """id -> the data-* attribute of each row of one table in a DOM dump."""
    attr = {"hosting": "data-verdict", "provider": "data-serving"}[table]
    return {m.group(1): m.group(2) for m in
            re.finditer(rf'<tr id="{table}-([^"]+)" {attr}="([^"]*)"', dom)}


def test_a_move_is_seen_by_chromium_on_every_target(lab: dict[str, Any], tmp_path: Path) -> None:
    config = lab["config"]
    kill(lab["dir"], "aws")
    failover(config, "check")
    checked = failover(config, "check")             # fall 2: DOWN on the second
    assert checked.returncode == 2, checked.stdout
    moved = failover(config, "move", "--off", "aws", "--yes")
    assert moved.returncode == 0, moved.stdout + moved.stderr
    move_id = re.search(r"move (\d+) done", moved.stdout).group(1)  # type: ignore[union-attr]
    pages = lab["pages"]
    for name in ("local", "s3", "webhook"):
        for page in ("index.html", f"move-{move_id}.html"):
            dom = browser.dump_dom(pages[name] + page)
            providers = rows(dom, "provider")
            assert providers == {"route53": "gcp-euw1", "bind": "gcp-euw1"}, (name, page)
            hostings = rows(dom, "hosting")
            assert hostings["aws-use1"] == "DOWN" and hostings["gcp-euw1"] == "UP", (name, page)
            assert f'id="move-{move_id}" data-state="done"' in dom
            assert re.search(r'<time id="generated" datetime="[0-9T:-]+Z">', dom)
            assert "<script" not in dom and "http://" not in dom.split("<body", 1)[1] \
                .replace(pages[name], "")
            audience = "internal" if name == "local" else "public"
            assert f'data-audience="{audience}"' in dom
            if audience == "public":        # no addresses, no reasons on the public page
                assert "127.0.0." not in dom
    shot = browser.screenshot(pages["s3"] + "index.html", tmp_path / "page.png")
    assert shot.stat().st_size > 10_000


def test_page_out_writes_one_self_contained_file(lab: dict[str, Any], tmp_path: Path) -> None:
    made = failover(lab["config"], "page", "--out", str(tmp_path / "p"), "--audience",
                    "internal")
    assert made.returncode == 0, made.stderr
    html = (tmp_path / "p" / "index.html").read_text()
    assert "<script" not in html and "<link" not in html and "src=" not in html
    assert 'id="provider-route53" data-serving="aws-use1"' in html


def test_a_dead_target_fails_no_cycle(lab: dict[str, Any]) -> None:
    """The webhook target at a dead port: reconcile still ends its cycle with its own exit
    code, and the other targets still get the page."""
    cfg = Path(lab["config"])
    (Path(lab["dir"]) / "notify" / "page.url").write_text(
        f"http://127.0.0.1:{lab['dead_port']}/pub/index.html\n")
    done = failover(cfg, "reconcile")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "cycle 1" in done.stdout
    assert (Path(lab["dir"]) / "www" / "local" / "index.html").exists()
    published = failover(cfg, "page", "--publish", "-f", "json")
    assert published.returncode == 1
    assert '"ok": false' in published.stdout and "connection refused" in published.stdout
