"""``python -m bench [all|sweep|dns|startup|providers|recovery ...] [--quick]``: against peers.

``all`` (the default, what ``make bench`` runs) installs the peers if missing,
runs every measurement in one go and writes ``bench/RESULTS.md``. Some pieces
(``python -m bench dns recovery``: one run, one report), or ``--quick`` (small N,
one run each, for trying it out), write ``bench/work/RESULTS-<pieces>.md``
instead, so the committed report is always a full run. Exit 0 when the report
was written (whether or not targets were met), 3 with one line on stderr when
the bench could not run.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bench import machine, peers, report
from bench.dnsbench import DnsSwitch
from bench.procs import BenchError
from bench.providersbench import ProvidersSwitch
from bench.recovery import RecoveryBench
from bench.results import Section
from bench.startup import Startup
from bench.sweep import Sweep

BENCH = Path(__file__).resolve().parent
WORK = BENCH / "work"
RESULTS = BENCH / "RESULTS.md"



@dataclass(frozen=True)
class Plan:
    """Sizes and repeats: the full run, or the quick one for trying the bench out."""

    sweep: tuple[int, ...]
    dns: tuple[int, ...]
    repeats: int
    startup_runs: int
    providers: tuple[int, ...] = (1000,)


FULL = Plan(sweep=(1000, 10000), dns=(10, 1000, 10000), repeats=3, startup_runs=20)
QUICK = Plan(sweep=(200, 1000), dns=(10, 100), repeats=1, startup_runs=5, providers=(100,))


def _terminated(signum: int, frame: object) -> None:
    raise KeyboardInterrupt  # so a killed bench still stops nginx and blackbox_exporter


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    """The bench's arguments; ``what`` is always a list of pieces."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    # default "all", not ["all"]: argparse checks a list default of nargs="*" against
    # choices as one value and refused a bare `python -m bench` (`make bench`)
    parser.add_argument("what", nargs="*", default="all",
                        choices=("all", "sweep", "dns", "startup", "providers", "recovery"),
                        help="the pieces to run, in one report (default: all)")
    parser.add_argument("--quick", action="store_true", help="small N, one run each")
    parser.add_argument("--repeats", type=int, help="runs per measurement (default 3, quick 1)")
    parser.add_argument("--concurrency", type=int, default=200,
                        help="probes in flight for every prober in the sweep (default 200, "
                             "failover's default)")
    parser.add_argument("--profile", action="store_true",
                        help="show profiles even where the targets are met")
    parser.add_argument("--no-install", action="store_true",
                        help="do not install missing peers; fail with what to install")
    parser.add_argument("--out", type=Path, help="where to write the report")
    args = parser.parse_args(argv)
    if isinstance(args.what, str):
        args.what = [args.what]
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    signal.signal(signal.SIGTERM, _terminated)
    try:
        return run(args)
    except BenchError as exc:
        sys.stderr.write(f"bench: {exc}\n")
        return 3
    except KeyboardInterrupt:
        sys.stderr.write("bench: interrupted; the servers it started were stopped\n")
        return 130


def run(args: argparse.Namespace) -> int:
    plan = QUICK if args.quick else FULL
    repeats = int(args.repeats or plan.repeats)
    if repeats < 1:
        raise BenchError("--repeats must be at least 1")
    WORK.mkdir(parents=True, exist_ok=True)
    if not args.no_install:
        peers.ensure(WORK / "install.log")
    started = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    t0 = time.monotonic()
    at_start = machine.describe()
    say(f"machine: {at_start['nproc']} cores, load average {at_start['loadavg'][0]:.2f}")
    every = "all" in args.what
    pieces = ("sweep", "dns", "startup", "providers", "recovery") if every \
        else tuple(dict.fromkeys(args.what))
    what = "all" if every else "-".join(pieces)
    sections: list[Section] = []
    for piece in pieces:
        folder = WORK / piece
        shutil.rmtree(folder, ignore_errors=True)
        sections.append(PIECES[piece](folder, plan, repeats, args))
    load_end = os.getloadavg()
    command = "python -m bench" + ("" if every else " " + " ".join(pieces)) + \
              (" --quick" if args.quick else "")
    text = report.render(machine=at_start, load_end=load_end, versions=peers.versions(),
                         sections=sections, started=started, elapsed=time.monotonic() - t0,
                         command=command, repeats=repeats, quick=args.quick)
    out = args.out or (RESULTS if every and not args.quick else
                       WORK / f"RESULTS-{what}{'-quick' if args.quick else ''}.md")
    out.write_text(text)
    say(f"wrote {out} in {time.monotonic() - t0:.0f} s")
    for sec in sections:
        for line in sec.ratios:
            print(f"  {line}".replace("**", ""))
        for goal in sec.goals:
            if not goal.met:
                print(f"  missed: {goal.name}: {goal.measured} (goal {goal.goal})")
    return 0


def say(text: str) -> None:
    print(f"bench: {text}", flush=True)


def _sweep(folder: Path, plan: Plan, repeats: int, args: argparse.Namespace) -> Section:
    sweep = Sweep(folder, plan.sweep, repeats, args.concurrency)
    sweep.run(say)
    return sweep.section(folder / "profiles", say, force_profile=args.profile)


def _dns(folder: Path, plan: Plan, repeats: int, args: argparse.Namespace) -> Section:
    switch = DnsSwitch(folder, plan.dns, repeats)
    switch.run(say)
    return switch.section(folder / "profiles", say, force_profile=args.profile)


def _startup(folder: Path, plan: Plan, repeats: int, args: argparse.Namespace) -> Section:
    startup = Startup(folder, plan.startup_runs)
    startup.run(say)
    return startup.section(force_profile=args.profile)


def _providers(folder: Path, plan: Plan, repeats: int, args: argparse.Namespace) -> Section:
    switch = ProvidersSwitch(folder, plan.providers, repeats)
    switch.run(say)
    return switch.section()


def _recovery(folder: Path, plan: Plan, repeats: int, args: argparse.Namespace) -> Section:
    bench = RecoveryBench(folder, repeats)
    bench.run(say)
    return bench.section()


PIECES: dict[str, Callable[[Path, Plan, int, argparse.Namespace], Section]] = {
    "sweep": _sweep, "dns": _dns, "startup": _startup, "providers": _providers,
    "recovery": _recovery}


if __name__ == "__main__":
    sys.exit(main())
