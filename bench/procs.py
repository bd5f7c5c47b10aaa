"""Processes for the benchmark: start servers, wait for them, time commands, read their memory.

Every server the bench starts runs in its own session with its output in a log
under ``bench/work``, and is stopped by its own pid (its process group) when the
measurement that needed it ends. Commands under test are timed from just before
``fork`` to their exit, and their peak memory and CPU come from the kernel's
accounting of that one child (``wait4``), not from sampling.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

POLL = 0.02
ROOT = Path(__file__).resolve().parent.parent  # the repository


class BenchError(Exception):
    """The bench cannot go on; the message is one line saying what and how to fix it."""


@dataclass
class Server:
    """A server the bench started, with the log its output goes to."""

    name: str
    proc: subprocess.Popen[bytes]
    log: Path

    @property
    def pid(self) -> int:
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc.poll() is None

    def peak_kib(self) -> int | None:
        """Its resident-memory high-water mark (``VmHWM``) so far, in KiB."""
        return status_kib(self.pid, "VmHWM")

    def cpu_seconds(self) -> float | None:
        """User plus system CPU time it has used so far."""
        return cpu_seconds(self.pid)

    def stop(self, timeout: float = 5.0) -> None:
        """SIGTERM its process group, SIGKILL after ``timeout``; reap it."""
        if self.proc.poll() is not None:
            return
        for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 5.0)):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.pid, sig)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(wait)
                return
        raise BenchError(f"{self.name} (pid {self.pid}) did not exit after SIGKILL")

    def log_tail(self, lines: int = 3) -> str:
        try:
            text = self.log.read_text(errors="replace").strip().splitlines()
        except OSError:
            return ""
        return " | ".join(text[-lines:])


def child_env(**extra: str) -> dict[str, str]:
    """The environment for commands under test: this one, with bytecode caching on and
    zone locks under bench/work.

    A session may set ``PYTHONDONTWRITEBYTECODE``; installed programs run with
    their ``.pyc`` files, so every Python start-up here is measured as users get it.
    """
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    # the bench's moves lock and pin its own zone in a folder of its own, not in the
    # machine's /run/lock/failover, where a pin would outlive the run
    env.setdefault("FAILOVER_LOCK_DIR", str(ROOT / "bench" / "work" / "zone-locks"))
    env.update(extra)
    return env


def start(name: str, argv: Sequence[str], log: Path, *, env: dict[str, str] | None = None,
          cwd: Path | None = None) -> Server:
    """Start ``argv`` in its own session, stdin closed, output appended to ``log``."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "ab") as out:
        try:
            proc = subprocess.Popen(list(argv), stdin=subprocess.DEVNULL, stdout=out,
                                    stderr=subprocess.STDOUT, start_new_session=True,
                                    env=env, cwd=cwd, close_fds=True)
        except OSError as exc:
            raise BenchError(f"cannot start {name} ({argv[0]}): {exc.strerror or exc}") from None
    return Server(name, proc, log)


def wait_ready(server: Server, ready: Callable[[], bool], timeout: float = 30.0) -> None:
    """Poll ``ready`` until true; BenchError with the log's last lines if it exits or is late."""
    deadline = time.monotonic() + timeout
    while not ready():
        if not server.alive():
            raise BenchError(f"{server.name} exited with {server.proc.returncode}: "
                             f"{server.log_tail()} (see {server.log})")
        if time.monotonic() > deadline:
            server.stop()
            raise BenchError(f"{server.name} did not answer within {timeout:.0f}s: "
                             f"{server.log_tail()} (see {server.log})")
        time.sleep(POLL)


def free_port(host: str = "127.0.0.1", udp: bool = False) -> int:
    """A port free on ``host`` for TCP (and UDP too if ``udp``); racy, as all such choices."""
    for _ in range(100):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind((host, 0))
            port = int(s.getsockname()[1])
        if not udp:
            return port
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
                u.bind((host, port))
        except OSError:
            continue
        return port
    raise BenchError(f"no free port on {host}")


def http_ok(host: str, port: int, path: str, timeout: float = 1.0) -> bool:
    """Whether ``GET path`` on ``host:port`` answers 200."""
    try:
        with socket.create_connection((host, port), timeout=timeout) as s:
            s.sendall(f"GET {path} HTTP/1.0\r\nHost: {host}\r\n\r\n".encode())
            return s.recv(64).startswith((b"HTTP/1.1 200", b"HTTP/1.0 200"))
    except OSError:
        return False


@dataclass
class Timed:
    """One command's run: wall time, exit code, peak RSS and CPU of the child itself."""

    seconds: float
    returncode: int
    peak_kib: int
    cpu: float
    output: Path
    started: float   # time.perf_counter() just before the fork


def run_timed(argv: Sequence[str], output: Path, *, env: dict[str, str] | None = None,
              cwd: Path | None = None, timeout: float = 600.0) -> Timed:
    """Run ``argv`` to its end (killed after ``timeout``); stdout and stderr go to ``output``.

    The clock starts just before the fork and stops when ``wait4`` returns, so
    interpreter start-up and imports are counted, as a user would feel them.
    """
    output.parent.mkdir(parents=True, exist_ok=True)
    with open(output, "wb") as out:
        t0 = time.perf_counter()
        proc = subprocess.Popen(list(argv), stdin=subprocess.DEVNULL, stdout=out,
                                stderr=subprocess.STDOUT, env=env, cwd=cwd,
                                start_new_session=True)
        timer = threading.Timer(timeout, _kill_group, (proc.pid,))
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        seconds = time.perf_counter() - t0
    code = os.waitstatus_to_exitcode(status)
    proc.returncode = code  # reaped by wait4: keep Popen from waiting again
    return Timed(seconds, code, int(usage.ru_maxrss), usage.ru_utime + usage.ru_stime, output,
                 t0)


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


def status_kib(pid: int | str, field: str) -> int | None:
    """A ``kB`` field of ``/proc/PID/status`` (``VmHWM``, ``VmRSS``), or None if gone."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    return parse_status_kib(text, field)


def parse_status_kib(text: str, field: str) -> int | None:
    """The value of ``field`` in the text of a ``/proc/PID/status`` file, in KiB."""
    for line in text.splitlines():
        name, _, value = line.partition(":")
        if name == field:
            parts = value.split()
            return int(parts[0]) if parts and parts[0].isdigit() else None
    return None


def cpu_seconds(pid: int) -> float | None:
    """User plus system CPU seconds of a live process, from ``/proc/PID/stat``."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return parse_stat_cpu(stat, os.sysconf("SC_CLK_TCK"))


def parse_stat_cpu(stat: str, ticks_per_second: int) -> float:
    """utime + stime (fields 14 and 15) of a ``/proc/PID/stat`` line, in seconds."""
    fields = stat[stat.rindex(")") + 2:].split()
    return (int(fields[11]) + int(fields[12])) / ticks_per_second
