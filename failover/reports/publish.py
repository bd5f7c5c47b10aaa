"""Publish the status page to every target: a folder, S3 (or S3-compatible), a webhook.

Each target gets the page for its audience, at once, each bounded by
``page.timeout``; a dead target is reported (log and journal, events of kind
``page``) and fails nothing. After a move the page is also kept as
``move-<ID>.html`` beside ``index.html`` (a permalink of the state that move left),
so a later rollback does not erase what people saw.

The page is a subscriber (:class:`PageSink`): it hears the events of moves, cycles and
drills, and shows what each DNS provider serves as the event carries it (the reads the
move or the cycle made), reading the providers itself only when the event has none.
"""

from __future__ import annotations

import logging
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

from failover.config import Config, DirTarget, PageTarget, S3Target, WebhookTarget
from failover.errors import ConfigError
from failover.events import CycleEnded, DrillEnded, Event, Moved, Served
from failover.notify.outbox import Outbox
from failover.reports.files import PRIVATE, PUBLIC, write_file
from failover.reports.page import render
from failover.reports.pagedata import DrillPicture, PageSource, gather

log = logging.getLogger("failover.page")


@dataclass(frozen=True)
class Published:
    target: str           # what it is, safe to show: dir PATH, s3://bucket/key, webhook scheme://host
    ok: bool
    seconds: float
    error: str | None = None
    at: float = 0.0       # when it was out (epoch)

    def to_json(self) -> dict[str, Any]:
        return {"target": self.target, "ok": self.ok, "seconds": round(self.seconds, 3),
                "error": self.error, "at": self.at}


class PageSink:
    """The page as a subscriber: published in the background after every move (with the
    move's permalink), every cycle that did not move, and every drill."""

    def __init__(self, source: PageSource, outbox: Outbox, *, picture: DrillPicture) -> None:
        self.source = source
        self.outbox = outbox
        self.picture = picture

    def emit(self, event: Event) -> None:
        match event:
            case Moved():
                self.publish(event.served, move_id=event.result.move_id)
            case CycleEnded() if event.action != "moved":    # a move published it already
                self.publish(event.served)
            case DrillEnded():
                self.publish(event.served)

    def drain(self, timeout: float | None = None) -> None:
        self.outbox.drain(timeout)

    def publish(self, served: Served | None, *, move_id: int | None = None) -> None:
        """Publish to every target in the background (nothing without ``page:`` targets)."""
        page = self.source.config.page
        if page is None or not page.targets:
            return
        self.outbox.run("status-page", lambda: publish_page(
            self.source, served, move_id=move_id, picture=self.picture))


def publish_page(source: PageSource, served: Served | None = None, *,
                 move_id: int | None = None, picture: DrillPicture) -> list[Published]:
    """Gather (with ``served`` as what each DNS provider serves, or read apart now),
    render per audience, and publish to every target; never raises."""
    config = source.config
    if config.page is None or not config.page.targets:
        return []
    data = gather(source, served if served is not None else source.read_apart(),
                  picture=picture)
    pages = {a: render(data, audience=a, hide_names=config.page.hide_names)
             for a in ("public", "internal")}
    results = publish(config, pages, move_id=move_id)
    for r in results:
        if not r.ok:
            log.warning("status page not published to %s: %s", r.target, r.error)
        # Failures always; successes after a move only (when the page showed it), not
        # every cycle's.
        if r.ok and move_id is None:
            continue
        said = (f"status page published to {r.target} in {r.seconds:.2f}s" if r.ok else
                f"status page not published to {r.target}: {r.error}")
        try:
            source.journal.event(source.clock.now(), "page", said,
                                 {**r.to_json(), "move_id": move_id})
        except Exception as exc:  # the journal failing must not fail the caller
            log.warning("could not journal a page publish: %s", exc)
    return results


