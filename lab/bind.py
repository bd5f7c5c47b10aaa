"""BIND 9 for the lab: named.conf, the example.test. zone, its parent test., the TSIG key.

Two named processes run in the foreground (``-g``) as detached children on 127.0.0.1, each
at a free port, taking RFC 2136 updates signed with the key ``failover-lab.``:

- DIR/bind: the primary of example.test.; after every change it sends NOTIFY (signed, at
  once, to Knot only);
- DIR/parent: the parent zone test., which delegates example.test. It is a server of its
  own because a server that also holds the child zone answers for the child and never
  shows the parent's delegation (and named listens only on addresses of interfaces, so a
  view on 127.0.0.2 is no way out).

``delegate`` lists the second DNS vendor's name servers in the delegation and in the zone's
own NS set once they are known.
"""

from __future__ import annotations

import base64
import os
import shutil
import signal
import subprocess
from pathlib import Path
from typing import Any

from lab.files import write_private
from lab.procs import LabError, free_port, log_error, spawn, wait_until

ZONE = "example.test."
PARENT = "test."
KEY_NAME = "failover-lab."
ALGORITHM = "hmac-sha256"
HOST = "127.0.0.1"
NS_NAME = "ns1.example.test."  # BIND's own name in the delegation
NS_TTL = 3600

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

