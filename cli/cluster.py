"""``failover pause``, ``failover resume`` and ``failover cluster``: the operator over the watchers.

A pin is the operator's decision: while it stands, watchers check and report
but move nothing (Patroni's pause mode). A manual move or rollback pins
itself; ``pause`` pins without a move; ``resume`` lets the watchers act again.
``failover cluster fence`` shows (and, after etcd was rebuilt, resets) the DNS
fence; ``failover cluster replace-member`` brings back an etcd member whose data is
gone (failover.coord.membership).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from cli.common import Format, FormatOpt, inert, load, out, print_json
from cli.fence import fence

if TYPE_CHECKING:
    from failover.config import Config
    from failover.coord.etcdclient import EtcdClient

cluster_app = typer.Typer(
    help="Who leads, who holds the move lock, the pin, and each watcher's last cycle "
         "sentence; 'failover cluster replace-member NODE' brings back an etcd member whose "
         "data is gone.", invoke_without_command=True, rich_markup_mode=None)


def register(app: typer.Typer) -> None:
    app.command()(pause)
    app.command()(resume)
    app.add_typer(cluster_app, name="cluster")


def pause(ctx: typer.Context,
          reason: Annotated[str, typer.Option(metavar="TEXT",
                                                 help="Why, for whoever reads 'status'.")]
          = "paused",
          for_: Annotated[Optional[str], typer.Option(  # noqa: UP045 - typer needs it
              "--for", metavar="DURATION",
              help="Resume by itself after DURATION (30m, 2h); default: until "
                   "'failover resume'.")] = None) -> int:
    """Pin what is served now: watchers move nothing until 'failover resume' (or --for).

    Unless pins.strict is set, a watcher still moves away when what is served goes
    DOWN or TERMINATED, and says the pin yielded.
    """
    from failover.config import parse_duration
    from failover.coord.base import PIN_PAUSE, Holder, Pin
    from failover.engine import Engine

    try:
        seconds = parse_duration(for_, most=366 * 86400) if for_ is not None else None
    except ValueError as exc:   # a mistyped value: usage (64), not a config problem
        raise typer.BadParameter(str(exc), param_hint="'--for'") from None
    engine = Engine(load(ctx))
    try:
        with engine.lock("failover pause"):
            holder = Holder.me(engine.coord.node, "failover pause")
            pin = Pin(holder, reason, kind=PIN_PAUSE,
                      until=holder.since + seconds if seconds is not None else None)
            engine.coord.set_pin(pin)
    finally:
        engine.close()
    out().print(inert(pin.sentence()))
    return 0


def resume(ctx: typer.Context) -> int:
    """Remove the operator's pin: watchers decide (and, with auto_move, move) again."""
    from failover.engine import Engine

    engine = Engine(load(ctx))
    try:
        with engine.lock("failover resume"):
            old = engine.coord.clear_pin()
    finally:
        engine.close()
    out().print("resumed: watchers act again" + (f" (was {inert(old.sentence())})" if old else
                                                 "; there was no pin"))
    return 0


@cluster_app.callback(invoke_without_command=True)
def cluster(ctx: typer.Context, format: FormatOpt = Format.table,
            config: Annotated[Optional[Path], typer.Option(  # noqa: UP045 - typer needs it
                "--config", "-c", metavar="FILE",
                help="The config file; the same as -c before the command.")] = None) -> int:
    """Who leads, who holds the move lock, the pin, and each watcher's last cycle sentence."""
    from failover.configpath import config_path
    from failover.engine import Engine

    if config is not None:
        ctx.ensure_object(dict)["config_path"] = config_path(str(config))
    if ctx.invoked_subcommand is not None:
        return 0

    engine = Engine(load(ctx))
    try:
        state = engine.coord.describe()
    finally:
        engine.close()
    if format is Format.json:
        print_json(state)
        return 0
    o = out()
    o.print(f"Backend: {inert(state['backend'])} ({inert(state['where'])})")
    o.print(f"Leader: {inert(state.get('leader') or '-')}")
    o.print(f"Move lock: {inert(state.get('lock') or 'free')}")
    o.print(f"Pin: {inert(state.get('pin') or 'none')}")
    for node in state.get("nodes", []):
        o.print(f"  {inert(node['node'])} ({inert(node['vendor'])}): {inert(node['sentence'])}")
    return 0


