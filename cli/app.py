"""The ``failover`` command: parses, calls the engine, renders. No logic the engine could use.

Exit codes are the one table of failover/exitcodes.py: reporting commands follow the
monitoring-plugin convention (0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN), acting ones add
4 refused and 5 busy, and a usage error is 64. Every error is one line.
"""

from __future__ import annotations

import functools
import inspect
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, Optional, get_type_hints

import typer

from cli.examples import epilog
from cli.lazy import LazyGroup

# An error's line on stderr: long enough for any of ours, bounded for a vendor's.
MAX_ERROR = 4000

app = typer.Typer(
    name="failover",
    help="Keep a service reachable when a vendor stops serving it: probe every hosting, "
         "rewrite DNS at every DNS provider that still serves the zone, verify, roll back.\n\n"
         "Start with 'failover validate', then 'failover check' and 'failover plan'. "
         "Exit codes: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN (nothing judged); "
         "4 refused, 5 busy (commands that write); 64 usage.",
    epilog=epilog("failover"),
    no_args_is_help=True,
    # --install-completion / --show-completion (bash, zsh, fish, PowerShell).
    add_completion=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
    # The commands live in cli/*.py; only the one being run is imported (cli/lazy.py).
    cls=LazyGroup,
)


ConfigOpt = Annotated[Optional[Path], typer.Option(  # noqa: UP045 - typer needs Optional
    "--config", "-c", metavar="FILE", envvar="FAILOVER_CONFIG", show_envvar=True,
    help="The config file. Default: ./failover.yaml.")]


def _print_version(value: bool) -> None:
    """Eager, so that it answers before click asks for a command."""
    if value:
        from failover import __version__

        typer.echo(f"failover {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    ctx: typer.Context,
    config: ConfigOpt = None,
    version: Annotated[bool, typer.Option(
        "--version", is_eager=True, callback=_print_version,
        help="Print the version and exit.")] = False,
) -> None:
    from failover.configpath import config_path

    ctx.obj = {"config_path": config_path(str(config) if config else None)}


def _accept_config(command: Callable[..., Any]) -> Callable[..., Any]:
    """The command, also taking -c/--config after its name ('failover check -c FILE').

    Done on the function typer reads, so every command lists the option in its
    help, whatever click typer runs on; the value wins over the one given first.
    """
    hints = get_type_hints(command, include_extras=True)
    params = [p.replace(annotation=hints.get(p.name, p.annotation))
              for p in inspect.signature(command).parameters.values()]
    # typer hands the context to one parameter only: share the command's own.
    ctx_name = next((p.name for p in params if p.annotation is typer.Context), None)
    extra = [] if ctx_name else [inspect.Parameter(
        "failover_ctx__", inspect.Parameter.KEYWORD_ONLY, annotation=typer.Context)]
    extra.append(inspect.Parameter(
        "failover_config__", inspect.Parameter.KEYWORD_ONLY, default=None,
        annotation=Annotated[Optional[Path], typer.Option(  # noqa: UP045 - typer needs Optional
            "--config", "-c", metavar="FILE",
            help="The config file; the same as -c before the command.")]))

    @functools.wraps(command)
    def wrapper(*args: Any, failover_config__: Path | None = None, **kwargs: Any) -> Any:
        ctx = kwargs[ctx_name] if ctx_name else kwargs.pop("failover_ctx__")
        if failover_config__ is not None:
            from failover.configpath import config_path

            ctx.ensure_object(dict)["config_path"] = config_path(str(failover_config__))
        return command(*args, **kwargs)

    del wrapper.__wrapped__  # typer must read the signature below, not the command's
    signature = inspect.Signature([*params, *extra])
    wrapper.__signature__ = signature  # type: ignore[attr-defined]
    wrapper.__annotations__ = {p.name: p.annotation for p in signature.parameters.values()}
    return wrapper


def _finish(typer_app: typer.Typer, prefix: str = "") -> None:
    """Every command: -c after its name too, and its examples at the end of its help."""
    for info in typer_app.registered_commands:
        if info.callback is None:
            continue
        name = prefix + (info.name or info.callback.__name__.replace("_", "-"))
        info.callback = _accept_config(info.callback)
        info.epilog = info.epilog or epilog(name)
    for group in typer_app.registered_groups:
        if group.typer_instance is not None:
            group_name = prefix + (group.name or "")
            group.epilog = group.epilog or epilog(group_name)
            _finish(group.typer_instance, group_name + " ")


