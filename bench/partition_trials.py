"""Partition trials: a stale leader's DNS write never lands after the new leader's first.

``python -m bench.partition_trials [--trials N] [--lab DIR] [--no-freeze] [--seed S]
[--json FILE]`` runs N trials in one clustered lab (``python -m lab up --cluster``: five
vendors, an etcd member and a watcher each; started here unless ``--lab`` names a running
one, as root: partitions need nftables). Each trial:

1. waits until the lab is clean (every authority serves aws-use1, a leader L, no lock, every
   view live) and reads the fence's epoch at BIND (L's);
2. kills the served hosting's origin (aws-use1), so a move is needed: L plans gcp-euw1;
3. the moment L's journal says its first provider write starts (L took the cluster lock,
   planned, and is about to pass its guard), plus a random 0..``--spread`` ms (so the cut
   falls before, during or after its writes), freezes L's watcher (SIGSTOP), cuts L's
   vendor off etcd (``partition VENDOR --only etcd``: L still reaches every DNS provider)
   and kills gcp-euw1's origin too, so that the next leader decides differently
   (metal-fra);
4. after the lease ttl + 1..3 s (a new leader N elected; its first act fences the zone
   with its epoch at every provider), thaws L: cut off etcd, it goes on with whatever it
   had in flight, against DNS providers it can still reach;
5. waits until every authority serves N's answer and L's move has ended, then heals,
   revives the origins, and (next trial) waits for the failback.

PASS: at no provider does a write of L land after N's first write there. Judged from
outside (bench.stalewrites): BIND's own journal (exact order of its updates) and every
authority (BIND, Knot, PowerDNS, Route 53's API) sampled every few tens of ms for its
answer and its fence epoch: the fence never goes back down, and L's answer never comes
back once N's fence holds (unless N wrote it too). Each watcher's own journal says what
L's provider writes came to (landed; refused by its own guard, which cannot renew the
lease without etcd; not sent, the lease's window closed; refused by the fence; outcome
unknown) and when N fenced. A trial where L's writes all ended before N fenced, or were
stopped by L itself, passes without testing the fence: only "contested" trials (a write
of L refused by the fence, or ending after N's fence) do, counted apart.
``--no-freeze`` leaves L running, cut off etcd only.

Prints one line per trial and a summary (passes, failures with their evidence, errors,
timings); exit 0 when every trial passed, 1 when one failed, 3 when the trials could not
run. Not part of ``python -m bench all``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bench.stalewrites import Sample, journal_updates, journal_violations, sample_violations
from failover.dns.fence import fence_name, parse_fence

STALE_HOSTING, NEXT_HOSTING, SERVED_HOSTING = "gcp-euw1", "metal-fra", "aws-use1"
NAME = "www.example.test."
SAMPLE = 0.03          # seconds between samples of one DNS server
SAMPLE_API = 0.1       # ... of Route 53's API (moto's answer costs more)
LOCK_WAIT = 45.0       # seconds the leader may take to start the move after the kill
WRITE_WAIT = 5.0       # seconds from the lock to L's first provider write, else cut anyway
# What a stale leader's provider write came to, from its step's state and error.
OUTCOMES = (("lease", ("could not renew its etcd lease", "cannot confirm the cluster lock",
                       "lost the cluster lock")),
            ("window", ("window to write closed",)),
            ("fence", ("fenced by a newer leader", "fence changed under this write")))
SETTLE = 60.0          # seconds for the new leader's answer everywhere and L's move to end
CLEAN = 180.0          # seconds the lab may take to be clean between trials
# the cut falls 0..this many ms after L's first write starts (in the lab its writes take
# 100-400 ms: BIND's first, Route 53's through AWS's front door last)
SPREAD_MS = 200.0


class TrialError(Exception):
    """A trial could not be run as designed (not a verdict on the fence)."""


@dataclass
class Trial:
    number: int
    leader: str = ""
    vendor: str = ""
    delay_ms: float = 0.0
    trigger: str = ""                  # write: L's first write started; lock: only its lock
    frozen_s: float = 0.0
    old_epoch: int | None = None
    new_leader: str | None = None
    new_epoch: int | None = None
    stale_answer: list[str] = field(default_factory=list)
    new_answer: list[str] = field(default_factory=list)
    verdict: str = "error"             # pass | FAIL | error
    contested: bool = False            # L wrote or tried to write DNS after N took over
    stale_steps: list[dict[str, Any]] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    error: str | None = None

    def line(self) -> str:
        head = (f"trial {self.number}: leader {self.leader or '?'} ({self.vendor or '?'}), cut "
                f"{self.delay_ms:.0f} ms after its {self.trigger or 'lock'}, frozen "
                f"{self.frozen_s:.1f} s; ")
        if self.verdict == "error":
            return head + f"ERROR {self.error}"
        t = self.timings
        steps = ", ".join(f"{s['provider']} {s['outcome']}" for s in self.stale_steps) \
            or "no write"
        out = (f"{head}new leader {self.new_leader} epoch {self.new_epoch} (old "
               f"{self.old_epoch}) at {t.get('new_leader', float('nan')):.1f} s; stale "
               f"leader's writes: {steps}; "
               f"{'contested' if self.contested else 'uncontested'}: {self.verdict}")
        return out + "".join(f"\n    {v}" for v in self.violations)


class Lab:
    """The running clustered lab in ``dir``, through lab/ and the operator's config."""

    def __init__(self, dir: Path) -> None:
        from failover.config import load_config
        from failover.matrix import ClusterView, Matrix
        from lab import core
        from lab.matrixlab import VendorLab

        self.dir = dir.resolve()
        self.data = core.load(self.dir)
        self.config = load_config(self.dir / "failover.yaml")
        self.vendor_lab = VendorLab(self.dir, resolver=False)
        self.view = ClusterView(self.config)
        self.matrix = Matrix(self.config, self.vendor_lab)
        assert self.config.cluster is not None
        self.ttl = float(self.config.cluster.ttl)
        self.lock_key = self.view.base + "lock"
        self.addresses = {n: list(h.endpoints.A) for n, h in self.config.hosting.items()
                          if hasattr(h.endpoints, "A")}

    def readers(self) -> dict[str, Callable[[], Sample]]:
        """One reader per authority: what it serves now (answer, fence epoch)."""
        from lab import bind, core

        fence = fence_name(self.config.zone)
        out: dict[str, Callable[[], Sample]] = {}
        for server in ("bind", "knot", "pdns"):
            host, port = self.data[server]["host"], int(self.data[server]["port"])

            def dns(host: str = host, port: int = port) -> Sample:
                return _consistent(lambda: bind.answers(host, port, NAME),
                                   lambda: bind.answers(host, port, fence, "TXT"))
            out[server] = dns

        def route53() -> Sample:
            # moto itself, not AWS's front door: the observer is nobody's vendor
            return _consistent(lambda: core.route53_answers(self.data, NAME),
                               lambda: core.route53_answers(self.data, fence, "TXT"))
        out["route53"] = route53
        return out

    def watcher_pid(self, vendor: str) -> int:
        from lab import core

        pid = core.load(self.dir)["cluster"]["watchers"][vendor]["pid"]
        return int(pid)

    def journal(self, vendor: str) -> Path:
        from lab import vendors

        return self.dir / vendors.journal_name(vendor)

    def reset(self) -> None:
        """Heal, wake, revive the origins, and wait until the lab is clean."""
        from lab import core, partition

        partition.heal(self.dir)
        for hosting in (SERVED_HOSTING, STALE_HOSTING):
            core.revive(self.dir, self.config.hosting[hosting].vendor)
        problem = self.matrix.wait_clean(CLEAN)
        if problem:
            raise TrialError(f"the lab is not clean: {problem}")


