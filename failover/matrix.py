"""The vendor-kill matrix: take each vendor away alone, and each pair that leaves enough,
and measure what authorities serve and what a resolver hands its clients.

For every row: wait until the lab is clean (every process up, a cluster leader, no move
under way, every authority serving the best hosting); kill; measure the seconds until every
surviving authoritative server answers only healthy hostings' addresses for every managed
name (the authority column), and until the resolver hands a client only healthy addresses
for every name (the resolver column: record TTL, the resolver's retries of a dead
authority, what it caches); note which node led the move; restore; wait until clean again.
A column's time counts only once its condition then holds: 2 s for the authorities, record
TTL + 2 s for the resolver (so a cached healthy answer that expires into SERVFAIL is no
success).

Partition rows cut a vendor off the network while its processes keep running (the lab's
nftables): ``cut-etcd:leader`` cuts the leading node's vendor off the other etcd members
only, so the old leader can still reach every DNS provider (the stale leader's case), and
``cut:served`` cuts the vendor of the served hosting off entirely, so the others see its
hosting and its DNS providers gone (``cut-dns:VENDOR`` and any vendor by name work with
``--only``). A partition row passes when, after it settles, the service is served (every
authority the cluster still reaches serves only hostings it can reach, and the resolver
hands them out), there is one leader (etcd names one node, outside the cut vendor when
etcd is cut, and it is the only watcher whose recent cycles act as leader) and DNS is not
split (those authorities all serve the same answers). Its times are shown, not bounded: a
cut makes probes and etcd calls wait out their timeouts, which a kill does not. Then the cut
is healed and the lab must be clean again.

A pair is a row when it leaves at least one hosting, one DNS provider and a quorum of etcd
members. The bounds each row is held to: authority <= detect (interval x fall) + the
cluster's lease ttl + 2 s (a new leader may wait out the dead one's lease), and resolver <=
authority + record TTL + 2 s.

The lab is reached through :class:`MatrixLab` (a lab module implements it), and the shared
state through the cluster's etcd (the ``cluster:`` section of the config), so this module
never imports the lab. The report's table and picture are in :mod:`failover.matrixreport`.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

from failover.config import Config, StaticEndpoints
from failover.control import GRACE as CONTROL_GRACE
from failover.errors import ConfigError

SLACK = 2.0        # seconds of room the bounds give (the "+ 2 s")
HOLD = 2.0         # seconds the authorities must stay healthy for the time to count
POLL = 0.1         # seconds between looks at authorities and the resolver
DEADLINE = 60.0    # seconds a row may take to converge before it counts as not survived
CLEAN_DEADLINE = 120.0  # seconds the lab may take to be clean again after a restore
LEADER = "leader"  # --only leader: kill the vendor of whichever node leads when the row starts
SERVED = "served"  # cut:served: the vendor of the best hosting (the one served when clean)
# A partition row's name: PREFIX:TARGET; the prefix says what is cut (None: everything).
CUTS: dict[str, str | None] = {"cut": None, "cut-etcd": "etcd", "cut-dns": "dns"}
CUT_ROWS = ("cut-etcd:leader", "cut:served")  # the partition rows a whole matrix runs
SETTLE = 20.0      # seconds a partition row's one-leader check may take to hold
RECENT = 10.0      # seconds: a watcher whose last cycle is older acts as nothing now
NOT_LEADING = ("follower", "fail-static", "error")  # cycle actions of a node that does not lead


@dataclass(frozen=True)
class Authority:
    """One authoritative server (or API) serving the zone, at a vendor."""

    label: str
    vendor: str
    read: Callable[[str], list[str]]  # absolute name -> sorted A answers; raises if it fails


class MatrixLab(Protocol):
    """What the matrix needs from a lab."""

    def vendors(self) -> list[str]: ...
    def etcd_vendors(self) -> list[str]: ...
    def watchers(self) -> int: ...
    def node_vendor(self, node: str) -> str | None: ...  # the vendor a cluster node runs at
    def authorities(self) -> list[Authority]: ...
    def resolve(self, name: str) -> list[str]: ...  # [] when the resolver gives no address
    def resolver_vendors(self) -> list[str]: ...  # vendors of the servers it can reach
    def resolver_label(self) -> str: ...  # which resolver, in which mode
    def kill(self, vendors: Sequence[str]) -> None: ...
    def restore(self, vendors: Sequence[str]) -> None: ...
    def problems(self) -> list[str]: ...  # processes that should run and do not
    def partition(self, vendor: str, only: str | None) -> None: ...  # every process runs on
    def heal(self, vendor: str) -> None: ...
    # node -> (epoch seconds, action) of its last cycle, from each watcher's own record
    def watcher_actions(self) -> dict[str, tuple[float, str]]: ...


@dataclass
class Row:
    """One row of the matrix, as measured."""

    kill: list[str]
    survived: bool = False
    authority: float | None = None     # seconds from kill to healthy at every authority
    resolver: float | None = None      # seconds from kill to healthy at the resolver
    authority_bound: float = 0.0
    resolver_bound: float | None = None
    leader_before: str | None = None
    mover: str | None = None           # the node that led the move (None: none needed)
    moved: bool = False
    clean: bool = False
    resolver_path: bool = True         # False: no server the resolver can reach survived
    chosen: str | None = None          # LEADER: the row kills whoever led when it started
    notes: list[str] = field(default_factory=list)
    cut: str | None = None             # a partition row: what is cut (all, etcd, dns)
    takeover: float | None = None      # seconds from the cut until a node outside leads
    one_leader: bool | None = None     # after the cut settled (partition rows)
    split: bool | None = None          # authorities the cluster reaches disagree (ditto)

    @property
    def name(self) -> str:
        head = "+".join(self.kill)
        if self.cut is not None:
            prefix = next(p for p, o in CUTS.items() if (o or "all") == self.cut)
            head = f"{prefix}:{head}"
        return head + (f" ({self.chosen})" if self.chosen else "")

    @property
    def within(self) -> bool:
        """Survived, with both columns inside their bounds (the resolver's, when the
        resolver had a server left to reach); a partition row: survived with one leader
        and no split DNS."""
        if self.cut is not None:
            return self.survived and self.one_leader is True and self.split is False
        if not self.survived or self.authority is None or \
                self.authority > self.authority_bound:
            return False
        if not self.resolver_path:
            return True
        return self.resolver is not None and self.resolver_bound is not None and \
            self.resolver <= self.resolver_bound

    @property
    def gap(self) -> float | None:
        """What users wait beyond the authorities: resolver minus authority seconds."""
        if self.authority is None or self.resolver is None:
            return None
        return round(max(self.resolver - self.authority, 0.0), 2)

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "name": self.name, "within": self.within, "gap": self.gap}


@dataclass
class MatrixReport:
    started: float
    interval: float
    fall: int
    lease_ttl: float
    record_ttl: int
    rows: list[Row]
    skipped: list[tuple[str, str]]  # (pair, why it is not a row)
    resolver: str = ""  # which resolver, in which mode (serve-stale on or off)

    @property
    def passed(self) -> bool:
        return bool(self.rows) and all(r.within and r.clean for r in self.rows)

    @property
    def exit_code(self) -> int:
        return 0 if self.passed else 2

    def to_json(self) -> dict[str, Any]:
        return {"started": self.started, "interval": self.interval, "fall": self.fall,
                "lease_ttl": self.lease_ttl, "record_ttl": self.record_ttl,
                "resolver": self.resolver,
                "passed": self.passed, "rows": [r.to_json() for r in self.rows],
                "skipped": [{"kill": k, "why": w} for k, w in self.skipped]}


def rows_to_run(config: Config, vendors: Sequence[str], etcd_vendors: Sequence[str]
                ) -> tuple[list[list[str]], list[tuple[str, str]]]:
    """Every vendor alone and every pair that leaves a hosting, a DNS provider and an etcd
    quorum; and the pairs left out with the reason."""
    rows: list[list[str]] = []
    skipped: list[tuple[str, str]] = []
    for size in (1, 2):
        for kill in itertools.combinations(vendors, size):
            why = _why_not(config, set(kill), etcd_vendors)
            if why is None:
                rows.append(list(kill))
            else:
                skipped.append(("+".join(kill), why))
    return rows, skipped


def _why_not(config: Config, kill: set[str], etcd_vendors: Sequence[str]) -> str | None:
    if all(h.vendor in kill for h in config.hosting.values()):
        return "no hosting left"
    if all(p.vendor in kill for p in config.dns.values()):
        return "no DNS provider left"
    left = sum(1 for v in etcd_vendors if v not in kill)
    if left * 2 <= len(etcd_vendors):
        return f"etcd loses quorum ({left} of {len(etcd_vendors)} members left)"
    return None


def addresses(config: Config, hostings: Sequence[str]) -> set[str]:
    """The A addresses of these hostings (file endpoints; the lab's are all in the file)."""
    out: set[str] = set()
    for name in hostings:
        endpoints = config.hosting[name].endpoints
        if isinstance(endpoints, StaticEndpoints):
            out.update(endpoints.A)
    return out


class ClusterView:
    """Reads the cluster's shared state in etcd: the leader, the lock, the moves."""

    def __init__(self, config: Config) -> None:
        from failover.coord.etcdclient import EtcdClient

        cluster = config.cluster
        if cluster is None:
            raise ConfigError("drill --matrix needs a clustered config (a cluster: section); "
                              "start the lab with 'python -m lab up --cluster --resolver'")
        self.client = EtcdClient(cluster.endpoints, timeout=cluster.retry_timeout)
        self.base = f"{cluster.prefix.rstrip('/')}/{config.zone}/"

    def _get(self, key: str) -> Any:
        from failover.errors import EtcdUnavailable

        try:
            kv = self.client.get(self.base + key)
        except EtcdUnavailable:
            return None
        return kv.json() if kv else None

    def leader(self) -> str | None:
        for _ in range(3):  # one slow etcd answer is not "no leader"
            holder = self._get("leader")
            if holder:
                return str(holder["node"])
            time.sleep(0.2)
        return None

    def locked(self) -> bool:
        return self._get("lock") is not None

    def views(self) -> int:
        from failover.errors import EtcdUnavailable

        try:
            return len(self.client.get_prefix(self.base + "views/"))
        except EtcdUnavailable:
            return 0

    def movers_since(self, at: float) -> list[str]:
        """The nodes that started automatic moves at or after wall-clock ``at``, in order."""
        from failover.errors import EtcdUnavailable

        try:
            kvs = self.client.get_prefix(self.base + "moves/")
        except EtcdUnavailable:
            return []
        recs = sorted((kv.json() for kv in kvs), key=lambda r: r.get("started") or 0)
        return [str(r.get("node")) for r in recs if (r.get("started") or 0) >= at]


class Matrix:
    """Runs the rows against a lab; ``clock`` is monotonic seconds, ``wall`` epoch seconds."""

    def __init__(self, config: Config, lab: MatrixLab, *,
                 clock: Callable[[], float] = time.monotonic,
                 wall: Callable[[], float] = time.time,
                 on_progress: Callable[[str], None] | None = None,
                 deadline: float = DEADLINE) -> None:
        cluster = config.cluster
        if cluster is None:
            raise ConfigError("drill --matrix needs a clustered config (a cluster: section)")
        self.config = config
        self.lab = lab
        self.view = ClusterView(config)
        self.clock = clock
        self.wall = wall
        self.say = on_progress or (lambda _text: None)
        self.deadline = deadline
        self.names = [_fqdn(r.name, config.zone) for r in config.records if r.type == "A"]
        self.detect = config.interval * config.fall
        self.authority_bound = self.detect + cluster.ttl + SLACK
        # A vendor cut off answers nothing: each cycle waits out its probes' and its
        # control plane's timeouts (a killed one refuses at once), so a cut row's bound
        # counts them in every look, and a watcher's cycles are that much further apart.
        self.cut_wait = max([float(c.timeout) for c in config.checks]
                            + [float(v.control.timeout) + CONTROL_GRACE
                               for v in config.vendors.values() if v.control is not None],
                            default=0.0)
        self.cut_bound = (config.fall * (config.interval + self.cut_wait) + cluster.ttl
                          + SLACK)
        best = min(h.priority for h in config.hosting.values())
        self.best = addresses(config, [n for n, h in config.hosting.items()
                                       if h.priority == best])

    def run(self, only: Sequence[str] = (), singles: bool = False) -> MatrixReport:
        rows, skipped = rows_to_run(self.config, self.lab.vendors(), self.lab.etcd_vendors())
        if singles:
            rows = [r for r in rows if len(r) == 1]
        named_cuts = [o for o in only if o.split(":", 1)[0] in CUTS]
        # --singles: the single-vendor kill rows (a quick matrix); partition rows by name.
        cuts = [self._cut(o) for o in (named_cuts if only or singles else CUT_ROWS)]
        leader_rows = sum(1 for o in only if o == LEADER)
        only = [o for o in only if o != LEADER and o not in named_cuts]
        if only or leader_rows or named_cuts:
            wanted = {"+".join(sorted(o.split("+"))) for o in only}
            known = {"+".join(sorted(r)) for r in rows}
            unknown = sorted(wanted - known)
            if unknown:
                raise ConfigError(f"--only {', '.join(unknown)}: not a row of the matrix; rows "
                                  f"are {', '.join('+'.join(r) for r in rows)}, leader, and "
                                  f"partition rows {'|'.join(CUTS)}:VENDOR|leader|served")
            rows = [r for r in rows if "+".join(sorted(r)) in wanted]
        report = MatrixReport(self.wall(), self.config.interval, self.config.fall,
                              self.config.cluster.ttl if self.config.cluster else 0,
                              self.config.ttl, [], skipped, self.lab.resolver_label())
        for _ in range(leader_rows):
            report.rows.append(self.row([], chosen=LEADER))
        for kill in rows:
            report.rows.append(self.row(kill))
        for target, what in cuts:
            report.rows.append(self.cut_row(target, what))
        return report

    def _cut(self, name: str) -> tuple[str, str | None]:
        """(target, what is cut) of a partition row's name such as ``cut-etcd:leader``."""
        prefix, _, target = name.partition(":")
        targets = [*self.lab.vendors(), LEADER, SERVED]
        if target not in targets:
            raise ConfigError(f"--only {name}: a partition row is {'|'.join(CUTS)}:TARGET "
                              f"with TARGET one of {', '.join(targets)}")
        return target, CUTS[prefix]

    def row(self, kill: list[str], chosen: str | None = None) -> Row:
        row = Row(kill=kill, authority_bound=self.authority_bound, chosen=chosen)
        problem = self.wait_clean(CLEAN_DEADLINE)
        if problem:
            row.kill = row.kill or [chosen or "?"]
            row.notes.append(f"not clean before the kill: {problem}")
            return row
        row.leader_before = self.view.leader()
        if chosen == LEADER:
            vendor = self.lab.node_vendor(row.leader_before or "")
            if vendor is None:
                row.kill = [LEADER]
                row.notes.append(f"the leader {row.leader_before or '(none)'} is no watcher "
                                 "of the lab's vendors; nothing killed")
                return row
            kill = row.kill = [vendor]
        name = row.name
        healthy_hostings = [n for n, h in self.config.hosting.items() if h.vendor not in kill]
        healthy = addresses(self.config, healthy_hostings)
        authorities = [a for a in self.lab.authorities() if a.vendor not in kill]
        row.moved = bool(self.best - healthy)
        self.say(f"{name}: kill (leader {row.leader_before or 'none'})")
        self._measure(row, kill, healthy, authorities, lambda: self.lab.kill(kill))
        self.say(f"{name}: authority {row.authority}s, resolver {row.resolver}s, "
                 f"moved by {row.mover or '-'}; restore")
        self.lab.restore(kill)
        problem = self.wait_clean(CLEAN_DEADLINE)
        row.clean = problem is None
        if problem:
            row.notes.append(f"not clean after the restore: {problem}")
        return row

    def _measure(self, row: Row, gone: Sequence[str], healthy: set[str],
                 authorities: Sequence[Authority], act: Callable[[], None]) -> None:
        """Do ``act`` (the kill or the cut of the vendors ``gone``) and fill in ``row``:
        the authority and resolver columns, survived, and the node that moved."""
        stop = threading.Event()
        seen: dict[str, float] = {}
        reachable = [v for v in self.lab.resolver_vendors() if v not in gone]
        resolver = threading.Thread(
            target=self._until, name="matrix-resolver", daemon=True,
            args=("resolver", lambda: self._resolver_ok(healthy), seen, stop,
                  self.config.ttl + SLACK))
        at_wall = self.wall()
        t0 = self.clock()
        seen["t0"] = t0
        resolver.start()  # a steady client: the resolver's cache is as warm as in life
        act()
        self._until("authority", lambda: _all_ok(authorities, self.names, healthy), seen, stop,
                    HOLD)
        resolver.join(self.deadline + self.config.ttl + SLACK + 5)
        stop.set()
        if "authority" in seen:
            row.authority = round(seen["authority"] - t0, 2)
            row.resolver_bound = round(row.authority + self.config.ttl + SLACK, 2)
        else:
            row.notes.append(f"authorities still served a dead hosting after "
                             f"{self.deadline:.0f}s")
        if "resolver" in seen:
            row.resolver = round(seen["resolver"] - t0, 2)
        elif not reachable:
            row.resolver_path = False
            row.notes.append("no DNS server the resolver can reach survives this kill (the "
                             "lab's Route 53 serves no DNS), so clients get SERVFAIL once "
                             "the cached answer expires; resolver column not measurable")
        else:
            row.notes.append(f"the resolver did not hand only healthy addresses for "
                             f"{self.config.ttl + SLACK:g}s in a row within "
                             f"{self.deadline:.0f}s")
        row.survived = row.authority is not None and (row.resolver is not None
                                                      or not row.resolver_path)
        # moves started since the kill: the last row's failback may end just before it
        movers = self.view.movers_since(at_wall)
        row.mover = movers[0] if movers else None
        if row.moved and row.mover is None:
            row.notes.append("no move in the shared history")
        elif not row.moved and row.mover is not None:
            row.notes.append(f"{row.mover} moved although the best hosting survived")

    def cut_row(self, target: str, only: str | None) -> Row:
        """A partition row: cut ``target``'s vendor (LEADER, SERVED or a vendor) off the
        others (``only``: etcd or DNS traffic alone) while its processes run; measure as a
        kill row, then check one leader and no split DNS; heal."""
        row = Row(kill=[target], cut=only or "all",
                  authority_bound=self.authority_bound if only == "etcd" else self.cut_bound,
                  chosen=target if target in (LEADER, SERVED) else None)
        problem = self.wait_clean(CLEAN_DEADLINE)
        if problem:
            row.notes.append(f"not clean before the cut: {problem}")
            return row
        row.leader_before = self.view.leader()
        vendor = self._target_vendor(target, row.leader_before)
        if vendor is None:
            row.notes.append(f"the leader {row.leader_before or '(none)'} is no watcher of "
                             "the lab's vendors; nothing cut")
            return row
        row.kill = [vendor]
        # What the cluster's side can no longer reach: the vendor's hostings (a full cut)
        # and its DNS providers (a full or a DNS cut).
        gone_hostings = {n for n, h in self.config.hosting.items()
                         if only is None and h.vendor == vendor}
        healthy = addresses(self.config, [n for n in self.config.hosting
                                          if n not in gone_hostings])
        authorities = [a for a in self.lab.authorities()
                       if only == "etcd" or a.vendor != vendor]
        row.moved = bool(self.best - healthy)
        led_there = self.lab.node_vendor(row.leader_before or "") == vendor and only != "dns"
        self.say(f"{row.name}: cut (leader {row.leader_before or 'none'})")
        t0 = self.clock()
        taken: dict[str, float] = {}
        stop = threading.Event()
        watch = threading.Thread(target=self._takeover, args=(vendor, t0, taken, stop),
                                 name="matrix-takeover", daemon=True)
        if led_there:
            watch.start()
        self._measure(row, [vendor] if only != "etcd" else [], healthy, authorities,
                      lambda: self.lab.partition(vendor, only))
        if led_there:
            watch.join(self.deadline)
        stop.set()
        if "at" in taken:
            row.takeover = round(taken["at"] - t0, 2)
        elif led_there:
            row.notes.append(f"no node outside {vendor} led within {self.deadline:.0f}s")
        self._settled(row, vendor, only, authorities)
        self.say(f"{row.name}: authority {row.authority}s, resolver {row.resolver}s, "
                 f"takeover {row.takeover}s, one leader {row.one_leader}, split {row.split}; "
                 "heal")
        self.lab.heal(vendor)
        self.lab.restore([])
        problem = self.wait_clean(CLEAN_DEADLINE)
        row.clean = problem is None
        if problem:
            row.notes.append(f"not clean after the heal: {problem}")
        return row

    def _target_vendor(self, target: str, leader: str | None) -> str | None:
        if target == LEADER:
            return self.lab.node_vendor(leader or "")
        if target == SERVED:
            best = min(h.priority for h in self.config.hosting.values())
            return next(h.vendor for h in self.config.hosting.values() if h.priority == best)
        return target

    def _takeover(self, vendor: str, t0: float, taken: dict[str, float],
                  stop: threading.Event) -> None:
        """Record in ``taken["at"]`` when etcd first names a leader outside ``vendor``."""
        while not stop.is_set() and self.clock() < t0 + self.deadline:
            node = self.view.leader()
            if node and self.lab.node_vendor(node) != vendor:
                taken["at"] = self.clock()
                return
            time.sleep(POLL)

    def _settled(self, row: Row, vendor: str, only: str | None,
                 authorities: Sequence[Authority]) -> None:
        """After a cut: one leader (waiting up to SETTLE for it) and no split DNS."""
        end = self.clock() + SETTLE
        while True:
            problem = self._leaders(vendor, only)
            if problem is None or self.clock() > end:
                break
            time.sleep(0.5)
        row.one_leader = problem is None
        if problem:
            row.notes.append(problem)
        split = _split(authorities, self.names)
        row.split = split is not None
        if split:
            row.notes.append(split)

    def _leaders(self, vendor: str, only: str | None) -> str | None:
        """None when etcd names one leader (outside ``vendor`` when etcd is cut) and it is
        the only watcher whose recent cycles act as leader; else what is wrong."""
        leader = self.view.leader()
        if leader is None:
            return "no cluster leader after the cut"
        if only != "dns" and self.lab.node_vendor(leader) == vendor:
            return f"{leader} still leads from the vendor cut off etcd"
        now = self.wall()
        recent = RECENT if only == "etcd" else RECENT + 2 * self.cut_wait
        acting = sorted(node for node, (at, action) in self.lab.watcher_actions().items()
                        if now - at <= recent and action not in NOT_LEADING)
        if acting != [leader]:
            return (f"watchers acting as leader: {', '.join(acting) or 'none'}; etcd names "
                    f"{leader}")
        return None

    def _until(self, what: str, ok: Callable[[], bool], seen: dict[str, float],
               stop: threading.Event, hold: float) -> None:
        """Record in ``seen[what]`` when ``ok`` became true for good: it then held for
        ``hold`` seconds in a row (a cached answer that expires into a failure, or a
        move undone, does not count)."""
        end = seen["t0"] + self.deadline + hold
        since: float | None = None
        while not stop.is_set() and self.clock() < end:
            good = ok()
            now = self.clock()  # when the answers arrived, as a client would see them
            if good:
                since = now if since is None else since
                if now - since >= hold:
                    seen[what] = since
                    return
            else:
                since = None
            time.sleep(POLL)

    def _resolver_ok(self, healthy: set[str]) -> bool:
        for name in self.names:
            got = self.lab.resolve(name)
            if not got or not set(got) <= healthy:
                return False
        return True

    def wait_clean(self, deadline: float) -> str | None:
        """None once the lab is clean, else (after ``deadline``) what is still wrong."""
        end = self.clock() + deadline
        while True:
            problem = self.problem()
            if problem is None or self.clock() > end:
                return problem
            time.sleep(0.25)

    def problem(self) -> str | None:
        """What keeps the lab from clean now, or None."""
        bad = self.lab.problems()
        if bad:
            return f"not running: {', '.join(bad)}"
        if self.view.leader() is None:
            return "no cluster leader"
        if self.view.locked():
            return "a move holds the cluster lock"
        views = self.view.views()
        if views < self.lab.watchers():
            return f"{views} of {self.lab.watchers()} vantage points live"
        for a in self.lab.authorities():
            for name in self.names:
                try:
                    got = a.read(name)
                except Exception as exc:  # a server that does not answer: say which
                    return f"{a.label} does not answer {name}: {exc}"
                if set(got) != self.best:
                    return f"{a.label} serves {', '.join(got) or 'nothing'} for {name}"
        return None


def _all_ok(authorities: Sequence[Authority], names: Sequence[str], healthy: set[str]) -> bool:
    for a in authorities:
        for name in names:
            try:
                got = a.read(name)
            except Exception:
                return False
            if not got or not set(got) <= healthy:
                return False
    return True


def _split(authorities: Sequence[Authority], names: Sequence[str]) -> str | None:
    """What the authorities disagree on (split DNS), or None."""
    for name in names:
        seen: dict[str, str] = {}
        for a in authorities:
            try:
                seen[a.label] = ", ".join(a.read(name)) or "nothing"
            except Exception as exc:  # a server that does not answer: say which
                seen[a.label] = f"no answer ({exc})"
        if len(set(seen.values())) > 1:
            return f"split DNS for {name}: " + "; ".join(f"{k} {v}" for k, v in seen.items())
    return None


def _fqdn(name: str, zone: str) -> str:
    zone = zone if zone.endswith(".") else zone + "."
    if name in ("@", ""):
        return zone
    return name if name.endswith(".") else f"{name}.{zone}"
