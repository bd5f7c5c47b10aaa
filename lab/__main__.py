"""``python -m lab up|kill|revive|partition|heal|freeze|thaw|replace|suspend|unsuspend|down|
status --dir DIR [VENDOR]``: the lab from a shell.

``kill aws`` stops vendor aws's origins (an outage); ``suspend aws [--code CODE]`` makes its
control plane refuse our account with that AWS error (default AccountSuspended): both
together are a termination. ``up --cluster`` adds five vendors' etcd members and watchers
(lab.vendors); in such a lab ``kill VENDOR`` takes everything at the vendor (origins, DNS
servers, etcd member, watcher), ``partition VENDOR [--only etcd|dns]`` cuts its network
with nftables while it all keeps running (lab.partition), ``heal [VENDOR]`` removes the cut,
``freeze VENDOR`` stops it all (SIGSTOP), ``thaw`` resumes it, and ``replace VENDOR``
drills a replaced etcd member: wipes its data and starts it through the deployed machines'
start script (lab.replace).

Prints one line per server (name, address:port, pid); exit 0, or one line on stderr and
exit 3 on any error, bad usage included.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from pathlib import Path
from typing import Any, NoReturn


def _unshadow() -> None:
    """Import the real package when a folder named ``lab`` in the working directory won.

    ``python -m lab`` puts the working directory first on sys.path. Run from the folder
    that holds a lab's folder (the tour's /tmp/lab, from /tmp), that folder became a
    namespace package ``lab`` and its ``bind/`` became ``lab.bind`` (issue 20). The
    installed package has a file; a namespace has none.
    """
    if getattr(sys.modules.get("lab"), "__file__", None) is not None:
        return
    cwd = os.path.abspath(os.curdir)
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != cwd]
    for name in [n for n in sys.modules if n == "lab" or n.startswith("lab.")]:
        del sys.modules[name]


_unshadow()

from lab import core, partition, replace, resolver, vendors  # noqa: E402 - after _unshadow
from lab.awsproxy import DEFAULT_CODE  # noqa: E402
from lab.procs import LabError  # noqa: E402

# command -> the vendors it takes
VENDOR_COMMANDS = {"kill": "aws, gcp or metal", "revive": "aws, gcp or metal",
                   "partition": "a vendor of a clustered lab",
                   "freeze": "a vendor of a clustered lab",
                   "thaw": "a vendor of a clustered lab",
                   "replace": "a vendor of a clustered lab",
                   "suspend": "aws", "unsuspend": "aws"}


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(3, f"{self.prog}: {message} (see --help)\n")


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="python -m lab", description="Real servers on loopback for failover: "
                "BIND 9 (RFC 2136 + TSIG) with its parent zone and Knot DNS as secondary, "
                "moto (Route 53, STS, EC2) behind a fault proxy, one HTTP origin per hosting.")
    p.add_argument("command", choices=[*VENDOR_COMMANDS, "heal", "up", "down", "status"])
    p.add_argument("vendor", nargs="?", help="for kill and revive: aws, gcp or metal (any "
                   "vendor of a clustered lab, as for partition, freeze and replace; heal "
                   "without one heals every vendor); for "
                   "suspend and unsuspend: aws (the only control plane in the lab)")
    p.add_argument("--code", default=DEFAULT_CODE, help="for suspend: the AWS error code "
                   f"STS and EC2 answer with (default {DEFAULT_CODE}; e.g. AuthFailure, "
                   "InvalidClientTokenId, OptInRequired)")
    p.add_argument("--only", choices=partition.ONLY, help="for partition: cut only etcd "
                   "traffic (client and peer ports) or only DNS traffic (DNS servers and "
                   "APIs) between the vendor and the others; default everything")
    p.add_argument("--cluster", action="store_true", help="for up: also run five vendors "
                   "(aws, gcp, metal, hetzner, quorum), each with an etcd member and a "
                   "watcher; kill then takes a whole vendor")
    p.add_argument("--saas", action="store_true", help="for up: also run the SaaS stand-ins "
                   "(an SMS API and an identity provider at aws, fallbacks elsewhere) and "
                   "manage their switch records (_sms TXT, login CNAME)")
    p.add_argument("--cas", action="store_true", help="for up: also run two ACME CAs "
                   "(Pebble, pebble-a and pebble-b, each with its own root, checking DNS-01 "
                   "at BIND) and add a certs: section for `failover certs`")
    p.add_argument("--resolver", action="store_true", help="for up: also run Unbound, a "
                   "recursive resolver, with the DNS servers on port 53 of addresses of their "
                   "own (127.0.53.N; BIND's is added to lo, so this needs root)")
    p.add_argument("--serve-stale", action="store_true", help="for up --resolver: Unbound "
                   "answers from its expired cache when a refresh takes over 1.8 s (RFC "
                   "8767's client response timer; serve-expired), instead of dropping the "
                   "query after 1.9 s (its discard-timeout)")
    p.add_argument("--no-watchers", action="store_true", help="for up --cluster: start the "
                   "etcd members but no watchers")
    p.add_argument("--providers", choices=("default", "all"), default="default",
                   help="for up: 'all' also starts PowerDNS (HTTP API) and the Cloudflare "
                   "and Cloud DNS stand-ins, as more DNS providers (default: BIND and "
                   "Route 53 only, faster)")
    p.add_argument("--dir", type=Path, default=Path(os.environ.get("LAB_DIR", "lab-run")),
                   help="the lab's folder (default: $LAB_DIR or ./lab-run)")
    return p


def _line(row: dict[str, Any], extra: str = "") -> str:
    state = "" if "alive" not in row else ("alive" if row["alive"] else "dead")
    return f"{row['name']:<13} {row['address']:<22} pid {row['pid']!s:<8} {state}{extra}".rstrip()


def _terminated(signum: int, frame: object) -> None:
    raise KeyboardInterrupt  # so a cancelled CI job's `up` stops what it started


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_intermixed_args(argv)
    signal.signal(signal.SIGTERM, _terminated)
    if args.command in VENDOR_COMMANDS and not args.vendor:
        print(f"python -m lab: {args.command} needs a vendor: "
              f"{VENDOR_COMMANDS[args.command]}", file=sys.stderr)
        return 3
    try:
        if args.command == "up":
            started = time.monotonic()
            lab = core.up(args.dir, args.providers, saas=args.saas, cas=args.cas)
            if args.cluster or args.resolver:
                _up_extras(args.dir, args.cluster, args.resolver, not args.no_watchers,
                           args.serve_stale)
            for row in core.status(args.dir):
                print(_line({k: v for k, v in row.items() if k != "alive"}))
            print(f"config     {lab['config']}  (up in {time.monotonic() - started:.1f}s)")
        elif args.command in ("partition", "heal"):
            _cut_command(args.dir, args.command, args.vendor, args.only)
        elif args.command in ("kill", "revive", "freeze", "thaw"):
            _vendor_command(args.dir, args.command, args.vendor)
        elif args.command == "replace":
            row = replace.replace(args.dir.resolve(), args.vendor)
            print(f"{row['name']:<10} replaced: data wiped, old member {row['old_id']} "
                  f"removed, rejoined as {row['id']} (pid {row['pid']}, {row['endpoint']})")
        elif args.command == "suspend":
            core.suspend(args.dir, args.vendor, args.code)
            print(f"{args.vendor:<10} suspended: STS and EC2 answer {args.code} through "
                  f"{core.load(args.dir)['aws_proxy']['endpoint']}; Route 53 still answers")
        elif args.command == "unsuspend":
            core.unsuspend(args.dir, args.vendor)
            print(f"{args.vendor:<10} control plane accepts our account again")
        elif args.command == "down":
            core.down(args.dir)
            print(f"down       {args.dir.resolve()}")
        else:
            for row in core.status(args.dir):
                print(_line(row))
            for vendor, code in core.suspended(args.dir).items():
                print(f"{vendor:<10} suspended ({code})")
            for vendor, only in partition.partitions(args.dir).items():
                print(f"{vendor:<10} partitioned ({only})")
    except LabError as exc:
        print(f"python -m lab {args.command}: {exc}", file=sys.stderr)
        return 3
    except KeyboardInterrupt:
        print(f"python -m lab {args.command}: interrupted", file=sys.stderr)
        return 3
    except Exception as exc:  # a bug or an odd machine: still one line, traceback on demand
        if os.environ.get("LAB_DEBUG"):
            raise
        print(f"python -m lab {args.command}: {type(exc).__name__}: {exc} "
              "(LAB_DEBUG=1 shows the traceback)", file=sys.stderr)
        return 3
    return 0


def _up_extras(dir: Path, cluster: bool, with_resolver: bool, watchers: bool,
               serve_stale: bool = False) -> None:
    """Add the vendors' etcd members and watchers, and the resolver; on failure take the
    whole lab down."""
    try:
        if cluster:
            vendors.start(dir.resolve(), watchers=watchers)
        if with_resolver:
            resolver.start(dir.resolve(), serve_stale=serve_stale)
    except BaseException:
        core.down(dir)
        raise


def _vendor_command(dir: Path, command: str, vendor: str) -> None:
    """kill/revive a vendor's origins, or in a clustered lab everything at the vendor."""
    if "cluster" not in core.load(dir):
        if command in ("freeze", "thaw"):
            raise LabError(f"{command} needs a clustered lab: `python -m lab up --cluster`")
        (core.kill if command == "kill" else core.revive)(dir, vendor)
        _print_vendor(dir, vendor)
        return
    act = {"kill": vendors.kill, "revive": vendors.revive, "freeze": vendors.freeze,
           "thaw": vendors.thaw}[command]
    rows = act(dir.resolve(), vendor)
    done = {"kill": "killed", "revive": "started", "freeze": "frozen", "thaw": "resumed"}
    for row in rows:
        print(_line({k: v for k, v in row.items() if k != "marker"}, f" {done[command]}"))
    if not rows:
        print(f"{vendor:<10} nothing to do")


def _cut_command(dir: Path, command: str, vendor: str | None, only: str | None) -> None:
    """partition a vendor (every process keeps running), or heal one or every cut."""
    if "cluster" not in core.load(dir):
        raise LabError(f"{command} needs a clustered lab: `python -m lab up --cluster`")
    if command == "partition":
        assert vendor is not None
        cut = partition.partition(dir, vendor, only)
        print(f"{vendor:<10} partitioned ({cut['only']}): {len(cut['own'])} of its endpoints "
              f"and {len(cut['others'])} of the other vendors' cut apart; its processes run")
        return
    if only is not None:
        raise LabError("heal takes no --only: it removes the vendor's whole cut")
    healed = partition.heal(dir, vendor)
    print(f"healed     {', '.join(healed)}" if healed else
          f"{vendor or 'lab':<10} nothing to heal")


def _print_vendor(dir: Path, vendor: str) -> None:
    hostings = core.load(dir)["origins"]["hostings"]
    for row in core.status(dir):
        if hostings.get(row["name"], {}).get("vendor") == vendor:
            print(_line(row))


if __name__ == "__main__":
    sys.exit(main())