def _consistent(answer: Callable[[], list[str]], fence: Callable[[], list[str]]) -> Sample:
    """One state the server really served: the answer and the fence are two questions, so
    the fence is asked before and after the answer, and a sample whose two fences differ
    (a write landed in between) is no sample (every write sets the fence to its writer's
    epoch, so an unchanged fence brackets the answer)."""
    try:
        first = parse_fence(fence())
        got = tuple(answer())
        second = parse_fence(fence())
    except Exception:  # a slow answer is no answer this time
        return Sample(time.time(), None, None)
    if first != second:
        return Sample(time.time(), None, None)
    return Sample(time.time(), got, second)


class Sampler:
    """Reads every authority in its own thread until stopped."""

    def __init__(self, readers: dict[str, Callable[[], Sample]]) -> None:
        self.samples: dict[str, list[Sample]] = {k: [] for k in readers}
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._run, args=(k, r), daemon=True,
                                          name=f"sample-{k}") for k, r in readers.items()]
        for t in self._threads:
            t.start()

    def _run(self, label: str, read: Callable[[], Sample]) -> None:
        pause = SAMPLE_API if label == "route53" else SAMPLE
        while not self._stop.is_set():
            self.samples[label].append(read())
            self._stop.wait(pause)

    def first(self, timeout: float) -> None:
        """Return once every authority was read once (so the trial starts seen)."""
        end = time.monotonic() + timeout
        while any(not any(x.answer for x in v) for v in self.samples.values()):
            if time.monotonic() > end:
                raise TrialError("an authority gave no answer within "
                                 f"{timeout:.0f}s before the trial")
            time.sleep(0.02)

    def stop(self) -> dict[str, list[Sample]]:
        self._stop.set()
        for t in self._threads:
            t.join(10)
        return self.samples


