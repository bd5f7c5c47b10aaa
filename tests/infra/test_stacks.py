"""Every Pulumi.<stack>.yaml in stacks/ runs under the mocks and exports what inventory reads."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pulumi
import pytest
import yaml

from infra.dns import DNS_OUTPUTS
from infra.hosting import HOSTING_OUTPUTS
from stacks import program
from tests.infra.harness import AWS_EIP, Harness

STACKS = Path(program.__file__).parent
STACK_FILES = sorted(STACKS.glob("Pulumi.*.yaml"))
# What `pulumi config set --secret` adds to a stack; never written in the files.
SECRETS = {"metal": {"failover:privateKey": "-----BEGIN OPENSSH PRIVATE KEY-----"}}
HOSTING_STACK_OUTPUTS = {"aws-prod": {"addresses": [AWS_EIP, "2001:db8::10"]}}


def _stack_config(path: Path) -> dict[str, Any]:
    return dict(yaml.safe_load(path.read_text(encoding="utf-8"))["config"])


def test_every_target_has_a_stack_and_every_stack_a_target() -> None:
    targets = [_stack_config(p)["failover:target"] for p in STACK_FILES]
    assert sorted(targets) == sorted(program.TARGETS)


def test_service_description_is_valid() -> None:
    description = program.load_description()
    assert description.service.port != 22
    assert {r.type for r in description.dns.managed} <= {"A", "AAAA", "CNAME"}


@pytest.mark.parametrize("path", STACK_FILES, ids=lambda p: p.name)
def test_stack_builds_and_exports_its_shape(path: Path) -> None:
    config = _stack_config(path)
    target = config["failover:target"]
    secrets = SECRETS.get(target, {})
    harness = Harness(config={**config, **secrets}, secret_keys=list(secrets),
                      stack_outputs=HOSTING_STACK_OUTPUTS)
    try:
        exports = harness.run(lambda: program.build(target, program.load_description()))
    finally:
        Harness.configure({}, [])
    if target in ("route53", "clouddns"):
        assert set(exports) == set(DNS_OUTPUTS)
        assert exports["name_servers"]
    else:
        assert set(HOSTING_OUTPUTS) <= set(exports)
        assert exports["hosting"] == config["failover:hosting"]
        assert exports["addresses"]
        assert exports["port"] == program.load_description().service.port
    if target in ("aws", "gcp"):
        assert exports["backup"]["url"].startswith(("s3://", "gs://"))


def test_initial_answers_from_a_hosting_stack() -> None:
    harness = Harness(config={"failover:target": "route53", "aws:region": "us-east-1",
                              "failover:initialFrom": "aws-prod"},
                      stack_outputs=HOSTING_STACK_OUTPUTS)
    try:
        harness.run(lambda: program.build("route53", program.load_description()))
    finally:
        Harness.configure({}, [])
    ref = harness.one("pulumi:pulumi:StackReference")
    assert ref.inputs["name"] == f"{pulumi.get_organization()}/failover/aws-prod"
    records = harness.of_type("aws:route53/record:Record")
    managed = [r for r in records if r.ignore_changes]
    assert managed and all(r.inputs["records"] == [AWS_EIP] for r in managed)


def test_main_exports_the_build(monkeypatch: pytest.MonkeyPatch) -> None:
    exported: dict[str, Any] = {}
    monkeypatch.setattr(pulumi, "export", lambda key, value: exported.__setitem__(key, value))
    harness = Harness(config=_stack_config(STACKS / "Pulumi.hetzner-prod.yaml"))
    try:
        harness.run(lambda: program.main())
    finally:
        Harness.configure({}, [])
    assert set(exported) == set(HOSTING_OUTPUTS)


def test_unknown_target_is_one_clear_error() -> None:
    with pytest.raises(ValueError, match="failover:target 'azure' is not one of"):
        program.build("azure", program.load_description())
