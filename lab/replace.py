"""A drill of a replaced etcd member: ``python -m lab replace VENDOR --dir DIR``.

In a clustered lab (``up --cluster``) this stops VENDOR's etcd member, wipes its
data dir (a machine replaced with an empty volume) and starts it again the way a
deployed machine does: by running the script ``infra.etcdstart.start_script``
generates, with the settings ``infra.watcher.etcd_environment`` generates for
that member (``member_settings``). The script finds the data gone and peers that
answer, removes the member's old id, adds it again and starts etcd with state
``existing``. ``replace`` returns once the member list has every member started,
none stale, and the member is healthy.

The lab is not a deployed machine, and ``member_settings`` says where it differs,
each a named override of the generated settings and nothing else:

- the data dir and the flags dir are the lab's (not /var/lib/failover...);
- the lab's peer URLs are plain http (lab/etcd.py), so the peer URLs are http and
  the peer TLS settings are left out; in a lab cluster without TLS (``up --cluster``)
  the client URLs are http too, and etcd serves them without TLS;
- the lab's certificates are named as ``coordination.tls_dir`` wants them
  (``member.crt`` links to the lab's server certificate, which allows client auth);
  a lab without TLS gets throwaway ones, which only the script's etcdctl presents
  (it speaks plain http to http URLs, and refuses empty certificate options);
- ``--pre-vote``, as the lab's other members run.

Members share 127.0.0.1, so each has its own ports: ``Coordination.ports``.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path
from typing import Any

from lab import etcd
from lab.files import load, locked, save
from lab.procs import LabError, alive, log_error, spawn

JOIN_TIMEOUT = 90.0  # remove, add (refused for a few seconds), start, catch up: a loaded machine
# A pip requirement Coordination accepts; the lab installs nothing from it.
_PACKAGE = "https://lab.invalid/failover-0.0.0-py3-none-any.whl#sha256=" + "0" * 64
_PEER_TLS = ("ETCD_PEER_TRUSTED_CA_FILE", "ETCD_PEER_CERT_FILE", "ETCD_PEER_KEY_FILE",
             "ETCD_PEER_CLIENT_CERT_AUTH")
_CLIENT_TLS = ("ETCD_TRUSTED_CA_FILE", "ETCD_CERT_FILE", "ETCD_KEY_FILE",
               "ETCD_CLIENT_CERT_AUTH")


def member_settings(cluster: etcd.Cluster, name: str, flags: Path) -> dict[str, str]:
    """The settings the component generates for member ``name`` of this lab cluster, with
    the lab's overrides (module docstring); ``flags`` is the start script's flags dir."""
    from infra.watcher import Coordination, MemberPorts, etcd_environment

    member = cluster.member(name)
    coordination = Coordination(
        members={n: m.host for n, m in cluster.members.items()},
        ports={n: MemberPorts(client=m.client_port, peer=m.peer_port)
               for n, m in cluster.members.items()},
        token=cluster.token, package=_PACKAGE, tls_dir=str(_tls_dir(cluster)))
    generated = dict(line.split("=", 1)
                     for line in etcd_environment(coordination, name).splitlines())
    settings = {k: v for k, v in generated.items() if k not in _PEER_TLS}
    for key in ("ETCD_LISTEN_PEER_URLS", "ETCD_INITIAL_ADVERTISE_PEER_URLS",
                "ETCD_INITIAL_CLUSTER"):
        settings[key] = settings[key].replace("https://", "http://")
    if cluster.tls is None:
        for key in _CLIENT_TLS:
            del settings[key]
        for key in ("ETCD_LISTEN_CLIENT_URLS", "ETCD_ADVERTISE_CLIENT_URLS",
                    "FAILOVER_ETCD_PEERS"):
            settings[key] = settings[key].replace("https://", "http://")
    settings.update({"ETCD_DATA_DIR": str(member.data_dir), "FAILOVER_ETCD_FLAGS": str(flags),
                     "ETCD_PRE_VOTE": "true"})
    return settings


def _tls_dir(cluster: etcd.Cluster) -> Path:
    """The lab's certificates under the names ``coordination.tls_dir`` holds (throwaway
    ones for a lab without TLS)."""
    folder = cluster.dir / "member-tls"
    folder.mkdir(exist_ok=True)
    if (folder / "member.key").is_symlink():  # made by an earlier replacement
        return folder
    tls = cluster.tls or etcd.make_certs(cluster.dir / "throwaway-tls")
    for name, target in (("ca.crt", tls.ca), ("member.crt", tls.server_cert),
                         ("member.key", tls.server_key)):
        (folder / name).unlink(missing_ok=True)
        (folder / name).symlink_to(target)
    return folder


def start_member(cluster: etcd.Cluster, name: str) -> int:
    """Run the generated start script for member ``name`` (its process becomes etcd's);
    its pid. Output goes to the member's log."""
    from infra.etcdstart import start_script

    etcdctl = shutil.which("etcdctl")
    if not etcdctl:
        raise LabError("etcdctl is not installed (the start script uses it): "
                       "`apt-get install etcd-client`")
    member = cluster.member(name)
    # etcd reads its settings from the environment; the data dir moves to the command
    # line, where the lab recognises its member's process (Member.marker). etcd refuses
    # a setting given both ways.
    binary = cluster.dir / "etcd-lab"
    binary.write_text(f"#!/bin/sh\ndata=$ETCD_DATA_DIR; unset ETCD_DATA_DIR\n"
                      f"exec {etcd.etcd_binary()} --data-dir \"$data\"\n")
    binary.chmod(0o755)
    script = cluster.dir / "etcd-start"
    script.write_text(start_script(etcd=str(binary), etcdctl=etcdctl))
    script.chmod(0o755)
    flags = cluster.dir / f"{name}.flags"
    flags.mkdir(exist_ok=True)
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"),
           **member_settings(cluster, name, flags)}
    return spawn([str(script)], member.log, env=env, cwd=cluster.dir, group=member.gid).pid


