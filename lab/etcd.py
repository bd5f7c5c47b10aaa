"""An etcd cluster for the lab: N members of Debian's etcd 3.4 on free loopback ports.

``start_cluster(DIR, ["aws", "gcp", "metal"])`` starts one member per name (data in
DIR/NAME, log in DIR/NAME.log), each with explicit client and peer URLs and the whole
``--initial-cluster``, and returns once every member says it is healthy (``GET /health``:
the member is up and the cluster has a leader). The returned ``Cluster`` has
``.endpoints`` (client URLs, for etcd3gw or ``etcdctl --endpoints``), ``.members[name]``
(``.pid``, ``.endpoint``), and verbs to break it: ``kill`` (SIGKILL, as a vendor that is
gone), ``stop``/``cont`` (SIGSTOP/SIGCONT, a frozen or partitioned member), ``restart``
(a killed member back on its ports, with its data), and ``down``.

Heartbeat 100 ms and election timeout 1 s (etcd's own defaults, short for a WAN) keep the
shortest lease etcd grants at 2 s (``ceil(1.5 * election timeout)``) while a loaded
two-core CI machine does not see leaders flap. ``--pre-vote`` stops a member that was
frozen from deposing a healthy leader when it wakes.

``start_cluster(..., tls=True)`` serves the client URLs over https with mutual TLS
(``--client-cert-auth``): ``make_certs`` writes a throwaway CA, a server certificate for IP
127.0.0.1 and a client certificate into DIR/tls with ``openssl``; ``Cluster.tls`` names the
files. Peer URLs stay plain. The default is plain http.

``Cluster.to_dict``/``Cluster.from_dict`` carry it through lab.json, so ``python -m lab
kill`` in another process can act on a cluster that ``up`` started.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import ssl
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lab.procs import LabError, alive, free_port, log_error, spawn, stop_many

HOST = "127.0.0.1"
HEARTBEAT_MS = 100
ELECTION_MS = 1000
TIMEOUT = float(os.environ.get("LAB_START_TIMEOUT", "30"))  # generous for a busy CI machine
ATTEMPTS = 3  # a free port can be taken between choosing it and etcd binding it


def etcd_binary() -> str:
    """The etcd program: $LAB_ETCD, PATH, or /usr/bin; a clear LabError if missing."""
    found = os.environ.get("LAB_ETCD") or shutil.which("etcd")
    for candidate in (found, "/usr/bin/etcd", "/usr/local/bin/etcd"):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    raise LabError("etcd is not installed: run `bash scripts/setup.sh` or "
                   "`apt-get install etcd-server`")


@dataclass(frozen=True)
class Tls:
    """The certificate files of a TLS lab cluster, all PEM, in ``dir``.

    The server certificate also allows client auth: etcd 3.4's JSON gateway dials its own
    gRPC port presenting the server certificate, which ``--client-cert-auth`` checks.
    """

    dir: Path

    ca = property(lambda self: self.dir / "ca.crt")
    server_cert = property(lambda self: self.dir / "server.crt")
    server_key = property(lambda self: self.dir / "server.key")
    client_cert = property(lambda self: self.dir / "client.crt")
    client_key = property(lambda self: self.dir / "client.key")

    def context(self) -> ssl.SSLContext:
        """A client context that trusts the lab CA and presents the client certificate."""
        ctx = ssl.create_default_context(cafile=str(self.ca))
        ctx.load_cert_chain(str(self.client_cert), str(self.client_key))
        return ctx


def make_certs(dir: Path, host: str = HOST) -> Tls:
    """A throwaway CA and, signed by it, a server certificate for IP ``host`` and a client
    certificate, written into ``dir`` with ``openssl`` (keys EC P-256, valid one day)."""
    openssl = shutil.which("openssl")
    if not openssl:
        raise LabError("openssl is not installed: run `bash scripts/setup.sh` or "
                       "`apt-get install openssl`")
    tls = Tls(Path(dir))
    tls.dir.mkdir(parents=True, exist_ok=True)
    key = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
    _openssl(openssl, ["req", "-x509", *key, "-keyout", str(tls.dir / "ca.key"),
                       "-out", str(tls.ca), "-days", "1", "-subj", "/CN=failover lab CA",
                       "-addext", "basicConstraints=critical,CA:TRUE",
                       "-addext", "keyUsage=critical,keyCertSign,cRLSign"])
    for name, cn, ext in (
            ("server", host, [f"subjectAltName=IP:{host}",
                              "extendedKeyUsage=serverAuth,clientAuth"]),
            ("client", "failover", ["extendedKeyUsage=clientAuth"])):
        csr, extfile = tls.dir / f"{name}.csr", tls.dir / f"{name}.ext"
        extfile.write_text("".join(f"{line}\n" for line in ext))
        _openssl(openssl, ["req", "-new", *key, "-keyout", str(tls.dir / f"{name}.key"),
                           "-out", str(csr), "-subj", f"/CN={cn}"])
        _openssl(openssl, ["x509", "-req", "-in", str(csr), "-CA", str(tls.ca),
                           "-CAkey", str(tls.dir / "ca.key"), "-CAcreateserial", "-days", "1",
                           "-extfile", str(extfile), "-out", str(tls.dir / f"{name}.crt")])
    return tls


def _openssl(openssl: str, args: list[str]) -> None:
    done = subprocess.run([openssl, *args], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        lines = done.stderr.strip().splitlines() or ["no message"]
        raise LabError(f"openssl {args[0]} failed: {lines[-1]}")


@dataclass
class Member:
    """One etcd member: its name, ports, data folder and the pid running it (None if dead)."""

    name: str
    host: str
    client_port: int
    peer_port: int
    data_dir: Path
    pid: int | None = None
    tls: Tls | None = None
    gid: int | None = None  # the gid it runs under (its vendor's, lab.netcut), or ours

    @property
    def endpoint(self) -> str:
        """The client URL, e.g. ``http://127.0.0.1:2379`` (https with TLS)."""
        scheme = "https" if self.tls else "http"
        return f"{scheme}://{self.host}:{self.client_port}"

    @property
    def peer_url(self) -> str:
        return f"http://{self.host}:{self.peer_port}"

    @property
    def log(self) -> Path:
        return self.data_dir.with_name(f"{self.name}.log")

    @property
    def marker(self) -> str:
        """What the member's command line holds, so a reused pid is never signalled."""
        return f"--data-dir {self.data_dir}"

    def alive(self) -> bool:
        """Whether the process runs (a frozen member still counts as alive)."""
        return alive(self.pid, self.marker)

    def healthy(self, timeout: float = 1.0) -> bool:
        """Whether the member answers ``/health`` with true (so the cluster has a leader)."""
        return health(self.endpoint, timeout, self.tls.context() if self.tls else None)

    def becomes_healthy(self, within: float = TIMEOUT) -> bool:
        """Whether the member turns healthy within ``within`` seconds.

        After a member that led dies, ``/health`` says false until the rest elect a
        new leader: one election timeout at least, more on a loaded machine.
        """
        deadline = time.monotonic() + within
        while not self.healthy(timeout=min(2.0, within)):
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.2)
        return True


