"""What the lab's HTTP servers share: the server class, the handler's replies and bounded
body reading, a stand-in that serves on a thread of the test's own process, and the
listen-then-serve of a server run as a lab process.

The origins, the AWS fault proxy, the SaaS stand-ins and the webhook receiver run as
processes (``python -m lab.X``, :func:`listen` and :func:`serve` in their ``main``); the
Cloudflare and Cloud DNS stand-ins and the HTTP fault proxy run in-process for tests
(:class:`InThread`), the first two also as processes. Standard library only, so each
starts in tens of milliseconds.
"""

from __future__ import annotations

import json
import signal
import socketserver
import sys
import threading
from collections.abc import Mapping, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self, TypeVar

HOST = "127.0.0.1"
MAX_BODY = 8 * 1024 * 1024  # no client of the lab sends more; a bigger body is refused (413)
S = TypeVar("S", bound="Server")


class Server(ThreadingHTTPServer):
    """A ThreadingHTTPServer that does not look its own address up in reverse DNS."""

    daemon_threads = True
    allow_reuse_address = True  # restart on the same port while old sockets sit in TIME_WAIT

    def server_bind(self) -> None:
        # HTTPServer.server_bind asks reverse DNS for the address: slow with no resolver.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name, self.server_port = str(host), int(port)


class Handler(BaseHTTPRequestHandler):
    """A request handler that logs nothing (probes hit the lab's servers every second)."""

    def read_body(self, limit: int = MAX_BODY) -> bytes | None:
        """The request's body (Content-Length bytes); None, once 413 is answered, when it
        is longer than ``limit``."""
        length = int(self.headers.get("Content-Length") or 0)
        if length > limit:
            self.close_connection = True  # the unread body must not be read as a request
            self.reply(413, b"too large\n", {"Content-Type": "text/plain; charset=utf-8"})
            return None
        return self.rfile.read(length) if length else b""

    def reply(self, status: int, data: bytes,
              headers: Mapping[str, str] | Sequence[tuple[str, str]] = (),
              reason: str | None = None) -> None:
        """Answer ``status`` with ``data`` (left out for HEAD) and ``headers`` (pairs when
        a name repeats, as a proxy passes them on)."""
        self.send_response(status, reason)
        for key, value in headers.items() if isinstance(headers, Mapping) else headers:
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def reply_json(self, status: int, body: Any, headers: Mapping[str, str] | None = None,
                   content_type: str = "application/json") -> None:
        """Answer ``status`` with ``body`` as JSON."""
        self.reply(status, json.dumps(body).encode(),
                   {"Content-Type": content_type, **(headers or {})})

    def log_message(self, format: str, *args: Any) -> None:
        pass


class InThread:
    """A :class:`Server` on 127.0.0.1 that serves on a daemon thread while a ``with`` block
    lasts; ``port`` 0 takes a free one."""

    def __init__(self, handler: type[BaseHTTPRequestHandler], port: int = 0) -> None:
        self.stopped = threading.Event()  # set when the block ends: a hung answer waits on it
        self._server = Server((HOST, port), handler)
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,),
                                        daemon=True)

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT``."""
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stopped.set()
        self._server.shutdown()
        self._server.server_close()

    def serve_until_terminated(self) -> int:
        """Serve until SIGTERM, as a lab process (``python -m lab.X``); 0."""
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        with self:
            self.stopped.wait()
        return 0


def listen(server_class: type[S], handler: type[BaseHTTPRequestHandler], address: str,
           port: int, who: str) -> S | None:
    """A server bound to ``address:port``; None, after one line on stderr saying so, when
    it cannot listen there."""
    try:
        return server_class((address, port), handler)
    except OSError as exc:
        print(f"{who}: cannot listen on {address}:{port}: {exc.strerror or exc}",
              file=sys.stderr)
        return None


def serve(server: Server, banner: str) -> int:
    """Print ``banner`` and serve until interrupted (SIGTERM just ends the process); 0."""
    print(banner, flush=True)
    try:
        server.serve_forever(poll_interval=0.5)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0
