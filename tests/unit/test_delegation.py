"""The delegation engine with a registrar loaded through the plugin point: planning without a
vendor's name servers, the refusals, journal and rollback, and reconcile's advice.

The plugin is registered as a real entry point: a distribution's metadata written into a
folder put on ``sys.path``, as an installed package's would be."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from failover import delegation
from failover.clock import FakeClock
from failover.config import Config, parse_config
from failover.errors import ConfigError, ProviderConflict, UnsafePlanError
from failover.journal import Journal
from failover.registrars import make_registrar
from failover.registrars.base import Registrar


class MemoryRegistrar(Registrar):
    """A registrar in memory, as a third-party plugin would be written."""

    def __init__(self, name: str, settings: dict[str, Any], config: Config) -> None:
        super().__init__(name, config.zone)
        self.names = sorted(settings["names"])

    def read(self) -> list[str]:
        return list(self.names)

    def write(self, before: Sequence[str], after: Sequence[str]) -> None:
        if self.names != sorted(before):
            raise ProviderConflict(self.name, "changed since the plan")
        self.names = sorted(after)


TEXT = """\
service: s
zone: example.org.
records: [{name: www}]
vendors: {aws: {}, metal: {}, gcp: {}}
hosting: {h: {vendor: metal, endpoints: {A: [192.0.2.1]}}}
dns:
  a: {vendor: aws, kind: rfc2136, server: 192.0.2.53, ns_names: [ns1.aws.test, ns2.aws.test]}
  m: {vendor: metal, kind: rfc2136, server: 192.0.2.54, ns_names: [ns1.metal.test]}
  g: {vendor: gcp, kind: rfc2136, server: 192.0.2.55, ns_names: [ns1.gcp.test]}
delegation:
  parent_servers: ["127.0.0.1:9"]
  timeout: 0.2s
  registrars:
    mem: {kind: plugin, entry_point: memory,
          settings: {names: [ns1.aws.test., ns2.aws.test., ns1.metal.test., ns1.gcp.test.]}}
"""


def register_plugins(folder: Path, plugins: dict[str, str]) -> None:
    """Install entry points in the failover.registrars group, as a package's metadata."""
    info = folder / "failover_test_registrars-0.dist-info"
    info.mkdir(parents=True, exist_ok=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: failover-test-registrars\n"
                                   "Version: 0\n")
    (info / "entry_points.txt").write_text(
        "[failover.registrars]\n" + "".join(f"{k} = {v}\n" for k, v in plugins.items()))


@pytest.fixture(autouse=True)
def memory_plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    register_plugins(tmp_path / "site", {"memory": "tests.unit.test_delegation:MemoryRegistrar",
                                         "gone": "nope.nothing:Here"})
    monkeypatch.syspath_prepend(str(tmp_path / "site"))


def setup(tmp_path: Path) -> tuple[Config, dict[str, Registrar]]:
    config = parse_config(TEXT, str(tmp_path / "failover.yaml"))
    return config, {"mem": make_registrar("mem", config)}


def held(registrars: dict[str, Registrar]) -> list[str]:
    return registrars["mem"].read()


def test_plan_drops_the_vendors_names_and_apply_journals_then_rollback_restores(
        tmp_path: Path) -> None:
    config, registrars = setup(tmp_path)
    p = delegation.plan(config, {}, registrars, ["aws"])
    assert p.registrars[0].after == ["ns1.gcp.test.", "ns1.metal.test."]
    assert p.owners["ns1.aws.test."] == "aws" and not p.refusals and not p.blockers
    journal, clock = Journal(tmp_path / "j.sqlite"), FakeClock()
    result = delegation.apply(p, registrars, journal, clock, config, args={},
                              verify_timeout=1, verify_interval=0.1)
    assert result.state == "done" and held(registrars) == ["ns1.gcp.test.", "ns1.metal.test."]
    target = delegation.rollback_target(journal, None)
    back = delegation.rollback_plan(config, journal, target, registrars)
    assert back.registrars[0].after == sorted(["ns1.aws.test.", "ns2.aws.test.",
                                               "ns1.metal.test.", "ns1.gcp.test."])
    again = delegation.apply(back, registrars, journal, clock, config, args={},
                             kind="delegation-rollback", rollback_of=target.id,
                             verify_timeout=1, verify_interval=0.1)
    assert again.state == "done" and len(held(registrars)) == 4
    with pytest.raises(Exception, match="no delegation move to roll back"):
        delegation.rollback_target(journal, None)


def test_one_vendor_left_needs_force_and_empty_never_goes(tmp_path: Path) -> None:
    config, registrars = setup(tmp_path)
    p = delegation.plan(config, {}, registrars, ["aws", "gcp"])
    assert p.refusals and "only 1 name server" in p.refusals[0]
    with pytest.raises(UnsafePlanError, match="--force"):
        delegation.check_safety(p, force=False)
    delegation.check_safety(p, force=True)
    empty = delegation.plan(config, {}, registrars, ["aws", "gcp", "metal"])
    with pytest.raises(UnsafePlanError, match=r"empty.*not even with --force"):
        delegation.check_safety(empty, force=True)


def test_a_changed_ns_set_fails_the_registrar_and_the_move_says_so(tmp_path: Path) -> None:
    config, registrars = setup(tmp_path)
    p = delegation.plan(config, {}, registrars, ["aws"])
    registrars["mem"].names.append("ns9.someone.test.")  # type: ignore[attr-defined]
    result = delegation.apply(p, registrars, Journal(tmp_path / "j.sqlite"), FakeClock(),
                              config, args={}, verify_timeout=0.1, verify_interval=0.1)
    assert result.state == "failed" and "changed since the plan" in str(result.steps[0].error)


def test_a_plugin_that_is_not_there_is_one_config_line(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"failover\.yaml:\d+: delegation\.registrars\.mem\."
                                          r"entry_point: no registrar plugin 'nope' is installed"):
        parse_config(TEXT.replace("entry_point: memory", "entry_point: nope"),
                     str(tmp_path / "failover.yaml"))
    config = parse_config(TEXT.replace("entry_point: memory", "entry_point: gone"),
                          str(tmp_path / "failover.yaml"))
    with pytest.raises(ConfigError, match=r"delegation\.registrars\.mem\.entry_point: plugin "
                                          r"'gone' \(nope\.nothing:Here\) cannot be loaded"):
        make_registrar("mem", config)


def test_reconcile_advises_the_delegation_move_for_a_terminated_dns_vendor(
        tmp_path: Path) -> None:
    config, _ = setup(tmp_path)
    assert delegation.advice(config, []) is None
    assert delegation.advice(config, ["hetzner"]) is None
    said = delegation.advice(config, ["aws"])
    assert said is not None and "DNS vendor aws is TERMINATED" in said
    assert "failover delegation move --off aws" in said


def test_the_runbook_says_how_to_move_the_delegation_off_a_dns_vendor(tmp_path: Path) -> None:
    from failover.runbook import render

    config, _ = setup(tmp_path)
    text = render(config, tmp_path / "failover.yaml", vendor="aws", now=0.0)
    assert "delegation plan --off aws" in text and "delegation move --off aws" in text
    bare = parse_config(TEXT.split("delegation:")[0], str(tmp_path / "failover.yaml"))
    assert "Ask the registrar" in render(bare, tmp_path / "failover.yaml", vendor="aws", now=0.0)
