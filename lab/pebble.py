"""Two ACME CAs for the lab: Debian's Pebble, twice, on loopback (``up --cas``).

Each instance (``pebble-a``, ``pebble-b``) runs in DIR/pebble/NAME with a listener
certificate of its own (made here, SAN IP:127.0.0.1; the ACME client trusts it through
``ca_bundle``), and makes its own root at start, served at ``https://MGMT/roots/0``: two
instances are two independent CAs. Each checks DNS-01 by asking the lab's BIND
(``-dnsserver``): validation is real, ``PEBBLE_VA_ALWAYS_VALID`` is never set.

The environment makes each answer deterministic rather than lenient: no random VA sleep
(``PEBBLE_VA_NOSLEEP``), no rejected good nonces and no reused authorizations, so every
order is validated afresh against what BIND serves at that moment.
"""

from __future__ import annotations

import datetime
import functools
import ipaddress
import json
import os
import shutil
import ssl
import subprocess
import urllib.request
from pathlib import Path
from typing import Any

from lab.procs import LabError, free_port, port_lost, spawn, stop_many, wait_until

HOST = "127.0.0.1"
NAMES = ("pebble-a", "pebble-b")
TIMEOUT = float(os.environ.get("LAB_START_TIMEOUT", "30"))
ATTEMPTS = 3
CONTACT = "mailto:hostmaster@example.test"
ROOTS = "roots.pem"
# PEBBLE_VA_ALWAYS_VALID is left out on purpose, and removed from the environment.
ENV = {"PEBBLE_VA_NOSLEEP": "1", "PEBBLE_WFE_NONCEREJECT": "0", "PEBBLE_AUTHZREUSE": "0"}


def binary() -> str:
    """The pebble program; a clear LabError if it is missing."""
    found = shutil.which("pebble")
    if not found:
        raise LabError("pebble is not installed: run `bash scripts/setup.sh` or "
                       "`apt-get install pebble`")
    return found


def marker(folder: Path) -> str:
    """What an instance's command line holds: its config file."""
    return str(folder / "pebble-config.json")