def replace(root: Path, vendor: str, timeout: float = JOIN_TIMEOUT) -> dict[str, Any]:
    """Stop VENDOR's etcd member, wipe its data, start it through the generated script;
    return (the new member row: name, id, pid) once it is a started, healthy member."""
    with locked(root):
        data = load(root)
        if "cluster" not in data:
            raise LabError("this lab runs no cluster; start it with `python -m lab up "
                           "--cluster`")
        cluster = etcd.Cluster.from_dict(data["cluster"]["etcd"])
        member = cluster.member(vendor)
        old = {m.name: m.hex for m in _members(cluster)}.get(vendor)
        cluster.kill(vendor)
        shutil.rmtree(member.data_dir, ignore_errors=True)
        pid = start_member(cluster, vendor)
        member.pid = pid
        data["cluster"]["etcd"] = cluster.to_dict()
        save(root, data)
        new = _wait_rejoined(cluster, vendor, old, pid, timeout)
    return {"name": f"etcd-{vendor}", "id": new, "old_id": old, "pid": pid,
            "endpoint": member.endpoint}


def _members(cluster: etcd.Cluster) -> list[Any]:
    from failover.coord.etcdclient import EtcdClient
    from failover.coord.membership import members

    context = cluster.tls
    client = EtcdClient(cluster.endpoints, timeout=3.0,
                        ca_file=str(context.ca) if context else None,
                        cert_file=str(context.client_cert) if context else None,
                        key_file=str(context.client_key) if context else None)
    return members(client)


def _wait_rejoined(cluster: etcd.Cluster, vendor: str, old: str | None, pid: int,
                   timeout: float) -> str:
    from failover.errors import CoordinationError

    member = cluster.member(vendor)
    deadline = time.monotonic() + timeout
    seen: list[Any] = []
    while time.monotonic() < deadline:
        if not alive(pid):
            raise LabError(f"the start script of etcd-{vendor} exited: "
                           f"{log_error(member.log)} (see {member.log})")
        try:
            seen = _members(cluster)
        except CoordinationError:
            seen = []
        ours = [m for m in seen if m.name == vendor]
        if (len(seen) == len(cluster.members) and all(m.started for m in seen)
                and len(ours) == 1 and ours[0].hex != old and member.healthy(timeout=1.0)):
            return ours[0].hex
        time.sleep(0.3)
    raise LabError(f"etcd-{vendor} did not rejoin within {timeout:.0f}s (members: "
                   f"{[(m.name, m.hex) for m in seen]}; see {member.log})")
