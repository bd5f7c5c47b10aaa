"""Processes and ports for the lab: spawn detached servers, find free ports, stop them safely.

Servers run in their own session (so Ctrl-C in a terminal or the end of ``python -m lab
up`` leaves them running) with stdin closed and their output in a log file. A pid is only
signalled while ``/proc/PID/cmdline`` still names what we started, so a reused pid is never
hit; a zombie counts as dead (its sockets are closed).
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Sequence
from pathlib import Path

POLL = 0.05  # seconds between readiness checks
_ROOT = Path(__file__).resolve().parent.parent  # the repo: where `lab` is imported from

# Popen objects of the children this process started, so they are reaped (no zombies,
# no ResourceWarning) when they are stopped from the same process, as in pytest.
_children: dict[int, subprocess.Popen[bytes]] = {}


class LabError(Exception):
    """A lab part failed; the message is one line that says which and why."""


def spawn(argv: Sequence[str], log: Path, env: dict[str, str] | None = None,
          cwd: Path | None = None, group: int | None = None) -> subprocess.Popen[bytes]:
    """Start ``argv`` detached in its own session, output appended to ``log``; with
    ``group``, under that gid (its sockets then carry it: lab.netcut matches a vendor's
    traffic by it)."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "ab") as out:
        try:
            proc = subprocess.Popen(list(argv), stdin=subprocess.DEVNULL, stdout=out,
                                    stderr=subprocess.STDOUT, start_new_session=True,
                                    env=env, cwd=cwd, close_fds=True, group=group,
                                    extra_groups=[] if group is not None else None)
        except OSError as exc:
            raise LabError(f"cannot start {argv[0]}: {exc.strerror or exc}") from None
    _children[proc.pid] = proc
    return proc


def python_env(**extra: str) -> dict[str, str]:
    """The environment for a ``python -m lab.*`` server: ours, with the repo importable."""
    env = {**os.environ, **extra}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(_ROOT), env.get("PYTHONPATH")) if p)
    return env


