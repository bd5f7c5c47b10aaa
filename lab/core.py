"""The lab's API: ``up``, ``kill``, ``revive``, ``down``, ``load``, ``status``, and two readers.

``up(DIR)`` starts BIND 9, moto (Route 53) and one HTTP origin per hosting on loopback at
free ports, writes DIR/failover.yaml and DIR/lab.json, and returns once every server answers.
``kill``/``revive`` take one vendor's origins away and back; ``down`` stops everything.
``bind_answers`` and ``route53_answers`` read what each DNS provider serves now.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lab import aws, bind
from lab.files import CONFIG, load, locked, save, write_config, write_private
from lab.procs import LabError, alive, free_port, port_lost, spawn, stop, stop_many, wait_until

__all__ = ["LabError", "bind_answers", "down", "kill", "load", "revive", "route53_answers",
           "status", "up"]

ZONE = bind.ZONE
NAMES = [ZONE, f"www.{ZONE}", f"api.{ZONE}"]
START_ADDRESS = "127.0.0.11"  # what every managed name answers right after `up`
# hosting -> (vendor, priority, address)
HOSTINGS = {"aws-use1": ("aws", 1, "127.0.0.11"),
            "gcp-euw1": ("gcp", 2, "127.0.0.12"),
            "metal-fra": ("metal", 3, "127.0.0.13")}
TIMEOUT = float(os.environ.get("LAB_START_TIMEOUT", "30"))  # per server, generous for busy CI
ATTEMPTS = 3  # a free port can be taken between choosing it and the server binding it
_ROOT = Path(__file__).resolve().parent.parent
Procs = dict[str, subprocess.Popen[bytes]]


def up(dir: Path | str) -> dict[str, Any]:
    """Start the lab in ``dir``; the lab.json dict once every server answers.

    On any failure, whatever was started is stopped and LabError says what failed.
    """
    root = Path(dir).resolve()
    root.mkdir(parents=True, exist_ok=True)
    with locked(root):
        _refuse_running(root)
        started: list[subprocess.Popen[bytes]] = []
        try:
            data = _start(root, started)
        except BaseException:
            with contextlib.suppress(LabError):  # the first failure is the one to report
                stop_many([(p.pid, "") for p in started])
            raise
        save(root, data)
    return data


def _start(root: Path, started: list[subprocess.Popen[bytes]]) -> dict[str, Any]:
    secret = bind.write_secret(root / "tsig.secret")
    cred = root / "aws-credentials"
    write_private(cred, aws.CREDENTIALS)

    # Start all three kinds at once, then wait: moto's ~1 s start hides the others.
    avoid: list[int] = []

    def start_named() -> tuple[Procs, int]:
        proc, port = bind.start(root, secret, avoid=tuple(avoid))
        return {"named": proc}, port

    def start_moto() -> tuple[Procs, int]:
        proc, port = aws.start(root, avoid=tuple(avoid))
        return {"moto": proc}, port

    def start_origins() -> tuple[Procs, int]:
        port = free_port([addr for _, _, addr in HOSTINGS.values()], avoid=tuple(avoid))
        return {name: _spawn_origin(root, name, addr, port)
                for name, (_, _, addr) in HOSTINGS.items()}, port

    firsts = []
    for start in (start_named, start_moto, start_origins):
        procs, port = start()
        started.extend(procs.values())
        avoid.append(port)
        firsts.append((procs, port))
    r53 = aws.client(f"http://{aws.HOST}:{avoid[1]}")  # boto's import overlaps moto's start

    def wait_origins(procs: Procs, port: int) -> None:
        for name, proc in procs.items():
            _wait_origin(root, name, HOSTINGS[name][2], port, proc)

    origins, origin_port = _ready(firsts[2], wait_origins, start_origins, started)
    named, bind_port = _ready(
        firsts[0], lambda p, port: bind.wait_ready(p["named"], root, port, TIMEOUT),
        start_named, started)
    moto, moto_port = _ready(
        firsts[1], lambda p, port: aws.wait_ready(p["moto"], root, port, TIMEOUT),
        start_moto, started)
    if moto_port != avoid[1]:
        r53 = aws.client(f"http://{aws.HOST}:{moto_port}")

    endpoint = f"http://{aws.HOST}:{moto_port}"
    try:
        zone_id = aws.create_zone(r53, ZONE, NAMES, START_ADDRESS, 60)
    except Exception as exc:  # botocore's errors: one line, not a traceback
        raise LabError(f"moto: cannot create the hosted zone {ZONE}: {exc}") from None

    hostings = {name: {"vendor": vendor, "address": addr, "pid": origins[name].pid,
                       "alive": True}
                for name, (vendor, _, addr) in HOSTINGS.items()}
    config = write_config(root, zone_id=zone_id, moto_port=moto_port, bind_port=bind_port,
                          origin_port=origin_port, hostings=hostings,
                          priorities={n: p for n, (_, p, _) in HOSTINGS.items()})
    return {
        "zone": ZONE,
        "names": list(NAMES),
        "bind": {"host": bind.HOST, "port": bind_port, "pid": named["named"].pid,
                 "tsig": {"name": bind.KEY_NAME, "algorithm": bind.ALGORITHM,
                          "secret_file": str(root / "tsig.secret")}},
        "moto": {"endpoint": endpoint, "port": moto_port, "pid": moto["moto"].pid,
                 "hosted_zone_id": zone_id, "region": aws.REGION},
        "origins": {"port": origin_port, "hostings": hostings},
        "config": str(config),
        "dir": str(root),
    }


def _ready(first: tuple[Procs, int], wait: Callable[[Procs, int], None],
           start: Callable[[], tuple[Procs, int]],
           started: list[subprocess.Popen[bytes]]) -> tuple[Procs, int]:
    """Wait for a server; if it lost its port to someone else, start it on another one."""
    procs, port = first
    for attempt in range(ATTEMPTS):
        try:
            wait(procs, port)
            return procs, port
        except LabError as exc:
            stop_many([(p.pid, "") for p in procs.values()])
            if attempt == ATTEMPTS - 1 or not port_lost(exc):
                raise
            procs, port = start()
            started.extend(procs.values())
    raise AssertionError("unreachable")


def _refuse_running(root: Path) -> None:
    try:
        old = load(root)
    except LabError:
        return
    running = [row for row in _processes(old, root) if alive(row["pid"], row["marker"])]
    if running:
        raise LabError(f"a lab is already running in {root} ({running[0]['name']} pid "
                       f"{running[0]['pid']}); stop it with `python -m lab down --dir {root}`")


def _spawn_origin(root: Path, name: str, address: str, port: int) -> subprocess.Popen[bytes]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(_ROOT), env.get("PYTHONPATH")) if p)
    return spawn([sys.executable, "-m", "lab.origin", "--address", address,
                  "--port", str(port), "--name", name],
                 root / "origins" / f"{name}.log", env=env, cwd=root)


def _origin_marker(address: str, port: int) -> str:
    return f"lab.origin --address {address} --port {port}"


def _wait_origin(root: Path, name: str, address: str, port: int,
                 proc: subprocess.Popen[bytes]) -> None:
    wait_until(f"origin {name}", lambda: aws.http_answers(address, port, "/healthz"), proc,
               root / "origins" / f"{name}.log", TIMEOUT)


def _processes(data: dict[str, Any], root: Path) -> list[dict[str, Any]]:
    """Every process of a lab: name, address, pid and the marker its command line holds."""
    rows = []
    port = data["origins"]["port"]
    for name, h in data["origins"]["hostings"].items():
        rows.append({"name": name, "address": f"{h['address']}:{port}", "pid": h.get("pid"),
                     "marker": _origin_marker(h["address"], port)})
    rows.append({"name": "moto", "address": f"{aws.HOST}:{data['moto']['port']}",
                 "pid": data["moto"].get("pid"),
                 "marker": f"moto.server -H {aws.HOST} -p {data['moto']['port']}"})
    rows.append({"name": "bind", "address": f"{data['bind']['host']}:{data['bind']['port']}",
                 "pid": data["bind"].get("pid"),
                 "marker": str(root / "bind" / "named.conf")})
    return rows


def _vendor_hostings(data: dict[str, Any], vendor: str) -> list[str]:
    hostings = data["origins"]["hostings"]
    names = [n for n, h in hostings.items() if h["vendor"] == vendor]
    if not names:
        known = ", ".join(sorted({h["vendor"] for h in hostings.values()}))
        raise LabError(f"unknown vendor '{vendor}'; the lab's vendors are: {known}")
    return names


def kill(dir: Path | str, vendor: str) -> None:
    """Stop ``vendor``'s origins (connections are refused once this returns)."""
    root = Path(dir).resolve()
    with locked(root):
        data = load(root)
        port = data["origins"]["port"]
        names = _vendor_hostings(data, vendor)
        hostings = data["origins"]["hostings"]
        stop_many([(hostings[n]["pid"], _origin_marker(hostings[n]["address"], port))
                   for n in names])
        for n in names:
            hostings[n]["alive"] = False
        save(root, data)


