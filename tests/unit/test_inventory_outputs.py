"""The inventory never needs the stacks' passphrase, and reads the port the stacks opened."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from failover.config import load_config
from failover.errors import InventoryError
from failover.inventory import port_warnings, resolve_endpoints, resolve_inventory
from tests.unit.test_inventory import (
    PULUMI_CWD,
    _calls,
    _config,
    _invoke,
    fake_pulumi,
    no_pulumi,
)

__all__ = ["fake_pulumi", "no_pulumi"]  # fixtures, used by name


def test_pulumi_runs_without_the_passphrase(tmp_path: Path, fake_pulumi: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE", "every stack secret")
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE_FILE", "/run/secrets/pulumi")
    resolve_endpoints(load_config(_config(tmp_path, PULUMI_CWD)))
    calls = _calls(fake_pulumi)
    assert calls and not any(c["passphrase"] for c in calls)


def test_a_cli_that_asks_for_the_passphrase_points_at_the_export(
        tmp_path: Path, fake_pulumi: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAKE_PULUMI_NEEDS_PASSPHRASE", "1")
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE", "every stack secret")
    with pytest.raises(InventoryError) as exc:
        resolve_endpoints(load_config(_config(tmp_path, PULUMI_CWD)))
    message = str(exc.value)
    assert "never hands it" in message and "inventory.export_file" in message
    assert "every stack secret" not in message


def test_port_and_health_url_are_read_beside_the_addresses(tmp_path: Path,
                                                           no_pulumi: None) -> None:
    export = tmp_path / "exports"
    export.mkdir()
    (export / "aws-prod.json").write_text(json.dumps(
        {"addresses": ["203.0.113.10"], "port": 8080,
         "health_url": "http://203.0.113.10:8080/healthz"}))
    (export / "hetzner-prod.json").write_text(json.dumps({"addresses": ["192.0.2.30"]}))
    inventory = resolve_inventory(load_config(_config(
        tmp_path, "inventory: {export_file: exports}\n")))
    by_name = {h.name: h for h in inventory.hostings}
    assert by_name["aws-use1"].port == 8080
    assert by_name["aws-use1"].health_url == "http://203.0.113.10:8080/healthz"
    assert by_name["hetzner-fsn1"].port is None
    # The config's checks probe tcp 8080: nothing to say.
    assert port_warnings(inventory) == []
    assert inventory.to_json()["hostings"][0]["port"] == 8080


def test_a_port_no_check_probes_is_a_warning_and_exit_1(tmp_path: Path,
                                                        no_pulumi: None) -> None:
    export = tmp_path / "exports"
    export.mkdir()
    (export / "aws-prod.json").write_text(json.dumps(
        {"addresses": ["203.0.113.10"], "port": 9090}))
    (export / "hetzner-prod.json").write_text(json.dumps({"addresses": ["192.0.2.30"]}))
    path = _config(tmp_path, "inventory: {export_file: exports}\n")
    warnings = port_warnings(resolve_inventory(load_config(path)))
    assert len(warnings) == 1
    assert "serves on port 9090, but the checks probe 8080" in warnings[0]
    result = _invoke("-c", str(path), "inventory")
    assert result.return_value == 1, result.output
    assert "failover: warning: " in result.stderr


@pytest.mark.parametrize("port", ["http", -1, 70000, True, [8080]])
def test_a_bad_port_output_is_one_line(tmp_path: Path, no_pulumi: None, port: object) -> None:
    export = tmp_path / "exports"
    export.mkdir()
    (export / "aws-prod.json").write_text(json.dumps({"addresses": ["203.0.113.10"],
                                                      "port": port}))
    (export / "hetzner-prod.json").write_text(json.dumps({"addresses": ["192.0.2.30"]}))
    inventory = resolve_inventory(load_config(_config(
        tmp_path, "inventory: {export_file: exports}\n")))
    assert any("not a port number" in e for e in inventory.errors)


def test_example_config_probes_the_port_the_stacks_open() -> None:
    from stacks.program import load_description

    root = Path(__file__).resolve().parents[2]
    from failover.inventory import probed_ports

    config = load_config(root / "examples" / "failover.yaml")
    assert load_description().service.port in probed_ports(config)


def _etcd_exports(tmp_path: Path) -> Path:
    export = tmp_path / "exports"
    export.mkdir()
    for stack, address in [("aws-prod", "203.0.113.10"), ("hetzner-prod", "192.0.2.30")]:
        (export / f"{stack}.json").write_text(json.dumps(
            {"addresses": [address], "port": 8080,
             "etcd": {"member": stack, "client_url": f"https://{address}:2379",
                      "peer_url": f"https://{address}:2380"}}))
    return _config(tmp_path, "inventory: {export_file: exports}\n")


def test_cluster_endpoints_come_from_the_stacks(tmp_path: Path, no_pulumi: None) -> None:
    from failover.inventory import cluster_section

    inventory = resolve_inventory(load_config(_etcd_exports(tmp_path)))
    mine = {"endpoints": ["https://old:2379"], "node": "laptop", "vendor": "home",
            "tls": {"ca_file": "ca.crt"}}
    assert cluster_section(inventory, mine) == {
        **mine, "endpoints": ["https://192.0.2.30:2379", "https://203.0.113.10:2379"]}
    # Without a section of its own the config gets no half-filled one.
    assert cluster_section(inventory, None) is None


def test_resolved_config_names_the_members_it_could_not_place(tmp_path: Path,
                                                              no_pulumi: None) -> None:
    from failover.inventory import resolved_config_text

    text = resolved_config_text(resolve_inventory(load_config(_etcd_exports(tmp_path))))
    assert "The stacks run etcd members (https://192.0.2.30:2379, https://203.0.113.10:2379)" \
        in text
    assert "\ncluster:" not in text


def test_an_etcd_output_without_an_https_client_url_is_refused(tmp_path: Path,
                                                                no_pulumi: None) -> None:
    export = tmp_path / "exports"
    export.mkdir()
    (export / "aws-prod.json").write_text(json.dumps(
        {"addresses": ["203.0.113.10"], "etcd": {"client_url": "http://203.0.113.10:2379"}}))
    (export / "hetzner-prod.json").write_text(json.dumps({"addresses": ["192.0.2.30"]}))
    inventory = resolve_inventory(load_config(_config(
        tmp_path, "inventory: {export_file: exports}\n")))
    assert any("no https client_url" in e for e in inventory.errors)


def test_resolved_config_fills_the_cluster_endpoints_from_the_stacks(tmp_path: Path,
                                                                     no_pulumi: None) -> None:
    from failover.config import parse_config
    from failover.inventory import resolved_config_text

    path = _etcd_exports(tmp_path)
    path.write_text(path.read_text() + "cluster: {endpoints: ['https://old.example:2379'], "
                    "node: laptop, vendor: aws, ttl: 30s, watchers: [w1, w2, w3], "
                    "tls: {ca_file: ca.crt}}\n")
    text = resolved_config_text(resolve_inventory(load_config(path)))
    cluster = parse_config(text, str(path)).cluster
    assert cluster is not None
    assert cluster.endpoints == ["https://192.0.2.30:2379", "https://203.0.113.10:2379"]
    assert cluster.node == "laptop" and cluster.vendor == "aws"
