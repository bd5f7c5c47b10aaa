"""A failover watcher and an etcd member on each vendor's machine, next to the service.

``Coordination`` is the cluster, described once in ``service.yaml``: every
member's name and stable public address (the Elastic IP, the static
address, the primary IP, the metal host), the ports, and how the watcher
is installed. Each hosting stack names the member it runs
(``failover:etcdMember``). ``coordination_script`` is bash appended to the
service's startup script and pushed to the machine over SSH by pulumi-command
(``HostingComponent.push``), never in user data, so that changing it
replaces no machine; it is idempotent like the rest, and installs:

- etcd from Debian's ``etcd-server`` package, run by a unit of our own
  (``failover-etcd.service``) with peer and client TLS and client
  certificate authentication on both ports, started through
  ``infra.etcdstart``'s script, which rejoins the cluster when the member's
  data is gone. On a cloud machine the data and the TLS files are on the
  protected volume mounted at ``VOLUME`` (``tls_dir`` links there);
- the watcher: failover in a virtualenv, its config (the watchers' config
  with this node's ``cluster:`` section), and ``failover-watch.service``.

TLS: certificates are referenced, never generated here. The unit reads
``ca.crt``, ``member.crt`` and ``member.key`` from ``tls_dir``, which the
operator installs out of band (from their own CA), so that no private key
is in Pulumi's state, in user data (readable from the instance metadata
service and the vendors' consoles) or in git. A path unit starts etcd
once the key appears; until then the watcher's cycles say etcd is
unreachable, which is the cluster's fail-static state.

The watchers' own secrets (TSIG keys, DNS API tokens) are read from
``/etc/failover/watch.env`` when present, installed out of band the same
way; the config file itself holds only references.
"""

from __future__ import annotations

import ipaddress
import re
import shlex
from typing import Any

import yaml
from pydantic import Field, field_validator, model_validator

from infra.etcdstart import first_deploy_script, rejoin_settings, start_script
from infra.service import _heredoc, _Model, check_admin_cidrs

ETC = "/etc/failover"
VENV = "/opt/failover"
ETCD_UNIT = "failover-etcd.service"
# The etcd member's start script (infra/etcdstart.py), in place of etcd itself.
ETCD_START = "/usr/local/lib/failover/etcd-start"
# Where a member keeps its data: on metal the host's own disk, as before; on a cloud
# machine the protected volume mounted at VOLUME, which outlives the machine.
METAL_DATA = "/var/lib/failover-etcd"
VOLUME = "/var/lib/failover"
WATCH_UNIT = "failover-watch.service"
_MEMBER = re.compile(r"^[a-z][a-z0-9-]{0,30}[a-z0-9]$")
# The two forms of coordination.package: a wheel at a URL with its hash, or an exact
# version of a name (from coordination.index_url, an index the operator controls).
_WHEEL_URL = re.compile(r"^https://[A-Za-z0-9._~%/+:@-]+\.whl#sha256=[0-9a-f]{64}$")
_PINNED = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*(\[[A-Za-z0-9,._-]+\])?==[0-9][A-Za-z0-9.+!_-]*$")
_INDEX_URL = re.compile(r"^https://[A-Za-z0-9._~%/+:@-]+$")
PACKAGE_HELP = ("give a wheel URL with its hash (https://.../failover-0.1.0-py3-none-any.whl"
                "#sha256=<64 hex>) or an exact version (failover==0.1.0) with index_url, an "
                "index you control")


class MemberPorts(_Model):
    """One member's own client and peer ports (``coordination.ports.NAME``)."""

    client: int = Field(ge=1, le=65535)
    peer: int = Field(ge=1, le=65535)


