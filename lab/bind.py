"""BIND 9 for the lab: named.conf, the example.test. zone, the TSIG key; start and ask it.

named runs in the foreground (``-g``) as a detached child, listening on 127.0.0.1 at a free
port, taking RFC 2136 updates for the zone signed with the key ``failover-lab.``.
"""

from __future__ import annotations

import base64
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

from lab.files import write_private
from lab.procs import LabError, free_port, log_error, spawn, wait_until

ZONE = "example.test."
KEY_NAME = "failover-lab."
ALGORITHM = "hmac-sha256"
HOST = "127.0.0.1"

ZONE_TEXT = """\
; example.test. for the failover lab, written by `python -m lab up`.
$ORIGIN example.test.
$TTL 300
@       IN SOA ns1.example.test. hostmaster.example.test. ( 1 3600 600 86400 60 )
@       IN NS  ns1.example.test.
ns1     IN A   127.0.0.1
@    60 IN A   127.0.0.11
www  60 IN A   127.0.0.11
api  60 IN A   127.0.0.11
; not managed by failover: a move must leave it alone
mail    IN A   127.0.0.99
"""


def named_binary() -> str:
    """The named program: $LAB_NAMED, PATH, or /usr/sbin; a clear LabError if missing."""
    found = os.environ.get("LAB_NAMED") or shutil.which("named")
    for candidate in (found, "/usr/sbin/named", "/usr/local/sbin/named"):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    raise LabError("named (BIND 9) is not installed: run `bash scripts/setup.sh` "
                   "or `apt-get install bind9`")


def write_secret(path: Path) -> str:
    """A fresh random 32-byte TSIG secret, base64, written alone to ``path`` (mode 0600)."""
    secret = base64.b64encode(os.urandom(32)).decode()
    write_private(path, secret)
    return secret


def configure(root: Path, port: int, secret: str) -> Path:
    """Write DIR/bind/named.conf and a fresh zone file (dropping any old journal)."""
    bind = root / "bind"
    bind.mkdir(parents=True, exist_ok=True)
    zone_file = bind / "example.test.zone"
    zone_file.write_text(ZONE_TEXT)
    for stale in bind.glob("example.test.zone.jnl*"):
        stale.unlink()
    conf = bind / "named.conf"
    write_private(conf, f"""\
// BIND 9 for the failover lab, written by `python -m lab up`; it holds the TSIG secret.
key "{KEY_NAME}" {{ algorithm {ALGORITHM}; secret "{secret}"; }};
options {{
    directory "{bind}";
    pid-file "{root / 'named.pid'}";
    session-keyfile none;
    listen-on port {port} {{ {HOST}; }};
    listen-on-v6 {{ none; }};
    recursion no;
    dnssec-validation no;
    notify no;
}};
controls {{ }};
zone "{ZONE}" {{
    type primary;
    file "{zone_file}";
    allow-update {{ key {KEY_NAME}; }};
    allow-transfer {{ key {KEY_NAME}; {HOST}; }};
}};
""")
    return conf


def start(root: Path, secret: str, avoid: tuple[int, ...] = ()) -> tuple[subprocess.Popen[bytes],
                                                                         int]:
    """Configure and start named on a free port; returns (process, port) without waiting."""
    named = named_binary()
    port = free_port((HOST,), udp=True, avoid=avoid)
    conf = configure(root, port, secret)
    log = root / "bind" / "named.log"
    log.write_text("")
    # -4: no IPv6 sockets at all; -n 1: one worker thread is plenty and starts faster.
    proc = spawn([named, "-g", "-4", "-n", "1", "-c", str(conf)], log, cwd=root / "bind")
    return proc, port


def wait_ready(proc: subprocess.Popen[bytes], root: Path, port: int, timeout: float) -> None:
    """Until named answers an SOA query for the zone; LabError naming named's error."""
    log = root / "bind" / "named.log"

    def ready() -> bool:
        if "address in use" in log.read_text(errors="replace"):
            raise LabError(f"named: {log_error(log)}")
        return soa_serial(HOST, port) is not None

    try:
        wait_until("named", ready, proc, log, timeout)
    except LabError as exc:
        if "denied" in str(exc).lower() and Path("/sys/kernel/security/apparmor").exists():
            raise LabError(f"{exc}; AppArmor may confine named to /etc/bind, /var/lib/bind "
                           "and /var/cache/bind: put the lab there or run "
                           "`aa-complain /usr/sbin/named`") from None
        raise


def soa_serial(host: str, port: int, timeout: float = 0.2) -> int | None:
    """The zone's SOA serial from the server, or None if it does not answer (yet)."""
    import dns.exception
    import dns.message
    import dns.query
    import dns.rcode
    import dns.rdatatype

    query = dns.message.make_query(ZONE, dns.rdatatype.SOA)
    try:
        answer = dns.query.udp(query, host, port=port, timeout=timeout)
    except (dns.exception.DNSException, OSError):
        return None
    if answer.rcode() != dns.rcode.NOERROR or not answer.answer:
        return None
    rdata: Any = answer.answer[0][0]
    return int(rdata.serial)


def answers(host: str, port: int, name: str, rdtype: str = "A") -> list[str]:
    """Sorted answers for ``name``/``rdtype`` straight from the server (no resolver)."""
    import dns.message
    import dns.query
    import dns.rdatatype

    qtype = dns.rdatatype.from_text(rdtype)
    query = dns.message.make_query(fqdn(name), qtype)
    response, _ = dns.query.udp_with_fallback(query, host, port=port, timeout=2.0)
    return sorted(rd.to_text() for rrset in response.answer if rrset.rdtype == qtype
                  for rd in rrset)


def fqdn(name: str, zone: str = ZONE) -> str:
    """``www`` -> ``www.example.test.``; ``@`` -> the zone; absolute names unchanged."""
    name = name.strip()
    if name in ("@", ""):
        return zone
    if name.endswith("."):
        return name.lower()
    if name.lower() == zone.rstrip(".") or name.lower().endswith("." + zone.rstrip(".")):
        return name.lower() + "."
    return f"{name.lower()}.{zone}"
