"""``make demo``: the main job as a scripted drill on the lab.

Everything healthy; vendor aws killed; ``failover check`` sees it;
``failover move --off aws --yes`` rewrites BIND and Route 53 and verifies;
the answers are shown from BIND (over DNS) and Route 53 (through its API);
then aws comes back and ``failover rollback`` restores the old answers; the
lab is stopped. Each step's outcome is checked, so the demo fails loudly
when failover does not do what it shows.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from lab import core

BIN = Path(sys.executable).with_name("failover")


def say(text: str) -> None:
    print(f"\n\033[1m== {text}\033[0m" if sys.stdout.isatty() else f"\n== {text}", flush=True)


def run(config: Path, *args: str, expect: tuple[int, ...] = (0,)) -> tuple[int, float]:
    cmd = [str(BIN), "-c", str(config), *args]
    print("$ failover " + " ".join(shlex.quote(a) for a in args), flush=True)
    t0 = time.monotonic()
    code = subprocess.call(cmd, stdin=subprocess.DEVNULL)
    took = time.monotonic() - t0
    if code not in expect:
        raise SystemExit(f"demo: 'failover {' '.join(args)}' exited {code}, expected "
                         f"{' or '.join(map(str, expect))}")
    return code, took


def verdict(config: Path, hosting: str) -> str:
    """One ``failover check`` (it counts toward rise), and the hosting's verdict from it."""
    print("$ failover check --format json", flush=True)
    out = subprocess.run([str(BIN), "-c", str(config), "check", "--format", "json"],
                         capture_output=True, text=True, stdin=subprocess.DEVNULL).stdout
    try:
        hostings = json.loads(out).get("hostings") or []
    except ValueError:
        return "UNKNOWN"
    seen = next((str(h.get("verdict", "UNKNOWN")) for h in hostings
                 if h.get("hosting") == hosting), "UNKNOWN")
    print(f"  {hosting}: {seen}", flush=True)
    return seen


def answers(lab: dict[str, Any]) -> dict[str, tuple[list[str], list[str]]]:
    return {name: (core.bind_answers(lab, name), core.route53_answers(lab, name))
            for name in lab["names"]}


def show(lab: dict[str, Any]) -> dict[str, tuple[list[str], list[str]]]:
    now = answers(lab)
    for name, (bind, r53) in now.items():
        print(f"  {name:<22} BIND (dig @127.0.0.1 -p {lab['bind']['port']}): "
              f"{','.join(bind) or '-':<12}  Route 53 (API): {','.join(r53) or '-'}")
    return now


def main() -> int:
    root = Path(os.environ.get("FAILOVER_DEMO_DIR") or tempfile.mkdtemp(prefix="failover-demo-"))
    # The zone lock and the operator's pin are per machine and per zone; the demo's
    # manual move pins example.test., which must not outlive the demo.
    os.environ.setdefault("FAILOVER_LOCK_DIR", str(root / "zone-locks"))
    say(f"Starting the lab in {root}: BIND, moto (Route 53), one origin per hosting")
    t0 = time.monotonic()
    lab = core.up(root)
    config = Path(lab["config"])
    print(f"lab up in {time.monotonic() - t0:.1f}s; config: {config}")
    try:
        return drill(lab, config)
    finally:
        say("Stopping the lab")
        core.down(root)
        print("lab down")


def drill(lab: dict[str, Any], config: Path) -> int:
    say("Everything healthy")
    run(config, "validate")
    run(config, "check")
    show(lab)

    say("Vendor aws stops serving us: its origins go dark")
    core.kill(config.parent, "aws")
    t_kill = time.monotonic()
    # fall: 2 in the lab config, so the second failed check turns DEGRADED into DOWN.
    for attempt in range(1, 6):
        code, _ = run(config, "check", expect=(0, 1, 2))
        if code == 2:
            break
        if attempt == 5:
            raise SystemExit("demo: failover check never reported aws DOWN")
    detect = time.monotonic() - t_kill
    print(f"detected after {attempt} checks, {detect:.2f}s after the kill "
          "(in production: interval x fall)")

    say("The plan: evacuate aws")
    run(config, "plan", "--off", "aws")

    say("The move: write BIND and Route 53 at once, verify each")
    _, took = run(config, "move", "--off", "aws", "--yes")
    after = show(lab)
    aws = "127.0.0.11"
    bad = [n for n, (bind, r53) in after.items() if aws in bind or aws in r53 or not bind]
    if bad:
        raise SystemExit(f"demo: still serving aws for {', '.join(bad)}")
    print(f"move took {took:.2f}s from command start to verified answers at both providers")

    run(config, "status")
    run(config, "history")

    say("aws comes back; once it is UP again, roll the move back")
    core.revive(config.parent, "aws")
    # rise: 2 in the lab config. Rollback refuses to serve a hosting that is not UP,
    # so the demo checks until aws-use1 is UP, as an operator would.
    for attempt in range(1, 6):
        if verdict(config, "aws-use1") == "UP":
            break
        if attempt == 5:
            raise SystemExit("demo: failover check never reported aws-use1 UP again")
    run(config, "rollback", "--yes")
    back = show(lab)
    if any(bind != [aws] or r53 != [aws] for bind, r53 in back.values()):
        raise SystemExit("demo: rollback did not restore the aws answers")
    run(config, "history")
    say(f"Drill passed: detect {detect:.2f}s, move {took:.2f}s end to end")
    return 0


if __name__ == "__main__":
    sys.exit(main())
