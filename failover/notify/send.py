"""Send a notice to every channel at once, bounded by one deadline; journal each delivery.

Each channel gets its own thread and its own apprise instance, so one channel's
outcome is never mixed with another's and a hung one is simply left behind when the
deadline passes (reported as "no answer within ..."). apprise's own connect and read
timeouts (``cto``/``rto``) are set to the deadline unless the URL sets them.

After the first round, channels that failed are reported on those that worked, in a
second round with the same deadline: so a notice takes at most two deadlines, and
never blocks a move (callers send after the move is journaled).

Every delivery is an ``events`` row of kind ``notice`` in the journal, with the
channel's name and ``scheme://host`` only; text from apprise is scrubbed of every
part of every channel URL, and made one inert line (:func:`failover.untrusted.clean`),
before it is kept. Notices go out as plain text (apprise's ``body_format``).
"""

from __future__ import annotations

import logging
import threading
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from failover.config import Config, NotifyChannel
from failover.errors import ConfigError
from failover.notify.notices import Notice, channel_failed_notice
from failover.secreturls import read_url, scrub, shown
from failover.untrusted import clean

if TYPE_CHECKING:
    from failover.clock import Clock
    from failover.journal import Journal

log = logging.getLogger("failover.notify")

# send(url, notice, timeout) -> (ok, detail): the seam tests may replace; apprise by default.
Sender = Callable[[str, Notice, float], tuple[bool, str]]


@dataclass(frozen=True)
class Delivery:
    """One notice at one channel."""

    channel: str
    target: str          # scheme://host: the most of the URL ever shown
    notice: str          # the notice's kind
    ok: bool
    seconds: float
    error: str | None = None
    move_id: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {"channel": self.channel, "target": self.target, "notice": self.notice,
                "ok": self.ok, "seconds": round(self.seconds, 3), "error": self.error,
                "move_id": self.move_id}


