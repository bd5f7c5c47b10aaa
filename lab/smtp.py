"""A real SMTP server for the lab (aiosmtpd): notices by mail land as files.

Every message accepted is written to ``ROOT/<n>.eml`` (n counts up), with its envelope
in ``ROOT/<n>.json``. AUTH LOGIN/PLAIN is accepted without TLS for exactly one
user and password (given at start), so apprise's ``mailto://USER:PASS@127.0.0.1:PORT``
is tested with a login, and a wrong password is refused as a real server would.

Run as ``python -m lab.smtp --port P --root DIR --user U --password-file F``, or in a
thread with :func:`serve` (tests).
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any

HOST = "127.0.0.1"


class _Store:
    """aiosmtpd handler: each message to its own file."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            n = len(list(self.root.glob("*.eml"))) + 1
            data = envelope.original_content or envelope.content
            (self.root / f"{n}.eml").write_bytes(data if isinstance(data, bytes)
                                                 else str(data).encode())
            (self.root / f"{n}.json").write_text(json.dumps(
                {"at": time.time(), "from": envelope.mail_from,
                 "to": list(envelope.rcpt_tos)}))
        return "250 Message accepted for delivery"


def _authenticator(user: str, password: str) -> Any:
    from aiosmtpd.smtp import AuthResult, LoginPassword

    def check(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
              ) -> AuthResult:
        ok = (isinstance(auth_data, LoginPassword) and auth_data.login.decode() == user
              and auth_data.password.decode() == password)
        return AuthResult(success=ok, handled=False)

    return check


def serve(root: Path, user: str, password: str, port: int = 0, host: str = HOST) -> Any:
    """Start the server in a thread; the aiosmtpd Controller (``.port``, ``stop()``)."""
    from aiosmtpd.controller import Controller

    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    if port == 0:
        from lab.procs import free_port

        port = free_port([host])
    controller = Controller(_Store(root), hostname=host, port=port,
                            authenticator=_authenticator(user, password),
                            auth_require_tls=False, auth_required=True)
    controller.start()
    return controller


def messages(root: Path) -> list[dict[str, Any]]:
    """Every message received so far, oldest first: envelope and the raw text."""
    out = []
    for eml in sorted(Path(root).glob("*.eml"), key=lambda p: int(p.stem)):
        meta = json.loads(eml.with_suffix(".json").read_text())
        out.append({**meta, "text": eml.read_text(errors="replace")})
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lab.smtp", description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--root", type=Path, required=True)
    parser.add_argument("--user", required=True)
    parser.add_argument("--password-file", type=Path, required=True)
    args = parser.parse_args(argv)
    password = args.password_file.read_text().strip()
    try:
        controller = serve(args.root, args.user, password, args.port)
    except OSError as exc:
        print(f"smtp: cannot listen on {HOST}:{args.port}: {exc.strerror or exc}",
              file=sys.stderr)
        return 3
    print(f"smtp listening on {HOST}:{args.port}", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        controller.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
