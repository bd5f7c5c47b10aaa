"""Headless Chromium (Debian's ``chromium``) for the lab: read a page's DOM, take a screenshot.

Each call runs one browser with a throw-away profile, no network but what the URL asks
for (``--disable-background-networking``), and a timeout. As root Chromium needs
``--no-sandbox``. Its stderr carries D-Bus noise even when all is well: only the exit
code and the output count.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from lab.procs import LabError

TIMEOUT = 60.0


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "/usr/bin/chromium"):
        path = shutil.which(name)
        if path:
            return path
    raise LabError("no chromium on this machine; install Debian's chromium "
                   "(bash scripts/setup.sh does)")


def _run(url: str, *extra: str, timeout: float) -> subprocess.CompletedProcess[str]:
    with tempfile.TemporaryDirectory(prefix="lab-chromium-") as profile:
        argv = [chromium(), "--headless", "--no-sandbox", "--disable-gpu",
                "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--no-first-run", "--disable-extensions",
                f"--user-data-dir={profile}", *extra, url]
        try:
            proc = subprocess.run(argv, capture_output=True, text=True, timeout=timeout,
                                  stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            raise LabError(f"chromium did not finish {url} within {timeout:g}s") from None
    if proc.returncode != 0:
        tail = " ".join(proc.stderr.split()[-30:])
        raise LabError(f"chromium exited {proc.returncode} on {url}: {tail}")
    return proc


def dump_dom(url: str, *, timeout: float = TIMEOUT) -> str:
    """The DOM of ``url`` after the page loaded, serialised as HTML."""
    return _run(url, "--dump-dom", timeout=timeout).stdout


def screenshot(url: str, path: Path, *, size: tuple[int, int] = (1000, 1400),
               timeout: float = TIMEOUT) -> Path:
    """A PNG of ``url`` at ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    _run(url, f"--screenshot={path}", f"--window-size={size[0]},{size[1]}",
         "--hide-scrollbars", timeout=timeout)
    if not path.exists() or path.stat().st_size == 0:
        raise LabError(f"chromium wrote no screenshot of {url} to {path}")
    return path
