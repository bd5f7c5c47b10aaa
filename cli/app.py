"""The ``failover`` command: parses, calls the engine, renders. No logic the engine could use.

Exit codes follow the monitoring-plugin convention: 0 OK, 1 WARNING,
2 CRITICAL, 3 UNKNOWN (also bad config or usage). Every error is one line.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from cli import check, drill, inventory, moves, status, watch

app = typer.Typer(
    name="failover",
    help="Keep a service reachable when a vendor stops serving it: probe every hosting, "
         "rewrite DNS at every DNS provider that still serves the zone, verify, roll back.\n\n"
         "Start with 'failover validate', then 'failover check' and 'failover plan'. "
         "Exit codes: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN or bad input.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


@app.callback()
def _root(
    ctx: typer.Context,
    config: Annotated[Optional[Path], typer.Option(  # noqa: UP045 - typer needs Optional
        "--config", "-c", envvar="FAILOVER_CONFIG", show_envvar=True,
        help="The config file. Default: ./failover.yaml.")] = None,
    version: Annotated[bool, typer.Option("--version", help="Print the version and exit.")] = False,
) -> None:
    if version:
        from failover import __version__

        typer.echo(f"failover {__version__}")
        raise typer.Exit(0)
    from failover.config import config_path

    ctx.obj = {"config_path": config_path(str(config) if config else None)}


check.register(app)
moves.register(app)
status.register(app)
watch.register(app)
inventory.register(app)
drill.register(app)


def main() -> None:
    """Entry point: run the app, turn every expected error into one line and an exit code."""
    import click

    from failover.errors import EXIT_UNKNOWN, FailoverError

    try:
        code = app(standalone_mode=False)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        sys.stderr.write("failover: aborted; nothing was written\n")
        sys.exit(EXIT_UNKNOWN)
    except click.ClickException as exc:
        exc.show()
        sys.exit(EXIT_UNKNOWN)
    except FailoverError as exc:
        sys.stderr.write(f"failover: {exc}\n")
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        sys.stderr.write("failover: interrupted; see 'failover status' for what was written\n")
        sys.exit(130)
    except Exception as exc:  # a bug: still one line, the traceback on request
        if os.environ.get("FAILOVER_DEBUG"):
            raise
        sys.stderr.write(f"failover: internal error: {type(exc).__name__}: {exc} "
                         "(set FAILOVER_DEBUG=1 for the traceback, and please report it)\n")
        sys.exit(EXIT_UNKNOWN)
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