LazyGroup.finish = staticmethod(_finish)


def _click_errors() -> tuple[type[Exception], ...]:
    """ClickException as raised by the click typer runs on, and by click itself.

    typer up to 0.28 runs on click; 0.29 carries its own copy whose exceptions
    are other classes of the same names, so `except click.ClickException` alone
    let every usage error through as an "internal error".
    """
    kinds: list[type[Exception]] = [k for k in typer.BadParameter.__mro__
                                    if k.__name__ == "ClickException"]
    try:
        import click

        kinds.append(click.ClickException)
    except ImportError:
        pass
    return tuple(kinds)


def _usage_line(exc: Exception) -> str:
    """Click's own message in one line, with where to read more."""
    from failover.untrusted import clean

    # Click quotes the value typed, which may hold escapes ('--for $'\e[31m''): inert.
    message = clean(exc.format_message() if hasattr(exc, "format_message") else str(exc),
                    2000)
    ctx = getattr(exc, "ctx", None)
    where = ctx.command_path if ctx is not None else "failover"
    return (f"failover: {' '.join(message.split())}{_option_hint(ctx, message)} "
            f"(see '{where} -h')")


# Commands whose vendors and hostings are named by options: what a bare word meant.
_TAKES_OFF_TO = {"move": "--off", "plan": "--off", "drill": "--vendor", "runbook": "--vendor"}


def _option_hint(ctx: Any, message: str) -> str:
    """'failover move aws': a word given where an option's value was meant, as the
    command that works ("did you mean 'failover move --off aws'?"). A hosting's name
    gets --to; anything else the command's vendor option."""
    import re

    found = re.search(r"unexpected extra argument(?:\(s\)|s)? \((.+)\)", message)
    name = getattr(getattr(ctx, "command", None), "name", None)
    if found is None or name not in _TAKES_OFF_TO:
        return ""
    vendors: list[str] = []
    hostings: list[str] = []
    try:
        from failover.config import load_config

        path = (ctx.find_root().obj or {}).get("config_path")
        if path is not None:
            config = load_config(path)
            vendors, hostings = list(config.vendors), list(config.hosting)
    except Exception:  # no config to read: a hint from the words alone
        pass
    from failover.suggest import closest

    options = []
    for word in found.group(1).split():
        hosting = closest(word, hostings) if name in ("move", "plan") else None
        if hosting is not None and closest(word, vendors) != word:
            options.append(f"--to {hosting}")
        else:
            options.append(f"{_TAKES_OFF_TO[name]} {closest(word, vendors) or word}")
    return f"; did you mean 'failover {name} {' '.join(options)}'?"


def main() -> None:
    """Entry point: run the app, turn every expected error into one line and an exit code."""
    from failover.errors import (
        EXIT_INTERRUPTED,
        EXIT_REFUSED,
        EXIT_UNKNOWN,
        EXIT_USAGE,
        FailoverError,
    )
    from failover.untrusted import clean

    try:
        code = app(standalone_mode=False)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        sys.stderr.write("failover: aborted; nothing was written\n")
        sys.exit(EXIT_REFUSED)
    except _click_errors() as exc:
        if type(exc).__name__ == "NoArgsIsHelpError":  # bare 'failover': the help teaches more
            exc.show()  # type: ignore[attr-defined]
        else:
            sys.stderr.write(_usage_line(exc) + "\n")
        # Not 3: cron must tell "you typed it wrong" from "nothing could be judged".
        sys.exit(EXIT_USAGE)
    except FailoverError as exc:
        # An error may quote a vendor (an API's message, a server's answer): one inert line;
        # a config file's problems one line each, so one edit fixes them all.
        from failover.errors import ConfigErrors

        for each in exc.errors if isinstance(exc, ConfigErrors) else [exc]:
            sys.stderr.write(f"failover: {clean(each, MAX_ERROR)}\n")
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        sys.stderr.write("failover: interrupted; see 'failover status' for what was written\n")
        sys.exit(EXIT_INTERRUPTED)
    except Exception as exc:  # a bug: still one line, the traceback on request
        if os.environ.get("FAILOVER_DEBUG"):
            raise
        sys.stderr.write(f"failover: internal error: {type(exc).__name__}: "
                         f"{clean(exc, MAX_ERROR)} "
                         "(set FAILOVER_DEBUG=1 for the traceback, and please report it)\n")
        sys.exit(EXIT_UNKNOWN)
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
