"""``failover reconcile``, ``failover watch`` and ``failover reinstate``."""

from __future__ import annotations

import sys
from typing import Annotated, Any, Optional

import typer

from cli.common import Format, FormatOpt, inert, load, out, print_json, subscribe

AutoOpt = Annotated[Optional[bool], typer.Option(  # noqa: UP045 - typer needs Optional
    "--auto-move/--no-auto-move", help="Override policy.auto_move from the config.")]


def register(app: typer.Typer) -> None:
    app.command()(reconcile)
    app.command()(watch)
    app.command()(reinstate)


def reconcile(ctx: typer.Context, auto_move: AutoOpt = None,
              format: FormatOpt = Format.table) -> int:
    """One cycle: check, decide and, when policy.auto_move allows, move. Prints one sentence.

    Safe from cron or a CI schedule every minute: the rise/fall counters live
    in the journal. Exit 0 all well, 1 serving a standby or a warning, 2 a move
    is needed but not allowed, failed, or nothing is healthy.
    """
    from failover.engine import Engine
    from failover.watch import Reconciler

    engine = subscribe(Engine(load(ctx)))
    try:
        result = Reconciler(engine, auto_move=auto_move).cycle()
    finally:
        engine.close()
    if format is Format.json:
        print_json(result.to_json())
    else:
        out().print(inert(result.sentence))
    return result.exit_code


def watch(ctx: typer.Context,
          interval: Annotated[Optional[str], typer.Option(  # noqa: UP045
              metavar="DURATION",
              help="Time between cycles (2s, 1m); default: the config's interval.")] = None,
          auto_move: AutoOpt = None,
          cycles: Annotated[Optional[int], typer.Option(  # noqa: UP045
              metavar="N",
              help="Stop after this many cycles (default: run until stopped).")] = None,
          format: FormatOpt = Format.table) -> int:
    """Run the reconcile cycle in a loop, one sentence per cycle, to the journal and stdout.

    Stops cleanly on Ctrl-C or SIGTERM: the cycle under way, and any move in
    it, is finished first, so a stop never leaves a half-applied move.
    """
    import logging
    import signal
    import threading

    from failover.config import parse_duration
    from failover.engine import Engine
    from failover.errors import ConfigError
    from failover.watch import CycleResult, Reconciler
    from failover.watch import watch as run

    config = load(ctx)
    try:
        every = parse_duration(interval) if interval else config.interval
    except ValueError as exc:
        raise ConfigError(f"--interval: {exc}") from None
    stop = threading.Event()

    def on_signal(signum: int, _frame: Any) -> None:
        if not stop.is_set():
            sys.stderr.write(f"failover: {signal.Signals(signum).name}: stopping after this "
                             "cycle\n")
            stop.set()

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    logging.basicConfig(level=logging.WARNING)

    def show(result: CycleResult) -> None:
        if format is Format.json:
            sys.stdout.write(__import__("json").dumps(result.to_json(), default=str) + "\n")
        else:
            out().print(f"{_stamp(result.at)} {inert(result.sentence)}")
        sys.stdout.flush()

    engine = subscribe(Engine(config))
    try:
        return run(Reconciler(engine, auto_move=auto_move), interval=every, stop=stop,
                   on_cycle=show, max_cycles=cycles,
                   confirm_interval=config.confirm_every(every))
    finally:
        engine.close()
        for s, handler in previous.items():
            signal.signal(s, handler)


def reinstate(ctx: typer.Context,
              vendor: Annotated[str, typer.Argument(
                  metavar="VENDOR", help="The vendor to trust again.")]) -> int:
    """Forget that VENDOR terminated us, so the policy may serve its hostings again."""
    from failover.engine import Engine

    engine = Engine(load(ctx))
    try:
        cleared = engine.reinstate(vendor)
    finally:
        engine.close()
    said = inert(vendor)
    out().print(f"{said}: reinstated; failback needs its hostings to pass 'rise' checks"
                if cleared else f"{said}: was not marked terminated; nothing to do")
    return 0


def _stamp(ts: float) -> str:
    import time

    return time.strftime("%H:%M:%S", time.localtime(ts))