class Coordination(_Model):
    """The etcd cluster and its watchers, the same in every stack (``coordination:``)."""

    # Member name -> its stable public address; 3 or more members at different vendors.
    members: dict[str, str]
    token: str = "failover"
    client_port: int = Field(default=2379, ge=1, le=65535)
    peer_port: int = Field(default=2380, ge=1, le=65535)
    # A member's own ports where they are not client_port and peer_port: members that
    # share one address (the lab's members on loopback, lab/replace.py). The firewall
    # rules the stacks build open client_port and peer_port only.
    ports: dict[str, MemberPorts] = Field(default_factory=dict)
    tls_dir: str = f"{ETC}/tls"
    # Who else may reach the client port (operators' and CI networks for status and move);
    # the members always may, and the placement's admin CIDRs.
    client_cidrs: list[str] = Field(default_factory=list)
    # What pip installs for the watcher, required: a wheel URL with #sha256=, or an exact
    # version (name==X.Y.Z) from index_url. No default: whoever registers a default name on
    # PyPI would run code as root on every machine.
    package: str
    index_url: str | None = None
    # The watchers' failover config (relative to stacks/): hostings, DNS, checks; its
    # cluster section is written per node. Secrets are referenced, never in the file.
    watcher_config: str = "watch.yaml"
    # Patroni's rule, checked here too: loop_wait + 2 * retry_timeout <= ttl.
    ttl: int = Field(default=30, ge=2)
    loop_wait: int = Field(default=10, ge=1)
    retry_timeout: int = Field(default=10, ge=1)

    @field_validator("members")
    @classmethod
    def _members(cls, members: dict[str, str]) -> dict[str, str]:
        if len(members) < 3:
            raise ValueError(f"coordination.members has {len(members)}; etcd needs 3 or more "
                             "members, at different vendors, to survive losing one")
        for name, address in members.items():
            if not _MEMBER.match(name):
                raise ValueError(f"coordination member '{name}' must be 2-32 characters of "
                                 "a-z, 0-9 and '-'")
            try:
                version = ipaddress.ip_address(address).version
            except ValueError:
                raise ValueError(f"coordination member {name}: '{address}' is not an IP "
                                 "address (use the hosting's stable public address)") from None
            if version == 6:
                raise ValueError(f"coordination.members.{name}: '{address}' is IPv6; the AWS "
                                 "VPC and the GCP subnet these stacks build have no IPv6, so "
                                 "peers could not reach it: use the hosting's IPv4 address")
        return members

    @field_validator("client_cidrs")
    @classmethod
    def _client_cidrs(cls, cidrs: list[str]) -> list[str]:
        return check_admin_cidrs(cidrs)

    @field_validator("package")
    @classmethod
    def _package(cls, package: str) -> str:
        if not (_WHEEL_URL.match(package) or _PINNED.match(package)):
            raise ValueError(f"coordination.package '{package}' is not a pip requirement "
                             f"this accepts: {PACKAGE_HELP}")
        return package

    @field_validator("index_url")
    @classmethod
    def _index_url(cls, url: str | None) -> str | None:
        if url is not None and not _INDEX_URL.match(url):
            raise ValueError(f"coordination.index_url '{url}' must be an https URL")
        return url

    @field_validator("tls_dir")
    @classmethod
    def _tls_dir(cls, path: str) -> str:
        if not re.match(r"^/[A-Za-z0-9._/-]+$", path):
            raise ValueError(f"coordination.tls_dir '{path}' must be an absolute path")
        return path.rstrip("/")

    @model_validator(mode="after")
    def _timing(self) -> Coordination:
        if self.loop_wait + 2 * self.retry_timeout > self.ttl:
            raise ValueError(f"coordination: loop_wait + 2 * retry_timeout "
                             f"({self.loop_wait} + 2 * {self.retry_timeout}) must be <= ttl "
                             f"({self.ttl}), or a leader can lose its lease mid-cycle")
        if self.client_port == self.peer_port:
            raise ValueError("coordination: client_port and peer_port must differ")
        for name, own in self.ports.items():
            if name not in self.members:
                raise ValueError(f"coordination.ports.{name}: not in coordination.members")
            if own.client == own.peer:
                raise ValueError(f"coordination.ports.{name}: client and peer must differ")
        if _PINNED.match(self.package) and self.index_url is None:
            raise ValueError(f"coordination.package '{self.package}' needs index_url (an "
                             "index you control; not PyPI by default), or "
                             f"{PACKAGE_HELP}")
        if _WHEEL_URL.match(self.package) and self.index_url is not None:
            raise ValueError("coordination.index_url is for a name==version package; a wheel "
                             "URL is fetched as it is")
        return self

    def pip_arguments(self) -> str:
        """What follows ``pip install``, quoted for bash."""
        index = f"--index-url {shlex.quote(self.index_url)} " if self.index_url else ""
        return index + shlex.quote(self.package)

    def url(self, member: str, port: int) -> str:
        address = self.members[member]
        host = f"[{address}]" if ":" in address else address
        return f"https://{host}:{port}"

    def client_port_of(self, member: str) -> int:
        own = self.ports.get(member)
        return own.client if own else self.client_port

    def peer_port_of(self, member: str) -> int:
        own = self.ports.get(member)
        return own.peer if own else self.peer_port

    def client_url(self, member: str) -> str:
        return self.url(member, self.client_port_of(member))

    def peer_url(self, member: str) -> str:
        return self.url(member, self.peer_port_of(member))

    def client_urls(self) -> list[str]:
        return [self.client_url(m) for m in self.members]

    def initial_cluster(self) -> str:
        return ",".join(f"{m}={self.peer_url(m)}" for m in self.members)

    def peer_networks(self, version: int) -> list[str]:
        """Every member's address as a host network of one IP version."""
        return [str(ipaddress.ip_network(a)) for a in self.members.values()
                if ipaddress.ip_address(a).version == version]