def _listener_cert(folder: Path) -> None:
    """A self-signed certificate for Pebble's own HTTPS listeners (not an ACME root)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"lab {folder.name} listener")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=30))
            .add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address(HOST))]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    (folder / "listener.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    fd = os.open(folder / "listener.key", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM,
                                  serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))


def _answers(url: str, bundle: Path) -> bool:
    context = ssl.create_default_context(cafile=str(bundle))
    try:
        with urllib.request.urlopen(url, timeout=0.5, context=context) as reply:
            return bool(reply.status == 200)
    except OSError:
        return False


def _all_answer(urls: tuple[str, ...], bundle: Path) -> bool:
    return all(_answers(u, bundle) for u in urls)


def _spawn(folder: Path, dns_port: int, avoid: tuple[int, ...],
           ports: tuple[int, int] | None = None) -> tuple[subprocess.Popen[bytes], int, int]:
    if ports is None:
        port = free_port((HOST,), avoid=avoid)
        mgmt = free_port((HOST,), avoid=(*avoid, port))
    else:
        port, mgmt = ports
    config = {"pebble": {"listenAddress": f"{HOST}:{port}",
                         "managementListenAddress": f"{HOST}:{mgmt}",
                         "certificate": "listener.pem", "privateKey": "listener.key",
                         # HTTP-01 and TLS-ALPN-01 are not used: DNS-01 only.
                         "httpPort": 5002, "tlsPort": 5001, "ocspResponderURL": "",
                         "externalAccountBindingRequired": False}}
    (folder / "pebble-config.json").write_text(json.dumps(config, indent=2) + "\n")
    env = {k: v for k, v in os.environ.items() if k != "PEBBLE_VA_ALWAYS_VALID"}
    env.update(ENV)
    proc = spawn([binary(), "-config", marker(folder), "-dnsserver", f"{HOST}:{dns_port}"],
                 folder / "pebble.log", env=env, cwd=folder)
    return proc, port, mgmt


def start_one(folder: Path, dns_port: int, avoid: tuple[int, ...] = ()) -> dict[str, Any]:
    """Start one Pebble in ``folder`` asking ``dns_port`` for DNS-01; its lab.json entry
    once its directory answers. Retried on another port if its port was taken."""
    folder.mkdir(parents=True, exist_ok=True)
    _listener_cert(folder)
    bundle = folder / "listener.pem"
    for attempt in range(ATTEMPTS):
        proc, port, mgmt = _spawn(folder, dns_port, avoid)
        urls = (f"https://{HOST}:{port}/dir", f"https://{HOST}:{mgmt}/roots/0")
        try:
            wait_until(f"pebble {folder.name}",
                       functools.partial(_all_answer, urls, bundle),
                       proc, folder / "pebble.log", TIMEOUT)
        except LabError as exc:
            stop_many([(proc.pid, marker(folder))])
            if attempt == ATTEMPTS - 1 or not port_lost(exc):
                raise
            continue
        return {"host": HOST, "port": port, "management": mgmt, "pid": proc.pid,
                "folder": str(folder), "directory": f"https://{HOST}:{port}/dir",
                "roots": f"https://{HOST}:{mgmt}/roots/0", "ca_bundle": str(bundle)}
    raise AssertionError("unreachable")


def start(root: Path, dns_port: int, avoid: tuple[int, ...] = ()) -> dict[str, Any]:
    """Start both CAs under ``root``; ``{"pebble": {NAME: entry}}`` for lab.json. On
    failure, whatever was started is stopped."""
    out: dict[str, Any] = {}
    try:
        for name in NAMES:
            used = (*avoid, *(p for e in out.values() for p in (e["port"], e["management"])))
            out[name] = start_one(root / name, dns_port, used)
    except BaseException:
        stop(out)
        raise
    write_roots(root, out)
    return {"pebble": out}


def write_roots(root: Path, entries: dict[str, Any]) -> Path:
    """ROOT/roots.pem: every running CA's root, what a served chain may lead to (check's
    certs.trust). Rewritten when a CA starts again with a new root."""
    path = root / ROOTS
    path.write_bytes(b"".join(root_pem(e) for e in entries.values()
                              if not e.get("refusing")))
    return path


def refuse(root: Path, name: str) -> None:
    """Make the lab's CA ``name`` refuse: its Pebble is stopped, so its directory refuses
    connections (lab.json keeps its ports, for :func:`restore`)."""
    from lab.files import load, locked, save

    with locked(root):
        data = load(root)
        entry = _entry(data, name)
        stop({name: entry})
        entry["refusing"] = True
        save(root, data)


def restore(root: Path, name: str) -> None:
    """Start the lab's CA ``name`` again on its ports; returns once it answers. A Pebble
    makes a new root at each start: certificates it issued before chain to the old one."""
    from lab.files import load, locked, save

    with locked(root):
        data = load(root)
        entry = _entry(data, name)
        folder = Path(entry["folder"])
        proc, _, _ = _spawn(folder, int(data["bind"]["port"]), (),
                            (int(entry["port"]), int(entry["management"])))
        try:
            wait_until(f"pebble {name}",
                       functools.partial(_all_answer, (entry["directory"], entry["roots"]),
                                         Path(entry["ca_bundle"])),
                       proc, folder / "pebble.log", TIMEOUT)
        except BaseException:
            stop_many([(proc.pid, marker(folder))])
            raise
        entry["pid"], entry["refusing"] = proc.pid, False
        # Its new root joins the trusted ones; the old one goes, as a CA re-keyed would.
        write_roots(folder.parent, data["pebble"])
        save(root, data)


def _entry(data: dict[str, Any], name: str) -> dict[str, Any]:
    cas = data.get("pebble") or {}
    if name not in cas:
        raise LabError(f"the lab has no CA '{name}'" + (f"; its CAs: {', '.join(cas)}" if cas
                       else "; start it with `python -m lab up --cas`"))
    entry: dict[str, Any] = cas[name]
    return entry


def stop(entries: dict[str, Any]) -> None:
    """Stop the CAs in ``entries`` (lab.json's ``pebble``)."""
    stop_many([(e.get("pid"), marker(Path(e["folder"]))) for e in entries.values()])


def root_pem(entry: dict[str, Any]) -> bytes:
    """The CA's root certificate (PEM) from its management interface."""
    context = ssl.create_default_context(cafile=entry["ca_bundle"])
    with urllib.request.urlopen(entry["roots"], timeout=5, context=context) as reply:
        return bytes(reply.read())


def caa_domain(name: str) -> str:
    """The issuer domain a CAA record names the lab's CA ``name`` by (Pebble has none of
    its own and does not check CAA: failover's check does)."""
    return f"{name}.ca.test"


def config_section(entries: dict[str, Any], folder: str = "certs",
                   tls_port: int | None = None, trust: str | None = None) -> str:
    """The ``certs:`` section of failover.yaml for these CAs: paths as given; with
    ``tls_port``, where check reads the hostings' served certificates, and ``trust`` the
    roots they must lead to."""
    lines = ["certs:", "  min_days: 21", f"  standby_ca: {NAMES[-1]}"]
    if tls_port is not None:
        lines.append(f"  tls_port: {tls_port}")
    if trust is not None:
        lines.append(f"  trust: \"{trust}\"")
    lines.append("  cas:")
    for name, e in entries.items():
        lines.append(f"    {name}: {{directory: \"{e['directory']}\", contact: \"{CONTACT}\", "
                     f"ca_bundle: \"{e['ca_bundle']}\", caa: [{caa_domain(name)}]}}")
    lines += ["  targets:", f"    - {{kind: dir, path: {folder}}}"]
    return "\n".join(lines) + "\n"