def revive(dir: Path | str, vendor: str) -> None:
    """Start ``vendor``'s origins again on their address and port; return once they answer."""
    root = Path(dir).resolve()
    with locked(root):
        data = load(root)
        port = data["origins"]["port"]
        hostings = data["origins"]["hostings"]
        for n in _vendor_hostings(data, vendor):
            h = hostings[n]
            if not alive(h.get("pid"), _origin_marker(h["address"], port)):
                proc = _spawn_origin(root, n, h["address"], port)
                try:
                    _wait_origin(root, n, h["address"], port, proc)
                except BaseException:
                    stop(proc.pid)
                    raise
                h["pid"] = proc.pid
            h["alive"] = True
        save(root, data)


def down(dir: Path | str) -> None:
    """Stop every process the lab started; fine to call twice or after a crash."""
    root = Path(dir).resolve()
    if not (root / "lab.json").exists():
        return
    with locked(root):
        data = load(root)
        stop_many([(row["pid"], row["marker"]) for row in _processes(data, root)])
        for h in data["origins"]["hostings"].values():
            h["alive"] = False
        data["down"] = True
        save(root, data)


def status(dir: Path | str) -> list[dict[str, Any]]:
    """Each process of the lab: name, address (host:port), pid, alive."""
    root = Path(dir).resolve()
    data = load(root)
    return [{"name": r["name"], "address": r["address"], "pid": r["pid"],
             "alive": alive(r["pid"], r["marker"])} for r in _processes(data, root)]


def bind_answers(lab: dict[str, Any], name: str, rdtype: str = "A") -> list[str]:
    """Sorted answers for ``name`` (``www``, ``@`` or absolute) straight from the lab's BIND."""
    return bind.answers(lab["bind"]["host"], int(lab["bind"]["port"]), name, rdtype)


def route53_answers(lab: dict[str, Any], name: str, rdtype: str = "A") -> list[str]:
    """Sorted values for ``name`` in the lab's Route 53 hosted zone, through the API."""
    return aws.answers(lab["moto"]["endpoint"], lab["moto"]["hosted_zone_id"],
                       bind.fqdn(name), rdtype)


def config_path(dir: Path | str) -> Path:
    """DIR/failover.yaml."""
    return Path(dir).resolve() / CONFIG
