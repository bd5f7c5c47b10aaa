"""What users see: the lab's authorities on port 53 of their own addresses, and Unbound.

A delegation names servers by address, never by port, so each DNS server a resolver may
ask serves on port 53 of a loopback address of its own: BIND (ns1.example.test.), Knot
(ns2.example.test.) and, in a clustered lab, PowerDNS (ns1.pdns.example.test.). ``start``
claims the addresses, adds them to those servers (their lab ports stay as they are, so
failover's config does not change), rewrites the parent's delegation and the zones' NS
sets with glue at the new addresses, and starts Unbound (lab.unbound).

Route 53 is not in this path: moto answers its API but serves no DNS, so the awsdns names
in the delegation lead nowhere and the resolver uses the other servers.

Addresses come from 127.0.53.1-254 (clear of the origins at 127.0.0.11-13). A claim is a
file named after the address in ``$LAB_ADDRESS_DIR`` (default /tmp/failover-lab-addresses)
that holds the lab's folder, taken under a lock, so labs running at once never share one;
a claim whose lab is gone or down is taken over. named only listens on addresses of an
interface, so BIND's is added to ``lo`` (``ip addr add A/32 dev lo``, root only) and
removed by ``down``.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from lab import bind, pdns, restart, unbound
from lab.files import load, locked, save
from lab.procs import LabError, alive, stop_many

POOL = [f"127.0.53.{n}" for n in range(1, 255)]
NS_NAMES = {"bind": bind.NS_NAME, "knot": "ns2.example.test.",
            "pdns": "ns1.pdns.example.test."}
TIMEOUT = float(os.environ.get("LAB_START_TIMEOUT", "30"))


def _claims() -> Path:
    folder = Path(os.environ.get("LAB_ADDRESS_DIR", "/tmp/failover-lab-addresses"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@contextlib.contextmanager
def _claims_locked() -> Iterator[Path]:
    folder = _claims()
    fd = os.open(folder / ".lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield folder
    finally:
        os.close(fd)


def _stale(claim: Path, address: str) -> bool:
    """Whether the lab that claimed ``address`` is gone, down, or no longer holds it."""
    try:
        owner = Path(claim.read_text().strip())
        data = load(owner)
    except (OSError, LabError):
        return True
    return bool(data.get("down")) or \
        address not in data.get("resolver", {}).get("addresses", {}).values()


def _free53(address: str) -> bool:
    for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
        with socket.socket(socket.AF_INET, kind) as s:
            try:
                s.bind((address, 53))
            except OSError:
                return False
    return True


def claim(root: Path, names: list[str]) -> dict[str, str]:
    """One free 127.0.53.N per name, claimed for the lab in ``root``."""
    got: dict[str, str] = {}
    with _claims_locked() as folder:
        for address in POOL:
            if len(got) == len(names):
                break
            path = folder / address
            if path.exists() and not _stale(path, address):
                continue
            if not _free53(address):
                continue  # something outside the lab serves there
            path.write_text(f"{root}\n")
            got[names[len(got)]] = address
    if len(got) < len(names):
        release(list(got.values()))
        raise LabError(f"no free address left in 127.0.53.1-254 with port 53 free (claims in "
                       f"{_claims()}); stop other labs with `python -m lab down`")
    return got


def release(addresses: list[str]) -> None:
    """Drop the claims and take the addresses off ``lo`` again."""
    with _claims_locked() as folder:
        for address in addresses:
            _ip("del", address, quiet=True)
            (folder / address).unlink(missing_ok=True)


def _ip(verb: str, address: str, quiet: bool = False) -> None:
    try:
        done = subprocess.run(["ip", "addr", verb, f"{address}/32", "dev", "lo"],
                              capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError) as exc:
        if quiet:
            return
        raise LabError(f"cannot run `ip addr {verb} {address}/32 dev lo`: {exc}") from None
    if done.returncode and not quiet and "File exists" not in done.stderr:
        hint = " (needs root: run the lab as root, or add it yourself first)" \
            if os.geteuid() != 0 else ""
        raise LabError(f"`ip addr {verb} {address}/32 dev lo` failed: "
                       f"{done.stderr.strip() or done.returncode}{hint}")


def start(root: Path, serve_stale: bool = False) -> dict[str, Any]:
    """Put the lab's DNS servers on port 53 of their own addresses, delegate to them and
    start Unbound; the updated lab.json dict. On failure what this did is undone."""
    with locked(root):
        data = load(root)
        if "resolver" in data:
            raise LabError(f"the lab in {root} already runs a resolver")
        servers: list[str] = [n for n in ("bind", "knot", "pdns") if n in data]
        addresses = claim(root, servers)
        data["resolver"] = {"addresses": addresses, "pid": None, "serve_stale": serve_stale}
        save(root, data)  # the claims now point at a lab that holds them
        try:
            _listen53(root, data, addresses)
            _delegate(data, addresses)
            parent = f"{data['parent']['host']}@{data['parent']['port']}"
            proc, port = unbound.start(root, parent, serve_stale=serve_stale)
            data["resolver"].update(pid=proc.pid, port=port, host=unbound.HOST)
            unbound.wait_ready(proc, root, port, f"www.{bind.ZONE}", TIMEOUT)
        except BaseException:
            stop(data)
            save(root, data)
            raise
        save(root, data)
    return data


def _listen53(root: Path, data: dict[str, Any], addresses: dict[str, str]) -> None:
    """BIND, Knot and PowerDNS also listen on port 53 of their address."""
    for name, address in addresses.items():
        if name == "bind":
            _ip("add", address)
            conf = root / "bind" / "named.conf"
            text = conf.read_text()
            conf.write_text(re.sub(r"(    listen-on port \d+ \{ [0-9.]+; \};\n)",
                                   rf"\1    listen-on port 53 {{ {address}; }};\n", text, count=1))
            os.kill(int(data["bind"]["pid"]), signal.SIGHUP)  # reload, rescan interfaces
        elif name == "knot":
            conf = root / "knot" / "knot.conf"
            conf.write_text(re.sub(r"    listen: (\S+)\n",
                                   rf"    listen: [ \1, {address}@53 ]\n",
                                   conf.read_text(), count=1))
            restart.respawn(root, data, "knot")  # knotd binds its sockets at start only
        else:
            conf = root / "pdns" / "pdns.conf"
            conf.write_text(re.sub(r"local-address=(\S+)\nlocal-port=(\d+)\n",
                                   rf"local-address=\1:\2, {address}:53\n",
                                   conf.read_text(), count=1))
            restart.respawn(root, data, "pdns")
    deadline = time.monotonic() + TIMEOUT
    for name, address in addresses.items():
        while bind.soa_serial(address, 53) is None:
            if time.monotonic() > deadline:
                raise LabError(f"{name} does not answer on {address}:53 within "
                               f"{TIMEOUT:.0f}s (see its log under {root})")
            time.sleep(0.05)


def _delegate(data: dict[str, Any], addresses: dict[str, str]) -> None:
    """The parent delegates example.test. to each server by name with glue at its address;
    the zone's own NS set and addresses say the same (at BIND, Knot follows; at PowerDNS)."""
    import dns.query
    import dns.rcode
    import dns.tsig
    import dns.tsigkeyring
    import dns.update

    secret = Path(data["bind"]["tsig"]["secret_file"]).read_text().strip()
    keyring = dns.tsigkeyring.from_text({bind.KEY_NAME: secret})
    for zone, server in ((bind.PARENT, data["parent"]), (bind.ZONE, data["bind"])):
        update = dns.update.UpdateMessage(zone, keyring=keyring,
                                          keyalgorithm=dns.tsig.HMAC_SHA256)
        for name, address in addresses.items():
            update.add(bind.ZONE, bind.NS_TTL, "NS", NS_NAMES[name])
            update.replace(NS_NAMES[name], bind.NS_TTL, "A", address)
        reply = dns.query.tcp(update, server["host"], port=int(server["port"]), timeout=5)
        if reply.rcode() != dns.rcode.NOERROR:
            raise LabError(f"named: cannot delegate {bind.ZONE} in {zone}: "
                           f"{dns.rcode.to_text(reply.rcode())}")
    if "pdns" in data:
        p = data["pdns"]
        key = Path(p["api_key_file"]).read_text().strip()
        ns = sorted({*NS_NAMES.values(), *data["moto"]["name_servers"]})
        rrsets = [{"name": bind.ZONE, "type": "NS", "ttl": bind.NS_TTL, "changetype": "REPLACE",
                   "records": [{"content": n if n.endswith(".") else n + ".",
                                "disabled": False} for n in ns]}]
        rrsets += [{"name": NS_NAMES[n], "type": "A", "ttl": bind.NS_TTL,
                    "changetype": "REPLACE", "records": [{"content": a, "disabled": False}]}
                   for n, a in addresses.items()]
        pdns.api(int(p["api_port"]), key, "PATCH", f"/zones/{bind.ZONE}", {"rrsets": rrsets})


def stop(data: dict[str, Any]) -> None:
    """Stop Unbound and give the addresses back (called by ``core.down``)."""
    r = data.get("resolver")
    if not r:
        return
    if r.get("pid") and alive(r["pid"], unbound.marker(Path(data["dir"]))):
        stop_many([(r["pid"], unbound.marker(Path(data["dir"])))])
    release(list(r.get("addresses", {}).values()))


def reset_to_healthy(data: dict[str, Any]) -> None:
    """Make the lab's resolver forget what it learned about dead servers (a row of the
    vendor-kill matrix starts from a resolver that has seen every server healthy)."""
    r = data["resolver"]
    unbound.reset_to_healthy(Path(data["dir"]), int(r["port"]), bind.ZONE,
                           sorted(r["addresses"].values()))


def answers(data: dict[str, Any], name: str, timeout: float = 2.0) -> tuple[str, list[str]]:
    """What the lab's resolver hands a client for ``name`` (rcode, sorted A answers)."""
    return unbound.resolve(int(data["resolver"]["port"]), bind.fqdn(name), timeout=timeout)