def publish(config: Config, pages: dict[str, str], *,
            move_id: int | None = None) -> list[Published]:
    """Write ``pages[target.audience]`` to every target at once, each bounded."""
    assert config.page is not None
    timeout = config.page.timeout
    results: dict[int, Published] = {}
    lock = threading.Lock()
    threads = []

    def one(i: int, target: PageTarget) -> None:
        t0 = time.monotonic()
        try:
            _put(config, target, pages[target.audience], timeout, move_id)
            r = Published(describe(config, target), True, time.monotonic() - t0, at=time.time())
        except Exception as exc:  # any failure of a target is that target's result
            r = Published(describe(config, target), False, time.monotonic() - t0,
                          _reason(exc), time.time())
        with lock:
            results[i] = r

    for i, target in enumerate(config.page.targets):
        t = threading.Thread(target=one, args=(i, target), daemon=True, name=f"page-{i}")
        t.start()
        threads.append(t)
    end = time.monotonic() + timeout + 1.0
    for t in threads:
        t.join(max(0.0, end - time.monotonic()))
    with lock:
        return [results.get(i) or Published(describe(config, t), False, timeout,
                                            f"no answer within {timeout:g}s", time.time())
                for i, t in enumerate(config.page.targets)]


def describe(config: Config, target: PageTarget) -> str:
    if isinstance(target, DirTarget):
        return f"dir {config.resolve_path(target.path)}"
    if isinstance(target, S3Target):
        return f"s3://{target.bucket}/{target.key}"
    from failover.secreturls import read_url, shown

    try:
        return f"webhook {shown(read_url(config, target, 'page webhook'))}"
    except ConfigError:
        return "webhook (no URL)"


def _names(key: str, move_id: int | None) -> list[str]:
    """The page's name, and the move's permalink beside it."""
    if move_id is None:
        return [key]
    head, _sep, _tail = key.rpartition("/")
    return [key, f"{head}/move-{move_id}.html" if head else f"move-{move_id}.html"]


def _put(config: Config, target: PageTarget, page: str, timeout: float,
         move_id: int | None) -> None:
    body = page.encode("utf-8")
    if isinstance(target, DirTarget):
        folder = config.resolve_path(target.path)
        folder.mkdir(parents=True, exist_ok=True)
        # The internal page shows addresses and reasons: its owner reads it, not everyone.
        mode = PUBLIC if target.audience == "public" else PRIVATE
        for name in _names("index.html", move_id):
            write_file(folder / name, body, mode)
    elif isinstance(target, S3Target):
        client = _s3(config, target, timeout)
        for key in _names(target.key, move_id):
            client.put_object(Bucket=target.bucket, Key=key, Body=body,
                              ContentType="text/html; charset=utf-8",
                              CacheControl="no-cache, max-age=0")
    else:
        _webhook(config, target, body, timeout, move_id)


def _s3(config: Config, target: S3Target, timeout: float) -> Any:
    from failover.awscreds import s3_client

    return s3_client(target, config, key="page.targets", timeout=timeout, attempts=1)


def _webhook(config: Config, target: WebhookTarget, body: bytes, timeout: float,
             move_id: int | None) -> None:
    from failover.nofollow import is_redirect, refused, urlopen
    from failover.secreturls import read_url, scrub

    url = read_url(config, target, "page webhook")
    names = [url] if move_id is None else [url, _sibling(url, move_id)]
    for where in names:
        req = urllib.request.Request(where, data=body, method=target.method,
                                     headers={"Content-Type": "text/html; charset=utf-8"})
        try:
            with urlopen(req, timeout=timeout) as resp:
                status = int(resp.status)
        except urllib.error.HTTPError as exc:
            status = int(exc.code)
            if is_redirect(status):
                # Followed, the page would go to another host, or be "published" by a GET.
                raise PublishError(refused(status, exc.headers, "page webhook")) from None
        except (OSError, ValueError) as exc:
            from failover.control.web import describe as why

            raise PublishError(scrub(why(exc), [url])) from None
        if status not in target.expect_status:
            raise PublishError(f"HTTP {status}, expected {target.expect_status}")


def _sibling(url: str, move_id: int) -> str:
    """``.../index.html`` or ``.../status/`` -> ``.../move-ID.html`` in the same folder."""
    import urllib.parse

    parts = urllib.parse.urlsplit(url)
    head, _sep, _tail = parts.path.rpartition("/")
    return urllib.parse.urlunsplit(parts._replace(path=f"{head}/move-{move_id}.html"))


class PublishError(Exception):
    """A target did not take the page; the message is short and holds no secret."""


def _reason(exc: BaseException) -> str:
    if isinstance(exc, (PublishError, ConfigError)):
        return str(exc.detail if isinstance(exc, ConfigError) else exc)
    name = type(exc).__name__
    text = " ".join(str(exc).split())
    return f"{name}: {text}"[:300] if text else name
