"""The dead-man heartbeat: after each watch cycle, ping every configured URL (GET).

A service such as healthchecks.io, hosted at a vendor other than the watcher's, tells
someone when the pings stop: when every watcher is dead, or cut off. Pings run at once,
each bounded by the notify deadline; a failed ping is logged and journaled (a ping that
worked is not: one per cycle would fill the journal). Only ``scheme://host`` of a URL
is ever shown.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from failover.config import Config
from failover.errors import ConfigError
from failover.secreturls import read_url, scrub, shown

if TYPE_CHECKING:
    from failover.journal import Journal

log = logging.getLogger("failover.notify")


@dataclass(frozen=True)
class Ping:
    name: str
    target: str
    ok: bool
    seconds: float
    error: str | None = None


def ping_all(config: Config, *, journal: Journal | None = None,
             at: float | None = None) -> list[Ping]:
    """Ping every heartbeat URL at once; never raises, never waits past the deadline."""
    if config.notify is None or not config.notify.heartbeat:
        return []
    from failover.control.web import WebError, request

    deadline = config.notify.deadline
    results: dict[str, Ping] = {}
    lock = threading.Lock()
    threads = []
    targets: dict[str, str] = {}

    def one(name: str, url: str) -> None:
        t0 = time.monotonic()
        try:
            resp = request(url, timeout=deadline, max_body=4096)
            ok = 200 <= resp.status < 300
            error = None if ok else f"HTTP {resp.status}"
        except WebError as exc:
            ok, error = False, scrub(str(exc), [url])
        with lock:
            results[name] = Ping(name, shown(url), ok, time.monotonic() - t0, error)

    for hb in config.notify.heartbeat:
        try:
            url = read_url(config, hb, f"heartbeat '{hb.name}'")
        except ConfigError as exc:
            results[hb.name] = Ping(hb.name, "(no URL)", False, 0.0, exc.detail)
            continue
        targets[hb.name] = shown(url)
        t = threading.Thread(target=one, args=(hb.name, url), daemon=True,
                             name=f"heartbeat-{hb.name}")
        t.start()
        threads.append(t)
    end = time.monotonic() + deadline + 0.5
    for t in threads:
        t.join(max(0.0, end - time.monotonic()))
    out = []
    for hb in config.notify.heartbeat:
        with lock:
            p = results.get(hb.name) or Ping(hb.name, targets.get(hb.name, "?"), False, deadline,
                                             f"no answer within {deadline:g}s")
        out.append(p)
        if not p.ok:
            log.warning("heartbeat %s (%s) failed: %s", p.name, p.target, p.error)
            if journal is not None:
                try:
                    journal.event(at if at is not None else time.time(), "heartbeat",
                                  f"heartbeat {p.name} ({p.target}) failed: {p.error}",
                                  {"name": p.name, "target": p.target, "error": p.error})
                except Exception as exc:  # never let the journal stop a cycle
                    log.warning("could not journal a heartbeat failure: %s", exc)
    return out
