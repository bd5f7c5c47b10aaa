"""The lab's API: ``up``, ``kill``, ``revive``, ``suspend``, ``unsuspend``, ``down``, ``load``,
``status``, and two readers.

``up(DIR)`` starts on loopback at free ports: BIND 9 (example.test. and its parent test.),
Knot DNS (a secondary of BIND, kept current by NOTIFY), moto (Route 53, STS, EC2 with one
running instance tagged service=lab), the AWS fault proxy in front of moto, and one HTTP
origin per hosting; it writes DIR/failover.yaml and DIR/lab.json, and returns once every
server answers and Knot serves what BIND serves.

The parent's delegation of example.test. (and the zone's own NS set, at BIND and at Route
53) lists ns1.example.test. (BIND, vendor metal) and the hosted zone's name servers (vendor
aws), so the zone is delegated to two vendors.

``kill``/``revive`` take one vendor's origins away and back (an outage); ``suspend``/
``unsuspend`` make its control plane refuse our account (only aws has one in the lab):
both together are a termination. ``down`` stops everything.
``bind_answers`` and ``route53_answers`` read what each DNS provider serves now.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from lab import (
    aws,
    bind,
    extras,
    knot,
    motodomains,
    pebble,
    processes,
    resolver,
    tlsfront,
    vendors,
)
from lab import providers as extra_providers
from lab.awsproxy import CODE, DEFAULT_CODE
from lab.files import (
    CONFIG,
    add_registrars,
    add_to_config,
    load,
    locked,
    save,
    write_config,
    write_private,
)
from lab.procs import (
    LabError,
    alive,
    free_port,
    port_lost,
    python_env,
    spawn,
    stop,
    stop_many,
    wait_until,
)

__all__ = ["LabError", "bind_answers", "down", "kill", "load", "revive", "route53_answers",
           "status", "suspend", "unsuspend", "up"]

ZONE = bind.ZONE
NAMES = [ZONE, f"www.{ZONE}", f"api.{ZONE}"]
START_ADDRESS = "127.0.0.11"  # what every managed name answers right after `up`
# hosting -> (vendor, priority, address)
HOSTINGS = {"aws-use1": ("aws", 1, "127.0.0.11"),
            "gcp-euw1": ("gcp", 2, "127.0.0.12"),
            "metal-fra": ("metal", 3, "127.0.0.13")}
# Vendors with a control plane in the lab (the fault proxy refuses their API while suspended).
CONTROL_PLANES = ("aws",)
INSTANCE_TAGS = {"service": "lab"}
TIMEOUT = float(os.environ.get("LAB_START_TIMEOUT", "30"))  # per server, generous for busy CI
ATTEMPTS = 3  # a free port can be taken between choosing it and the server binding it
Procs = dict[str, subprocess.Popen[bytes]]


def up(dir: Path | str, providers: str = "default", saas: bool = False,
       cas: bool = False) -> dict[str, Any]:
    """Start the lab in ``dir``; the lab.json dict once every server answers.

    ``providers="all"`` also starts PowerDNS and the Cloudflare and Cloud DNS stand-ins
    (lab.providers); ``saas`` the SaaS stand-ins with their switch records and a
    ``saas:`` section (lab.extras.start_saas); ``cas`` two Pebble ACME CAs checking DNS-01
    at BIND, with a ``certs:`` section (lab.pebble). On any failure, whatever was started is
    stopped and LabError says what failed.
    """
    if providers not in extra_providers.CHOICES:
        raise LabError(f"--providers {providers}: use one of "
                       f"{', '.join(extra_providers.CHOICES)}")
    root = Path(dir).resolve()
    root.mkdir(parents=True, exist_ok=True)
    with locked(root):
        _refuse_running(root)
        started: list[subprocess.Popen[bytes]] = []
        try:
            data = _start(root, started)
            if providers == "all":
                _start_providers(root, data, started)
            data.update(extras.start(root, data, started))
            if saas:
                data.update(extras.start_saas(root, data, started))
            if cas:  # last: it stops its own servers if it fails; nothing after it can
                data.update(pebble.start(root / "pebble", int(data["bind"]["port"])))
                try:
                    data.update(tlsfront.start(root, data["origins"]["hostings"],
                                               root / "certs"))
                except BaseException:
                    pebble.stop(data["pebble"])
                    raise
                with open(root / CONFIG, "a") as f:
                    f.write(pebble.config_section(data["pebble"], tls_port=data["tls"]["port"],
                                                  trust=str(root / "pebble" / pebble.ROOTS)))
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
    faults = root / "faults"
    faults.mkdir(exist_ok=True)
    for stale in faults.iterdir():  # a fresh lab starts with no faults
        stale.unlink()

    # Knot's port is chosen first: BIND's config names it, to send it NOTIFY.
    knot_port = knot.pick_port()
    avoid: list[int] = [knot_port]

    # Start BIND, moto, the origins and the parent's BIND at once, then wait: moto's
    # ~1 s start hides the others.
    def start_named() -> tuple[Procs, int]:
        proc, port = bind.start(root, secret, avoid=tuple(avoid), knot_port=knot_port)
        return {"named": proc}, port

    def start_parent() -> tuple[Procs, int]:
        proc, port = bind.start_parent(root, secret, avoid=tuple(avoid))
        return {"parent": proc}, port

    def start_moto() -> tuple[Procs, int]:
        proc, port = aws.start(root, avoid=tuple(avoid))
        return {"moto": proc}, port

    def start_origins() -> tuple[Procs, int]:
        port = free_port([addr for _, _, addr in HOSTINGS.values()], avoid=tuple(avoid))
        return {name: _spawn_origin(root, name, addr, port)
                for name, (_, _, addr) in HOSTINGS.items()}, port

    firsts = []
    starts = (start_named, start_moto, start_origins, start_parent)
    for start in starts:
        procs, port = start()
        started.extend(procs.values())
        avoid.append(port)
        firsts.append((procs, port))
    pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="lab-up")
    try:
        return _finish(root, started, secret, knot_port, avoid, firsts, starts, pool)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _finish(root: Path, started: list[subprocess.Popen[bytes]], secret: str, knot_port: int,
            avoid: list[int], firsts: list[tuple[Procs, int]],
            starts: tuple[Callable[[], tuple[Procs, int]], ...],
            pool: ThreadPoolExecutor) -> dict[str, Any]:
    start_named, start_moto, start_origins, start_parent = starts
    # botocore's imports and models overlap the servers' start.
    warm = [pool.submit(aws.service_client, service, f"http://{aws.HOST}:{firsts[1][1]}")
            for service in ("route53", "ec2")]

    def wait_origins(procs: Procs, port: int) -> None:
        for name, proc in procs.items():
            _wait_origin(root, name, HOSTINGS[name][2], port, proc)

    origins, origin_port = _ready(firsts[2], wait_origins, start_origins, started)
    named, bind_port = _ready(
        firsts[0], lambda p, port: bind.wait_ready(p["named"], root, port, TIMEOUT),
        start_named, started)
    parent, parent_port = _ready(
        firsts[3], lambda p, port: bind.wait_ready(p["parent"], root, port, TIMEOUT, True),
        start_parent, started)

    knot_ports = [knot_port]
    knot_starts: list[int] = []

    def start_knot() -> tuple[Procs, int]:
        if knot_starts:
            # Knot lost its port: take another and tell BIND where to send NOTIFY now.
            knot_ports.append(knot.pick_port(avoid=(*avoid, *knot_ports)))
            bind.renotify(root, bind_port, secret, knot_ports[-1], named["named"].pid)
        knot_starts.append(knot_ports[-1])
        return {"knotd": knot.start(root, knot_ports[-1], bind_port, secret)}, knot_ports[-1]

    first_knot = start_knot()
    started.extend(first_knot[0].values())

    moto, moto_port = _ready(
        firsts[1], lambda p, port: aws.wait_ready(p["moto"], root, port, TIMEOUT),
        start_moto, started)
    endpoint = f"http://{aws.HOST}:{moto_port}"
    for future in warm:
        future.result()
    # moto's first EC2 call sets up its EC2 app (slow): let it run while Route 53 is set up.
    instance = pool.submit(aws.create_instance, endpoint, INSTANCE_TAGS)

    def start_proxy() -> tuple[Procs, int]:
        proc, port = aws.start_proxy(root, moto_port, avoid=(*avoid, *knot_ports))
        return {"aws-proxy": proc}, port

    first_proxy = start_proxy()
    started.extend(first_proxy[0].values())

    r53 = aws.client(endpoint)
    try:
        zone_id = aws.create_zone(r53, ZONE, NAMES, START_ADDRESS, 60)
        r53_names = aws.name_servers(r53, zone_id)
        aws.set_zone_ns(r53, zone_id, ZONE, [bind.NS_NAME, *r53_names], bind.NS_TTL)
    except Exception as exc:  # botocore's errors: one line, not a traceback
        raise LabError(f"moto: cannot create the hosted zone {ZONE}: {exc}") from None
    bind.delegate(bind_port, parent_port, secret, r53_names)
    serial = bind.soa_serial(bind.HOST, bind_port, timeout=2.0)

    knotd, knot_port = _ready(
        first_knot, lambda p, port: knot.wait_ready(p["knotd"], root, port, None, TIMEOUT),
        start_knot, started)
    knot.wait_ready(knotd["knotd"], root, knot_port, serial, TIMEOUT)  # NOTIFY got there
    proxy, proxy_port = _ready(
        first_proxy, lambda p, port: aws.wait_proxy(p["aws-proxy"], root, port, TIMEOUT),
        start_proxy, started)
    try:
        instance_id = instance.result()
    except LabError:
        raise
    except Exception as exc:
        raise LabError(f"moto: cannot run the EC2 instance: {exc}") from None

    proxy_url = f"http://{aws.HOST}:{proxy_port}"
    hostings = {name: {"vendor": vendor, "address": addr, "pid": origins[name].pid,
                       "alive": True}
                for name, (vendor, _, addr) in HOSTINGS.items()}
    config = write_config(root, zone_id=zone_id, moto_port=moto_port, bind_port=bind_port,
                          origin_port=origin_port, hostings=hostings,
                          priorities={n: p for n, (_, p, _) in HOSTINGS.items()},
                          knot_port=knot_port, proxy_url=proxy_url, ns_name=bind.NS_NAME,
                          parent=f"{bind.HOST}:{parent_port}",
                          instance_tags=INSTANCE_TAGS)
    return {
        "zone": ZONE,
        "names": list(NAMES),
        "bind": {"host": bind.HOST, "port": bind_port, "pid": named["named"].pid,
                 "tsig": {"name": bind.KEY_NAME, "algorithm": bind.ALGORITHM,
                          "secret_file": str(root / "tsig.secret")}},
        "knot": {"host": bind.HOST, "port": knot_port, "pid": knotd["knotd"].pid,
                 "control": str(knot.control_socket(root))},
        "parent": {"zone": bind.PARENT, "host": bind.HOST, "port": parent_port,
                   "pid": parent["parent"].pid, "ns": sorted([bind.NS_NAME, *r53_names])},
        "moto": {"endpoint": endpoint, "port": moto_port, "pid": moto["moto"].pid,
                 "hosted_zone_id": zone_id, "region": aws.REGION,
                 "name_servers": r53_names, "instance_ids": [instance_id],
                 "instance_tags": dict(INSTANCE_TAGS)},
        "aws_proxy": {"endpoint": proxy_url, "port": proxy_port,
                      "pid": proxy["aws-proxy"].pid, "faults": str(root / "faults")},
        "origins": {"port": origin_port, "hostings": hostings},
        "config": str(config),
        "dir": str(root),
    }


def _start_providers(root: Path, data: dict[str, Any],
                     started: list[subprocess.Popen[bytes]]) -> None:
    """PowerDNS and the Cloudflare and Cloud DNS stand-ins, added to lab.json and the config."""
    ports = (row["address"].rsplit(":", 1)[-1] for row in processes.rows(data, root))
    used = tuple(int(p) for p in ports if p.isdigit())
    extra, dns_lines, vendor_lines = extra_providers.start(
        root, used, started, ZONE, NAMES, START_ADDRESS, 60,
        [bind.NS_NAME, *data["moto"]["name_servers"]])
    add_to_config(root, dns_lines, vendor_lines)
    # The parent lists every DNS vendor's servers, so the delegation check sees all five
    # and `failover delegation` has more than two vendors to choose from.
    names = extra_providers.name_servers(extra)
    secret = (root / "tsig.secret").read_text().strip()
    # BIND refuses an in-zone NS name without an address: PowerDNS's gets one first.
    bind.update(bind.HOST, data["bind"]["port"], ZONE, secret,
                [(extra["pdns"]["ns"], "A", extra["pdns"]["host"])])
    bind.delegate(data["bind"]["port"], data["parent"]["port"], secret, names)
    data["parent"]["ns"] = sorted({*data["parent"]["ns"], *names})
    data.update(extra)
    _register_domain(root, data)


def _register_domain(root: Path, data: dict[str, Any]) -> None:
    """example.test at moto's Route 53 Domains, with the parent's NS set, as a second
    registrar for `failover delegation`."""
    glue = {bind.NS_NAME: bind.HOST, data["pdns"]["ns"]: data["pdns"]["host"]}
    try:
        motodomains.register(aws.service_client("route53domains", data["moto"]["endpoint"]),
                             ZONE.rstrip("."), data["parent"]["ns"], glue)
    except Exception as exc:  # botocore's errors: one line
        raise LabError(f"moto: cannot register {ZONE.rstrip('.')} at Route 53 Domains: "
                       f"{exc}") from None
    add_registrars(root, data["parent"]["port"], data["moto"]["endpoint"])


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
    running = [row for row in processes.rows(old, root) if alive(row["pid"], row["marker"])]
    if running:
        raise LabError(f"a lab is already running in {root} ({running[0]['name']} pid "
                       f"{running[0]['pid']}); stop it with `python -m lab down --dir {root}`")


def _spawn_origin(root: Path, name: str, address: str, port: int) -> subprocess.Popen[bytes]:
    return spawn([sys.executable, "-m", "lab.origin", "--address", address,
                  "--port", str(port), "--name", name],
                 root / "origins" / f"{name}.log", env=python_env(), cwd=root)


def _wait_origin(root: Path, name: str, address: str, port: int,
                 proc: subprocess.Popen[bytes]) -> None:
    wait_until(f"origin {name}", lambda: aws.http_answers(address, port, "/healthz"), proc,
               root / "origins" / f"{name}.log", TIMEOUT)


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
        stop_many([(hostings[n]["pid"], processes.origin_marker(hostings[n]["address"], port))
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
            if not alive(h.get("pid"), processes.origin_marker(h["address"], port)):
                proc = _spawn_origin(root, n, h["address"], port)
                try:
                    _wait_origin(root, n, h["address"], port, proc)
                except BaseException:
                    stop(proc.pid)
                    raise
                h["pid"] = proc.pid
            h["alive"] = True
        save(root, data)


def _control_vendor(data: dict[str, Any], vendor: str) -> None:
    _vendor_hostings(data, vendor)  # an unknown vendor is named as such
    if vendor not in CONTROL_PLANES:
        raise LabError(f"vendor '{vendor}' has no control plane in the lab; only "
                       f"{', '.join(CONTROL_PLANES)} can be suspended (use `kill {vendor}` "
                       "for an outage)")


def suspend(dir: Path | str, vendor: str, code: str = DEFAULT_CODE) -> None:
    """Make ``vendor``'s control plane refuse our account: from now on the fault proxy
    answers its STS and EC2 calls with the AWS error ``code`` (Route 53 still answers)."""
    root = Path(dir).resolve()
    if not CODE.match(code):
        raise LabError(f"'{code}' is not an AWS error code (letters, digits and dots, such "
                       f"as {DEFAULT_CODE} or AuthFailure)")
    with locked(root):
        data = load(root)
        _control_vendor(data, vendor)
        faults = root / "faults"
        faults.mkdir(exist_ok=True)
        tmp = faults / f".{vendor}.{os.getpid()}.tmp"
        tmp.write_text(code + "\n")
        os.replace(tmp, faults / vendor)  # the proxy never reads half a code
        data.setdefault("suspended", {})[vendor] = code
        save(root, data)


def unsuspend(dir: Path | str, vendor: str) -> None:
    """Let ``vendor``'s control plane accept our account again."""
    root = Path(dir).resolve()
    with locked(root):
        data = load(root)
        _control_vendor(data, vendor)
        (root / "faults" / vendor).unlink(missing_ok=True)
        data.get("suspended", {}).pop(vendor, None)
        save(root, data)


