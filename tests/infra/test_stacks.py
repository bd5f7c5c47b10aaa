"""Every Pulumi.<stack>.yaml in stacks/ runs under the mocks and exports what inventory reads."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pulumi
import pytest
import yaml

from infra.backup import BACKUP_OUTPUTS
from infra.dns import DNS_OUTPUTS
from infra.hosting import HOSTING_OUTPUTS
from stacks import program
from tests.infra.harness import Harness

STACKS = Path(program.__file__).parent
STACK_FILES = sorted(STACKS.glob("Pulumi.*.yaml"))
REAL_HOST_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAABAgMEBQYHCAkKCwwNDg8QERITFBUWFxgZGhscHR4f"
# What the user sets before the first deploy (the shipped files hold placeholders or
# comments there, refused at preview: see the tests below).
USER_SETS = {
    "metal": {"failover:hostKey": REAL_HOST_KEY},
    "hetzner": {"failover:sshPublicKey": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIUser me@laptop"},
}
# What `pulumi config set --secret` adds to a stack; never written in the files.
SECRETS = {"metal": {"failover:privateKey": "-----BEGIN OPENSSH PRIVATE KEY-----"}}


def _stack_config(path: Path) -> dict[str, Any]:
    return dict(yaml.safe_load(path.read_text(encoding="utf-8"))["config"])


def _build(config: dict[str, Any], secret_keys: list[str] | None = None
           ) -> tuple[Harness, dict[str, Any]]:
    harness = Harness(config=config, secret_keys=secret_keys or [])
    try:
        exports = harness.run(
            lambda: program.build(config["failover:target"], program.load_description()))
    finally:
        Harness.configure({}, [])
    return harness, exports


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
    _, exports = _build({**config, **USER_SETS.get(target, {}), **secrets}, list(secrets))
    if target in ("route53", "clouddns"):
        assert set(DNS_OUTPUTS) <= set(exports)
        assert exports["name_servers"]
    elif target.endswith("-backup"):
        assert set(exports) == set(BACKUP_OUTPUTS)
        assert exports["url"].startswith(("s3://", "gs://"))
    else:
        assert set(HOSTING_OUTPUTS) <= set(exports)
        assert exports["hosting"] == config["failover:hosting"]
        assert exports["addresses"]
        assert exports["port"] == program.load_description().service.port


def test_no_stack_reads_another_stack() -> None:
    for path in STACK_FILES:
        config = _stack_config(path)
        target = config["failover:target"]
        secrets = SECRETS.get(target, {})
        harness, _ = _build({**config, **USER_SETS.get(target, {}), **secrets}, list(secrets))
        assert not harness.of_type("pulumi:pulumi:StackReference"), path.name


def test_shipped_metal_placeholder_host_key_is_refused_at_preview() -> None:
    config = {**_stack_config(STACKS / "Pulumi.metal-prod.yaml"), **SECRETS["metal"]}
    with pytest.raises(Exception, match="not a real ssh-ed25519 key"):
        _build(config, list(SECRETS["metal"]))


def test_hetzner_without_an_ssh_key_is_refused() -> None:
    with pytest.raises(Exception, match="hetzner needs failover:sshPublicKey"):
        _build(_stack_config(STACKS / "Pulumi.hetzner-prod.yaml"))


@pytest.mark.parametrize("key, stack", [("initialFrom", "dns-route53"),
                                        ("initial", "dns-clouddns")])
def test_old_dns_seeding_settings_say_where_seeding_went(key: str, stack: str) -> None:
    config = {**_stack_config(STACKS / f"Pulumi.{stack}.yaml"),
              f"failover:{key}": "aws-prod" if key == "initialFrom" else {"A": ["192.0.2.1"]}}
    with pytest.raises(ValueError, match="pulumi state delete"):
        _build(config)


def test_old_backup_setting_says_where_backups_went() -> None:
    config = {**_stack_config(STACKS / "Pulumi.aws-prod.yaml"), "failover:backupBucket": True}
    with pytest.raises(ValueError, match="backup-aws"):
        _build(config)


def test_main_exports_the_build(monkeypatch: pytest.MonkeyPatch) -> None:
    exported: dict[str, Any] = {}
    monkeypatch.setattr(pulumi, "export", lambda key, value: exported.__setitem__(key, value))
    harness = Harness(config={**_stack_config(STACKS / "Pulumi.hetzner-prod.yaml"),
                              **USER_SETS["hetzner"]})
    try:
        harness.run(lambda: program.main())
    finally:
        Harness.configure({}, [])
    assert set(HOSTING_OUTPUTS) <= set(exported)


def test_unknown_target_is_one_clear_error() -> None:
    with pytest.raises(ValueError, match="failover:target 'azure' is not one of"):
        program.build("azure", program.load_description())
