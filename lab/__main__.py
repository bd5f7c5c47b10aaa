"""``python -m lab up|kill|revive|down|status --dir DIR [VENDOR]``: the lab from a shell.

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

from lab import core
from lab.procs import LabError


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(3, f"{self.prog}: {message} (see --help)\n")


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="python -m lab", description="Real servers on loopback for failover: "
                "BIND 9 (RFC 2136 + TSIG), moto (Route 53) and one HTTP origin per hosting.")
    p.add_argument("command", choices=["up", "kill", "revive", "down", "status"])
    p.add_argument("vendor", nargs="?", help="for kill and revive: aws, gcp or metal")
    p.add_argument("--dir", type=Path, default=Path(os.environ.get("LAB_DIR", "lab-run")),
                   help="the lab's folder (default: $LAB_DIR or ./lab-run)")
    return p


def _line(row: dict[str, Any], extra: str = "") -> str:
    state = "" if "alive" not in row else ("alive" if row["alive"] else "dead")
    return f"{row['name']:<10} {row['address']:<22} pid {row['pid']!s:<8} {state}{extra}".rstrip()


def _terminated(signum: int, frame: object) -> None:
    raise KeyboardInterrupt  # so a cancelled CI job's `up` stops what it started


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    signal.signal(signal.SIGTERM, _terminated)
    if args.command in ("kill", "revive") and not args.vendor:
        print(f"python -m lab: {args.command} needs a vendor: aws, gcp or metal", file=sys.stderr)
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
        elif args.command == "down":
            core.down(args.dir)
            print(f"down       {args.dir.resolve()}")
        else:
            for row in core.status(args.dir):
                print(_line(row))
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
