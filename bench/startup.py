"""Measurement 3, start-up: ``failover --help``, ``failover validate`` and ``failover check``
on the 3-hosting lab (``python -m lab up``), wall time.

Timed with hyperfine (no shell, warm-up runs first) when it is installed, else
a loop of runs taking the median. ``python -c pass`` with the same interpreter
is timed alongside: the floor no Python program can go under on this machine.
Where ``--help`` misses its target, ``-X importtime`` says which imports cost.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bench import peers
from bench.procs import ROOT, BenchError, child_env, run_timed
from bench.profiling import ImportTime, import_table, parse_importtime, profile_module
from bench.results import Goal, Section
from bench.stats import median, ratio, seconds, times

TARGET_HELP = 0.1       # seconds, from issue 13 (it was 0.25)
TARGET_VALIDATE = 0.15  # seconds, from issue 13
TARGET_CHECK = 0.4      # seconds, from issue 13: `failover check` on the 3-hosting lab
CHECK = "failover check (lab)"
# check's last line: "OK: 3/3 hostings up, 3 probes; took 212 ms; slowest: dns route53 180 ms"
_TOOK = re.compile(r"; took ([^;\n]+)(?:; slowest: ([^\n]+))?")
VALIDATE_CONFIG = ROOT / "examples" / "failover.yaml"


@dataclass
class Timing:
    name: str
    median: float
    low: float
    high: float
    runs: int
    cpu: float   # CPU seconds of one run (median; hyperfine's mean), less load-bound than wall


class Startup:
    def __init__(self, work: Path, runs: int) -> None:
        self.work = work
        self.runs = runs
        self.failover = str(Path(sys.executable).parent / "failover")
        self.env = child_env(CI="true")
        self.method = ""
        self.timings: list[Timing] = []
        self.lab_config: str | None = None
        self.check_said = ""     # check's own last line, from a run after the timed ones
        self.check_cpu: float | None = None

    def commands(self) -> list[tuple[str, list[str]]]:
        commands = [
            ("failover --help", [self.failover, "--help"]),
            ("failover validate", [self.failover, "-c", str(VALIDATE_CONFIG), "validate"]),
            ("python -c pass", [sys.executable, "-c", "pass"]),
        ]
        if self.lab_config:
            commands.append((CHECK, [self.failover, "-c", self.lab_config, "check"]))
        return commands

    def run(self, progress: Callable[[str], None]) -> None:
        from lab import core as lab_core

        self.work.mkdir(parents=True, exist_ok=True)
        if not VALIDATE_CONFIG.exists():
            raise BenchError(f"{VALIDATE_CONFIG} is missing; startup times `validate` on it")
        progress("startup: starting the 3-hosting lab for `failover check`")
        lab = self.work / "lab"
        try:
            self.lab_config = str(lab_core.up(lab)["config"])
            hyperfine = peers.which("hyperfine")
            if hyperfine:
                self._hyperfine(hyperfine)
            else:
                self._loop()
            # Once more, to read what check says its own work took.
            timed = run_timed(self.commands()[-1][1], self.work / "check.out", env=self.env)
            found = _TOOK.search(timed.output.read_text(errors="replace"))
            self.check_said = found.group(0).removeprefix("; ") if found else ""
            self.check_cpu = timed.cpu
        finally:
            lab_core.down(lab)
        for t in self.timings:
            progress(f"startup: {t.name} median {seconds(t.median)}")

    def _hyperfine(self, hyperfine: str) -> None:
        out = self.work / "hyperfine.json"
        argv = [hyperfine, "--shell=none", "--warmup", "3", "--runs", str(self.runs), "-i",
                "--style", "basic", "--export-json", str(out)]
        for name, command in self.commands():
            argv += ["--command-name", name, " ".join(command)]
        result = subprocess.run(argv, env=self.env, capture_output=True, text=True,
                                timeout=600, check=False)
        if result.returncode != 0:
            raise BenchError(f"hyperfine failed: {result.stderr.strip()[-200:]}")
        self.method = f"hyperfine {peers.versions().get('hyperfine', '')}: no shell, " \
                      f"3 warm-up runs, {self.runs} timed runs"
        for row in json.loads(out.read_text())["results"]:
            self.timings.append(Timing(row["command"], float(row["median"]), float(row["min"]),
                                       float(row["max"]), len(row["times"]),
                                       float(row["user"]) + float(row["system"])))

    def _loop(self) -> None:
        self.method = f"hyperfine missing: a loop of {self.runs} runs after 3 warm-up runs"
        for name, command in self.commands():
            walls, cpus = [], []
            for i in range(self.runs + 3):
                timed = run_timed(command, self.work / "loop.out", env=self.env)
                if i >= 3:
                    walls.append(timed.seconds)
                    cpus.append(timed.cpu)
            self.timings.append(Timing(name, median(walls), min(walls), max(walls), len(walls),
                                       median(cpus)))

    def timing(self, name: str) -> Timing | None:
        return next((t for t in self.timings if t.name == name), None)

    def section(self, force_profile: bool = False) -> Section:
        sec = Section("startup", "Start-up")
        help_, validate, floor, check = (self.timing(n) for n, _ in self.commands())
        if help_ is None or validate is None or floor is None or check is None:
            return sec
        sec.ratios.append(
            f"Start-up: `failover --help` takes {seconds(help_.median)} "
            f"({times(ratio(floor.median, help_.median))} a bare `python -c pass`, "
            f"{seconds(floor.median)}); `failover validate` {seconds(validate.median)}; "
            f"`failover check` on the 3-hosting lab {seconds(check.median)}.")
        goal = Goal("start-up: `failover --help`", f"< {TARGET_HELP:g} s",
                    seconds(help_.median), help_.median < TARGET_HELP)
        sec.goals.append(goal)
        sec.goals.append(Goal(
            "start-up: `failover validate`", f"< {TARGET_VALIDATE:g} s",
            seconds(validate.median), validate.median < TARGET_VALIDATE,
            "" if validate.median < TARGET_VALIDATE else
            f"`python -c pass` alone takes {seconds(floor.median)}; what is left is the "
            "frameworks: importing typer 0.29 and pydantic, creating the config's ~48 pydantic "
            "model classes and building Config's one validator on first load (deferred since "
            "issue 13, as are cli modules other than the command's and rich): it would take "
            "a config loader without pydantic and a CLI parser without typer"))
        sec.goals.append(Goal(
            "start-up: `failover check` on the 3-hosting lab", f"< {TARGET_CHECK:g} s",
            seconds(check.median), check.median < TARGET_CHECK,
            "" if check.median < TARGET_CHECK else
            f"a run after the timed ones said \"{self.check_said}\" (the engine's own work: "
            "probes, control planes, every DNS provider read, the journal); the rest is "
            "start-up and imports; that run used "
            + (f"{self.check_cpu:.2f} CPU s" if self.check_cpu is not None else "? CPU s")))
        sec.lines += [
            f"{self.method}; medians, with the fastest and slowest run. `validate` reads "
            f"`{VALIDATE_CONFIG.relative_to(ROOT)}`; `check` probes the lab of `python -m lab "
            "up` (3 hostings; Route 53 on moto, BIND, Knot), started for this measurement.",
            "",
            "| command | median | fastest | slowest | CPU s | runs |",
            "| --- | ---: | ---: | ---: | ---: | ---: |",
        ]
        sec.lines += [f"| `{t.name}` | {seconds(t.median)} | {seconds(t.low)} | "
                      f"{seconds(t.high)} | {t.cpu:.3f} | {t.runs} |" for t in self.timings]
        if not goal.met or force_profile:
            lines, rows = self._imports(["--help"])
            prof = profile_module("cli.app", ["--help"], self.work / "help", env=self.env,
                                  rate=1000)
            sec.profiles += [*lines, "### Start-up: `failover --help` under py-spy", "",
                             f"{prof.tool}; {seconds(prof.timed.seconds)} while profiled.",
                             "", *prof.tables, ""]
            top = sorted((r for r in rows if r.depth == 0), key=lambda r: -r.cumulative_us)
            goal.limit = (f"the interpreter alone takes {seconds(floor.median)}; imports "
                          f"{sum(r.cumulative_us for r in top) / 1000:.0f} ms (one run), most "
                          "in " + ", ".join(f"`{r.module}` {r.cumulative_us / 1000:.0f} ms"
                                            for r in top[:3]) + f"; py-spy: {prof.summary}")
        return sec

    def _imports(self, args: list[str]) -> tuple[list[str], list[ImportTime]]:
        code = "import sys; from cli.app import main; sys.argv[0] = 'failover'; main()"
        result = subprocess.run([sys.executable, "-X", "importtime", "-c", code, *args],
                                env=self.env, capture_output=True, text=True, timeout=120,
                                check=False)
        rows = parse_importtime(result.stderr)
        return [f"### Start-up: `failover {' '.join(args)}` under `-X importtime`", "",
                "One run; import times include this machine's load.", "",
                *import_table(rows), ""], rows