class _Scrubber(logging.Filter):
    """Masks channel URLs in whatever apprise logs (it is not ours to trust)."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def filter(self, record: logging.LogRecord) -> bool:
        if self.urls:
            record.msg = scrub(record.getMessage(), self.urls)
            record.args = ()
        return True


_SCRUBBER = _Scrubber()
# Loggers that see channel URLs: apprise's own, and the HTTP library under it (its DEBUG
# lines carry the request path, which is the secret of many webhooks).
_THIRD_PARTY_LOGGERS = ("apprise", "urllib3.connectionpool", "urllib3.util.retry",
                        "requests")


def _guard_apprise_logs(urls: list[str]) -> None:
    for url in urls:
        if url not in _SCRUBBER.urls:
            _SCRUBBER.urls.append(url)
    for name in _THIRD_PARTY_LOGGERS:
        logger = logging.getLogger(name)
        if _SCRUBBER not in logger.filters:
            logger.addFilter(_SCRUBBER)


def bounded(url: str, timeout: float) -> str:
    """``url`` with apprise's connect and read timeouts (``cto``, ``rto``) set to
    ``timeout`` unless it sets them itself, and never following a redirect: a
    ``redirect=yes`` in the URL is dropped (apprise's default is the asset's, off here)."""
    split = urllib.parse.urlsplit(url)
    query = urllib.parse.parse_qsl(split.query, keep_blank_values=True)
    follows = any(k == "redirect" for k, _v in query)
    query = [(k, v) for k, v in query if k != "redirect"]
    have = {k for k, _v in query}
    seconds = f"{max(0.1, timeout):g}"
    extra = [(k, seconds) for k in ("cto", "rto") if k not in have]
    if not extra and not follows:
        return url
    return urllib.parse.urlunsplit(split._replace(
        query=urllib.parse.urlencode(query + extra, safe="@:/,")))


def apprise_send(url: str, notice: Notice, timeout: float) -> tuple[bool, str]:
    """Deliver ``notice`` through apprise to one URL; (ok, what apprise said)."""
    import apprise

    # A webhook answering 3xx failed: followed, a POST becomes a GET to another host
    # and its 200 reads as "delivered" (apprise follows by default, as requests does).
    a = apprise.Apprise(asset=apprise.AppriseAsset(http_redirects=False))
    if not a.add(bounded(url, timeout)):
        return False, "apprise does not understand this URL (check its scheme and parts)"
    kind = {"info": apprise.NotifyType.INFO, "success": apprise.NotifyType.SUCCESS,
            "warning": apprise.NotifyType.WARNING,
            "failure": apprise.NotifyType.FAILURE}[notice.severity]
    # Plain text, so that an email or a webhook carries a vendor's words as text, never
    # as HTML or Markdown to render (the body quotes probes' reasons and API errors).
    result = a.notify(body=notice.body, title=notice.title, notify_type=kind,
                      body_format=apprise.NotifyFormat.TEXT)
    if result.status.name == "SUCCESS":
        return True, "delivered"
    said = [entry.message for entry in result.logs()
            if getattr(entry, "level", "") in ("WARNING", "ERROR", "CRITICAL")]
    return False, (said[-1] if said else f"apprise: {result.status.name.lower()}")


class Notifier:
    """Sends notices to the config's channels; journals each delivery when given a journal."""

    def __init__(self, config: Config, *, journal: Journal | None = None,
                 clock: Clock | None = None, sender: Sender | None = None) -> None:
        self.config = config
        self.journal = journal
        self.clock = clock
        self.sender: Sender = sender or apprise_send
        self.deadline = config.notify.deadline if config.notify else 5.0

    @property
    def channels(self) -> list[NotifyChannel]:
        return list(self.config.notify.channels) if self.config.notify else []

    def send(self, notice: Notice) -> list[Delivery]:
        """Every channel that takes this kind of notice, at once; then failures reported on
        the channels that worked. Never raises: a broken channel is a failed delivery."""
        channels = [c for c in self.channels if not c.events or notice.kind in c.events
                    or notice.kind == "test"]
        deliveries = self._round(channels, notice)
        failed = [(d.channel, d.error or "failed") for d in deliveries if not d.ok]
        worked = [c for c in channels if any(d.ok and d.channel == c.name for d in deliveries)]
        if failed and worked and notice.kind != "channel-failed":
            deliveries += self._round(worked, channel_failed_notice(
                self.config.service, failed, notice))
        return deliveries

    def _round(self, channels: list[NotifyChannel], notice: Notice) -> list[Delivery]:
        urls: dict[str, str] = {}
        results: dict[str, Delivery] = {}
        for c in channels:
            try:
                urls[c.name] = read_url(self.config, c, f"notify channel '{c.name}'")
            except ConfigError as exc:
                results[c.name] = Delivery(c.name, "(no URL)", notice.kind, False, 0.0,
                                           exc.detail, notice.move_id)
        _guard_apprise_logs(list(urls.values()))
        if urls and self.sender is apprise_send:
            # apprise and its plugins are loaded here, once: the import and the first
            # add() scan every plugin (~1 s on a busy machine), which racing on every
            # channel's thread would eat the channels' deadline.
            import apprise

            for url in urls.values():
                apprise.Apprise().add(url)
        secrets = list(urls.values())
        lock = threading.Lock()
        done = threading.Event()
        pending = set(urls)

        def run(name: str, url: str) -> None:
            t0 = time.monotonic()
            try:
                ok, detail = self.sender(url, notice, self.deadline)
            except Exception as exc:  # a channel's library failing is that channel's failure
                ok, detail = False, f"{type(exc).__name__}: {exc}"
            d = Delivery(name, shown(url), notice.kind, ok, time.monotonic() - t0,
                         None if ok else clean(scrub(str(detail), secrets)), notice.move_id)
            with lock:
                if name in pending:
                    results[name] = d
                    pending.discard(name)
                    if not pending:
                        done.set()

        started = time.monotonic()
        if not pending:
            done.set()
        for name, url in urls.items():
            # Daemon threads: a channel that never answers must not keep the process alive.
            threading.Thread(target=run, args=(name, url), daemon=True,
                             name=f"notify-{name}").start()
        done.wait(self.deadline + 0.5)
        with lock:
            for name in sorted(pending):
                results[name] = Delivery(name, shown(urls[name]), notice.kind, False,
                                         time.monotonic() - started,
                                         f"no answer within {self.deadline:g}s", notice.move_id)
            pending.clear()
        out = [results[c.name] for c in channels if c.name in results]
        for d in out:
            self._journal(d)
            if d.ok:
                log.info("notice %s delivered to %s (%s)", notice.kind, d.channel, d.target)
            else:
                log.warning("notice %s NOT delivered to %s (%s): %s", notice.kind, d.channel,
                            d.target, d.error)
        return out

    def _journal(self, d: Delivery) -> None:
        if self.journal is None:
            return
        at = self.clock.now() if self.clock is not None else time.time()
        sentence = (f"notice {d.notice} delivered to {d.channel} ({d.target}) in "
                    f"{d.seconds:.2f}s" if d.ok else
                    f"notice {d.notice} NOT delivered to {d.channel} ({d.target}): {d.error}")
        try:
            self.journal.event(at, "notice", sentence, d.to_json())
        except Exception as exc:  # the journal failing must not turn a notice into a crash
            log.warning("could not journal a notice delivery: %s", exc)


def deliveries_for(journal: Journal, move_id: int, limit: int = 2000) -> list[dict[str, Any]]:
    """The journaled deliveries of notices about one move, oldest first."""
    import json

    rows = []
    for e in journal.events(limit=limit, kind="notice"):
        data = e.get("data")
        try:
            parsed = json.loads(data) if isinstance(data, str) else data
        except ValueError:
            continue
        if isinstance(parsed, dict) and parsed.get("move_id") == move_id:
            rows.append({**parsed, "at": e.get("at"), "sentence": e.get("sentence")})
    return list(reversed(rows))