PARENT_TEXT = """\
; test., the parent of example.test., for the failover lab, written by `python -m lab up`.
$ORIGIN test.
$TTL 3600
@           IN SOA ns.test. hostmaster.test. ( 1 3600 600 86400 60 )
@           IN NS  ns.test.
ns          IN A   127.0.0.1
example     IN NS  ns1.example.test.
ns1.example IN A   127.0.0.1
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


def configure(root: Path, port: int, secret: str, knot_port: int | None = None,
              fresh_zone: bool = True) -> Path:
    """Write DIR/bind/named.conf and (``fresh_zone``) a fresh zone file, dropping any old
    journal.

    With ``knot_port``, every change to example.test. is notified to Knot there at once
    (signed, and without notify-delay's default 5 s between NOTIFYs).
    """
    notify = (f"notify explicit;\n    notify-delay 0;\n    also-notify {{ {HOST} port "
              f"{knot_port} key {KEY_NAME}; }};" if knot_port else "notify no;")
    return _configure(root / "bind", port, secret, ZONE, ZONE_TEXT if fresh_zone else None,
                      f"""\
    allow-transfer {{ key {KEY_NAME}; {HOST}; }};
    {notify}""")


def configure_parent(root: Path, port: int, secret: str) -> Path:
    """Write DIR/parent/named.conf and a fresh test. zone file."""
    return _configure(root / "parent", port, secret, PARENT, PARENT_TEXT, "    notify no;")


def _configure(folder: Path, port: int, secret: str, zone: str, text: str | None,
               extra: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    zone_file = folder / f"{zone}zone"
    if text is not None:
        zone_file.write_text(text)
        for stale in folder.glob("*.zone.jnl*"):
            stale.unlink()
    conf = folder / "named.conf"
    write_private(conf, f"""\
// BIND 9 for the failover lab, written by `python -m lab up`; it holds the TSIG secret.
key "{KEY_NAME}" {{ algorithm {ALGORITHM}; secret "{secret}"; }};
options {{
    directory "{folder}";
    pid-file "{folder / 'named.pid'}";
    session-keyfile none;
    listen-on port {port} {{ {HOST}; }};
    listen-on-v6 {{ none; }};
    recursion no;
    dnssec-validation no;
    notify no;
}};
controls {{ }};
zone "{zone}" {{
    type primary;
    file "{zone_file}";
    allow-update {{ key {KEY_NAME}; }};
{extra}
}};
""")
    return conf


def start(root: Path, secret: str, avoid: tuple[int, ...] = (),
          knot_port: int | None = None) -> tuple[subprocess.Popen[bytes], int]:
    """Configure and start named for example.test. on a free port; returns (process, port)
    without waiting."""
    port = free_port((HOST,), udp=True, avoid=avoid)
    return _spawn(root / "bind", configure(root, port, secret, knot_port)), port


def start_parent(root: Path, secret: str, avoid: tuple[int, ...] = ()
                 ) -> tuple[subprocess.Popen[bytes], int]:
    """Configure and start named for the parent zone test.; (process, port) without waiting."""
    port = free_port((HOST,), udp=True, avoid=avoid)
    return _spawn(root / "parent", configure_parent(root, port, secret)), port


def _spawn(folder: Path, conf: Path) -> subprocess.Popen[bytes]:
    named = named_binary()
    log = folder / "named.log"
    log.write_text("")
    # -4: no IPv6 sockets at all; -n 1: one worker thread is plenty and starts faster.
    return spawn([named, "-g", "-4", "-n", "1", "-c", str(conf)], log, cwd=folder)


def renotify(root: Path, port: int, secret: str, knot_port: int, pid: int) -> None:
    """Point named's NOTIFY at Knot's new port: rewrite named.conf and reload (SIGHUP).

    The zone's file and journal are left alone, so updates already made stay.
    """
    configure(root, port, secret, knot_port, fresh_zone=False)
    os.kill(pid, signal.SIGHUP)


def wait_ready(proc: subprocess.Popen[bytes], root: Path, port: int, timeout: float,
               parent: bool = False) -> None:
    """Until named answers an SOA query for its zone; LabError naming named's error."""
    folder, zone = (root / "parent", PARENT) if parent else (root / "bind", ZONE)
    log = folder / "named.log"

    def ready() -> bool:
        if "address in use" in log.read_text(errors="replace"):
            raise LabError(f"named: {log_error(log)}")
        return soa_serial(HOST, port, zone=zone) is not None

    try:
        wait_until("named (parent zone)" if parent else "named", ready, proc, log, timeout)
    except LabError as exc:
        if "denied" in str(exc).lower() and Path("/sys/kernel/security/apparmor").exists():
            raise LabError(f"{exc}; AppArmor may confine named to /etc/bind, /var/lib/bind "
                           "and /var/cache/bind: put the lab there or run "
                           "`aa-complain /usr/sbin/named`") from None
        raise


def soa_serial(host: str, port: int, timeout: float = 0.2, zone: str = ZONE) -> int | None:
    """The zone's SOA serial from the server, or None if it does not answer (yet)."""
    import dns.exception
    import dns.message
    import dns.query
    import dns.rcode
    import dns.rdatatype

    query = dns.message.make_query(zone, dns.rdatatype.SOA)
    try:
        answer = dns.query.udp(query, host, port=port, timeout=timeout)
    except (dns.exception.DNSException, OSError):
        return None
    if answer.rcode() != dns.rcode.NOERROR or not answer.answer:
        return None
    rdata: Any = answer.answer[0][0]
    return int(rdata.serial)


def update(host: str, port: int, zone: str, secret: str,
           records: list[tuple[str, str, str]], ttl: int = NS_TTL) -> None:
    """Add ``(name, type, value)`` records to ``zone`` with one signed UPDATE; LabError if
    the server does not take it."""
    import dns.exception
    import dns.query
    import dns.rcode
    import dns.tsig
    import dns.tsigkeyring
    import dns.update

    keyring = dns.tsigkeyring.from_text({KEY_NAME: secret})
    message = dns.update.UpdateMessage(zone, keyring=keyring, keyalgorithm=dns.tsig.HMAC_SHA256)
    for name, rdtype, value in records:
        message.add(name, ttl, rdtype, value)
    try:
        reply = dns.query.tcp(message, host, port=port, timeout=5)
    except (dns.exception.DNSException, OSError) as exc:
        raise LabError(f"named: UPDATE of {zone} at {host}:{port} failed: {exc}") from None
    if reply.rcode() != dns.rcode.NOERROR:
        raise LabError(f"named: UPDATE of {zone} at {host}:{port} answered "
                       f"{dns.rcode.to_text(reply.rcode())}")


def delegate(port: int, parent_port: int, secret: str, others: list[str]) -> None:
    """Add ``others`` (the second DNS vendor's name servers) beside ns1 in the parent's
    delegation of example.test. and in the zone's own NS set."""
    absolute = [n if n.endswith(".") else n + "." for n in others]
    update(HOST, parent_port, PARENT, secret, [(ZONE, "NS", n) for n in absolute])
    update(HOST, port, ZONE, secret, [(ZONE, "NS", n) for n in absolute])


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
