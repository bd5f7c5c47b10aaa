"""A private CA per check (``ca_file``) and a check's port per hosting (``ports``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from failover.config import HttpCheck, TlsCheck, parse_config
from failover.errors import ConfigError
from failover.probes import Target, targets_for
from tests.unit.test_probes import (
    HOST,
    Certs,
    certs,  # noqa: F401 - the fixture
    http,
    run_tls,
)

BASE = (Path(__file__).resolve().parents[2] / "examples" / "failover.yaml").read_text()
CHECK = "  - {kind: http, port: 8080, path: /healthz, expect_status: [200], body_contains: ok, " \
        "timeout: 2s}\n"
assert CHECK in BASE


def test_https_trusts_the_checks_ca_file(certs: Certs) -> None:  # noqa: F811
    # The test CA is in no system store: only ca_file can make this verify.
    result = run_tls(certs.leaf, lambda p: http(p, kind="https", host="svc.test",
                                                ca_file=str(certs.ca)))
    assert result.ok, result.reason
    plain = run_tls(certs.leaf, lambda p: http(p, kind="https", host="svc.test"))
    assert plain.reason.startswith("TLS: certificate verify failed")


def test_ca_file_replaces_rather_than_adds(certs: Certs) -> None:  # noqa: F811
    result = run_tls(certs.selfsigned, lambda p: http(p, kind="https", host="svc.test",
                                                      ca_file=str(certs.ca)))
    assert result.reason.startswith("TLS: certificate verify failed")


def test_tls_check_trusts_its_ca_file(certs: Certs) -> None:  # noqa: F811
    result = run_tls(certs.leaf, lambda p: Target(
        "h1", "127.0.0.1", TlsCheck(kind="tls", port=p, server_name="svc.test",
                                    ca_file=str(certs.ca)), zone_host=HOST))
    assert result.ok, result.reason


def test_ports_per_hosting_and_ca_file_from_the_config_folder(tmp_path: Path) -> None:
    (tmp_path / "ca.pem").write_text("not read here\n")
    text = BASE.replace(CHECK, "  - {kind: https, port: 443, ports: {gcp-euw1: 8443}, "
                               "ca_file: ca.pem}\n  - {kind: tcp, port: 22, "
                               "ports: {metal-fra: 2222}}\n")
    (tmp_path / "failover.yaml").write_text(text)
    config = parse_config(text, str(tmp_path / "failover.yaml"))
    endpoints = {name: {"A": h.endpoints.A}  # type: ignore[union-attr]
                 for name, h in config.hosting.items()}
    got = {(t.hosting, t.check.kind): t.check.port for t in targets_for(config, endpoints)}
    assert got == {("aws-use1", "https"): 443, ("gcp-euw1", "https"): 8443,
                   ("metal-fra", "https"): 443, ("aws-use1", "tcp"): 22,
                   ("gcp-euw1", "tcp"): 22, ("metal-fra", "tcp"): 2222}
    https = [t.check for t in targets_for(config, endpoints) if t.check.kind == "https"]
    assert {c.ca_file for c in https} == {str(tmp_path / "ca.pem")}
    assert isinstance(config.checks[0], HttpCheck) and config.checks[0].ca_file == "ca.pem"


@pytest.mark.parametrize(("check", "says"), [
    ("{kind: tcp, port: 22, ports: {nowhere: 2222}}", "unknown hosting 'nowhere'"),
    ("{kind: tcp, port: 22, ports: {aws-use1: 0}}", "greater than or equal to 1"),
    ("{kind: https, ca_file: missing.pem}", "no such file"),
    ("{kind: http, ca_file: ca.pem}", "ca_file goes with kind: https"),
])
def test_bad_ports_and_ca_files(tmp_path: Path, check: str, says: str) -> None:
    (tmp_path / "ca.pem").write_text("x\n")
    text = BASE.replace(CHECK, f"  - {check}\n")
    with pytest.raises(ConfigError) as info:
        parse_config(text, str(tmp_path / "failover.yaml"))
    assert says in str(info.value)
    assert info.value.line is not None
