"""The peers and servers the bench runs, installed if missing, and their versions.

Debian packages: nginx (the HTTP targets), prometheus-blackbox-exporter (the
health-check peer), hyperfine (start-up timing), bind9 (the DNS server). They are
installed by ``scripts/setup.sh --bench`` (``make bench``), whose table names the
package of every program the project runs.
octoDNS, octodns-bind and py-spy go into a venv of their own, ``bench/.peers-venv``,
so that their pins never meet failover's. Pinned so a re-run measures the same
peers; a change of pins reinstalls.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from bench.procs import BenchError

BENCH = Path(__file__).resolve().parent
PEERS_VENV = BENCH / ".peers-venv"
# py-spy samples failover's threads for the profiles shown where a target is missed.
PEERS_PIP = ("octodns==1.22.0", "octodns-bind==1.1.0", "py-spy==0.4.3")

# The Debian programs the bench runs (scripts/setup.sh --bench installs them).
PROGRAMS = ("nginx", "prometheus-blackbox-exporter", "hyperfine", "named")
SBIN = ("/usr/sbin", "/usr/local/sbin", "/sbin")


def which(program: str) -> str | None:
    """The program on PATH or in an sbin folder (named and nginx live there)."""
    found = shutil.which(program)
    if found:
        return found
    for folder in SBIN:
        path = os.path.join(folder, program)
        if os.access(path, os.X_OK):
            return path
    return None


def program(name: str) -> str:
    """The path of a required program, or a BenchError that says how to install it."""
    path = which(name)
    if path is None:
        raise BenchError(f"{name} is not installed; install the bench's peers with: "
                         "sudo bash scripts/setup.sh --bench")
    return path


def ensure(log: Path) -> None:
    """Check the Debian programs are there; install the octoDNS venv with pip."""
    missing = [prog for prog in PROGRAMS if which(prog) is None]
    if missing:
        raise BenchError(f"missing programs: {' '.join(missing)}; install the bench's peers "
                         "with: sudo bash scripts/setup.sh --bench (make bench does)")
    stamp = PEERS_VENV / (".installed-" + hashlib.sha256(" ".join(PEERS_PIP).encode())
                          .hexdigest()[:12])
    if not stamp.exists():
        print(f"bench: installing {', '.join(PEERS_PIP)} into {PEERS_VENV}", flush=True)
        if not (PEERS_VENV / "bin" / "python").exists():
            _run([_base_python(), "-m", "venv", str(PEERS_VENV)], log, None, "python -m venv")
        _run([str(PEERS_VENV / "bin" / "pip"), "install", "-q", *PEERS_PIP], log, None,
             f"pip install {' '.join(PEERS_PIP)}")
        for old in PEERS_VENV.glob(".installed-*"):
            old.unlink()
        stamp.touch()


def _base_python() -> str:
    """The interpreter the project's venv was made from (a venv of a venv works too)."""
    base = getattr(sys, "_base_executable", None)
    return base if base and os.path.exists(base) else sys.executable


def _run(argv: list[str], log: Path, env: dict[str, str] | None, what: str) -> None:
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "ab") as out:
        result = subprocess.run(argv, stdout=out, stderr=subprocess.STDOUT, env=env,
                                check=False, timeout=1800)
    if result.returncode != 0:
        raise BenchError(f"{what} failed (exit {result.returncode}); see {log}")


def octodns_sync() -> Path:
    path = PEERS_VENV / "bin" / "octodns-sync"
    if not path.exists():
        raise BenchError(f"octoDNS is not installed in {PEERS_VENV}; run `make bench` "
                         "(it installs it) or `python -m bench` without --no-install")
    return path


def versions() -> dict[str, str]:
    """Each peer's version as it reports it."""
    out: dict[str, str] = {}
    flags = {"nginx": ["-v"], "named": ["-v"]}
    for name in PROGRAMS:
        args = flags.get(name, ["--version"])
        path = which(name)
        if path is None:
            out[name] = "not installed"
            continue
        text = _output([path, *args])
        out[name] = (first_version(text) or text.splitlines()[0]) if text else "unknown"
    python = PEERS_VENV / "bin" / "python"
    if python.exists():
        text = _output([str(python), "-c", "import importlib.metadata as m; print(' '.join("
                        "m.version(p) for p in ('octodns', 'octodns-bind', 'dnspython')))"])
        parts = text.split()
        if len(parts) == 3:
            out["octodns"], out["octodns-bind"], out["dnspython (peers venv)"] = parts
    return out


def _output(argv: list[str]) -> str:
    try:
        result = subprocess.run(argv, capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.SubprocessError):
        return ""
    return (result.stdout + result.stderr).strip()


_VERSION = re.compile(r"\b(\d+\.\d+(?:\.\d+)?(?:[-+~][\w.+~-]*)?)")


def first_version(text: str) -> str | None:
    """The first version number in a program's ``--version`` text."""
    match = _VERSION.search(text)
    return match.group(1) if match else None
