"""The lab's origins over TLS (``up --cas``): each hosting's address answers HTTPS with the
certificate issued for the name asked (SNI), so ``check`` and the CA drill read real
served certificates.

One process listens on every hosting's address at one port. Each hosting prefers one CA
(``--serve HOSTING=CA``, e.g. aws-use1 from pebble-a and the standby hostings from
pebble-b); at each handshake it looks in the certificates folder (``failover certs``'s dir
target, CERTS/CA/NAME/fullchain.pem and privkey.pem) for one of that CA whose names cover
the name asked, and serves it, so a certificate issued a moment ago is served at once.
With none on hand the handshake fails, as a misconfigured origin's would.

Run as ``python -m lab.tlsfront --port P --certs DIR --serve aws-use1=127.0.0.11,pebble-a
...``. Standard library and ``cryptography`` only; SIGTERM stops it.
"""

from __future__ import annotations

import argparse
import signal
import socket
import ssl
import sys
import threading
from pathlib import Path
from typing import Any

from lab import httpbase


def marker(port: int) -> str:
    return f"lab.tlsfront --port {port}"


def _names(chain: Path) -> tuple[str, ...]:
    from cryptography import x509

    cert = x509.load_pem_x509_certificate(chain.read_bytes())
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    except x509.ExtensionNotFound:
        return ()
    return tuple(n.lower() for n in san.value.get_values_for_type(x509.DNSName))


def pick(certs: Path, ca: str, name: str) -> tuple[Path, Path] | None:
    """(chain, key) of a certificate from ``ca`` that names ``name``, the newest first."""
    found = sorted((certs / ca).glob("*/fullchain.pem"), key=lambda p: p.stat().st_mtime,
                   reverse=True) if (certs / ca).is_dir() else []
    for chain in found:
        try:
            if name.lower().rstrip(".") in _names(chain):
                return chain, chain.with_name("privkey.pem")
        except (OSError, ValueError):
            continue
    return None


class Front(httpbase.Server):
    """One hosting's HTTPS listener: the context is chosen per handshake (SNI)."""

    hosting = ""
    ca = ""
    certs = Path()

    def get_request(self) -> tuple[Any, Any]:
        sock, addr = self.socket.accept()
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        front = self

        def choose(tls: ssl.SSLObject, name: str | None, _ctx: ssl.SSLContext) -> int | None:
            got = pick(front.certs, front.ca, name or "")
            if got is None:
                return ssl.ALERT_DESCRIPTION_UNRECOGNIZED_NAME
            per_name = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            per_name.load_cert_chain(*got)
            tls.context = per_name
            return None

        context.sni_callback = choose
        sock.settimeout(5)
        return context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False), addr

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a failed handshake is the client's to see, not a traceback in the log


class Handler(httpbase.Handler):
    server: Front
    server_version = "failover-lab-tls"
    sys_version = ""

    def do_GET(self) -> None:
        body = f"ok {self.server.hosting}\n".encode()
        self.reply(200, body, {"Content-Type": "text/plain; charset=utf-8",
                               "X-Hosting": self.server.hosting})

    do_HEAD = do_GET


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lab.tlsfront", description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--certs", type=Path, required=True)
    parser.add_argument("--serve", action="append", default=[], metavar="HOSTING=ADDRESS,CA")
    args = parser.parse_args(argv)
    servers = []
    for spec in args.serve:
        hosting, _, rest = spec.partition("=")
        address, _, ca = rest.partition(",")
        try:
            server = Front((address, args.port), Handler)
        except OSError as exc:
            print(f"tlsfront {hosting}: cannot listen on {address}:{args.port}: {exc}",
                  file=sys.stderr, flush=True)
            return 3
        server.hosting, server.ca, server.certs = hosting, ca, args.certs
        servers.append(server)
    signal.signal(signal.SIGTERM, lambda *_: [s.shutdown() for s in servers])  # type: ignore[func-returns-value]
    threads = [threading.Thread(target=s.serve_forever, daemon=True) for s in servers]
    for t in threads:
        t.start()
    print(f"tlsfront listening on port {args.port} for "
          f"{', '.join(s.hosting for s in servers)}", flush=True)
    for t in threads:
        t.join()
    return 0


# hosting -> the CA whose certificate it serves in the lab: the primary from the first CA,
# the standby hostings from the second (the standby CA).
CA_OF = {"aws-use1": "pebble-a", "gcp-euw1": "pebble-b", "metal-fra": "pebble-b"}


def start(root: Path, hostings: dict[str, dict[str, Any]], certs: Path,
          avoid: tuple[int, ...] = ()) -> dict[str, Any]:
    """Start the TLS front for ``hostings`` (lab.json's origins' hostings); its lab.json
    entry once every address accepts connections."""
    from lab.procs import LabError, free_port, python_env, spawn, stop_many, wait_until

    addresses = [h["address"] for h in hostings.values()]
    serve = {n: CA_OF.get(n, "pebble-b") for n in hostings}
    port = free_port(addresses, avoid=avoid)
    argv = [sys.executable, "-m", "lab.tlsfront", "--port", str(port), "--certs", str(certs)]
    for name, h in hostings.items():
        argv += ["--serve", f"{name}={h['address']},{serve[name]}"]
    log = root / "tlsfront.log"
    proc = spawn(argv, log, env=python_env(), cwd=root)
    try:
        wait_until("tls front", lambda: all(answers(a, port) for a in addresses), proc, log,
                   30.0)
    except LabError:
        stop_many([(proc.pid, marker(port))])
        raise
    return {"tls": {"port": port, "pid": proc.pid, "serve": serve, "certs": str(certs),
                    "address": addresses[0]}}


def answers(address: str, port: int) -> bool:
    """Whether something accepts TCP at address:port (a handshake may still fail)."""
    try:
        with socket.create_connection((address, port), timeout=0.5):
            return True
    except OSError:
        return False


if __name__ == "__main__":
    sys.exit(main())
