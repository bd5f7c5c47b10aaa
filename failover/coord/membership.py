"""Replacing an etcd member whose data is gone: remove its old self, add it again.

What ``failover cluster replace-member`` does, through etcd's JSON gateway
(``/v3/cluster/member/...``), not etcdctl. A member that comes back with an
empty data dir cannot start with its old id (``member ... has already been
bootstrapped``); it must be removed and added again, then started with
``ETCD_INITIAL_CLUSTER_STATE=existing`` and the cluster ``member add`` returns.
The same steps as infra/etcdstart.py's start script, for an operator at a
laptop: ``plan`` decides (and refuses), ``replace`` acts.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from failover import errors
from failover.coord.etcdclient import EtcdClient
from failover.errors import EXIT_CRITICAL, EtcdUnavailable, FailoverError

# etcd refuses to add a voter until its leader has seen a quorum active for a while
# ("unhealthy cluster", right after a removal); the start script waits as long.
ADD_RETRY_SECONDS = 60.0
ADD_RETRY_EVERY = 2.0
HEALTH_KEY = "/failover/.health"
# An election or two (etcd's default election timeout is 1 s), on a loaded machine.
HEALTH_WITHIN = 8.0
# A client of the same credentials at some members' client URLs.
Connect = Callable[[list[str]], EtcdClient]


class Refused(errors.Refused):
    """The replacement would do harm (the member is healthy, or quorum would be lost):
    nothing changed, exit 4."""


class NotAdded(FailoverError):
    """The member was removed (or had no old self) and etcd did not add it again."""

    exit_code = EXIT_CRITICAL


@dataclass(frozen=True)
class Member:
    """One row of etcd's member list; ``name`` is empty until the member first starts."""

    id: str
    name: str
    peer_urls: tuple[str, ...]
    client_urls: tuple[str, ...]

    @property
    def started(self) -> bool:
        return bool(self.name)

    @property
    def hex(self) -> str:
        """The id as etcdctl and etcd's logs write it (the gateway's JSON has it decimal)."""
        return format(int(self.id), "x") if self.id.isdigit() else self.id


@dataclass(frozen=True)
class Plan:
    """What replacing ``node`` removes and adds, and the members that answered."""

    node: str
    peer_url: str
    old: list[Member]
    healthy: list[str]
    total: int

    def lines(self) -> list[str]:
        removes = [f"member remove {m.hex} ({m.name or 'never started'}, "
                   f"{', '.join(m.peer_urls)})" for m in self.old] or \
            [f"no old member named {self.node} or at {self.peer_url} to remove"]
        return [f"quorum: {len(self.healthy)} other members healthy "
                f"({', '.join(self.healthy)}); a cluster of {self.total} needs "
                f"{self.total // 2 + 1}", *removes,
                f"member add {self.node} --peer-urls={self.peer_url}"]


def _member(d: dict[str, Any]) -> Member:
    return Member(str(d.get("ID", "")), str(d.get("name", "")),
                  tuple(d.get("peerURLs", [])), tuple(d.get("clientURLs", [])))


def members(client: EtcdClient) -> list[Member]:
    """The cluster's members, as a quorum sees them."""
    return [_member(d) for d in client.call("cluster/member/list", {}).get("members", [])]


def member_healthy(connect: Connect, member: Member, within: float = HEALTH_WITHIN) -> bool:
    """Whether a linearizable read through this member succeeds (it is up, with a leader)
    within ``within`` seconds: a member that just lost its leader answers after an
    election, not at once."""
    if not member.client_urls:
        return False
    client = connect(list(member.client_urls))
    deadline = time.monotonic() + within
    while True:
        try:
            client.get(HEALTH_KEY)
            return True
        except EtcdUnavailable:
            if time.monotonic() >= deadline:
                return False
        time.sleep(0.5)


def plan(client: EtcdClient, node: str, peer_url: str | None, connect: Connect) -> Plan:
    """Check that the replacement is safe; what it would remove and add. Raises Refused.

    Without ``peer_url`` the member is added again at the peer URL it had, if the member
    list still has it by name. ``connect`` makes a client of the same credentials for
    one member's client URLs.
    """
    try:
        listed = members(client)
    except EtcdUnavailable as exc:
        raise Refused(f"no quorum to replace {node} with: {exc}") from None
    if peer_url is None:
        known = [url for m in listed if m.name == node for url in m.peer_urls]
        if len(known) != 1:
            raise Refused(f"{node} is not in the member list by name (members: "
                          f"{', '.join(m.name or m.hex for m in listed)}): give its peer URL "
                          "with --peer-url")
        peer_url = known[0]
    old = [m for m in listed if m.name == node or peer_url in m.peer_urls]
    for m in old:
        if m.name and m.name != node:
            raise Refused(f"peer URL {peer_url} is member {m.name}'s, not {node}'s: check "
                          "--peer-url")
    others = [m for m in listed if m not in old]
    healthy = [m.name or m.hex for m in others if member_healthy(connect, m)]
    for m in old:
        if m.started and member_healthy(connect, m):
            raise Refused(f"member {node} is started and healthy ({', '.join(m.client_urls)}): "
                          "replace only a member whose data is gone or whose machine is "
                          "replaced (stop it first)")
    total = len(others) + 1  # the cluster once the member is added again
    if len(healthy) < total // 2 + 1:
        raise Refused(f"only {len(healthy)} of the {len(others)} other members are healthy "
                      f"({', '.join(healthy) or 'none'}); a cluster of {total} needs "
                      f"{total // 2 + 1}: replacing {node} now would lose quorum")
    return Plan(node, peer_url, old, healthy, total)


def replace(client: EtcdClient, done: Plan, progress: Callable[[str], None],
            retry_seconds: float = ADD_RETRY_SECONDS) -> dict[str, str]:
    """Remove the old member(s), add ``node`` again; the settings to start it with."""
    for m in done.old:
        progress(f"removing the old member {m.hex} ({m.name or 'never started'})")
        client.call("cluster/member/remove", {"ID": m.id})
    deadline = time.monotonic() + retry_seconds
    attempt = 0
    while True:
        attempt += 1
        try:
            added = client.call("cluster/member/add", {"peerURLs": [done.peer_url]})
            break
        except EtcdUnavailable as exc:
            if "unhealthy cluster" not in str(exc) or time.monotonic() >= deadline:
                removed = "was removed but " if done.old else ""
                raise NotAdded(f"{done.node} {removed}was not added again ({exc}); once the "
                               f"cluster answers, run again with --peer-url "
                               f"{done.peer_url}") from None
            progress(f"etcd refused the add (unhealthy cluster: a member has been connected "
                     f"to the leader for less than 5 s); trying again in "
                     f"{ADD_RETRY_EVERY:g}s (try {attempt})")
            time.sleep(ADD_RETRY_EVERY)
    new_id = str(added.get("member", {}).get("ID", ""))
    cluster = []
    for m in map(_member, added.get("members", [])):
        name = done.node if m.id == new_id else m.name
        if name:
            cluster += [f"{name}={url}" for url in m.peer_urls]
    return {"ETCD_INITIAL_CLUSTER": ",".join(cluster),
            "ETCD_INITIAL_CLUSTER_STATE": "existing"}