def suspended(dir: Path | str) -> dict[str, str]:
    """Vendor -> the error code its control plane refuses with, for suspended vendors."""
    root = Path(dir).resolve()
    faults = root / "faults"
    out = {}
    for vendor in CONTROL_PLANES:
        try:
            words = (faults / vendor).read_text().split()
        except FileNotFoundError:
            continue
        out[vendor] = words[0] if words else DEFAULT_CODE
    return out


def down(dir: Path | str) -> None:
    """Stop every process the lab started; fine to call twice or after a crash."""
    root = Path(dir).resolve()
    if not (root / "lab.json").exists():
        return
    with locked(root):
        data = load(root)
        vendors.down(data)
        resolver.stop(data)
        stop_many([(row["pid"], row["marker"]) for row in processes.rows(data, root)])
        knot.cleanup(root)
        for h in data["origins"]["hostings"].values():
            h["alive"] = False
        data["down"] = True
        save(root, data)


def status(dir: Path | str) -> list[dict[str, Any]]:
    """Each process of the lab: name, address (host:port), pid, alive."""
    root = Path(dir).resolve()
    data = load(root)
    return [{"name": r["name"], "address": r["address"], "pid": r["pid"],
             "alive": alive(r["pid"], r["marker"])} for r in processes.rows(data, root)]


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
