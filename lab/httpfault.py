"""An HTTP fault proxy for the lab's HTTP APIs (PowerDNS's, in tests): forwards every request
to the real server, except the next N, which it answers itself with a chosen status.

    with FaultProxy("http://127.0.0.1:8081") as proxy:
        proxy.answer_next(429, count=2, retry_after="0")
        ... point the provider's url at proxy.url ...

It exists so that rate limiting and server errors are tested against the real server
behind it, not a mock: the request that gets through is the real one. Standard library
only; runs on a daemon thread on 127.0.0.1 at a free port.
"""

from __future__ import annotations

import http.client
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit


class FaultProxy:
    def __init__(self, upstream: str) -> None:
        parts = urlsplit(upstream)
        self.upstream = (parts.hostname or "127.0.0.1", parts.port or 80)
        self.faults: list[tuple[int, str | None, bytes]] = []
        self.answered: list[tuple[str, str, int]] = []  # (method, path, status) in order
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,),
                                        daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def answer_next(self, status: int, count: int = 1, retry_after: str | None = None,
                    body: bytes = b'{"error": "Too Many Requests"}') -> None:
        """Answer the next ``count`` requests with ``status`` (and Retry-After) ourselves."""
        with self._lock:
            self.faults.extend([(status, retry_after, body)] * count)

    def __enter__(self) -> FaultProxy:
        self._thread.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _any(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                with proxy._lock:
                    fault = proxy.faults.pop(0) if proxy.faults else None
                if fault is not None:
                    status, retry_after, text = fault
                    headers = {"Content-Type": "application/json"}
                    if retry_after is not None:
                        headers["Retry-After"] = retry_after
                    self._send(status, headers, text)
                    return
                conn = http.client.HTTPConnection(*proxy.upstream, timeout=30)
                try:
                    headers = {k: v for k, v in self.headers.items()
                               if k.lower() not in ("host", "connection")}
                    conn.request(self.command, self.path, body=body or None, headers=headers)
                    resp = conn.getresponse()
                    data = resp.read()
                    self._send(resp.status, {k: v for k, v in resp.getheaders()
                                             if k.lower() in ("content-type", "retry-after")},
                               data)
                finally:
                    conn.close()

            def _send(self, status: int, headers: dict[str, str], data: bytes) -> None:
                with proxy._lock:
                    proxy.answered.append((self.command, self.path, status))
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _any

            def log_message(self, format: str, *args: Any) -> None:
                return None

        return Handler
