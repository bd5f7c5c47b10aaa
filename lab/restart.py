"""Starting a lab's server again with the command line it had: after a config change
(``respawn``: Knot and PowerDNS bind their sockets at start only), and after a clustered
lab's ``kill`` (lab.vendors records each :func:`command`, ``revive`` calls
:func:`start_again`).

A process is read from /proc while it runs (argv, working folder, log file), so a restart
needs no knowledge of how each server is started; it returns once the server answers
(an origin's or the AWS front door's health path, a DNS server's SOA).
"""

from __future__ import annotations

import os
import signal
from pathlib import Path
from typing import Any

from lab import aws, bind, etcd, processes
from lab.awsproxy import HEALTH
from lab.procs import LabError, alive, python_env, spawn, stop_many, wait_until

PID_FILES = {"bind": "bind/named.pid", "knot": "knot/knot.pid"}  # left behind by SIGKILL


def respawn(root: Path, data: dict[str, Any], name: str, timeout: float = etcd.TIMEOUT
            ) -> None:
    """Restart the lab's server ``name`` (e.g. ``knot``) with its own command line, after
    its config file changed; return once it answers. The caller holds the lab's lock."""
    row = next((r for r in processes.rows(data, Path(data["dir"])) if r["name"] == name),
               None)
    if row is None or not alive(row["pid"], row["marker"]):
        raise LabError(f"{name} is not running in the lab")
    cmd = command(row["pid"])
    os.kill(row["pid"], signal.SIGKILL)
    stop_many([(row["pid"], "")])
    start_again(root, data, name, cmd, timeout)


def command(pid: int) -> dict[str, Any]:
    """How a running process was started: argv, working folder, log file (its stdout)."""
    proc = Path(f"/proc/{pid}")
    argv = [a.decode(errors="replace") for a in
            (proc / "cmdline").read_bytes().split(b"\0") if a]
    return {"argv": argv, "cwd": os.readlink(proc / "cwd"), "log": os.readlink(proc / "fd/1")}


def start_again(root: Path, data: dict[str, Any], name: str, cmd: dict[str, Any],
                timeout: float) -> int:
    """Start ``name`` with the command line it had (``cmd``, from :func:`command`) and note
    its new pid in ``data``; its pid once it answers."""
    stale = PID_FILES.get(name)
    if stale:  # knotd refuses to start beside the pid file of a killed knotd
        (root / stale).unlink(missing_ok=True)
    proc = spawn(cmd["argv"], Path(cmd["log"]), env=python_env(), cwd=Path(cmd["cwd"]))
    try:
        _wait_answers(data, name, proc, Path(cmd["log"]), timeout)
    except BaseException:
        stop_many([(proc.pid, "")])
        raise
    _set_pid(data, name, proc.pid)
    return proc.pid


def _set_pid(data: dict[str, Any], name: str, pid: int) -> None:
    hostings = data["origins"]["hostings"]
    if name in hostings:
        hostings[name]["pid"] = pid
        hostings[name]["alive"] = True
        return
    data[{"aws-proxy": "aws_proxy"}.get(name, name)]["pid"] = pid


def _wait_answers(data: dict[str, Any], name: str, proc: Any, log: Path,
                  timeout: float) -> None:
    hostings = data["origins"]["hostings"]
    if name in hostings:
        host, port, path = hostings[name]["address"], data["origins"]["port"], "/healthz"
        wait_until(name, lambda: aws.http_answers(host, port, path), proc, log, timeout)
    elif name == "aws-proxy":
        port = data["aws_proxy"]["port"]
        wait_until(name, lambda: aws.http_answers(aws.HOST, port, HEALTH), proc, log, timeout)
    else:  # bind, knot, pdns: a DNS server answering the zone's SOA
        host, port = data[name]["host"], int(data[name]["port"])
        wait_until(name, lambda: bind.soa_serial(host, port) is not None, proc, log, timeout)
