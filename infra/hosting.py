"""The output shape every hosting component exports, whatever the vendor.

``failover inventory`` reads these outputs from a stack (``addresses`` by
default), so every component ends with :meth:`HostingComponent.finish` and
every stack exports :data:`HOSTING_OUTPUTS` at its top level. A hosting
that runs an etcd member and a watcher (``infra.watcher``) also exports
``etcd``: its member name and client and peer URLs, plain values.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pulumi
from pulumi_command import remote

from infra.service import Placement, Service, health_url, startup_script
from infra.volume import WAIT_FOR_VOLUME
from infra.watcher import VOLUME, WatcherNode

# vendor: the vendor's name in failover.yaml; hosting: the hosting's name there;
# addresses: public IPv4/IPv6 addresses, stable across instance replacement;
# port: the service port; health_url: http://<first address>:<port><health path>.
HOSTING_OUTPUTS = ("vendor", "hosting", "addresses", "port", "health_url")
# What each vendor accepts as user data, in bytes before any encoding: EC2 16 KB,
# Hetzner 32 KiB, a GCE metadata value 256 KB.
USER_DATA_LIMITS = {"aws": 16 * 1024, "hetzner": 32 * 1024, "gcp": 256 * 1024}


def check_user_data(script: str, kind: str) -> str:
    """``script`` if the vendor ``kind`` accepts it as user data; else one clear error now.

    Over the limit, the vendor refuses the instance at create, after the rest of the
    stack has been built.
    """
    size, limit = len(script.encode()), USER_DATA_LIMITS[kind]
    if size > limit:
        raise ValueError(f"the {kind} startup script is {size} bytes; {kind} accepts "
                         f"{limit} (shorten the service's env or the watchers' config)")
    return script


class HostingComponent(pulumi.ComponentResource):
    """Base of the hosting components: holds and registers the shared outputs."""

    vendor: pulumi.Output[str]
    hosting: pulumi.Output[str]
    addresses: pulumi.Output[list[str]]
    port: pulumi.Output[int]
    health_url: pulumi.Output[str]
    etcd: pulumi.Output[dict[str, str]] | None = None

    @staticmethod
    def script(service: Service, placement: Placement, node: WatcherNode | None,
               volume: str | None = None) -> str:
        """The startup script, with the etcd member and the watcher when ``node`` is given."""
        script = startup_script(service)
        return script + node.script(placement.vendor, volume) if node is not None else script

    def push_to_machine(self, name: str, service: Service, placement: Placement,
                        node: WatcherNode, host: pulumi.Input[str], user: str,
                        private_key: pulumi.Input[str] | None,
                        machine: pulumi.CustomResource,
                        depends_on: list[pulumi.Resource]) -> remote.Command:
        """Install the service, the member and the watcher on a cloud machine over SSH.

        Re-run when the script changes (in place) and on a new ``machine`` (its id is a
        trigger); the data volume is waited for first. The deploy fails, visibly,
        when the script fails (a pip install that fails, say).
        """
        if private_key is None or not placement.admin_cidrs:
            raise ValueError(f"{placement.vendor}: a machine with an etcd member is set up "
                             "over SSH: set failover:privateKey (secret; its public key in "
                             "failover:sshPublicKey) and failover:adminCidrs (including "
                             "the network you deploy from)")
        sudo = "" if user == "root" else "sudo -n "
        connection = remote.ConnectionArgs(
            host=host, port=placement.ssh_port, user=user,
            private_key=pulumi.Output.secret(private_key),
            # A new machine takes minutes to boot and start sshd.
            dial_error_limit=60, per_dial_timeout=15)
        script = "#!/bin/bash\nset -euo pipefail\n" + WAIT_FOR_VOLUME + \
            self.script(service, placement, node, VOLUME)
        return self.push(name, connection, f"{sudo}bash -s", script, node, VOLUME, sudo=sudo,
                         opts=pulumi.ResourceOptions(depends_on=depends_on),
                         triggers=[machine.id])

    def push(self, name: str, connection: remote.ConnectionArgs, run: str, script: str,
             node: WatcherNode | None, volume: str | None = None,
             delete: str | None = None, sudo: str = "",
             opts: pulumi.ResourceOptions | None = None,
             triggers: list[pulumi.Input[str]] | None = None) -> remote.Command:
        """Run ``script`` on the machine over SSH on every ``up`` that changes it.

        Changing it changes no machine. With a ``node``, a second command writes the
        member's first-deploy marker once, after the first install: it is created with
        the member and never runs again (not even when the key or address changes), so
        only the cluster's very first start may bootstrap it (``infra.etcdstart``).
        """
        child = pulumi.ResourceOptions.merge(pulumi.ResourceOptions(parent=self), opts)
        self.install = remote.Command(f"{name}-install", connection=connection,
                                      create=run, update=run, stdin=script, delete=delete,
                                      triggers=triggers, opts=child)
        if node is not None:
            self.first_deploy = remote.Command(
                f"{name}-first-deploy", connection=connection,
                create=f"{sudo}bash -s", stdin=node.first_deploy(volume),
                opts=pulumi.ResourceOptions(parent=self, depends_on=[self.install],
                                            # The first machine's, not each one's.
                                            ignore_changes=["connection", "stdin",
                                                            "create", "triggers"]))
        return self.install

    def finish(self, service: Service, placement: Placement,
               addresses: Sequence[pulumi.Input[str]], node: WatcherNode | None = None) -> None:
        """Set the shared outputs from the component's public addresses and register them."""
        self.vendor = pulumi.Output.from_input(placement.vendor)
        self.hosting = pulumi.Output.from_input(placement.hosting)
        self.addresses = pulumi.Output.all(*addresses).apply(
            lambda values: [str(v) for v in values if v])
        self.port = pulumi.Output.from_input(service.port)
        self.health_url = self.addresses.apply(
            lambda values: health_url(values[0], service.port, service.health_path)
            if values else "")
        if node is not None:
            self.etcd = pulumi.Output.from_input(node.outputs())
        self.register_outputs(self.outputs())

    def outputs(self) -> dict[str, pulumi.Output[Any]]:
        """The shared outputs by name (and ``etcd`` if any), ready for ``pulumi.export``."""
        shared = {key: getattr(self, key) for key in HOSTING_OUTPUTS}
        return {**shared, "etcd": self.etcd} if self.etcd is not None else shared
