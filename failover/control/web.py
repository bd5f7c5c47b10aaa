"""One bounded HTTP request with the standard library, for the gcp and http control planes.

Redirects are never followed (urllib would carry the Authorization header to
wherever a redirect points): a 3xx is just a status. At most ``max_body`` bytes
of a body are read; a longer one is marked ``truncated``. Connection problems
raise :class:`WebError` with a short reason that names no header and no token.
Proxies from the environment (``HTTPS_PROXY``, ``NO_PROXY``) are honoured, as
vendors' APIs are often reached through one.
"""

from __future__ import annotations

import functools
import http.client
import socket
import ssl
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any

MAX_BODY = 1024 * 1024


class WebError(Exception):
    """The request did not get an HTTP answer: the message says why, in a few words."""


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes
    truncated: bool = False


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req: Any, fp: Any, code: int, msg: str, headers: Any,
                         newurl: str) -> None:
        return None


@functools.cache
def _tls_context(verify: bool) -> ssl.SSLContext:
    """One per process and flag: loading the system's CA store takes tens of milliseconds."""
    ctx = ssl.create_default_context()
    if not verify:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    return ctx


def public_url(url: str) -> str:
    """``url`` without its query string, user info or fragment: safe to show."""
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def describe(exc: BaseException) -> str:
    """A short, stable reason for a failed request."""
    if isinstance(exc, urllib.error.URLError) and not isinstance(exc, urllib.error.HTTPError):
        reason = exc.reason
        return describe(reason) if isinstance(reason, BaseException) else str(reason)
    if isinstance(exc, (TimeoutError, socket.timeout)):
        return "timeout"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, ConnectionResetError):
        return "connection reset"
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"TLS: certificate verify failed: {exc.verify_message or exc.reason}"
    if isinstance(exc, ssl.SSLError):
        return f"TLS: {(exc.reason or str(exc)).lower().replace('_', ' ')}"
    if isinstance(exc, socket.gaierror):
        return f"cannot resolve: {exc.strerror or exc}"
    if isinstance(exc, http.client.RemoteDisconnected):
        return "connection closed without an answer"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror.lower()
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def request(url: str, *, method: str = "GET", headers: dict[str, str] | None = None,
            timeout: float, verify_tls: bool = True, max_body: int = MAX_BODY) -> Response:
    """Send one request; any HTTP status is a :class:`Response`, anything else a WebError."""
    opener = urllib.request.build_opener(
        _NoRedirect(), urllib.request.HTTPSHandler(context=_tls_context(verify_tls)))
    data = b"" if method == "POST" else None
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    if timeout <= 0:
        raise WebError("timeout")
    resp: Any
    try:
        resp = opener.open(req, timeout=timeout)
        status = int(resp.status)
    except urllib.error.HTTPError as exc:   # a status >= 400 (or an unfollowed 3xx)
        resp, status = exc, int(exc.code)
    except (OSError, http.client.HTTPException, ValueError) as exc:
        raise WebError(describe(exc)) from None
    try:
        with resp:
            body = b"" if method == "HEAD" else (resp.read(max_body + 1) or b"")
    except (OSError, http.client.HTTPException) as exc:
        raise WebError(f"reading the answer: {describe(exc)}") from None
    return Response(status, body[:max_body], truncated=len(body) > max_body)
