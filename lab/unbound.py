"""Unbound for the lab: the recursive resolver a user's machine would ask.

``start`` writes DIR/unbound/unbound.conf and runs ``unbound -d -c FILE`` on 127.0.0.1 at a
free port. It knows the lab's parent zone ``test.`` through a stub zone (the registry's
server), and follows the parent's delegation of example.test. to the name servers it lists,
as any resolver does. Settings that matter (see LAB-NOTES):

- ``local-zone: "test." nodefault``: Unbound serves ``test.`` itself by default (NXDOMAIN);
- ``do-not-query-localhost: no``: the lab's authorities are all on loopback;
- ``module-config: "iterator"`` and ``domain-insecure``: no DNSSEC in the lab;
- a stub for ``.`` at the parent too, so that a name outside the lab (Route 53's
  awsdns name servers in the delegation) is asked of the lab's own server, which refuses,
  and never of the internet's root servers;
- ``serve-expired: no`` (RFC 8767 serve-stale off, Unbound's default): what users of a
  resolver without serve-stale see;
- ``remote-control`` on a loopback TCP port without certificates (Unbound allows that only
  on localhost), so that :func:`forget_servers` can empty its infrastructure cache.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from lab.procs import LabError, free_port, spawn, wait_until

HOST = "127.0.0.1"


def binary() -> str:
    """The unbound program: $LAB_UNBOUND, PATH, or /usr/sbin; a clear LabError if missing."""
    found = os.environ.get("LAB_UNBOUND") or shutil.which("unbound")
    for candidate in (found, "/usr/sbin/unbound", "/usr/local/sbin/unbound"):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    raise LabError("unbound is not installed: run `bash scripts/setup.sh` or "
                   "`apt-get install unbound`")


def marker(root: Path) -> str:
    """What unbound's command line holds (to tell it from a reused pid)."""
    return str(root / "unbound" / "unbound.conf")


def configure(root: Path, port: int, parent: str, control: int) -> Path:
    """Write DIR/unbound/unbound.conf: listen on 127.0.0.1:``port``, ``test.`` (and, to stay
    on loopback, ``.``) stubbed to ``parent`` (host@port), unbound-control on ``control``."""
    folder = root / "unbound"
    folder.mkdir(parents=True, exist_ok=True)
    conf = folder / "unbound.conf"
    conf.write_text(f"""\
# Unbound for the failover lab, written by `python -m lab up --resolver`.
server:
    interface: {HOST}@{port}
    port: {port}
    do-ip6: no
    do-daemonize: no
    num-threads: 1
    so-reuseport: no
    outgoing-interface: {HOST}
    access-control: 127.0.0.0/8 allow
    chroot: ""
    username: ""
    directory: "{folder}"
    pidfile: "{folder / 'unbound.pid'}"
    use-syslog: no
    logfile: ""
    verbosity: 1
    module-config: "iterator"
    do-not-query-localhost: no
    local-zone: "test." nodefault
    domain-insecure: "test."
    serve-expired: no
    qname-minimisation: no
remote-control:
    control-enable: yes
    control-interface: {HOST}
    control-port: {control}
    control-use-cert: no
stub-zone:
    name: "test."
    stub-addr: {parent}
stub-zone:
    name: "."
    stub-addr: {parent}
""")
    return conf


def start(root: Path, parent: str, avoid: tuple[int, ...] = ()
          ) -> tuple[subprocess.Popen[bytes], int]:
    """Configure and start unbound on a free port; (process, port) without waiting."""
    program = binary()
    port = free_port((HOST,), udp=True, avoid=avoid)
    control = free_port((HOST,), avoid=(*avoid, port))
    conf = configure(root, port, parent, control)
    log = root / "unbound" / "unbound.log"
    log.write_text("")
    return spawn([program, "-d", "-c", str(conf)], log, cwd=root / "unbound"), port


def forget_servers(root: Path, timeout: float = 10.0) -> None:
    """Empty Unbound's infrastructure cache (``unbound-control flush_infra all``): what it
    learned of each server's round trips, timeouts and backoff. Answers stay cached.

    A server that timed out is kept in backoff for ``infra-host-ttl`` (900 s by default),
    and while a better-looking server is listed Unbound does not probe it again: a server
    dead in one experiment then costs seconds of retries against the dead ones in the
    next, although it is alive (measured in the vendor-kill matrix; see README).
    """
    program = shutil.which("unbound-control") or "/usr/sbin/unbound-control"
    try:
        done = subprocess.run([program, "-c", marker(root), "flush_infra", "all"],
                              capture_output=True, text=True, timeout=timeout)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise LabError(f"unbound-control flush_infra failed: {exc}") from None
    if done.returncode or not done.stdout.startswith("ok"):
        raise LabError(f"unbound-control flush_infra failed: "
                       f"{(done.stderr or done.stdout).strip() or done.returncode}")


def resolve(port: int, name: str, timeout: float = 2.0) -> tuple[str, list[str]]:
    """Ask the resolver like a client (recursion desired): (rcode text, sorted A answers);
    ("TIMEOUT", []) when it does not answer in time."""
    import dns.exception
    import dns.message
    import dns.query
    import dns.rcode
    import dns.rdatatype

    query = dns.message.make_query(name, dns.rdatatype.A)  # RD set by default
    try:
        reply = dns.query.udp(query, HOST, port=port, timeout=timeout)
    except dns.exception.Timeout:
        return "TIMEOUT", []
    except (dns.exception.DNSException, OSError) as exc:
        return type(exc).__name__, []
    answers = sorted(rd.to_text() for rrset in reply.answer
                     if rrset.rdtype == dns.rdatatype.A for rd in rrset)
    return dns.rcode.to_text(reply.rcode()), answers


def wait_ready(proc: subprocess.Popen[bytes], root: Path, port: int, name: str,
               timeout: float) -> None:
    """Until unbound resolves ``name`` to some address."""
    wait_until("unbound", lambda: bool(resolve(port, name, 0.5)[1]), proc,
               root / "unbound" / "unbound.log", timeout)
