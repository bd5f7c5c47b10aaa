"""``python -m lab up|kill|revive|suspend|unsuspend|down|status --dir DIR [VENDOR]``: the lab
from a shell.

``kill aws`` stops vendor aws's origins (an outage); ``suspend aws [--code CODE]`` makes its
control plane refuse our account with that AWS error (default AccountSuspended): both
together are a termination. Prints one line per server (name, address:port, pid); exit 0,
or one line on stderr and exit 3 on any error, bad usage included.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from pathlib import Path
from typing import Any, NoReturn

from lab import core
from lab.awsproxy import DEFAULT_CODE
from lab.procs import LabError

# command -> the vendors it takes
VENDOR_COMMANDS = {"kill": "aws, gcp or metal", "revive": "aws, gcp or metal",
                   "suspend": "aws", "unsuspend": "aws"}


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(3, f"{self.prog}: {message} (see --help)\n")


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="python -m lab", description="Real servers on loopback for failover: "
                "BIND 9 (RFC 2136 + TSIG) with its parent zone and Knot DNS as secondary, "
                "moto (Route 53, STS, EC2) behind a fault proxy, one HTTP origin per hosting.")
    p.add_argument("command", choices=[*VENDOR_COMMANDS, "up", "down", "status"])
    p.add_argument("vendor", nargs="?", help="for kill and revive: aws, gcp or metal; for "
                   "suspend and unsuspend: aws (the only control plane in the lab)")
    p.add_argument("--code", default=DEFAULT_CODE, help="for suspend: the AWS error code "
                   f"STS and EC2 answer with (default {DEFAULT_CODE}; e.g. AuthFailure, "
                   "InvalidClientTokenId, OptInRequired)")
    p.add_argument("--dir", type=Path, default=Path(os.environ.get("LAB_DIR", "lab-run")),
                   help="the lab's folder (default: $LAB_DIR or ./lab-run)")
    return p


def _line(row: dict[str, Any], extra: str = "") -> str:
    state = "" if "alive" not in row else ("alive" if row["alive"] else "dead")
    return f"{row['name']:<10} {row['address']:<22} pid {row['pid']!s:<8} {state}{extra}".rstrip()


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
            lab = core.up(args.dir)
            for row in core.status(args.dir):
                print(_line({k: v for k, v in row.items() if k != "alive"}))
            print(f"config     {lab['config']}  (up in {time.monotonic() - started:.1f}s)")
        elif args.command == "kill":
            core.kill(args.dir, args.vendor)
            _print_vendor(args.dir, args.vendor)
        elif args.command == "revive":
            core.revive(args.dir, args.vendor)
            _print_vendor(args.dir, args.vendor)
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


def _print_vendor(dir: Path, vendor: str) -> None:
    hostings = core.load(dir)["origins"]["hostings"]
    for row in core.status(dir):
        if hostings.get(row["name"], {}).get("vendor") == vendor:
            print(_line(row))


if __name__ == "__main__":
    sys.exit(main())
