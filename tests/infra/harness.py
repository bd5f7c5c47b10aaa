"""Pulumi's unit-test mocks, recording what every component asks the engine for.

``Harness.run`` runs a program under ``pulumi.runtime.set_mocks`` with
``preview=False`` and returns its resolved value. The mocks answer every
output the tests assert (addresses, name servers, bucket names) with fixed
values below; the monitor keeps each registration's inputs and options
(``ignore_changes``, parent, delete-before-replace) and each component's
registered outputs, which the mocks API alone does not show.
"""

from __future__ import annotations

import asyncio
import json
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pulumi
from pulumi.runtime import rpc, settings
from pulumi.runtime.mocks import MockCallArgs, MockMonitor, MockResourceArgs

AWS_EIP = "203.0.113.10"
GCP_ADDRESS = "198.51.100.20"
HETZNER_V4 = "192.0.2.30"
HETZNER_V6 = "2001:db8:30::1"
ROUTE53_NS = ["ns-1.awsdns-01.org.", "ns-2.awsdns-02.co.uk."]
CLOUDDNS_NS = ["ns-cloud-a1.googledomains.com.", "ns-cloud-a2.googledomains.com."]
ROUTE53_ZONE_ID = "Z0123456789EXAMPLE"

# How the wire format marks a secret value.
SIG_KEY = "4dabf18193072939515e22adb298388d"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"

# Hetzner's answers for getServerType (as of 2026): the cx*2 line is retired.
_LOCATIONS = ("fsn1", "nbg1", "hel1")
HETZNER_TYPES: dict[str, dict[str, Any]] = {
    "cx23": {"id": 104, "name": "cx23", "locations": [
        {"id": i, "name": n, "available": True, "recommended": True, "isDeprecated": False,
         "deprecationAnnounced": "", "unavailableAfter": ""}
        for i, n in enumerate(_LOCATIONS, 1)]},
    "cx22": {"id": 22, "name": "cx22", "locations": [
        {"id": i, "name": n, "available": False, "recommended": False, "isDeprecated": True,
         "deprecationAnnounced": "2025-10-16T00:00:00Z",
         "unavailableAfter": "2025-12-31T00:00:00Z"}
        for i, n in enumerate(_LOCATIONS, 1)]},
}
# The zones of us-east-1 that offer each instance type (us-east-1e offers no t3).
AWS_OFFERINGS = {"t3.small": ["us-east-1c", "us-east-1a", "us-east-1b"],
                 "m7i.large": ["us-east-1d"]}

PROJECT = "failover"
STACK = "test"


@dataclass
class Registration:
    """One resource as the engine saw it."""

    type: str
    name: str
    urn: str
    custom: bool
    inputs: dict[str, Any]
    ignore_changes: list[str]
    delete_before_replace: bool
    parent: str
    outputs: dict[str, Any] = field(default_factory=dict)
    # Inputs sent to the engine as secrets (their values above are unwrapped).
    secret_inputs: set[str] = field(default_factory=set)
    protect: bool = False
    retain_on_delete: bool = False
    # URNs of the resources this one waits for (depends_on and inputs' dependencies).
    dependencies: list[str] = field(default_factory=list)
    # Former names this resource answers to (``aliases``), as alias names.
    alias_names: list[str] = field(default_factory=list)