def _bind_journal(lab: Lab) -> str:
    program = shutil.which("named-journalprint") or "/usr/sbin/named-journalprint"
    jnl = lab.dir / "bind" / "example.test.zone.jnl"
    if not jnl.exists():
        return ""
    done = subprocess.run([program, str(jnl)], capture_output=True, text=True, timeout=60,
                          check=False)
    return done.stdout


def _soa_serial(lab: Lab) -> int:
    from lab import bind

    serial = bind.soa_serial(lab.data["bind"]["host"], int(lab.data["bind"]["port"]),
                             timeout=2)
    if serial is None:
        raise TrialError("BIND does not answer for the zone's SOA")
    return serial


def _query(journal: Path, sql: str, args: tuple[Any, ...]) -> list[tuple[Any, ...]]:
    """Rows from a watcher's journal, read only (the watcher keeps writing it)."""
    for _ in range(20):
        try:
            db = sqlite3.connect(f"file:{journal}?mode=ro", uri=True, timeout=5)
            try:
                return list(db.execute(sql, args).fetchall())
            finally:
                db.close()
        except sqlite3.OperationalError:
            time.sleep(0.1)
    return []


def _moves(journal: Path, since: float) -> list[dict[str, Any]]:
    """The moves a watcher's journal holds that started at or after ``since``, with their
    steps (state, error, times) and the A answers they wanted for NAME."""
    out = []
    for move_id, started, state in _query(
            journal, "SELECT id, started, state FROM moves WHERE started >= ? ORDER BY id",
            (since,)):
        steps = [{"provider": p, "state": s, "error": e, "started": st, "applied": ap}
                 for p, s, e, st, ap in _query(
                     journal, "SELECT provider, state, error, started, applied FROM "
                     "move_steps WHERE move_id=?", (move_id,))]
        wanted: set[str] = set()
        for (desired,) in _query(journal, "SELECT desired FROM step_images WHERE move_id=?",
                                 (move_id,)):
            wanted |= _a_values(desired)
        out.append({"id": move_id, "started": started, "state": state, "steps": steps,
                    "answer": sorted(wanted)})
    return out


def _a_values(desired: str) -> set[str]:
    """The A values for NAME in a step's desired image (JSON rrsets, as the journal keeps
    them); nothing for anything else."""
    try:
        rrsets = json.loads(desired)
    except ValueError:
        return set()
    out: set[str] = set()
    for r in rrsets if isinstance(rrsets, list) else []:
        if isinstance(r, dict) and str(r.get("name", "")).lower().rstrip(".") == \
                NAME.rstrip(".") and r.get("type") == "A":
            out |= {str(v) for v in r.get("values", [])}
    return out