cluster_app.command("fence")(fence)


@cluster_app.command("replace-member")
def replace_member(
        ctx: typer.Context,
        node: Annotated[str, typer.Argument(metavar="NODE",
                                            help="The etcd member's name (its ETCD_NAME).")],
        peer_url: Annotated[Optional[str], typer.Option(  # noqa: UP045 - typer needs it
            "--peer-url", metavar="URL",
            help="The member's peer URL, as its peers dial it (its "
                 "ETCD_INITIAL_ADVERTISE_PEER_URLS), e.g. https://203.0.113.7:2380. "
                 "Default: the one the member list has for NODE.")] = None,
        dry_run: Annotated[bool, typer.Option(
            "--dry-run", help="Check and print what would be removed and added; change "
                              "nothing.")] = False) -> int:
    """Bring back an etcd member whose data is gone: remove its old id, add it again.

    Use it when a member's machine was replaced or its data dir wiped and it cannot
    start ('member ... has already been bootstrapped'), and its start script did not
    rejoin it by itself (infra/etcdstart.py does the same on the machine). Talks to
    the endpoints of the config's cluster section. Refuses (exit 4, nothing changed)
    if NODE is started and healthy, or if the other members' healthy ones are too few
    for a quorum once NODE is added again. Otherwise: removes NODE's old member (by
    name, or by peer URL if it was added and never started), adds NODE at its peer
    URL (--peer-url, or the one the member list had for NODE), trying for a minute
    while etcd answers 'unhealthy cluster' right after the removal, and prints the two
    settings to start the member with, its data dir empty: ETCD_INITIAL_CLUSTER=...
    and ETCD_INITIAL_CLUSTER_STATE=existing. Exit 2 if etcd did not add it again (the
    line says how to finish). See docs/deploy-upgrades.md.
    """
    from failover.coord import membership

    config = load(ctx)
    client = _client(config, None)
    o = out()

    def say(line: str) -> None:
        # Names and URLs from etcd and the command line: brackets (IPv6) are not markup.
        o.print(line, markup=False)

    plan = membership.plan(client, node, peer_url,
                           connect=lambda urls: _client(config, urls))
    if dry_run:
        for line in plan.lines():
            say(f"would: {line}" if not line.startswith("quorum") else line)
        say("dry run: nothing changed")
        return 0
    say(plan.lines()[0])
    settings = membership.replace(client, plan, say)
    say(f"added {node} at {plan.peer_url}; start it, with an empty data dir, with:")
    for key, value in settings.items():
        say(f"{key}={value}")
    return 0


def _client(config: Config, endpoints: list[str] | None) -> EtcdClient:
    """An etcd client from the config's cluster section (at ``endpoints`` if given)."""
    from failover.coord.etcdclient import EtcdClient
    from failover.errors import ConfigError

    cluster = config.cluster
    if cluster is None:
        raise ConfigError("no cluster section: replace-member talks to the etcd cluster "
                          "of cluster.endpoints", file=config.source, key="cluster")
    tls = cluster.tls

    def path(value: str | None) -> str | None:
        return str(config.resolve_path(value)) if value else None

    password = None
    if cluster.password_env:
        import os

        password = os.environ.get(cluster.password_env)
    elif cluster.password_file:
        password = Path(str(path(cluster.password_file))).read_text().strip()
    # One member at a time answers quickly or not at all: a dead one must not cost 10s.
    timeout = min(cluster.retry_timeout, 3.0) if endpoints else cluster.retry_timeout
    return EtcdClient(endpoints or cluster.endpoints, timeout=timeout,
                      ca_file=path(tls.ca_file) if tls else None,
                      cert_file=path(tls.cert_file) if tls else None,
                      key_file=path(tls.key_file) if tls else None,
                      username=cluster.username, password=password)
