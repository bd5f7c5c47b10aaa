"""Profiles for the report when a target is missed: sampled stacks, and import times.

``profile_module`` runs ``python -m MODULE ARGS`` under py-spy (from the peers
venv), which samples every thread from outside the process: failover's moves
read, write and verify on worker threads, where cProfile sees only the main
thread. If py-spy cannot attach (no ptrace here), cProfile is used instead
and the report says so. Tables show, per function, the share of samples in
which it was on the stack (*inclusive*: what the time was spent under) and at
the top of the stack (*own*: where the CPU went). Start-up is profiled with
``-X importtime`` instead: there the imports are the story.
"""

from __future__ import annotations

import os
import pstats
import re
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bench import peers
from bench.procs import ROOT, Timed, run_timed

SAMPLES_PER_SECOND = 200


@dataclass
class Profile:
    """A profiled run: how long it took while profiled, the tables, and a one-line summary."""

    timed: Timed
    tool: str
    tables: list[str]
    summary: str = ""


def profile_module(module: str, args: Sequence[str], stem: Path, *, env: dict[str, str],
                   cwd: Path | None = None, timeout: float = 600.0, idle: bool = False,
                   focus: str | None = None, rate: int = SAMPLES_PER_SECOND) -> Profile:
    """Run ``python -m module args`` under py-spy (else cProfile); ``stem`` names the files.

    ``idle`` keeps samples of threads that wait (on a socket, a sleep, another
    thread), for wall-time questions; ``focus`` keeps only the stacks that pass
    through the function of that name (e.g. ``probe_all``, leaving out start-up).
    """
    stem.parent.mkdir(parents=True, exist_ok=True)
    spy = peers.PEERS_VENV / "bin" / "py-spy"
    command = [sys.executable, "-m", module, *args]
    if spy.exists():
        raw = stem.with_suffix(".stacks")
        timed = run_timed([str(spy), "record", "-r", str(rate), "-f", "raw",
                           *(["--idle"] if idle else []), "-o", str(raw), "--", *command],
                          stem.with_suffix(".out"), env=env, cwd=cwd, timeout=timeout)
        if raw.exists() and raw.stat().st_size:
            kind = ("every thread's samples, waiting included (a thread waiting on another "
                    "counts too)" if idle else "on-CPU samples of every thread")
            where = f", only stacks through `{focus}`" if focus else ""
            text = raw.read_text()
            return Profile(timed, f"py-spy, {rate} samples/s, {kind}{where}",
                           stack_table(text, focus=focus), hot_spots(text, focus=focus))
    stats = stem.with_suffix(".prof")
    timed = run_timed([sys.executable, "-m", "cProfile", "-o", str(stats), "-m", module, *args],
                      stem.with_suffix(".out"), env=env, cwd=cwd, timeout=timeout)
    tables = ["By cumulative time:", "", *cprofile_table(stats), "", "By own time:", "",
              *cprofile_table(stats, sort="tottime")]
    return Profile(timed, "cProfile (py-spy could not attach): main thread only", tables,
                   "see the cProfile tables")


# -- py-spy's collapsed stacks ---------------------------------------------------------

_FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>.*?)(?::\d+)?\)$")


@dataclass
class Samples:
    """Sampled stacks summed per function: on the stack at all, and at its top."""

    total: int
    inclusive: Counter[str]
    own: Counter[str]
    innermost: Counter[str]   # the deepest frame of the project's own code ("" if none)
    thread_waits: int = 0     # samples of a thread waiting on another (not in innermost)


def read_stacks(raw: str, focus: str | None = None) -> Samples:
    """py-spy's raw (collapsed) stacks; with ``focus``, only stacks through that function."""
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    innermost: Counter[str] = Counter()
    total = waits = 0
    for line in raw.splitlines():
        stack, _, samples = line.rpartition(" ")
        if not stack or not samples.isdigit():
            continue
        frames = [frame_name(f) for f in stack.split(";")]
        if focus and not any(f.startswith(focus + " ") for f in frames):
            continue
        count = int(samples)
        total += count
        for name in set(frames):
            inclusive[name] += count
        own[frames[-1]] += count
        if frames[-1].endswith(_THREAD_WAITS):
            waits += count   # its thread waits for a pool's threads, sampled on their own
        else:
            innermost[next((f for f in reversed(frames) if _is_project(f)), "")] += count
    return Samples(total, inclusive, own, innermost, waits)


# Top frames of a thread that waits for another thread: a future's result, a pool's queue.
_THREAD_WAITS = ("(threading.py)", "(concurrent/futures/thread.py)",
                 "(concurrent/futures/_base.py)", "(queue.py)")


def stack_table(raw: str, limit: int = 25, focus: str | None = None) -> list[str]:
    """Markdown tables of the functions most often on the stack and at its top."""
    s = read_stacks(raw, focus)
    if not s.total:
        return ["(no samples)"]
    table = [f"{s.total:,} samples. Functions most often on the stack (inclusive):", "",
             "| inclusive | own | function |", "| ---: | ---: | --- |"]
    table += [f"| {s.inclusive[n] / s.total:.0%} | {s.own[n] / s.total:.0%} | `{n}` |"
              for n, _ in s.inclusive.most_common(limit)]
    table += ["", "Functions most often at the top of the stack (own):", "",
              "| own | inclusive | function |", "| ---: | ---: | --- |"]
    table += [f"| {s.own[n] / s.total:.0%} | {s.inclusive[n] / s.total:.0%} | `{n}` |"
              for n, _ in s.own.most_common(limit)]
    return table


