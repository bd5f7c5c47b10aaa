"""The health-check targets: one nginx answering ``/healthz`` on N loopback addresses.

Design: every target is its own address, ``127.1.x.y`` on one port, and nginx
has one ``listen`` per address (10,000 listening sockets for N = 10,000). So N
targets are N distinct endpoints, as a config with N endpoints would list, and
nothing listens outside 127.0.0.0/8 (no ``0.0.0.0``). One worker process, no
access log: nginx answers in microseconds, and the prober under test gets the
other core.

``/probe`` returns a body shaped like a blackbox_exporter answer (2 KB of
metrics ending in ``probe_success 1``), so the blackbox driver can be timed on
nginx alone to show that it is not what limits blackbox_exporter.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path

from bench import peers
from bench.procs import BenchError, Server, http_ok, start, wait_ready

FIRST = ipaddress.IPv4Address("127.1.0.1")
PER_BLOCK = 250   # .1 to .250 in each /24: no .0 or .255 to puzzle a reader
MAX_TARGETS = 250 * 256
PROBE_BODY_BYTES = 2000


def addresses(n: int) -> list[str]:
    """``n`` distinct loopback addresses: 127.1.0.1 .. 127.1.0.250, 127.1.1.1 ..."""
    if not 0 < n <= MAX_TARGETS:
        raise BenchError(f"between 1 and {MAX_TARGETS} targets, not {n}")
    base = int(FIRST) - 1
    return [str(ipaddress.IPv4Address(base + (i // PER_BLOCK) * 256 + i % PER_BLOCK + 1))
            for i in range(n)]


def probe_body() -> str:
    """A stand-in for blackbox_exporter's answer: metric lines, ``probe_success 1`` last."""
    lines = ["# bench: a stand-in for a blackbox_exporter /probe answer"]
    i = 0
    while sum(len(x) + 1 for x in lines) < PROBE_BODY_BYTES - 40:
        lines.append(f"probe_http_duration_seconds{{phase=\"p{i}\"}} 0.000{i:06d}")
        i += 1
    lines.append("probe_success 1")
    return "\n".join(lines) + "\n"


def config(work: Path, listen: list[str], port: int, workers: int = 1) -> str:
    """nginx.conf for ``listen`` addresses on ``port``, everything under ``work``."""
    body = probe_body().replace('"', '\\"').replace("\n", "\\n")
    listens = "\n".join(f"        listen {a}:{port};" for a in listen)
    connections = len(listen) + 4096  # each listening socket takes a connection slot
    return f"""\
# nginx for the failover bench, written by `python -m bench`.
worker_processes {workers};
daemon off;
master_process on;
pid {work / "nginx.pid"};
error_log {work / "nginx-error.log"} warn;
worker_rlimit_nofile {connections * 2};
events {{
    worker_connections {connections};
    multi_accept on;
}}
http {{
    access_log off;
    client_body_temp_path {work / "tmp"};
    proxy_temp_path {work / "tmp"};
    keepalive_requests 1000000;
    server {{
{listens}
        location = /healthz {{ default_type text/plain; return 200 "ok\\n"; }}
        location = /probe {{ default_type text/plain; return 200 "{body}"; }}
        location / {{ return 404; }}
    }}
}}
"""


def start_nginx(work: Path, listen: list[str], port: int) -> Server:
    """Start nginx on ``listen``:``port``; return once the first and last address answer."""
    work.mkdir(parents=True, exist_ok=True)
    (work / "tmp").mkdir(exist_ok=True)
    conf = work / "nginx.conf"
    conf.write_text(config(work, listen, port))
    server = start("nginx", [peers.program("nginx"), "-c", str(conf), "-p", str(work)],
                   work / "nginx.log")
    wait_ready(server, lambda: all(http_ok(a, port, "/healthz") for a in (listen[0], listen[-1])),
               timeout=60)
    return server
