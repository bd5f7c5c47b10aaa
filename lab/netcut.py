"""Real network partitions on loopback: the nftables rules that cut one vendor off.

A clustered lab's vendors share 127.0.0.0/8, so a rule tells them apart by two marks
(shared/LAB-NOTES.md, tried on the lab's machine):

- the sender, by its socket's group (``meta skgid``): each vendor's etcd member and
  watcher run under a gid of their own (lab.vendors.gid), the sockets they open carry it;
- the receiver, by the address, protocol and port it listens on.

A cut of vendor V is one base chain on the output hook (every loopback packet passes it
once, so one hook sees both directions) with two rules: V's sockets to the other vendors'
listening sockets, drop; the other vendors' sockets to V's listening sockets, drop. The
processes keep running, and a dropped packet is a lost one: a TCP connect times out, as
across a real cut (a UDP send is refused at once, EPERM). Traffic from or to no vendor
(the operator's CLI, tests, the resolver, moto, the parent zone) is never cut: the world
outside still reaches both sides.

Every lab has a table of its own, ``inet failover_lab_<hash of its folder>``, so two labs
on one machine (two test workers) never touch each other's rules; ``drop_table`` removes
it (``heal``, ``down``, any failure).
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

from lab.procs import LabError

Endpoint = tuple[str, int]  # (IPv4 address, port) a server listens on, TCP and UDP alike
PRIORITY = 0
_NAME = re.compile(r"[^a-z0-9_]")


def table(root: Path) -> str:
    """The lab's nftables table name (family inet): one per lab folder."""
    digest = hashlib.sha256(str(Path(root).resolve()).encode()).hexdigest()[:12]
    return f"failover_lab_{digest}"


def chain(vendor: str) -> str:
    """The base chain that holds the cut of ``vendor``."""
    return "cut_" + _NAME.sub("_", vendor.lower())


def _nft() -> str:
    found = shutil.which("nft") or next(
        (p for p in ("/usr/sbin/nft", "/sbin/nft") if Path(p).exists()), None)
    if not found:
        raise LabError("nft is not installed: run `bash scripts/setup.sh` or "
                       "`apt-get install nftables`")
    return found


def _run(args: Sequence[str], script: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([_nft(), *args], input=script, capture_output=True, text=True,
                          check=False, timeout=30)


def _elements(endpoints: Sequence[Endpoint]) -> str:
    return ", ".join(f"{addr} . {proto} . {port}"
                     for addr, port in sorted(set(endpoints)) for proto in ("tcp", "udp"))


def rules(vendor: str, gid: int, own: Sequence[Endpoint], others: Sequence[Endpoint],
          other_gids: Sequence[int]) -> list[str]:
    """The two drop rules of a cut of ``vendor`` (a side with no endpoints has none)."""
    match = "ip daddr . meta l4proto . th dport"
    out = []
    if others:
        out.append(f"meta skgid {gid} {match} {{ {_elements(others)} }} counter drop "
                   f'comment "{vendor} to the others"')
    if own and other_gids:
        gids = ", ".join(str(g) for g in sorted(set(other_gids)))
        out.append(f"meta skgid {{ {gids} }} {match} {{ {_elements(own)} }} counter drop "
                   f'comment "the others to {vendor}"')
    return out


def cut(root: Path, vendor: str, gid: int, own: Sequence[Endpoint],
        others: Sequence[Endpoint], other_gids: Sequence[int]) -> None:
    """Cut ``vendor`` (its sockets carry ``gid``; it listens on ``own``) from ``others``
    (the other vendors' listening endpoints, their sockets carrying ``other_gids``), in one
    nftables transaction; a cut already there is replaced. On failure the lab's table is
    removed and LabError says why."""
    t, c = table(root), chain(vendor)
    script = "\n".join([
        f"add table inet {t}",
        f"add chain inet {t} {c} {{ type filter hook output priority {PRIORITY}; "
        "policy accept; }",
        f"flush chain inet {t} {c}",
        *(f"add rule inet {t} {c} {rule}" for rule in
          rules(vendor, gid, own, others, other_gids)),
    ]) + "\n"
    done = _run(["-f", "-"], script)
    if done.returncode != 0:
        drop_table(root)
        raise LabError(f"nft refused the cut of {vendor}: {_first(done.stderr)} (partitions "
                       "need root and nftables)")


def uncut(root: Path, vendor: str) -> bool:
    """Remove the cut of ``vendor``; the table goes with the last cut. Whether one was there."""
    t, c = table(root), chain(vendor)
    if c not in chains(root):
        return False
    done = _run(["-f", "-"], f"flush chain inet {t} {c}\ndelete chain inet {t} {c}\n")
    if done.returncode != 0:
        drop_table(root)
        raise LabError(f"nft could not remove the cut of {vendor}: {_first(done.stderr)} "
                       "(the lab's table was removed instead)")
    if not chains(root):
        drop_table(root)
    return True


def chains(root: Path) -> list[str]:
    """The chains in the lab's table now ([] when there is no table)."""
    done = _run(["-j", "list", "table", "inet", table(root)])
    if done.returncode != 0:
        return []
    try:
        items = json.loads(done.stdout).get("nftables", [])
    except ValueError:
        return []
    return [i["chain"]["name"] for i in items if isinstance(i, dict) and "chain" in i]


def exists(root: Path) -> bool:
    """Whether the lab's table is in the kernel."""
    return _run(["list", "table", "inet", table(root)]).returncode == 0


def drop_table(root: Path) -> None:
    """Remove the lab's table and every cut in it; fine when there is none (or no nft)."""
    if shutil.which("nft") is None and not Path("/usr/sbin/nft").exists():
        return
    if exists(root):
        done = _run(["delete", "table", "inet", table(root)])
        if done.returncode != 0 and exists(root):
            raise LabError(f"nft could not remove table inet {table(root)}: "
                           f"{_first(done.stderr)}")


def _first(text: str) -> str:
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    return lines[0][:300] if lines else "no message"