PROJECT = ("(failover/", "(cli/")


def _is_project(frame: str) -> bool:
    return any(p in frame for p in PROJECT)


def hot_spots(raw: str, focus: str | None = None, count: int = 5) -> str:
    """Where the samples went, each charged to the deepest function of failover's own code.

    A sample inside PyYAML called from ``load_yaml`` is charged to ``load_yaml``:
    the line says which of failover's functions the time goes to, libraries
    included (``provider_plan.<dictcomp> (failover/plan.py) 40%, ...``). Samples
    of a thread waiting for a pool's threads are left out: those threads' own
    samples say what they were doing.
    """
    s = read_stacks(raw, focus)
    busy = s.total - s.thread_waits
    if not busy:
        return ""
    parts = [f"`{n}` {c / busy:.0%}" for n, c in s.innermost.most_common() if n][:count]
    outside = s.innermost.get("", 0) / busy
    if outside >= 0.05:
        parts.append(f"outside failover's code (interpreter start-up, imports) {outside:.0%}")
    return "time by innermost failover function: " + ", ".join(parts)


def frame_name(frame: str) -> str:
    """``probe_http (failover/probes/http.py)`` from py-spy's ``func (path:line)``."""
    match = _FRAME.match(frame.strip())
    if not match:
        return frame.strip()
    return f"{match['func']} ({short_path(match['file'])})"


# -- cProfile, the fallback --------------------------------------------------------------

def cprofile_table(stats_file: Path, sort: str = "cumulative", limit: int = 25) -> list[str]:
    """A Markdown table of the top ``limit`` functions of a cProfile dump."""
    stats = pstats.Stats(str(stats_file))
    stats.sort_stats(sort)
    table = ["| calls | own s | cumulative s | function |", "| ---: | ---: | ---: | --- |"]
    raw: dict[tuple[str, int, str], tuple[int, int, float, float, object]]
    raw = stats.stats  # type: ignore[attr-defined]
    keys = stats.fcn_list or list(raw)  # type: ignore[attr-defined]
    for key in keys[:limit]:
        _, calls, own, cumulative, _ = raw[key]
        table.append(f"| {calls:,} | {own:.3f} | {cumulative:.3f} | `{function_name(key)}` |")
    return table


def function_name(key: tuple[str, int, str]) -> str:
    """``failover/probes/http.py:97(probe_http)`` from a pstats key, paths made short."""
    file, line, name = key
    if file == "~":
        return name  # a builtin, e.g. <method 'poll' of 'select.epoll' objects>
    return f"{short_path(file)}:{line}({name})"


def short_path(path: str) -> str:
    """A path relative to the repo or to site-packages/the standard library."""
    for marker in ("site-packages/", "dist-packages/"):
        if marker in path:
            return path.split(marker, 1)[1]
    root = str(ROOT) + os.sep
    if path.startswith(root):
        return path[len(root):]
    match = re.search(r"python3\.\d+/(.*)$", path)
    return match.group(1) if match else path


# -- start-up: -X importtime ---------------------------------------------------------------

@dataclass
class ImportTime:
    """One line of ``-X importtime``: own and cumulative microseconds, module, nesting."""

    own_us: int
    cumulative_us: int
    module: str
    depth: int


_IMPORT_LINE = re.compile(r"^import time:\s+(\d+)\s+\|\s+(\d+)\s+\|( *)(\S+)\s*$")


def parse_importtime(stderr: str) -> list[ImportTime]:
    """The lines Python prints to stderr under ``-X importtime``."""
    rows = []
    for line in stderr.splitlines():
        match = _IMPORT_LINE.match(line)
        if match:
            own, cumulative, indent, module = match.groups()
            rows.append(ImportTime(int(own), int(cumulative), module, (len(indent) - 1) // 2))
    return rows


def import_table(rows: Sequence[ImportTime], limit: int = 15) -> list[str]:
    """The top-level imports that cost most, and the single modules that cost most themselves."""
    total = sum(r.cumulative_us for r in rows if r.depth == 0)
    table = [f"All imports: {total / 1000:.0f} ms. Top-level imports by cumulative time:", "",
             "| import | cumulative ms | own ms |", "| --- | ---: | ---: |"]
    top = sorted((r for r in rows if r.depth == 0), key=lambda r: -r.cumulative_us)[:limit]
    table += [f"| `{r.module}` | {r.cumulative_us / 1000:.1f} | {r.own_us / 1000:.1f} |"
              for r in top]
    table += ["", "Modules with the most own time (any depth):", "",
              "| module | own ms | depth |", "| --- | ---: | ---: |"]
    own = sorted(rows, key=lambda r: -r.own_us)[:limit]
    table += [f"| `{r.module}` | {r.own_us / 1000:.1f} | {r.depth} |" for r in own]
    return table
