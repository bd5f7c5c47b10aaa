"""What every command shares: the consoles, the config from the context, formats, progress."""

from __future__ import annotations

import json
import os
import sys
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from rich.console import Console

    from failover.config import Config
    from failover.engine import Engine
    from failover.notify.outbox import Outbox


class Format(StrEnum):
    table = "table"
    json = "json"


FormatOpt = Annotated[Format, typer.Option("--format", "-f", help="Output: a table for people, "
                                           "or json for machines (shape documented in README).")]


def quiet() -> bool:
    """No progress chatter in CI or when nobody is watching a terminal."""
    return os.environ.get("CI", "").lower() in ("1", "true", "yes") or not sys.stderr.isatty()


_out: Console | None = None
_err: Console | None = None


def out() -> Console:
    global _out
    if _out is None:
        from rich.console import Console

        _out = Console(highlight=False, soft_wrap=True)
    return _out


def err() -> Console:
    global _err
    if _err is None:
        from rich.console import Console

        _err = Console(stderr=True, highlight=False, soft_wrap=True)
    return _err


_ANSI = {"green": "32", "yellow": "33", "red": "31"}


def coloured(text: str, colour: str) -> str:
    """TEXT in COLOUR (green, yellow, red) when stdout is a terminal, as rich would
    decide (NO_COLOR, FORCE_COLOR, TERM=dumb); else as is. For one-line outputs, where
    importing rich costs more than the rest of the command (issue 13)."""
    if os.environ.get("NO_COLOR") or not (
            os.environ.get("FORCE_COLOR") or (sys.stdout.isatty()
                                              and os.environ.get("TERM") != "dumb")):
        return text
    return f"\x1b[{_ANSI[colour]}m{text}\x1b[0m"


def inert(text: object, limit: int = 2000) -> str:
    """Text from outside (a server, a vendor, a journal written by an older version) for a
    rich string with markup: one line without controls or escapes, its brackets escaped,
    so that ``[/bold]`` prints as itself and ``[link=...]`` makes no link."""
    from rich.markup import escape

    from failover.untrusted import clean

    return escape(clean(text, limit))


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, sort_keys=True, default=str) + "\n")


def config_file(ctx: typer.Context) -> Path:
    path: Path = ctx.obj["config_path"]
    return path


def load(ctx: typer.Context) -> Config:
    from failover.config import load_config

    return load_config(config_file(ctx))


def engine(ctx: typer.Context) -> Engine:
    from failover.engine import Engine

    return Engine(load(ctx))


def subscribe(engine: Engine) -> Engine:
    """``engine`` with the notices and the status page listening to its events (and the
    watcher's and the drill's on it), sent in the background; its ``close`` waits for
    them, bounded. A subscriber the config gives nothing to do is left out (and so is
    its import): the notices without ``notify:`` or ``cluster:`` (whose lost quorum is
    remembered in the journal), the page without ``page:`` targets."""
    from failover.notify.outbox import Outbox

    config = engine.config
    outbox = Outbox(config)
    _outboxes[engine] = outbox
    if config.notify is not None or config.cluster is not None:
        from failover.notify.sink import NoticeSink

        engine.sinks.add(NoticeSink(engine, outbox))
    if config.page is not None and config.page.targets:
        from failover.reports.drillreport import journaled_timeline
        from failover.reports.publish import PageSink

        engine.sinks.add(PageSink(engine, outbox, picture=journaled_timeline))
    return engine


# Each subscribed engine's outbox, so that a command can say what it still waits for.
_outboxes: weakref.WeakKeyDictionary[Engine, Outbox] = weakref.WeakKeyDictionary()


def still_sending(engine: Engine) -> tuple[list[str], float]:
    """What ``engine``'s notices and page still send in the background (readable names)
    and how long closing it waits for them at most."""
    outbox = _outboxes.get(engine)
    if outbox is None:
        return [], 0.0
    names = {"heartbeat": "heartbeat pings", "status-page": "the status page"}
    said = [names.get(n, n.replace("notice-", "the ") + " notice" if n.startswith("notice-")
                      else n) for n in outbox.pending()]
    return sorted(set(said)), outbox.bound()


def fmt_seconds(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.2f} s"


VERDICT_STYLE = {"UP": "green", "DEGRADED": "yellow", "DOWN": "red", "TERMINATED": "bold red",
                 "UNKNOWN": "magenta"}


def waiting_line(text: str, data: dict[str, Any]) -> str:
    """The live line for the engine's "waiting" event: what is slow, and for how long."""
    return f"{text} waiting for {', '.join(data['providers'])} ({data['seconds']:.0f} s)"


@contextmanager
def live(engine: Engine, text: str) -> Iterator[None]:
    """A spinner saying ``text`` while the engine works, naming the provider it waits on
    once a read is slow; nothing in CI or when stderr is not a terminal."""
    if quiet():
        yield
        return
    with err().status(text) as spinner:
        def show(kind: str, data: dict[str, Any]) -> None:
            if kind == "waiting":
                spinner.update(waiting_line(text, data))

        engine.on_event = show
        try:
            yield
        finally:
            engine.on_event = None