@dataclass
class Cluster:
    """A running etcd cluster; ``members`` keeps the order of the names given."""

    dir: Path
    token: str
    members: dict[str, Member] = field(default_factory=dict)
    tls: Tls | None = None

    @property
    def endpoints(self) -> list[str]:
        """Every member's client URL, dead or alive (clients try each)."""
        return [m.endpoint for m in self.members.values()]

    def member(self, name: str) -> Member:
        try:
            return self.members[name]
        except KeyError:
            raise LabError(f"no etcd member '{name}'; the members are: "
                           f"{', '.join(self.members)}") from None

    def kill(self, name: str) -> None:
        """SIGKILL the member (no goodbye to its peers) and return once it is gone."""
        _kill([self.member(name)])

    def stop(self, name: str) -> None:
        """Freeze the member (SIGSTOP): its ports stay open but it answers nothing."""
        self._signal(name, signal.SIGSTOP)

    def cont(self, name: str) -> None:
        """Resume a frozen member (SIGCONT)."""
        self._signal(name, signal.SIGCONT)

    def _signal(self, name: str, sig: signal.Signals) -> None:
        m = self.member(name)
        if not m.alive():
            raise LabError(f"etcd member '{name}' is not running")
        assert m.pid is not None
        os.kill(m.pid, sig)

    def restart(self, name: str, timeout: float = TIMEOUT) -> None:
        """Start a killed member again on its ports with its data; return once healthy."""
        m = self.member(name)
        if m.alive():
            return
        proc = _spawn(m, self, "existing")
        m.pid = proc.pid
        _wait_healthy(m, proc, timeout)

    def down(self) -> None:
        """Stop every member (frozen ones too); fine to call twice.

        SIGKILL at once: the data is thrown away, and a member asked to stop politely
        spends seconds handing its leadership to peers that are stopping too.
        """
        _kill(list(self.members.values()))

    def initial_cluster(self) -> str:
        return ",".join(f"{m.name}={m.peer_url}" for m in self.members.values())

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able record of the cluster, for lab.json."""
        return {"dir": str(self.dir), "token": self.token, "endpoints": self.endpoints,
                "tls": str(self.tls.dir) if self.tls else None,
                "members": {n: {"host": m.host, "client_port": m.client_port,
                                "peer_port": m.peer_port, "data_dir": str(m.data_dir),
                                "pid": m.pid, "gid": m.gid}
                            for n, m in self.members.items()}}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Cluster:
        """The cluster ``to_dict`` described (pids as they were recorded)."""
        tls = Tls(Path(data["tls"])) if data.get("tls") else None
        members = {n: Member(n, m["host"], int(m["client_port"]), int(m["peer_port"]),
                             Path(m["data_dir"]), m.get("pid"), tls, m.get("gid"))
                   for n, m in data["members"].items()}
        return cls(Path(data["dir"]), data["token"], members, tls)


def _kill(members: list[Member]) -> None:
    """SIGKILL the members that run and return once each process is gone for good."""
    pids = [m.pid for m in members if m.pid and m.alive()]
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    # By pid alone: a dying process has an empty command line, yet still holds its ports.
    stop_many([(pid, "") for pid in pids])
    for m in members:
        m.pid = None


def health(endpoint: str, timeout: float = 1.0, context: ssl.SSLContext | None = None) -> bool:
    """Whether the etcd member at ``endpoint`` answers ``GET /health`` with health true."""
    try:
        with urllib.request.urlopen(f"{endpoint}/health", timeout=timeout,
                                    context=context) as reply:
            body = json.loads(reply.read() or b"{}")
    except (OSError, ValueError, urllib.error.URLError):
        return False
    return isinstance(body, dict) and str(body.get("health")) == "true"


def start_cluster(dir: Path | str, names: Sequence[str], host: str = HOST,
                  hosts: dict[str, str] | None = None, timeout: float = TIMEOUT,
                  tls: bool = False, gids: dict[str, int] | None = None) -> Cluster:
    """Start one etcd member per name in ``dir``; return once all are healthy.

    ``hosts`` may give a member its own loopback address (default ``host``). ``tls``
    serves the client URLs over https with mutual TLS, certificates in ``dir``/tls (one
    server certificate for ``host``, so not with ``hosts``). ``gids`` runs a member under
    a gid of its own (a clustered lab's vendors: lab.netcut cuts by it). On failure
    nothing is left running and LabError names the member and its log's telling line.
    """
    if not names or len(set(names)) != len(names):
        raise LabError(f"etcd members need distinct names, got {list(names)}")
    root = Path(dir).resolve()
    etcd_binary()  # fail before choosing ports if there is no etcd
    if tls and hosts:
        raise LabError("a TLS lab cluster has one server certificate for one host; "
                       "give host, not hosts")
    certs = make_certs(root / "tls", host) if tls else None
    for attempt in range(ATTEMPTS):
        cluster = _configure(root, names, {n: (hosts or {}).get(n, host) for n in names},
                             certs, gids or {})
        try:
            _start(cluster, timeout)
            return cluster
        except BaseException as exc:
            with contextlib.suppress(LabError):
                cluster.down()
            if attempt == ATTEMPTS - 1 or not isinstance(exc, LabError) or \
                    "in use" not in str(exc):
                raise
    raise AssertionError("unreachable")


def _configure(root: Path, names: Sequence[str], hosts: dict[str, str],
               tls: Tls | None = None, gids: dict[str, int] | None = None) -> Cluster:
    """Fresh data folders and free ports for every member (no process yet)."""
    root.mkdir(parents=True, exist_ok=True)
    cluster = Cluster(root, f"lab-{uuid.uuid4().hex[:12]}", tls=tls)
    taken: list[int] = []
    for name in names:
        data_dir = root / name
        shutil.rmtree(data_dir, ignore_errors=True)
        data_dir.parent.mkdir(parents=True, exist_ok=True)
        client = free_port((hosts[name],), avoid=tuple(taken))
        taken.append(client)
        peer = free_port((hosts[name],), avoid=tuple(taken))
        taken.append(peer)
        cluster.members[name] = Member(name, hosts[name], client, peer, data_dir, tls=tls,
                                       gid=(gids or {}).get(name))
    return cluster


def _start(cluster: Cluster, timeout: float) -> None:
    procs = {}
    for m in cluster.members.values():
        m.log.write_text("")
        procs[m.name] = _spawn(m, cluster, "new")
        m.pid = procs[m.name].pid
    # Members only become healthy together (a leader needs a quorum), so wait for all.
    for m in cluster.members.values():
        _wait_healthy(m, procs[m.name], timeout)


def _spawn(m: Member, cluster: Cluster, state: str) -> subprocess.Popen[bytes]:
    argv = [etcd_binary(), "--name", m.name, "--data-dir", str(m.data_dir),
            "--listen-client-urls", m.endpoint, "--advertise-client-urls", m.endpoint,
            "--listen-peer-urls", m.peer_url, "--initial-advertise-peer-urls", m.peer_url,
            "--initial-cluster", cluster.initial_cluster(),
            "--initial-cluster-token", cluster.token,
            "--initial-cluster-state", state,
            "--heartbeat-interval", str(HEARTBEAT_MS),
            "--election-timeout", str(ELECTION_MS),
            "--pre-vote", "--logger", "zap", "--log-outputs", "stderr"]
    if m.tls:
        argv += ["--cert-file", str(m.tls.server_cert), "--key-file", str(m.tls.server_key),
                 "--trusted-ca-file", str(m.tls.ca), "--client-cert-auth"]
    return spawn(argv, m.log, cwd=cluster.dir, group=m.gid)


def _wait_healthy(m: Member, proc: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not m.healthy(timeout=0.5):
        if proc.poll() is not None:
            raise LabError(f"etcd member {m.name} exited with {proc.returncode}: "
                           f"{log_error(m.log)} (see {m.log})")
        if time.monotonic() > deadline:
            raise LabError(f"etcd member {m.name} was not healthy within {timeout:.0f}s: "
                           f"{log_error(m.log)} (see {m.log})")
        time.sleep(0.05)