def _old_epoch(lab: Lab, vendor: str, timeout: float = 30.0) -> int:
    """The old leader's epoch: the last fence its journal says it set, or the one BIND
    holds now, whichever is higher (a leader that just took over sets it in its first
    cycle: waited for). Its writes carry its lock's revision, which the trial adds."""
    from lab import bind

    end = time.monotonic() + timeout
    while True:
        rows = _query(lab.journal(vendor), "SELECT data FROM events WHERE kind='fence' "
                      "ORDER BY id DESC LIMIT 1", ())
        epoch = json.loads(rows[0][0]).get("epoch") if rows else None
        held = parse_fence(bind.answers(lab.data["bind"]["host"],
                                        int(lab.data["bind"]["port"]),
                                        fence_name(lab.config.zone), "TXT"))
        found = [e for e in (epoch, held) if isinstance(e, int)]
        if found:
            return max(found)
        if time.monotonic() > end:
            raise TrialError(f"no fence epoch within {timeout:.0f}s before the trial (the "
                             "leader's journal records none, BIND holds none)")
        time.sleep(0.25)


def _last_sentence(lab: Lab, vendor: str) -> str:
    rows = _query(lab.journal(vendor), "SELECT sentence FROM events WHERE kind='cycle' "
                  "ORDER BY id DESC LIMIT 1", ())
    return str(rows[0][0])[:400] if rows else "none recorded"


def _outcome(state: str, error: str | None) -> str:
    """What a provider write came to: landed, lease, window, fence, unknown or failed."""
    if state == "applied":
        return "landed"
    if state == "unknown":
        return "unknown"
    text = error or ""
    return next((name for name, marks in OUTCOMES if any(m in text for m in marks)), "failed")


