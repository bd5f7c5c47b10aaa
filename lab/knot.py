"""Knot DNS for the lab: a secondary of the lab's BIND for example.test.

knotd runs in the foreground (its default) as a detached child, on 127.0.0.1 at a free port,
with its config, pid file and databases in DIR/knot. It transfers the zone from BIND signed
with the lab's TSIG key and refreshes when BIND's NOTIFY (signed with the same key) arrives,
so an UPDATE at BIND reaches Knot within milliseconds. It keeps the zone in memory only (no
zone file, no journal): every start transfers it afresh.

Its control socket (for ``knotc``, e.g. ``zone-freeze`` to make it lag on purpose) lives in
DIR/knot unless that path is too long for a Unix socket, then in a short folder under /tmp
that ``down`` removes.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from lab.bind import ALGORITHM, HOST, KEY_NAME, ZONE, soa_serial
from lab.files import write_private
from lab.procs import LabError, free_port, spawn, wait_until

# sun_path holds 108 bytes on Linux, including the terminating NUL.
_SOCKET_MAX = 107


def knotd_binary() -> str:
    """The knotd program: $LAB_KNOTD, PATH, or /usr/sbin; a clear LabError if missing."""
    found = os.environ.get("LAB_KNOTD") or shutil.which("knotd")
    for candidate in (found, "/usr/sbin/knotd", "/usr/local/sbin/knotd"):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    raise LabError("knotd (Knot DNS) is not installed: run `bash scripts/setup.sh` "
                   "or `apt-get install knot`")


def control_socket(root: Path) -> Path:
    """Where knotd's control socket goes: DIR/knot/knot.sock, or a short path if that is
    too long for a Unix socket (pytest's folders often are)."""
    preferred = root / "knot" / "knot.sock"
    if len(os.fsencode(preferred)) <= _SOCKET_MAX:
        return preferred
    digest = hashlib.sha256(os.fsencode(root)).hexdigest()[:12]
    base = Path("/tmp") if Path("/tmp").is_dir() else Path(tempfile.gettempdir())
    return base / f"failover-lab-{digest}" / "knot.sock"


def configure(root: Path, port: int, bind_port: int, secret: str) -> Path:
    """Write DIR/knot/knot.conf (it holds the TSIG secret, so 0600) and empty its storage."""
    knot = root / "knot"
    knot.mkdir(parents=True, exist_ok=True)
    storage = knot / "db"
    shutil.rmtree(storage, ignore_errors=True)  # a fresh secondary on every `up`
    storage.mkdir()
    sock = control_socket(root)
    sock.parent.mkdir(parents=True, exist_ok=True)
    sock.unlink(missing_ok=True)
    conf = knot / "knot.conf"
    write_private(conf, f"""\
# Knot DNS for the failover lab, written by `python -m lab up`; it holds the TSIG secret.
# A secondary of the lab's BIND for {ZONE}: transfers signed with the key, NOTIFY accepted
# from BIND when signed with it too.
server:
    rundir: "{knot}"
    pidfile: "{knot / 'knot.pid'}"
    listen: {HOST}@{port}
    udp-workers: 1
    tcp-workers: 1
    background-workers: 1
control:
    listen: "{sock}"
log:
  - target: stdout
    any: info
database:
    storage: "{storage}"
key:
  - id: {KEY_NAME}
    algorithm: {ALGORITHM}
    secret: {secret}
remote:
  - id: bind
    address: {HOST}@{bind_port}
    key: {KEY_NAME}
acl:
  - id: notify-from-bind
    address: {HOST}
    key: {KEY_NAME}
    action: notify
zone:
  - domain: {ZONE}
    master: bind
    acl: notify-from-bind
    storage: "{storage}"
    zonefile-load: none
    zonefile-sync: -1
    journal-content: none
""")
    return conf


def start(root: Path, port: int, bind_port: int, secret: str) -> subprocess.Popen[bytes]:
    """Configure and start knotd on ``port``; returns the process without waiting."""
    knotd = knotd_binary()
    conf = configure(root, port, bind_port, secret)
    log = root / "knot" / "knot.log"
    log.write_text("")
    return spawn([knotd, "-c", str(conf)], log, cwd=root / "knot")


def pick_port(avoid: tuple[int, ...] = ()) -> int:
    """A free UDP+TCP port on 127.0.0.1 for knotd."""
    return free_port((HOST,), udp=True, avoid=avoid)


def wait_ready(proc: subprocess.Popen[bytes], root: Path, port: int, serial: int | None,
               timeout: float) -> None:
    """Until knotd serves the zone (with ``serial``, when given); LabError naming its error."""
    def ready() -> bool:
        got = soa_serial(HOST, port)
        return got is not None and (serial is None or got == serial)

    wait_until("knotd", ready, proc, root / "knot" / "knot.log", timeout)


def cleanup(root: Path) -> None:
    """Remove the short control-socket folder under /tmp, if one was used."""
    sock = control_socket(root)
    if sock.parent != root / "knot":
        shutil.rmtree(sock.parent, ignore_errors=True)


def knotc(root: Path, *args: str, timeout: float = 10.0) -> str:
    """Run ``knotc`` against the lab's knotd (e.g. ``zone-freeze example.test.``); its output.

    LabError with knotc's message if it fails.
    """
    program = shutil.which("knotc") or "/usr/sbin/knotc"
    try:
        done = subprocess.run([program, "-s", str(control_socket(root)), *args],
                              capture_output=True, text=True, timeout=timeout,
                              stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise LabError(f"knotc {' '.join(args)}: {exc}") from None
    if done.returncode != 0:
        text = (done.stderr or done.stdout).strip().splitlines()
        raise LabError(f"knotc {' '.join(args)}: {text[-1] if text else done.returncode}")
    return done.stdout
