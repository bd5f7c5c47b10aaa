"""Bare-metal hosting: install and run the service on a host you rent or own, over SSH.

One ``pulumi_command.remote.Command`` pipes the shared startup script (plus
a small nftables guard) into ``bash`` on the host; the script is idempotent,
so ``pulumi up`` can run it again whenever the service changes. The SSH
connection pins the host's public key: a host that answers with another key
is refused. The guard lets SSH in only from the admin CIDRs and never
touches other traffic, so it cannot break what else runs on the host.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import re
import shlex
import struct

import pulumi
from pulumi_command import remote
from pydantic import Field, field_validator, model_validator

from infra.hosting import HostingComponent
from infra.service import Placement, Service
from infra.watcher import WatcherNode, coordination_uninstall, split_versions

_HOST_KEY = re.compile(r"^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)) [A-Za-z0-9+/]+=*$")
NFT_TABLE = "failover_ssh"
# The public key's length inside its blob, per type (RSA varies, so it is not listed).
_KEY_BYTES = {"ssh-ed25519": 32}


def check_host_key(key: str) -> str:
    """``type base64`` with the blob decoded and checked, so a placeholder fails at preview.

    The regex alone let ``AAAAC3NzaC1lZDI1NTE5AAAAIReplace...`` through, and the
    deploy failed only at connect time.
    """
    key = " ".join(key.split()[:2])
    usage = ("host_key must be the host's public key as 'ssh-ed25519 AAAA...' "
             "(ssh-keyscan -t ed25519 HOST | cut -d' ' -f2-, checked out of band)")
    if not _HOST_KEY.match(key):
        raise ValueError(usage)
    kind, encoded = key.split(" ")
    try:
        blob = base64.b64decode(encoded, validate=True)
        (length,) = struct.unpack(">I", blob[:4])
        inner = blob[4:4 + length].decode("ascii")
    except (binascii.Error, struct.error, UnicodeDecodeError):
        raise ValueError(f"host_key is not a real {kind} key (a placeholder?); {usage}") from None
    if inner != kind:
        raise ValueError(f"host_key says {kind} but its blob holds '{inner[:20]}' "
                         f"(a placeholder?); {usage}")
    if kind in _KEY_BYTES:
        rest = blob[4 + length:]
        if len(rest) < 4 or struct.unpack(">I", rest[:4])[0] != _KEY_BYTES[kind] \
                or len(rest) != 4 + _KEY_BYTES[kind]:
            raise ValueError(f"host_key is not a real {kind} key (a placeholder?); {usage}")
    return key


class MetalPlacement(Placement):
    """A host reached over SSH; ``addresses`` are what DNS should point at (default: ``host``)."""

    host: str
    host_key: str
    user: str = "root"
    addresses: list[str] = Field(default_factory=list)
    guard_ssh: bool = True

    @field_validator("host_key")
    @classmethod
    def _host_key(cls, key: str) -> str:
        return check_host_key(key)

    @field_validator("addresses")
    @classmethod
    def _addresses(cls, addresses: list[str]) -> list[str]:
        return [str(ipaddress.ip_address(a)) for a in addresses]

    @model_validator(mode="after")
    def _need_addresses(self) -> MetalPlacement:
        if not self.addresses:
            try:
                ipaddress.ip_address(self.host)
            except ValueError:
                raise ValueError(f"host '{self.host}' is a name: list its public addresses "
                                 "in addresses") from None
        if self.guard_ssh and not self.admin_cidrs:
            raise ValueError("guard_ssh needs admin_cidrs (the networks you deploy and log in "
                             "from), or set guard_ssh: false and firewall the host yourself")
        return self

    def public_addresses(self) -> list[str]:
        return self.addresses or [str(ipaddress.ip_address(self.host))]


def ssh_guard_script(placement: MetalPlacement, service_port: int,
                     limited: list[tuple[int, list[str]]] | None = None) -> str:
    """nftables rules: SSH only from admin CIDRs (open sessions survive), the service port open.

    ``limited`` ports (etcd's) are open to their sources only, like SSH.

    Applied atomically and again at boot. The deploying session is refused
    up front when it comes from outside the admin CIDRs, instead of being
    locked out by the rules it is about to install.
    """
    port = placement.ssh_port
    v4 = ", ".join(placement.admin_networks(4))
    v6 = ", ".join(placement.admin_networks(6))
    rules = [f"    tcp dport {service_port} accept",
             f"    tcp dport {port} ct state established,related accept"]
    if v4:
        rules.append(f"    tcp dport {port} ip saddr {{ {v4} }} accept")
    if v6:
        rules.append(f"    tcp dport {port} ip6 saddr {{ {v6} }} accept")
    rules.append(f"    tcp dport {port} drop")
    for other, sources in limited or []:
        four, six = split_versions(sources)
        if four:
            rules.append(f"    tcp dport {other} ip saddr {{ {', '.join(four)} }} accept")
        if six:
            rules.append(f"    tcp dport {other} ip6 saddr {{ {', '.join(six)} }} accept")
        rules.append(f"    tcp dport {other} drop")
    ruleset = "\n".join([
        f"table inet {NFT_TABLE} {{}}",
        f"delete table inet {NFT_TABLE}",
        f"table inet {NFT_TABLE} {{",
        "  chain input {",
        "    type filter hook input priority filter - 1; policy accept;",
        *rules,
        "  }",
        "}",
        "",
    ])
    admins = " ".join(placement.admin_cidrs)
    refuse = "echo \"failover: refusing the SSH guard: "
    fix = "or set failover:guardSsh false and firewall the host yourself\" >&2; exit 1"
    unit = ("[Unit]\nDescription=failover: SSH only from admin networks\n"
            "Before=network-pre.target\nWants=network-pre.target\n"
            "[Service]\nType=oneshot\nRemainAfterExit=yes\n"
            f"ExecStart=/usr/sbin/nft -f /etc/failover/{NFT_TABLE}.nft\n"
            f"ExecStop=/usr/sbin/nft delete table inet {NFT_TABLE}\n"
            "[Install]\nWantedBy=multi-user.target\n")
    return "\n".join([
        "client=${FAILOVER_CLIENT:-}",
        # Without the deploying session's address, or without python3 to compare it with
        # the admin networks, the guard could lock us out: stop loudly instead.
        "if [ -z \"$client\" ]; then",
        f"  {refuse}this session's address is unknown (SSH_CONNECTION is empty); {fix}",
        "fi",
        "if ! command -v python3 >/dev/null; then",
        f"  {refuse}python3 is needed to check that this session comes from admin_cidrs;"
        f" install python3 on the host, {fix}",
        "fi",
        "if ! python3 -c '"
        "import ipaddress, sys; c = ipaddress.ip_address(sys.argv[1]);"
        " sys.exit(not any(c in ipaddress.ip_network(n) for n in sys.argv[2:]))'"
        f" \"$client\" {admins}; then",
        "  echo \"failover: refusing the SSH guard: this session comes from $client,"
        f" outside admin_cidrs ({admins})\" >&2; exit 1",
        "fi",
        "command -v nft >/dev/null || { apt-get update -q; apt-get install -y -q nftables; }",
        f"put /etc/failover/{NFT_TABLE}.nft 0644 <<'FAILOVER_EOF'\n{ruleset}FAILOVER_EOF",
        f"put /etc/systemd/system/{NFT_TABLE}.service 0644 <<'FAILOVER_EOF'\n{unit}FAILOVER_EOF",
        "systemctl daemon-reload",
        f"systemctl enable {NFT_TABLE}.service >/dev/null",
        f"nft -f /etc/failover/{NFT_TABLE}.nft",
        "",
    ])


def uninstall_script(service: Service, guard_ssh: bool, node: bool = False) -> str:
    """What ``pulumi destroy`` runs on the host: stop the service, remove what we installed.

    An etcd member's data stays in /var/lib/failover-etcd: remove the member from the
    cluster first (etcdctl member remove), then the data, by hand.
    """
    lines = [coordination_uninstall()] if node else []
    lines += [
        f"systemctl disable --now {service.unit} 2>/dev/null || true",
        f"rm -f /etc/systemd/system/{service.unit} /etc/failover/{service.name}.env"
        f" /etc/failover/{service.name}.run",
    ]
    if guard_ssh:
        lines += [f"systemctl disable --now {NFT_TABLE}.service 2>/dev/null || true",
                  f"rm -f /etc/systemd/system/{NFT_TABLE}.service /etc/failover/{NFT_TABLE}.nft"]
    lines.append("systemctl daemon-reload")
    return "\n".join(lines) + "\n"


class MetalHosting(HostingComponent):
    """The service on a host you run, installed over SSH with the host key pinned."""

    def __init__(self, name: str, service: Service, placement: MetalPlacement,
                 private_key: pulumi.Input[str], node: WatcherNode | None = None,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("failover:hosting:Metal", name, None, opts)
        script = self.script(service, placement, node)
        if placement.guard_ssh:
            script += ssh_guard_script(placement, service.port,
                                       node.ingress(placement.admin_cidrs) if node else None)
        sudo = "" if placement.user == "root" else "sudo -n "
        # SSH_CONNECTION is "client-ip client-port server-ip server-port"; sudo drops it.
        run = f"{sudo}env FAILOVER_CLIENT=\"${{SSH_CONNECTION%% *}}\" bash -s"
        connection = remote.ConnectionArgs(
            host=placement.host, port=placement.ssh_port, user=placement.user,
            private_key=pulumi.Output.secret(private_key), host_key=placement.host_key)
        uninstall = uninstall_script(service, placement.guard_ssh, node is not None)
        self.push(name, connection, run, script, node,
                  delete=f"{sudo}bash -c {shlex.quote(uninstall)}", sudo=sudo)
        self.finish(service, placement, placement.public_addresses(), node)

