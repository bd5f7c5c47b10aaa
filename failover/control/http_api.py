"""Any vendor's API as a control plane, described in the config (Hetzner, DigitalOcean, a SaaS).

One request to ``url`` with ``method``; the token (``token_env`` or
``token_file``, optional) goes in ``header`` as ``scheme token``. The first
64 KiB of the body are read. Then, in this order:

- ``refused`` when the status is in ``terminated_status`` or the body contains
  any of ``terminated_body``;
- ``alive`` when the status is in ``alive_status`` and the body contains
  ``alive_body`` (if set);
- ``unknown`` otherwise (5xx, 429, unexpected statuses, timeouts, no answer).

Body patterns are matched case-insensitively. Redirects are not followed. The
URL is shown without its query string, in case a key was put there.
"""

from __future__ import annotations

from failover.config import Config, HttpControl
from failover.control import web
from failover.control.base import (
    ALIVE,
    REFUSED,
    UNKNOWN,
    Outcome,
    SecretMissing,
    Trace,
    read_secret,
    shorten,
)

MAX_BODY = 64 * 1024
SNIPPET = 120


def probe(name: str, control: HttpControl, config: Config, trace: Trace) -> Outcome:
    """One request; its status and body against the configured patterns."""
    label = f"http:{control.method} {web.public_url(control.url)}"
    headers = {"User-Agent": "failover-control", "Accept": "*/*"}
    if control.token_env or control.token_file:
        try:
            token = read_secret(config, trace, env=control.token_env, file=control.token_file,
                                what="API token")
        except SecretMissing as exc:
            trace.add(label, False, "NoCredentials", str(exc))
            return Outcome(UNKNOWN, shorten(str(exc)))
        headers[control.header] = f"{control.scheme} {token}" if control.scheme else token
    try:
        resp = web.request(control.url, method=control.method, headers=headers,
                           timeout=trace.remaining(), verify_tls=control.verify_tls,
                           max_body=MAX_BODY)
    except web.WebError as exc:
        reason = str(exc)
        code = "Timeout" if reason == "timeout" else "Unreachable"
        if reason == "timeout":
            reason = f"timeout after {trace.timeout}s"
        trace.add(label, False, code, reason)
        return Outcome(UNKNOWN, shorten(f"{web.public_url(control.url)}: {reason}"))
    body = resp.body.decode("utf-8", "replace")
    lowered = body.lower()
    snippet = shorten(body, SNIPPET)
    status = f"HTTP {resp.status}"
    hit = next((p for p in control.terminated_body if p and p.lower() in lowered), None)
    if resp.status in control.terminated_status or hit:
        said = f"{status}, body says {hit!r}" if hit else status
        trace.add(label, False, str(resp.status), f"{said}: {snippet}" if snippet else said)
        return Outcome(REFUSED, shorten(f"{said}: {snippet}" if snippet else said))
    if resp.status in control.alive_status:
        if control.alive_body is None or control.alive_body.lower() in lowered:
            trace.add(label, True, None, status)
            return Outcome(ALIVE, status)
        said = f"{status} without {control.alive_body!r} in the body"
        trace.add(label, False, str(resp.status), said)
        return Outcome(UNKNOWN, shorten(said))
    trace.add(label, False, str(resp.status), f"{status}: {snippet}" if snippet else status)
    return Outcome(UNKNOWN, shorten(f"{status}: {snippet}" if snippet else status))