def split_versions(networks: list[str]) -> tuple[list[str], list[str]]:
    """IPv4 and IPv6 networks apart, as most vendors' firewall fields want them."""
    v4 = [n for n in networks if ipaddress.ip_network(n, strict=False).version == 4]
    return v4, [n for n in networks if n not in v4]


def check_member(coordination: Coordination, member: str) -> str:
    if member not in coordination.members:
        raise ValueError(f"failover:etcdMember '{member}' is not in coordination.members "
                         f"({', '.join(coordination.members)})")
    return member


def cluster_section(coordination: Coordination, node: str, vendor: str) -> dict[str, Any]:
    """This node's ``cluster:`` section of the watchers' config (failover.config's shape)."""
    tls = coordination.tls_dir
    return {"endpoints": coordination.client_urls(), "node": node, "vendor": vendor,
            "ttl": f"{coordination.ttl}s", "loop_wait": f"{coordination.loop_wait}s",
            "retry_timeout": f"{coordination.retry_timeout}s",
            # Every member runs a watcher named after it: the configured vantage points.
            "watchers": list(coordination.members),
            "tls": {"ca_file": f"{tls}/ca.crt", "cert_file": f"{tls}/member.crt",
                    "key_file": f"{tls}/member.key"}}


def watcher_config_text(base: str, coordination: Coordination, node: str, vendor: str) -> str:
    """The watchers' config with this node's cluster section, as YAML."""
    data = yaml.safe_load(base)
    if not isinstance(data, dict) or not data:
        raise ValueError(f"coordination.watcher_config ({coordination.watcher_config}) is not "
                         "a failover config (a YAML mapping)")
    data["cluster"] = cluster_section(coordination, node, vendor)
    # cluster.vendor must name a declared vendor: the machine's vendor may host nothing.
    vendors = data.setdefault("vendors", {})
    if isinstance(vendors, dict):
        vendors.setdefault(vendor, {})
    # /etc/failover is read-only to the watcher; its journal lives in its state folder.
    data["journal"] = "/var/lib/failover-watch/journal.sqlite"
    return ("# Written by failover infra for this node; edit the source file in stacks/.\n"
            + yaml.safe_dump(data, sort_keys=False, default_flow_style=None, width=100))


def check_watcher_config(base: str, coordination: Coordination, member: str) -> None:
    """Read the config this node's watcher gets with failover's own parser; one clear error.

    A watch.yaml that the watcher would refuse must fail the preview, not leave a
    watcher restarting on every machine.
    """
    from failover.config import parse_config
    from failover.errors import ConfigError

    text = watcher_config_text(base, coordination, member, member)
    try:
        parse_config(text, coordination.watcher_config)
    except ConfigError as exc:
        raise ValueError(f"coordination.watcher_config: {exc}") from None


def data_dir(volume: str | None) -> str:
    """The member's data dir: on the volume mounted at ``volume``, else metal's."""
    return f"{volume}/etcd" if volume else METAL_DATA


def etcd_environment(coordination: Coordination, member: str, volume: str | None = None) -> str:
    """The etcd member's settings as ETCD_* variables (etcd reads them at start), and the
    ones its start script reads to rejoin (``infra.etcdstart``)."""
    tls = coordination.tls_dir
    me_client = coordination.client_url(member)
    me_peer = coordination.peer_url(member)
    settings = {
        "ETCD_NAME": member,
        "ETCD_DATA_DIR": data_dir(volume),
        "ETCD_LISTEN_CLIENT_URLS": f"https://0.0.0.0:{coordination.client_port_of(member)}",
        "ETCD_ADVERTISE_CLIENT_URLS": me_client,
        "ETCD_LISTEN_PEER_URLS": f"https://0.0.0.0:{coordination.peer_port_of(member)}",
        "ETCD_INITIAL_ADVERTISE_PEER_URLS": me_peer,
        "ETCD_INITIAL_CLUSTER": coordination.initial_cluster(),
        "ETCD_INITIAL_CLUSTER_TOKEN": coordination.token,
        "ETCD_INITIAL_CLUSTER_STATE": "new",
        "ETCD_TRUSTED_CA_FILE": f"{tls}/ca.crt",
        "ETCD_CERT_FILE": f"{tls}/member.crt",
        "ETCD_KEY_FILE": f"{tls}/member.key",
        "ETCD_CLIENT_CERT_AUTH": "true",
        "ETCD_PEER_TRUSTED_CA_FILE": f"{tls}/ca.crt",
        "ETCD_PEER_CERT_FILE": f"{tls}/member.crt",
        "ETCD_PEER_KEY_FILE": f"{tls}/member.key",
        "ETCD_PEER_CLIENT_CERT_AUTH": "true",
        **rejoin_settings([coordination.client_url(m)
                           for m in coordination.members if m != member],
                          f"{tls}/ca.crt", f"{tls}/member.crt", f"{tls}/member.key",
                          data_dir(volume) + ".flags"),
    }
    return "".join(f"{k}={v}\n" for k, v in settings.items())


