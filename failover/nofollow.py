"""HTTP requests that never follow a redirect: webhooks (SaaS switches, page targets) and
the etcd client.

urllib follows a 301/302/303 by turning a POST into a GET to wherever ``Location``
points, and carries our headers along: a switch webhook answering 302 was recorded as
"switched: HTTP 200" from another host, and the etcd client re-sent its token to the
redirect's host. Here a 3xx is an answer like any other status: :func:`urlopen` raises
it as ``urllib.error.HTTPError``, and :func:`refused` words it as a failure in one line.
"""

from __future__ import annotations

import ssl
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from failover.untrusted import clean


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Returns no new request, so urllib raises the 3xx as an ``HTTPError``."""

    def redirect_request(self, req: Any, fp: Any, code: int, msg: str, headers: Any,
                         newurl: str) -> None:
        return None


def urlopen(req: urllib.request.Request | str, *, timeout: float,
            context: ssl.SSLContext | None = None) -> Any:
    """``urllib.request.urlopen`` without redirects: a 3xx raises ``HTTPError``."""
    handlers: list[urllib.request.BaseHandler] = [_NoRedirect()]
    if context is not None:
        handlers.append(urllib.request.HTTPSHandler(context=context))
    return urllib.request.build_opener(*handlers).open(req, timeout=timeout)


def is_redirect(status: int) -> bool:
    """A 3xx status: an answer that asks to be sent elsewhere."""
    return 300 <= status < 400


def refused(status: int, headers: Any, where: str) -> str:
    """One line: ``where`` answered a redirect, which is never followed. The target's host
    is named (it is the server's text, so cleaned), never its path or query."""
    location = headers.get("Location", "") if headers is not None else ""
    try:
        host = urllib.parse.urlsplit(str(location)).hostname or ""
    except ValueError:
        host = ""
    to = f" to {clean(host, 100)}" if host else ""
    return (f"{where}: HTTP {status}, a redirect{to}, which failover never follows; "
            "write the final URL in the config")