def _stat(pid: int) -> tuple[str, str] | None:
    """(state, start time) of a process, or None if there is none by that pid."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        if Path("/proc").is_dir():
            return None
        try:  # not Linux: all we can tell is whether the pid exists
            os.kill(pid, 0)
        except ProcessLookupError:
            return None
        except PermissionError:
            pass
        return ("R", "")
    fields = stat[stat.rindex(")") + 2:].split()
    return fields[0], fields[19]  # fields 3 and 22 of proc(5)


def _running(pid: int, started: str) -> bool:
    """Whether the process that started at ``started`` still runs (zombies don't; our own
    children are reaped here)."""
    proc = _children.get(pid)
    if proc is not None and proc.poll() is not None:
        del _children[pid]
        return False
    stat = _stat(pid)
    return stat is not None and stat[0] not in ("Z", "X") and stat[1] == started


def alive(pid: int | None, marker: str = "") -> bool:
    """Whether ``pid`` runs and (if ``marker`` is given) its command line contains it.

    A process that is exiting has an empty command line and counts as dead here.
    """
    if not pid:
        return False
    stat = _stat(pid)
    if stat is None or not _running(pid, stat[1]):
        return False
    if not marker or not Path("/proc").is_dir():
        return True
    try:
        cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
    except OSError:
        return False
    return marker in cmd.decode(errors="replace")


def stop(pid: int | None, marker: str = "", timeout: float = 5.0) -> None:
    """SIGTERM the process (and its group), SIGKILL after ``timeout``; wait until it is gone.

    Tolerates a pid that is already dead, and ignores one that now runs something else.
    """
    stop_many([(pid, marker)], timeout)


def stop_many(procs: Sequence[tuple[int | None, str]], timeout: float = 5.0) -> None:
    """Stop several processes at once: SIGTERM to all, wait, SIGKILL stragglers, wait.

    Returns only once each is gone for good (not merely exiting), so its ports are free.
    """
    targets = []
    for pid, marker in procs:
        stat = _stat(pid) if pid and alive(pid, marker) else None
        if pid and stat:
            targets.append((pid, stat[1]))
    for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 2.0)):
        targets = [(pid, t) for pid, t in targets if _running(pid, t)]
        if not targets:
            return
        for pid, _ in targets:
            _signal(pid, sig)
        deadline = time.monotonic() + wait
        while targets and time.monotonic() < deadline:
            time.sleep(POLL / 5)
            targets = [(pid, t) for pid, t in targets if _running(pid, t)]
    if targets:
        raise LabError(f"process {', '.join(str(p) for p, _ in targets)} did not exit "
                       "after SIGKILL")


def _signal(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        if os.getpgid(pid) == pid:  # our servers lead their own group: take children too
            os.killpg(pid, sig)
            return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.kill(pid, sig)


def free_port(hosts: Sequence[str] = ("127.0.0.1",), udp: bool = False,
              avoid: Sequence[int] = ()) -> int:
    """A port the kernel hands out on ``hosts[0]`` that is also free on the other hosts
    (and for UDP too, if ``udp``). Racy by nature: callers retry if a server loses it."""
    for host in hosts:
        if not _bindable(host, 0, udp):
            raise LabError(f"cannot listen on {host}: this machine's loopback must take all of "
                           f"127.0.0.0/8 (Linux does); try `ip addr add {host}/8 dev lo`")
    for _ in range(200):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as first:
            first.bind((hosts[0], 0))
            port = int(first.getsockname()[1])
            if port not in avoid and all(_bindable(h, port, udp) for h in hosts[1:]) and (
                    not udp or _bindable(hosts[0], port, True, tcp=False)):
                return port
    raise LabError(f"no free port on {', '.join(hosts)}")


def _bindable(host: str, port: int, udp: bool, tcp: bool = True) -> bool:
    kinds = ([socket.SOCK_STREAM] if tcp else []) + ([socket.SOCK_DGRAM] if udp else [])
    try:
        for kind in kinds:
            with socket.socket(socket.AF_INET, kind) as s:
                s.bind((host, port))
    except OSError:
        return False
    return True


# named's and knotd's time stamps at the start of a log line.
_STAMP = re.compile(r"^(\d\d-\w{3}-\d{4} \d\d:\d\d:\d\d\.\d{3}|"
                    r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d{4}) ")
_ERRORISH = re.compile(r"error|fail|unknown|not found|denied|in use|invalid|cannot|unable|"
                       r"could not|unexpected|expected|refused|no such", re.I)
_GENERIC = re.compile(r"loading configuration: failure|exiting \(due to fatal error\)|"
                      r"failed to configure server|failed to open configuration|"
                      r"not loaded due to errors|^Traceback|^\s*(File|raise|\^)|"
                      r"^(built with|compiled|linked to|running as)", re.I)


def log_error(log: Path) -> str:
    """The most telling line of a server's log: its last specific error, else its last line."""
    try:
        lines = [_STAMP.sub("", ln).strip() for ln in
                 log.read_text(errors="replace").splitlines()[-200:]]
    except OSError:
        return f"no log at {log}"
    lines = [ln for ln in lines if ln]
    if not lines:
        return f"nothing in {log}"
    for ln in reversed(lines):
        if _ERRORISH.search(ln) and not _GENERIC.search(ln):
            return ln[:300]
    return lines[-1][:300]


def port_lost(exc: Exception) -> bool:
    """Whether a server failed because its port was taken (worth a retry on another)."""
    text = str(exc).lower()
    return "in use" in text or "unable to listen" in text


def wait_until(what: str, ready: Callable[[], bool], proc: subprocess.Popen[bytes],
               log: Path, timeout: float) -> None:
    """Poll ``ready`` every 50 ms until true; LabError if ``proc`` exits or time runs out."""
    deadline = time.monotonic() + timeout
    while True:
        if ready():
            return
        if proc.poll() is not None:
            raise LabError(f"{what} exited with {proc.returncode}: {log_error(log)} (see {log})")
        if time.monotonic() > deadline:
            raise LabError(f"{what} did not answer within {timeout:.0f}s: {log_error(log)} "
                           f"(see {log})")
        time.sleep(POLL)