def coordination_script(coordination: Coordination, member: str, vendor: str,
                        watcher_config: str, volume: str | None = None) -> str:
    """Bash, run after the service's startup script, that installs the member and the watcher.

    ``watcher_config`` is the text of the watchers' config file. Runs under
    the startup script's ``set -euo pipefail`` and its ``put`` helper.
    ``volume`` is where the machine's data volume is mounted (None on metal):
    the member's data and TLS files live there, and outlive the machine.
    """
    check_member(coordination, member)
    tls = coordination.tls_dir
    data = data_dir(volume)
    needs = f"RequiresMountsFor={volume}\n" if volume else ""
    # On a volume, tls_dir is a link to the volume's tls folder: the files the operator
    # installed once survive a replaced machine.
    tls_setup = (f"install -d -m 0750 -g etcd {volume}/tls\n"
                 f"[ -L {tls} ] || {{ [ -d {tls} ] && rmdir {tls} 2>/dev/null; true; }}\n"
                 f"install -d -m 0755 $(dirname {tls}); ln -sfn {volume}/tls {tls}"
                 if volume else f"install -d -m 0750 -g etcd {tls}")
    etcd_unit = (
        "[Unit]\n"
        "Description=failover: etcd member of the watchers' cluster\n"
        "After=network-online.target\nWants=network-online.target\n"
        f"ConditionPathExists={tls}/ca.crt\n"
        f"ConditionPathExists={tls}/member.crt\n"
        f"ConditionPathExists={tls}/member.key\n"
        f"{needs}"
        "[Service]\n"
        f"EnvironmentFile={ETC}/etcd.env\n"
        f"ExecStart={ETCD_START}\n"
        "User=etcd\n"
        "Restart=always\nRestartSec=5\nLimitNOFILE=65536\n"
        "[Install]\nWantedBy=multi-user.target\n")
    # etcd starts once the operator has installed the member's key.
    etcd_path = (
        "[Unit]\nDescription=failover: start etcd once its TLS key is installed\n"
        f"[Path]\nPathExists={tls}/member.key\nUnit={ETCD_UNIT}\n"
        "[Install]\nWantedBy=multi-user.target\n")
    watch_unit = (
        "[Unit]\n"
        "Description=failover: the watcher at this vendor\n"
        f"After=network-online.target {ETCD_UNIT}\nWants=network-online.target\n"
        "[Service]\n"
        f"EnvironmentFile=-{ETC}/watch.env\n"
        f"ExecStart={VENV}/bin/failover --config {ETC}/watch.yaml watch\n"
        "DynamicUser=yes\nStateDirectory=failover-watch\nWorkingDirectory=/var/lib/failover-watch\n"
        f"SupplementaryGroups=etcd\nReadOnlyPaths={ETC}\n"
        "Restart=always\nRestartSec=5\n"
        "[Install]\nWantedBy=multi-user.target\n")
    config = watcher_config_text(watcher_config, coordination, member, vendor)
    pip = coordination.pip_arguments()
    return "\n".join([
        f"# failover coordination: etcd member {member} and its watcher",
        "changed=0",
        "if ! command -v etcd >/dev/null || ! command -v python3 >/dev/null; then",
        "  apt-get update -q",
        "  apt-get install -y -q --no-install-recommends etcd-server python3-venv",
        "fi",
        # Debian's own unit starts an unencrypted localhost member on install: not ours.
        "systemctl disable --now etcd.service >/dev/null 2>&1 || true",
        tls_setup,
        f"install -d -m 0700 -o etcd -g etcd {data} {data}.flags",
        "install -d -m 0755 /usr/local/lib/failover",
        _heredoc(ETCD_START, "0755", start_script()),
        _heredoc(f"{ETC}/etcd.env", "0644", etcd_environment(coordination, member, volume)),
        _heredoc(f"/etc/systemd/system/{ETCD_UNIT}", "0644", etcd_unit),
        _heredoc("/etc/systemd/system/failover-etcd.path", "0644", etcd_path),
        "etcd_changed=$changed; changed=0",
        # pip runs only when the requirement changed: a boot (GCP reruns the startup
        # script on each) must not depend on the package index being reachable. The
        # record is written after pip and the check succeeded, so a failed install is
        # tried again by the next run, and fails it (set -e) until it works.
        f"wanted={shlex.quote(pip)}",
        f"if [ \"$(cat {VENV}/.failover-package 2>/dev/null)\" != \"$wanted\" ]"
        f" || [ ! -x {VENV}/bin/failover ]; then",
        f"  [ -x {VENV}/bin/python ] || python3 -m venv {VENV}",
        f"  {VENV}/bin/pip install -q --upgrade {pip}",
        f"  {VENV}/bin/failover --help >/dev/null",
        f"  printf '%s\\n' \"$wanted\" > {VENV}/.failover-package",
        "  changed=1",
        "fi",
        _heredoc(f"{ETC}/watch.yaml", "0644", config),
        _heredoc(f"/etc/systemd/system/{WATCH_UNIT}", "0644", watch_unit),
        "systemctl daemon-reload",
        f"systemctl enable failover-etcd.path {ETCD_UNIT} {WATCH_UNIT} >/dev/null",
        "systemctl start failover-etcd.path",
        f"if [ ! -e {tls}/member.key ]; then",
        f"  echo \"failover: etcd waits for {tls}/ca.crt, member.crt and member.key"
        " (install them from your CA; see README)\" >&2",
        f"elif [ \"$etcd_changed\" = 1 ]; then systemctl restart {ETCD_UNIT};"
        f" else systemctl start {ETCD_UNIT}; fi",
        f"if [ \"$changed\" = 1 ]; then systemctl restart {WATCH_UNIT};"
        f" else systemctl start {WATCH_UNIT}; fi",
        "",
    ])


