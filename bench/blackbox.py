"""Prometheus blackbox_exporter as the health-check peer: its module config and its start.

The ``http_2xx`` module asks for what failover's check asks for: ``GET
/healthz`` over IPv4, status 200, the body containing ``ok``, no redirects
followed, a 2 s timeout.
"""

from __future__ import annotations

from pathlib import Path

from bench import peers
from bench.procs import Server, free_port, http_ok, start, wait_ready

HOST = "127.0.0.1"
MODULE = "http_2xx"

CONFIG = f"""\
# blackbox_exporter for the failover bench, written by `python -m bench`.
modules:
  {MODULE}:
    prober: http
    timeout: 2s
    http:
      valid_status_codes: [200]
      preferred_ip_protocol: ip4
      ip_protocol_fallback: false
      no_follow_redirects: true
      fail_if_body_not_matches_regexp: ["ok"]
"""


def start_blackbox(work: Path) -> tuple[Server, int]:
    """A fresh blackbox_exporter on a free loopback port, so its peak memory is this run's."""
    work.mkdir(parents=True, exist_ok=True)
    conf = work / "blackbox.yml"
    conf.write_text(CONFIG)
    port = free_port(HOST)
    server = start("blackbox_exporter",
                   [peers.program("prometheus-blackbox-exporter"), f"--config.file={conf}",
                    f"--web.listen-address={HOST}:{port}", "--log.level=warn"],
                   work / "blackbox.log")
    wait_ready(server, lambda: http_ok(HOST, port, "/-/healthy"), timeout=30)
    return server, port


def probe_path(target_url: str) -> str:
    """The ``/probe`` request path that asks the exporter to check ``target_url``."""
    from urllib.parse import quote

    return f"/probe?module={MODULE}&target={quote(target_url, safe='')}"
