"""A small keep-alive JSON-over-HTTP(S) client on the standard library, for the API providers.

Why not httpx (a dependency already): importing it also imports its command-line
tool (click, pygments), about 400 ms on the project's 2-core CI machine against
about 35 ms for ``http.client``, paid by every move that builds an API provider;
these providers need one connection, JSON bodies and status codes, nothing more.

One connection per client, reused between requests and reopened once when the
server closed it while idle; requests on one client are serialised (a provider's
threads share it). Errors are :class:`TransportError` (connection) and
:class:`Timeout` (no answer in time), both carrying one line.
"""

from __future__ import annotations

import http.client
import json as jsonlib
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit


class TransportError(Exception):
    """The server could not be reached, or dropped the connection."""


class Timeout(TransportError):
    """No answer within the timeout."""


@dataclass
class Response:
    status_code: int
    reason_phrase: str
    headers: http.client.HTTPMessage
    content: bytes

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", errors="replace")

    def json(self) -> Any:
        """The decoded body; ValueError if it is not JSON."""
        return jsonlib.loads(self.content)


class Client:
    """Requests to one base URL (``https://api.example/v4``) with fixed headers."""

    def __init__(self, base_url: str, headers: Mapping[str, str], timeout: float) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"{base_url!r} is not an http:// or https:// URL")
        self.scheme = parts.scheme
        self.host = parts.hostname
        self.port = parts.port
        self.prefix = parts.path.rstrip("/")
        self.headers = dict(headers)
        self.timeout = timeout
        self._conn: http.client.HTTPConnection | None = None
        self._lock = threading.Lock()

    def _connect(self) -> http.client.HTTPConnection:
        if self.scheme == "https":
            import ssl

            return http.client.HTTPSConnection(self.host, self.port, timeout=self.timeout,
                                               context=ssl.create_default_context())
        return http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)

    def request(self, method: str, path: str, *, params: Mapping[str, Any] | None = None,
                json: Any = None) -> Response:
        target = self.prefix + path + (f"?{urlencode(params)}" if params else "")
        body = None if json is None else jsonlib.dumps(json).encode()
        headers = dict(self.headers)
        if body is not None:
            headers["Content-Type"] = "application/json"
        with self._lock:
            for attempt in (1, 2):
                reused = self._conn is not None
                if self._conn is None:
                    self._conn = self._connect()
                try:
                    self._conn.request(method, target, body=body, headers=headers)
                    raw = self._conn.getresponse()
                    content = raw.read()
                except TimeoutError:
                    self.close_connection()
                    raise Timeout(f"no answer within {self.timeout:g}s") from None
                except (http.client.RemoteDisconnected, BrokenPipeError,
                        ConnectionResetError) as exc:
                    self.close_connection()
                    if reused and attempt == 1:
                        continue  # the server closed an idle keep-alive connection
                    raise TransportError(str(exc) or type(exc).__name__) from None
                except (OSError, http.client.HTTPException) as exc:
                    self.close_connection()
                    raise TransportError(getattr(exc, "strerror", None) or str(exc)
                                         or type(exc).__name__) from None
                if raw.will_close:
                    self.close_connection()
                return Response(raw.status, raw.reason, raw.headers, content)
        raise AssertionError("unreachable: the second try returns or raises")

    def close_connection(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def close(self) -> None:
        with self._lock:
            self.close_connection()
