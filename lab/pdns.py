"""PowerDNS Authoritative for the lab: gsqlite3 backend, HTTP API with a key, example.test.

``start`` writes DIR/pdns/pdns.conf and a fresh SQLite database from Debian's schema, and
runs ``pdns_server`` in the foreground on 127.0.0.1 (DNS on one free port, the API's
webserver on another). ``wait_ready`` returns once the API answers; ``create_zone`` makes
example.test. through the API (a Native zone with the lab's managed names at the start
address, and the unmanaged ``mail`` that a move must leave alone).

The API key is random per lab and written to DIR/pdns.key (0600); failover reads it from
that file (``api_key_file``), so it is never in the config.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import sqlite3
import subprocess
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from lab.files import write_private
from lab.procs import LabError, free_port, spawn, wait_until

HOST = "127.0.0.1"
SERVER_ID = "localhost"
NS_NAME = "ns1.pdns.example.test."  # PowerDNS's own name in the zone's NS set
SCHEMA = Path("/usr/share/pdns-backend-sqlite3/schema/schema.sqlite3.sql")


def binary() -> str:
    """The pdns_server program; a clear LabError if it (or its SQLite backend) is missing."""
    found = os.environ.get("LAB_PDNS") or shutil.which("pdns_server")
    for candidate in (found, "/usr/sbin/pdns_server"):
        if candidate and os.access(candidate, os.X_OK):
            if not SCHEMA.exists():
                raise LabError(f"PowerDNS's SQLite backend is not installed ({SCHEMA} is "
                               "missing): run `bash scripts/setup.sh` or `apt-get install "
                               "pdns-backend-sqlite3`")
            return candidate
    raise LabError("pdns_server (PowerDNS Authoritative) is not installed: run "
                   "`bash scripts/setup.sh` or `apt-get install pdns-server "
                   "pdns-backend-sqlite3`")


def marker(root: Path) -> str:
    """What pdns_server's command line holds (to tell it from a reused pid)."""
    return f"--config-dir={root / 'pdns'}"


def start(root: Path, avoid: tuple[int, ...] = ()) -> tuple[subprocess.Popen[bytes], int, int,
                                                            str]:
    """Configure and start pdns_server; (process, DNS port, API port, API key), not waiting."""
    program = binary()
    folder = root / "pdns"
    folder.mkdir(parents=True, exist_ok=True)
    db = folder / "pdns.sqlite3"
    db.unlink(missing_ok=True)
    with sqlite3.connect(db) as conn:
        conn.executescript(SCHEMA.read_text())
    dns_port = free_port((HOST,), udp=True, avoid=avoid)
    api_port = free_port((HOST,), avoid=(*avoid, dns_port))
    key = secrets.token_urlsafe(24)
    write_private(root / "pdns.key", key + "\n")
    write_private(folder / "pdns.conf", f"""\
# PowerDNS for the failover lab, written by `python -m lab up`; it holds the API key.
launch=gsqlite3
gsqlite3-database={db}
local-address={HOST}
local-port={dns_port}
api=yes
api-key={key}
webserver=yes
webserver-address={HOST}
webserver-port={api_port}
webserver-allow-from=127.0.0.0/8
socket-dir={folder}
guardian=no
daemon=no
disable-syslog=yes
security-poll-suffix=
default-soa-content={NS_NAME} hostmaster.@ 0 10800 3600 604800 60
loglevel=4
""")
    log = folder / "pdns.log"
    log.write_text("")
    proc = spawn([program, f"--config-dir={folder}"], log, cwd=folder)
    return proc, dns_port, api_port, key


def api(api_port: int, key: str, method: str, path: str, body: Any = None,
        timeout: float = 2.0) -> Any:
    """One call to the lab's PowerDNS API; the decoded JSON answer (None when empty)."""
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(f"http://{HOST}:{api_port}/api/v1/servers/{SERVER_ID}{path}",
                                 data=data, method=method,
                                 headers={"X-API-Key": key, "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        raw = resp.read()
    return json.loads(raw) if raw else None


def wait_ready(proc: subprocess.Popen[bytes], root: Path, api_port: int, key: str,
               timeout: float) -> None:
    def answers() -> bool:
        try:
            api(api_port, key, "GET", "", timeout=0.5)
        except (OSError, urllib.error.URLError, ValueError):
            return False
        return True

    wait_until("pdns_server", answers, proc, root / "pdns" / "pdns.log", timeout)


def create_zone(api_port: int, key: str, zone: str, names: list[str], address: str,
                ttl: int, other_ns: list[str]) -> None:
    """example.test. as a Native zone: SOA, NS (PowerDNS and ``other_ns``), the managed
    names at ``address`` and the unmanaged ``mail``."""
    rrsets = [{"name": n, "type": "A", "ttl": ttl, "changetype": "REPLACE",
               "records": [{"content": address, "disabled": False}]} for n in names]
    rrsets.append({"name": f"mail.{zone}", "type": "A", "ttl": 300, "changetype": "REPLACE",
                   "records": [{"content": "127.0.0.99", "disabled": False}]})
    try:
        api(api_port, key, "POST", "/zones",
            {"name": zone, "kind": "Native", "nameservers": [NS_NAME, *other_ns]})
        api(api_port, key, "PATCH", f"/zones/{zone}", {"rrsets": rrsets})
    except (OSError, urllib.error.URLError, ValueError) as exc:
        raise LabError(f"pdns_server: cannot create {zone} through the API: {exc}") from None
