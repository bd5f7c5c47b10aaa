"""An HTTP fault proxy for the lab's HTTP APIs (PowerDNS's, in tests): forwards every request
to the real server, except the next N, which it answers itself with a chosen status.

    with FaultProxy("http://127.0.0.1:8081") as proxy:
        proxy.answer_next(429, count=2, retry_after="0")
        ... point the provider's url at proxy.url ...

It exists so that rate limiting and server errors are tested against the real server
behind it, not a mock: the request that gets through is the real one. Standard library
only; runs on a daemon thread on 127.0.0.1 at a free port.

``lose_next_answers(count, path="/v3/kv/txn")`` forwards the next ``count`` matching
requests, lets the server apply them, and then closes the connection without a word:
the answer lost after the request was sent, an unknown outcome for the client (a member
that dies just after committing).
"""

from __future__ import annotations

import http.client
import threading
from http.server import BaseHTTPRequestHandler
from urllib.parse import urlsplit

from lab import httpbase


class FaultProxy(httpbase.InThread):
    def __init__(self, upstream: str) -> None:
        parts = urlsplit(upstream)
        self.upstream = (parts.hostname or "127.0.0.1", parts.port or 80)
        self.faults: list[tuple[int, str | None, bytes]] = []
        self.answered: list[tuple[str, str, int]] = []  # (method, path, status) in order
        self.lose: list[str] = []          # paths whose next answer is lost, in order
        self.lost: list[str] = []          # paths whose answer was lost
        self._lock = threading.Lock()
        super().__init__(self._handler())

    def answer_next(self, status: int, count: int = 1, retry_after: str | None = None,
                    body: bytes = b'{"error": "Too Many Requests"}') -> None:
        """Answer the next ``count`` requests with ``status`` (and Retry-After) ourselves."""
        with self._lock:
            self.faults.extend([(status, retry_after, body)] * count)

    def lose_next_answers(self, count: int = 1, path: str = "/v3/kv/txn") -> None:
        """Forward the next ``count`` requests to ``path``, then drop their answers."""
        with self._lock:
            self.lose.extend([path] * count)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(httpbase.Handler):
            protocol_version = "HTTP/1.1"

            def _any(self) -> None:
                body = self.read_body()
                if body is None:
                    return
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
                    with proxy._lock:
                        lose = self.path in proxy.lose
                        if lose:
                            proxy.lose.remove(self.path)
                            proxy.lost.append(self.path)
                    if lose:
                        self.close_connection = True   # applied upstream; no answer here
                        return
                    self._send(resp.status, {k: v for k, v in resp.getheaders()
                                             if k.lower() in ("content-type", "retry-after")},
                               data)
                finally:
                    conn.close()

            def _send(self, status: int, headers: dict[str, str], data: bytes) -> None:
                with proxy._lock:
                    proxy.answered.append((self.command, self.path, status))
                self.reply(status, data, headers)

            do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _any

        return Handler