def coordination_uninstall() -> str:
    """What metal's destroy runs: stop and remove the watcher and the member (data kept)."""
    return "\n".join([
        f"systemctl disable --now {WATCH_UNIT} failover-etcd.path {ETCD_UNIT} 2>/dev/null || true",
        f"rm -f /etc/systemd/system/{WATCH_UNIT} /etc/systemd/system/{ETCD_UNIT}"
        f" /etc/systemd/system/failover-etcd.path {ETC}/etcd.env {ETC}/watch.yaml",
        "systemctl daemon-reload",
        "",
    ])


def etcd_outputs(coordination: Coordination, member: str) -> dict[str, str]:
    """What a hosting stack exports as ``etcd``: plain values the inventory reads."""
    return {"member": member,
            "client_url": coordination.client_url(member),
            "peer_url": coordination.peer_url(member)}


class WatcherNode(_Model):
    """One machine's member and watcher: the cluster, which member, the watchers' config."""

    coordination: Coordination
    member: str
    config_text: str

    @model_validator(mode="after")
    def _known(self) -> WatcherNode:
        check_member(self.coordination, self.member)
        check_watcher_config(self.config_text, self.coordination, self.member)
        return self

    def script(self, vendor: str, volume: str | None = None) -> str:
        return coordination_script(self.coordination, self.member, vendor, self.config_text,
                                   volume)

    def first_deploy(self, volume: str | None = None) -> str:
        """Bash the Pulumi program runs once, when the member is created: it may bootstrap
        the cluster if no peer answers at its first start (``infra.etcdstart``)."""
        return first_deploy_script(data_dir(volume), data_dir(volume) + ".flags")

    def ingress(self, admin_cidrs: list[str]) -> list[tuple[int, list[str]]]:
        """(port, sources): the client port to members, admins and client_cidrs; the peer
        port to members only. Both also demand a certificate from the cluster's CA."""
        c = self.coordination
        members = c.peer_networks(4) + c.peer_networks(6)
        clients = list(dict.fromkeys(members + admin_cidrs + c.client_cidrs))
        return [(c.client_port, clients), (c.peer_port, members)]

    def outputs(self) -> dict[str, str]:
        return etcd_outputs(self.coordination, self.member)