def run_trial(lab: Lab, number: int, rng: random.Random, *, freeze: bool = True,
              spread_ms: float = SPREAD_MS) -> Trial:
    """One trial (see the module's docstring); never raises for a failed trial."""
    from lab import core, partition, vendors

    trial = Trial(number)
    stopped: list[int] = []
    sampler: Sampler | None = None
    try:
        lab.reset()
        leader = lab.view.leader()
        vendor = lab.vendor_lab.node_vendor(leader or "")
        if leader is None or vendor is None:
            raise TrialError(f"no watcher leads (etcd names {leader})")
        trial.leader, trial.vendor = leader, vendor
        trial.delay_ms = rng.uniform(0, spread_ms)
        trial.frozen_s = lab.ttl + rng.uniform(1.0, 3.0) if freeze else 0.0
        pid = lab.watcher_pid(vendor)
        serial = _soa_serial(lab)
        trial.old_epoch = _old_epoch(lab, vendor)
        sampler = Sampler(lab.readers())
        sampler.first(10.0)
        t0, mono0 = time.time(), time.monotonic()

        core.kill(lab.dir, lab.config.hosting[SERVED_HOSTING].vendor)
        while (lock := lab.view.client.get(lab.lock_key)) is None:
            if time.monotonic() - mono0 > LOCK_WAIT:
                raise TrialError(f"{leader} took no lock within {LOCK_WAIT:.0f}s of the kill; "
                                 f"its last cycle: {_last_sentence(lab, vendor)}")
            time.sleep(0.002)
        trial.timings["lock"] = round(time.monotonic() - mono0, 3)
        # L's writes of this move carry the lock's revision as their epoch; only a newer
        # leader's is above it
        trial.old_epoch = max(trial.old_epoch or 0, lock.create_revision)
        trial.trigger = "lock"
        while time.monotonic() - mono0 < trial.timings["lock"] + WRITE_WAIT:
            if _query(lab.journal(vendor), "SELECT 1 FROM move_steps WHERE started >= ? "
                      "LIMIT 1", (t0,)):
                trial.trigger = "write"
                trial.timings["write"] = round(time.monotonic() - mono0, 3)
                break
            time.sleep(0.001)
        time.sleep(trial.delay_ms / 1000)
        if freeze:
            os.kill(pid, signal.SIGSTOP)
            stopped.append(pid)
        cut = time.monotonic()
        partition.partition(lab.dir, vendor, "etcd")
        core.kill(lab.dir, lab.config.hosting[STALE_HOSTING].vendor)
        trial.timings["cut"] = round(cut - mono0, 3)  # every time is from the kill
        deadline = cut + max(trial.frozen_s, lab.ttl + 1.0) + SETTLE
        new_leader = None
        while time.monotonic() < deadline:
            node = lab.view.leader()
            if node and node != leader:
                new_leader = node
                trial.timings["new_leader"] = round(time.monotonic() - mono0, 3)
                break
            time.sleep(0.05)
        if new_leader is None:
            raise TrialError(f"no new leader within {deadline - cut:.0f}s of the cut")
        trial.new_leader = new_leader
        if freeze:
            time.sleep(max(0.0, cut + trial.frozen_s - time.monotonic()))
            os.kill(pid, signal.SIGCONT)
            stopped.remove(pid)
        woke = time.time()
        trial.timings["thaw"] = round(time.monotonic() - mono0, 3)
        new_vendor = lab.vendor_lab.node_vendor(new_leader) or ""
        want = tuple(sorted(lab.addresses[NEXT_HOSTING]))
        end = time.monotonic() + SETTLE
        while time.monotonic() < end:
            latest = {k: v[-1] for k, v in sampler.samples.items() if v}
            ours = _moves(lab.journal(vendor), t0)
            running = any(m["state"] in ("applying", "verifying") for m in ours)
            if not running and all(s.answer == want for s in latest.values()):
                break
            time.sleep(0.2)
        time.sleep(2.0)  # a late write shows in the samples
        samples = sampler.stop()
        sampler = None
        trial.timings["total"] = round(time.monotonic() - mono0, 3)

        ours = _moves(lab.journal(vendor), t0)
        theirs = [m for v in vendors.VENDORS if v != vendor
                  for m in _moves(lab.journal(v), t0)]
        if ours:
            trial.timings["move"] = round(float(ours[0]["started"]) - t0, 3)
        stale = tuple(sorted({a for m in ours for a in m["answer"]}))
        trial.stale_answer = list(stale)
        new_answers = {tuple(m["answer"]) for m in theirs if m["answer"]}
        trial.new_answer = sorted({a for m in theirs for a in m["answer"]})
        new_wrote_stale = stale in new_answers
        fences = _query(lab.journal(new_vendor), "SELECT at, data FROM events WHERE "
                        "kind='fence' AND at >= ? ORDER BY id LIMIT 1", (t0,))
        if fences:
            fenced_at, data = fences[0]
            trial.new_epoch = json.loads(data).get("epoch")
            trial.timings["fenced"] = round(float(fenced_at) - t0, 3)
        # what each provider write of L came to, and whether one met N's fence: refused by
        # it, or ending after it was first seen at that provider (else N's journal says)
        since = float(fences[0][0]) if fences else woke
        seen = {label: next((x.at for x in seq if x.epoch is not None and (
                    trial.old_epoch is None or x.epoch > trial.old_epoch)), since)
                for label, seq in samples.items()}
        for m in ours:
            for s in m["steps"]:
                if s["state"] == "unchanged":
                    continue
                outcome = _outcome(s["state"], s["error"])
                ended = s["applied"] or s["started"] or 0.0
                met = outcome == "fence" or (outcome in ("landed", "unknown") and ended >=
                                             min(seen.get(s["provider"], since), since) - 0.05)
                trial.stale_steps.append({**s, "move": m["id"], "outcome": outcome,
                                          "after_fence": met})
        trial.contested = any(s["after_fence"] for s in trial.stale_steps)
        if trial.new_epoch is None:  # N fenced before this trial's start: as served
            trial.new_epoch = max((x.epoch for seq in samples.values() for x in seq
                                   if x.epoch is not None), default=None)
        for label, seq in samples.items():
            trial.violations += sample_violations(label, seq, trial.old_epoch, stale,
                                                  new_wrote_stale)
        trial.violations += journal_violations(journal_updates(_bind_journal(lab)), serial,
                                               trial.old_epoch, NAME, stale, new_wrote_stale)
        trial.verdict = "FAIL" if trial.violations else "pass"
    except TrialError as exc:
        trial.error = str(exc)
    except Exception as exc:  # the lab's own failures: this trial is an error, not a verdict
        trial.error = f"{type(exc).__name__}: {exc}"
    finally:
        for pid in stopped:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGCONT)
        if sampler is not None:
            sampler.stop()
        with contextlib.suppress(Exception):
            partition.heal(lab.dir)
    return trial


