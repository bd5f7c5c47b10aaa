"""``failover audit``: per vendor, what recovery would lose if that vendor cut us off.

Reads the config, the Pulumi project (Pulumi.yaml, Pulumi.<stack>.yaml) and
service.yaml (the image, its mirrors, ``recovery:``). Exit 0 when no single
vendor blocks recovery, 1 when one does, 3 on bad input.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from cli.common import Format, FormatOpt, load, out, print_json
from failover.errors import EXIT_OK, EXIT_WARNING

if TYPE_CHECKING:
    from failover.audit import Audit, Dependency
    from failover.config import Config


def register(app: typer.Typer) -> None:
    app.command("audit")(audit)


def audit(
    ctx: typer.Context,
    format: FormatOpt = Format.table,
    stacks: Annotated[Optional[Path], typer.Option(  # noqa: UP045 - typer needs Optional
        "--stacks", metavar="DIR",
        help="The Pulumi project folder. Default: inventory.pulumi_cwd, else ./stacks "
             "beside the config.")] = None,
    backend: Annotated[Optional[str], typer.Option(  # noqa: UP045
        "--backend", metavar="URL",
        help="The Pulumi state backend, when neither Pulumi.yaml (backend.url) nor "
             "$PULUMI_BACKEND_URL says it.")] = None,
) -> int:
    """Per vendor, what recovery would lose if that vendor cut us off (state, secrets,
    image registry, registrar, admin sign-in, vendor-bound certificates), and each
    registrar's readiness (transfer lock, expiry, auto-renew, auth code, privacy).
    Exit 1 when one vendor would block it."""
    from failover.audit import audit as run_audit
    from failover.audit import default_stacks

    config = load(ctx)
    result = run_audit(config, stacks or default_stacks(config), backend)
    result.dependencies += _registration(config)
    if format is Format.json:
        print_json(result.to_json())
    else:
        _render(result)
    return EXIT_WARNING if result.blocking_vendors else EXIT_OK


def _registration(config: Config) -> list[Dependency]:
    """What each registrar of delegation.registrars says of the domain (it asks them)."""
    import time

    from failover.registration import dependencies, read_config

    return dependencies(read_config(config), time.time())


def _render(result: Audit) -> None:
    from rich.markup import escape

    from failover.audit import lines

    console = out()
    for vendor, deps in result.by_vendor().items():
        mark = "[red]BLOCKS[/]" if any(d.blocking for d in deps) else "[green]ok[/]"
        console.print(f"{mark} [bold]{escape(vendor)}[/]")
        for dep, line in zip(deps, lines(deps), strict=True):
            console.print(f"  {escape(dep.kind)}: {escape(dep.what)}")
            console.print(f"    {escape(line)}", style="red" if dep.blocking else None)
    blocking = result.blocking_vendors
    if blocking:
        console.print(f"{len(blocking)} vendor(s) would block recovery: "
                      f"{escape(', '.join(blocking))}")
    else:
        console.print("no single vendor blocks recovery")