class Mocks(pulumi.runtime.Mocks):
    """Answers resources and invokes with inputs plus the computed outputs the tests assert."""

    def __init__(self, stack_outputs: dict[str, dict[str, Any]]) -> None:
        self.stack_outputs = stack_outputs
        self.calls: list[MockCallArgs] = []
        # The SSH keys already in the Hetzner project (getSshKeys' answer).
        self.hetzner_keys: list[dict[str, Any]] = []

    def new_resource(self, args: MockResourceArgs) -> tuple[str, dict[str, Any]]:
        outputs = dict(args.inputs)
        rid = f"{args.name}-id"
        typ = args.typ
        if typ.startswith("hcloud:"):
            # Hetzner ids are numbers; derived from the name, so that they do not depend
            # on the order in which the engine happened to register resources.
            rid = str(1000 + zlib.crc32(args.name.encode()) % 1_000_000)
        if typ == "aws:ec2/eip:Eip":
            outputs["publicIp"] = AWS_EIP
        elif typ == "aws:ec2/keyPair:KeyPair":
            outputs["keyName"] = args.name
        elif typ == "aws:route53/zone:Zone":
            outputs.update(zoneId=ROUTE53_ZONE_ID, nameServers=ROUTE53_NS)
        elif typ == "aws:s3/bucket:Bucket":
            rid = f"{args.inputs.get('bucketPrefix', '')}0001"
            outputs["bucket"] = rid
        elif typ == "gcp:compute/address:Address":
            outputs["address"] = GCP_ADDRESS
        elif typ == "gcp:dns/managedZone:ManagedZone":
            outputs.update(name=f"{args.name}-1234", nameServers=CLOUDDNS_NS)
        elif typ == "gcp:storage/bucket:Bucket":
            outputs["name"] = f"{args.name}-5678"
        elif typ == "hcloud:index/server:Server":
            outputs.update(ipv4Address=HETZNER_V4, ipv6Address=HETZNER_V6)
        elif typ == "pulumi:pulumi:StackReference":
            stack = str(args.inputs["name"]).rsplit("/", 1)[-1]
            outputs.update(outputs=self.stack_outputs.get(stack, {}), secretOutputNames=[])
        return rid, outputs

    def call(self, args: MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        self.calls.append(args)
        answers: dict[str, dict[str, Any]] = {
            "aws:ec2/getAmi:getAmi": {"id": "ami-0debian12", "architecture": "x86_64"},
            "aws:ec2/getVpc:getVpc": {"id": "vpc-default", "default": True},
            "aws:ec2/getSubnets:getSubnets": {"ids": ["subnet-b", "subnet-a"]},
        }
        if args.token == "hcloud:index/getSshKeys:getSshKeys":
            return {"id": "keys", "sshKeys": self.hetzner_keys}, []
        if args.token == "hcloud:index/getServerType:getServerType":
            return HETZNER_TYPES.get(str(args.args.get("name")), {}), []
        if args.token == "aws:ec2/getInstanceTypeOfferings:getInstanceTypeOfferings":
            wanted = [v for f in args.args.get("filters", []) if f["name"] == "instance-type"
                      for v in f["values"]]
            return {"locations": [z for t in wanted for z in AWS_OFFERINGS.get(t, [])]}, []
        return answers.get(args.token, {}), []


class Monitor(MockMonitor):
    """The mock monitor, also keeping what ``Mocks.new_resource`` is not told."""

    def __init__(self, mocks: Mocks) -> None:
        super().__init__(mocks)
        self.registrations: dict[str, Registration] = {}

    def RegisterResource(self, request: Any) -> Any:
        response = super().RegisterResource(request)
        if request.type != "pulumi:pulumi:Stack":
            inputs = rpc.deserialize_properties(request.object)
            secrets = {k for k, v in inputs.items() if _is_secret(v)}
            self.registrations[response.urn] = Registration(
                type=request.type, name=request.name, urn=response.urn,
                custom=bool(request.custom),
                inputs={k: _unwrap(v) for k, v in inputs.items()}, secret_inputs=secrets,
                ignore_changes=list(request.ignoreChanges),
                delete_before_replace=bool(request.deleteBeforeReplace),
                parent=request.parent, protect=bool(request.protect),
                retain_on_delete=bool(request.retainOnDelete),
                dependencies=list(request.dependencies),
                alias_names=[a.spec.name or a.urn.rsplit("::", 1)[-1]
                             for a in request.aliases])
        return response

    def ReadResource(self, request: Any) -> Any:
        response = super().ReadResource(request)
        self.registrations[response.urn] = Registration(
            type=request.type, name=request.name, urn=response.urn, custom=True,
            inputs=_unwrap(rpc.deserialize_properties(request.properties)),
            ignore_changes=[], delete_before_replace=False, parent=request.parent)
        return response

    def RegisterResourceOutputs(self, request: Any) -> Any:
        if request.urn in self.registrations:
            self.registrations[request.urn].outputs = rpc.deserialize_properties(request.outputs)
        return super().RegisterResourceOutputs(request)


def _is_secret(value: Any) -> bool:
    return isinstance(value, dict) and value.get(SIG_KEY) == SECRET_SIG


def _unwrap(value: Any) -> Any:
    if _is_secret(value):
        return _unwrap(value["value"])
    if isinstance(value, dict):
        return {k: _unwrap(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_unwrap(v) for v in value]
    return value


class Harness:
    """A fresh Pulumi runtime under mocks: run programs, then look at what they registered."""

    def __init__(self, config: dict[str, Any] | None = None,
                 secret_keys: list[str] | None = None,
                 stack_outputs: dict[str, dict[str, Any]] | None = None) -> None:
        # Pulumi's runtime uses the thread's event loop; a test elsewhere that ran
        # asyncio.run() leaves none behind.
        asyncio.set_event_loop(asyncio.new_event_loop())
        self.mocks = Mocks(stack_outputs or {})
        self.monitor = Monitor(self.mocks)
        self.configure(config or {}, secret_keys or [])
        # The runtime is global: drop the previous test's root stack, then install ours.
        settings.set_root_resource(None)  # type: ignore[arg-type]
        pulumi.runtime.set_mocks(self.mocks, project=PROJECT, stack=STACK, preview=False,
                                 monitor=self.monitor)

    @staticmethod
    def configure(config: dict[str, Any], secret_keys: list[str]) -> None:
        """Stack config as the CLI passes it: strings, structured values as JSON."""
        pulumi.runtime.set_all_config(
            {k: v if isinstance(v, str) else json.dumps(v) for k, v in config.items()},
            secret_keys)

    def run(self, program: Callable[[], Any]) -> Any:
        """Run ``program`` to completion; return its value with every output resolved."""
        result: list[Any] = []

        @pulumi.runtime.test
        def _run() -> pulumi.Output[Any]:
            return pulumi.Output.from_input(program()).apply(result.append)

        _run()
        return result[0]

    def of_type(self, typ: str) -> list[Registration]:
        return [r for r in self.monitor.registrations.values() if r.type == typ]

    def one(self, typ: str) -> Registration:
        found = self.of_type(typ)
        assert len(found) == 1, f"expected one {typ}, found {len(found)}"
        return found[0]

    def component(self, name: str) -> Registration:
        found = [r for r in self.monitor.registrations.values()
                 if r.name == name and not r.custom]
        assert len(found) == 1, f"expected one component named {name}"
        return found[0]

    def children_of(self, parent: Registration) -> list[Registration]:
        return [r for r in self.monitor.registrations.values() if r.parent == parent.urn]