@dataclass
class Summary:
    trials: list[Trial]

    @property
    def passes(self) -> int:
        return sum(1 for t in self.trials if t.verdict == "pass")

    @property
    def failures(self) -> list[Trial]:
        return [t for t in self.trials if t.verdict == "FAIL"]

    @property
    def errors(self) -> list[Trial]:
        return [t for t in self.trials if t.verdict == "error"]

    @property
    def contested(self) -> int:
        return sum(1 for t in self.trials if t.verdict != "error" and t.contested)

    def exit_code(self) -> int:
        if self.failures:
            return 1
        return 3 if self.errors else 0

    def outcomes(self) -> dict[str, int]:
        """How many of the stale leaders' provider writes came to what."""
        counts: dict[str, int] = {}
        for t in self.trials:
            for s in t.stale_steps:
                counts[s["outcome"]] = counts.get(s["outcome"], 0) + 1
        return dict(sorted(counts.items()))

    def text(self) -> str:
        lines = [f"{len(self.trials)} trials: {self.passes} passed ({self.contested} "
                 f"contested: a write of the stale leader met the new leader's fence), "
                 f"{len(self.failures)} FAILED, {len(self.errors)} could not run",
                 "  stale leaders' provider writes: " + (", ".join(
                     f"{n} {k}" for k, n in self.outcomes().items()) or "none")]
        for key in ("lock", "write", "move", "cut", "new_leader", "fenced", "thaw", "total"):
            values = [t.timings[key] for t in self.trials if key in t.timings]
            if values:
                lines.append(f"  {key:<10} median {statistics.median(values):6.2f} s, max "
                             f"{max(values):6.2f} s")
        for t in self.failures:
            lines.append(f"FAILED trial {t.number}: " + "; ".join(t.violations))
        return "\n".join(lines)

    def to_json(self) -> dict[str, Any]:
        return {"trials": len(self.trials), "passes": self.passes,
                "failures": len(self.failures), "errors": len(self.errors),
                "contested": self.contested, "outcomes": self.outcomes(),
                "rows": [asdict(t) for t in self.trials]}


def run_trials(dir: Path, trials: int, *, seed: int | None = None, freeze: bool = True,
               spread_ms: float = SPREAD_MS, say: Callable[[str], None] = print) -> Summary:
    """``trials`` trials against the running clustered lab in ``dir``."""
    lab = Lab(dir)
    rng = random.Random(seed)
    done = []
    for n in range(1, trials + 1):
        trial = run_trial(lab, n, rng, freeze=freeze, spread_ms=spread_ms)
        say(trial.line())
        done.append(trial)
    return Summary(done)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.partition_trials",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=10)
    parser.add_argument("--lab", type=Path, help="a running clustered lab (python -m lab "
                        "up --cluster --dir DIR); default: start one in a temporary folder")
    parser.add_argument("--no-freeze", action="store_true", help="cut the leader off etcd "
                        "only, without freezing it")
    parser.add_argument("--spread", type=float, default=SPREAD_MS, metavar="MS", help="the "
                        "cut falls 0..MS ms after the leader's first provider write starts "
                        f"(default {SPREAD_MS:g})")
    parser.add_argument("--seed", type=int)
    parser.add_argument("--json", type=Path, help="also write every trial as JSON here")
    args = parser.parse_args(argv)
    if args.trials < 1:
        parser.exit(3, "python -m bench.partition_trials: --trials must be at least 1\n")
    from lab import core, vendors
    from lab.procs import LabError

    own = args.lab is None
    root = Path(tempfile.mkdtemp(prefix="partition-trials-")) / "lab" if own else args.lab
    try:
        if own:
            core.up(root)
            vendors.start(root)
        summary = run_trials(root, args.trials, seed=args.seed, freeze=not args.no_freeze,
                             spread_ms=args.spread)
    except (LabError, OSError) as exc:
        print(f"python -m bench.partition_trials: {exc}", file=sys.stderr)
        return 3
    finally:
        if own:
            core.down(root)
    print(summary.text())
    if own:
        print(f"the lab's folder (logs, journals, BIND's journal) is kept: {root}")
    if args.json:
        args.json.write_text(json.dumps(summary.to_json(), indent=1) + "\n")
    return summary.exit_code()


if __name__ == "__main__":
    sys.exit(main())
