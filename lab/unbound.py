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
  resolver without serve-stale see; with ``serve_stale``, ``serve-expired: yes`` and
  ``serve-expired-client-timeout: 1800`` (RFC 8767's suggested client response timer: an
  expired answer once a refresh takes 1.8 s, before ``discard-timeout`` drops the query);
- ``remote-control`` on a loopback TCP port without certificates (Unbound allows that only
  on localhost), so that :func:`reset_to_healthy` can reset its infrastructure cache.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from lab.procs import LabError, free_port, spawn, wait_until

HOST = "127.0.0.1"
UNKNOWN_RTO_MS = 376  # Unbound's timeout for a server it has not measured (its default)
SETTLED_RTO_MS = 120  # a loopback server's timeout after a few answers (Unbound's floor: 50)
WARM_QUERIES = 100    # cache misses at most to bring every server there (a loaded machine)


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


def configure(root: Path, port: int, parent: str, control: int,
              serve_stale: bool = False) -> Path:
    """Write DIR/unbound/unbound.conf: listen on 127.0.0.1:``port``, ``test.`` (and, to stay
    on loopback, ``.``) stubbed to ``parent`` (host@port), unbound-control on ``control``."""
    folder = root / "unbound"
    folder.mkdir(parents=True, exist_ok=True)
    conf = folder / "unbound.conf"
    stale = ("serve-expired: yes\n    serve-expired-client-timeout: 1800" if serve_stale
             else "serve-expired: no")
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
    {stale}
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


def start(root: Path, parent: str, avoid: tuple[int, ...] = (), serve_stale: bool = False
          ) -> tuple[subprocess.Popen[bytes], int]:
    """Configure and start unbound on a free port; (process, port) without waiting."""
    program = binary()
    port = free_port((HOST,), udp=True, avoid=avoid)
    control = free_port((HOST,), avoid=(*avoid, port))
    conf = configure(root, port, parent, control, serve_stale)
    log = root / "unbound" / "unbound.log"
    log.write_text("")
    return spawn([program, "-d", "-c", str(conf)], log, cwd=root / "unbound"), port


def control(root: Path, *args: str, timeout: float = 10.0) -> str:
    """Run ``unbound-control`` against the lab's Unbound; its output, or LabError."""
    program = shutil.which("unbound-control") or "/usr/sbin/unbound-control"
    try:
        done = subprocess.run([program, "-c", marker(root), *args],
                              capture_output=True, text=True, timeout=timeout)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise LabError(f"unbound-control {args[0]} failed: {exc}") from None
    if done.returncode:
        raise LabError(f"unbound-control {args[0]} failed: "
                       f"{(done.stderr or done.stdout).strip() or done.returncode}")
    return done.stdout


def known_servers(root: Path) -> dict[str, int]:
    """Per server address, the retransmit timeout (ms) Unbound's infrastructure cache holds
    (``dump_infra``); a server it has not measured yet is absent."""
    known: dict[str, int] = {}
    for line in control(root, "dump_infra").splitlines():
        words = line.split()
        if len(words) > 2 and "rto" in words and "ping" in words:
            rto = int(words[words.index("rto") + 1])
            address = words[0].split("@")[0]
            known[address] = min(rto, known.get(address, rto))
    return known


def reset_to_healthy(root: Path, port: int, zone: str, addresses: list[str],
                   timeout: float = 30.0) -> None:
    """Make Unbound hold the view of a resolver that has seen every server healthy.

    First ``flush_infra all``: a server that timed out stays in backoff for
    ``infra-host-ttl`` (900 s by default) and, while a better-looking server is listed, is
    not probed again; one experiment's dead server would then cost the next experiment
    seconds although it is alive. Then ask names that exist nowhere (each a fresh cache
    miss; Unbound picks a server at random among those of similar speed) until it has
    measured each of ``addresses``, as a resolver with steady traffic has: an unmeasured
    server gets a 376 ms timeout, a measured one on loopback 50 ms, and Unbound drops a
    client's query once its recursion takes 1.9 s (``discard-timeout``, its defence
    against CVE-2024-33655), so the difference is a reply or a client timeout.
    """
    import secrets
    import time

    control(root, "flush_infra", "all")
    deadline = time.monotonic() + timeout
    asked = 0
    while True:
        known = known_servers(root)
        missing = [a for a in addresses if known.get(a, UNKNOWN_RTO_MS) >= UNKNOWN_RTO_MS]
        # a few answers each bring the timeout down to what the server's speed warrants
        settled = all(known.get(a, UNKNOWN_RTO_MS) <= SETTLED_RTO_MS for a in addresses)
        if not missing and (settled or asked >= WARM_QUERIES):
            return
        if time.monotonic() > deadline:
            raise LabError(f"unbound did not measure {', '.join(missing)} within "
                           f"{timeout:.0f}s (are they serving {zone} on port 53?)")
        resolve(port, f"warm-{secrets.token_hex(4)}.{zone}", timeout=2.0)
        asked += 1


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
