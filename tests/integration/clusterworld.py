"""A small clustered world for the coordination tests: real etcd (three members), real BIND.

Two hostings (``a`` at aws, priority 1, 127.0.0.11; ``g`` at gcp, 127.0.0.12) are TCP
listeners in the test process; two BIND servers (two DNS providers) serve
``www.example.test.`` and take signed updates. Each node (a watcher or a laptop) gets its
own config file and journal, all with the same ``cluster:`` section but their own node
name. A node whose network is "cut" probes a port nobody listens on, so it sees every
hosting down.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lab import bind as lab_bind
from lab import etcd as lab_etcd

ROOT = Path(__file__).resolve().parents[2]
TIMING = {"ttl": "3s", "loop_wait": "1s", "retry_timeout": "1s"}


class Listener:
    """A TCP port that accepts (UP) until closed (DOWN); reopen() brings it back."""

    def __init__(self, address: str, port: int = 0) -> None:
        self.address = address
        self.port = port
        self.sock: socket.socket | None = None
        self.reopen()

    def reopen(self) -> None:
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.address, self.port))
        sock.listen(64)
        sock.settimeout(0.2)
        self.port = sock.getsockname()[1]
        self.sock = sock
        # Accept and drop each probe's connection: a full backlog would drop new ones.
        self._thread = threading.Thread(target=self._serve, args=(sock,), daemon=True)
        self._thread.start()

    def _serve(self, sock: socket.socket) -> None:
        while self.sock is sock:
            try:
                conn, _ = sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            conn.close()

    def close(self) -> None:
        if self.sock is not None:
            sock, self.sock = self.sock, None
            sock.close()
            self._thread.join()


class World:
    def __init__(self, root: Path, etcd: lab_etcd.Cluster) -> None:
        self.root = root
        self.etcd = etcd
        self.secret_file = root / "tsig.secret"
        secret = lab_bind.write_secret(self.secret_file)
        # Two DNS providers, each its own named: a plan is written to both.
        self.named, self.bind_port = lab_bind.start(root, secret)
        self.named2, self.bind2_port = lab_bind.start(root / "second", secret,
                                                      avoid=(self.bind_port,))
        lab_bind.wait_ready(self.named, root, self.bind_port, timeout=30)
        lab_bind.wait_ready(self.named2, root / "second", self.bind2_port, timeout=30)
        self.a = Listener("127.0.0.11")
        self.g = Listener("127.0.0.12", self.a.port)
        dead = socket.socket()
        dead.bind(("127.0.0.1", 0))
        self.dead_port = dead.getsockname()[1]   # bound, never listening: refused
        self._dead = dead
        self.procs: list[subprocess.Popen[bytes]] = []
        # The configured vantage points every config names, and the quorum (a test of
        # several watchers sets them; None: each node counts alone, the quorum default).
        self.watchers: list[str] | None = None
        self.quorum: str | float | None = None

    def config(self, node: str, vendor: str, *, cut_off: bool = False, auto: bool = True,
               extra: str = "", watchers: list[str] | None = None,
               quorum: str | float | None = None) -> Path:
        """A node's config. ``watchers``: the configured vantage points (default
        ``self.watchers``, else this node alone); ``quorum`` (default ``self.quorum``)."""
        port = self.dead_port if cut_off else self.a.port
        path = self.root / f"{node}.yaml"
        cluster: dict[str, Any] = {"endpoints": self.etcd.endpoints, "node": node,
                                   "vendor": vendor, **TIMING,
                                   "watchers": watchers or self.watchers or [node]}
        if (quorum or self.quorum) is not None:
            cluster["quorum"] = quorum or self.quorum
        if self.etcd.tls:   # a TLS cluster: our CA and client certificate
            cluster["tls"] = {"ca_file": str(self.etcd.tls.ca),
                              "cert_file": str(self.etcd.tls.client_cert),
                              "key_file": str(self.etcd.tls.client_key)}
        path.write_text(f"""
service: s
zone: example.test.
records: [{{name: www, type: A}}]
vendors: {{aws: {{}}, gcp: {{}}, metal: {{}}}}
hosting:
  a: {{vendor: aws, priority: 1, endpoints: {{A: [127.0.0.11]}}}}
  g: {{vendor: gcp, priority: 2, endpoints: {{A: [127.0.0.12]}}}}
dns:
  bind: {{vendor: metal, kind: rfc2136, server: 127.0.0.1, port: {self.bind_port},
          tsig: {{name: {lab_bind.KEY_NAME}, secret_file: {self.secret_file}}}}}
  bind2: {{vendor: gcp, kind: rfc2136, server: 127.0.0.1, port: {self.bind2_port},
           tsig: {{name: {lab_bind.KEY_NAME}, secret_file: {self.secret_file}}}}}
checks: [{{kind: tcp, port: {port}, timeout: 300ms}}]
interval: 1s
fall: 2
rise: 1
policy: {{auto_move: {str(auto).lower()}, max_change_fraction: 1}}
verify: {{timeout: 10s, interval: 50ms}}
journal: {self.root / node / 'journal.sqlite'}
cluster: {json.dumps(cluster)}
{extra}""")
        return path

    def served_each(self) -> dict[str, list[str]]:
        return {name: sorted(lab_bind.answers("127.0.0.1", port, "www"))
                for name, port in (("bind", self.bind_port), ("bind2", self.bind2_port))}

    def served(self) -> list[str]:
        """What both providers serve when they agree; both answers when they do not."""
        each = self.served_each()
        return sorted({a for answers in each.values() for a in answers}) \
            if each["bind"] != each["bind2"] else each["bind"]

    def cli(self, config: Path, *args: str,
            timeout: float = 60) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "cli.app", "--config", str(config), *args],
                              capture_output=True, text=True, timeout=timeout, env=env(),
                              cwd=self.root)

    def watcher(self, config: Path, log: Path) -> subprocess.Popen[bytes]:
        with open(log, "ab") as out:
            proc = subprocess.Popen([sys.executable, "-m", "cli.app", "--config", str(config),
                                     "watch", "--auto-move", "--format", "json"],
                                    stdout=out, stderr=subprocess.STDOUT, env=env(),
                                    cwd=self.root)
        self.procs.append(proc)
        return proc

    def close(self) -> None:
        import signal

        for p in self.procs:
            if p.poll() is None:
                os.kill(p.pid, signal.SIGCONT)
                p.kill()
            p.wait()
        for named in (self.named, self.named2):
            named.kill()
            named.wait()
        self.a.close()
        self.g.close()
        self._dead.close()


def env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), "CI": "true"}


def cycles(log: Path) -> list[dict[str, Any]]:
    out = []
    for line in log.read_text(errors="replace").splitlines():
        if line.startswith("{"):
            try:
                out.append(json.loads(line))
            except ValueError:
                continue
    return out


def wait(what: str, ready: Callable[[], bool], timeout: float = 60.0) -> None:
    """Until ``ready()``; an AssertionError naming ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not ready():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)
