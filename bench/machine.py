"""What machine the numbers were taken on: cores, memory, CPU model, load, Python, commit."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def describe() -> dict[str, Any]:
    """The machine now: cores, memory, CPU model, load average, kernel, Python, git commit."""
    return {
        "nproc": len(os.sched_getaffinity(0)),
        "memory_kib": meminfo_kib("MemTotal"),
        "available_kib": meminfo_kib("MemAvailable"),
        "cpu_model": cpu_model(Path("/proc/cpuinfo").read_text(errors="replace")),
        "loadavg": os.getloadavg(),
        "kernel": platform.release(),
        "python": sys.version.split()[0],
        "commit": _commit(),
    }


def meminfo_kib(field: str) -> int | None:
    """A field of ``/proc/meminfo`` in KiB."""
    try:
        text = Path("/proc/meminfo").read_text()
    except OSError:
        return None
    for line in text.splitlines():
        name, _, value = line.partition(":")
        if name == field:
            return int(value.split()[0])
    return None


def cpu_model(cpuinfo: str) -> str:
    """The first ``model name`` in the text of ``/proc/cpuinfo`` (or what the kernel offers)."""
    for key in ("model name", "Model", "cpu model", "Hardware"):
        for line in cpuinfo.splitlines():
            name, sep, value = line.partition(":")
            if sep and name.strip() == key and value.strip():
                return value.strip()
    return platform.processor() or "unknown"


def _commit() -> str:
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, text=True,
                              capture_output=True, check=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                               cwd=ROOT, text=True, capture_output=True, check=True,
                               timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return f"{head} (with uncommitted changes)" if dirty else head
