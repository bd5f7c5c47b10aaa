"""Registration readiness against Route 53 Domains in the lab's moto (GetDomainDetail,
RetrieveDomainAuthCode, the transfer lock calls as AWS documents them): ``check`` reports a
ready registration, then one whose transfer lock was turned off; ``audit`` names it.
A domain of its own (readiness.test) is registered for the test and deleted after."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from failover.config import load_config
from failover.engine import Engine
from failover.finding import Finding
from lab import aws, motodomains
from tests.integration.certsworld import failover

pytestmark = pytest.mark.integration
DOMAIN = "readiness.test"
STACKS = Path(__file__).resolve().parents[2] / "stacks"


@pytest.fixture
def domains(lab: dict[str, Any]) -> Iterator[Any]:
    """Route 53 Domains in the lab's moto, with DOMAIN registered (and locked)."""
    client = aws.service_client("route53domains", lab["moto"]["endpoint"])
    motodomains.register(client, DOMAIN, ["ns1.example.test.", "ns2.example.test."], {})
    try:
        yield client
    finally:
        client.delete_domain(DomainName=DOMAIN)


def config_with_registrar(lab: dict[str, Any]) -> Path:
    text = Path(lab["config"]).read_text()
    registrar = (f"registrars: {{r53d: {{kind: route53domains, domain: {DOMAIN}, "
                 f"endpoint_url: \"{lab['moto']['endpoint']}\", "
                 "credentials_file: aws-credentials}}")
    text = re.sub(r"^delegation: \{(.*)\}$", lambda m: f"delegation: {{{m.group(1)}, "
                  f"{registrar}}}", text, flags=re.M)
    path = Path(lab["dir"]) / "registration-test.yaml"
    path.write_text(text)
    return path


def finding(config: Path) -> Finding:
    engine = Engine(load_config(config))
    try:
        [row] = engine.registration_findings()
    finally:
        engine.close()
    return row


def test_transfer_lock_off_is_found_by_check_and_named_by_audit(
        lab: dict[str, Any], domains: Any, tmp_path: Path) -> None:
    config = config_with_registrar(lab)
    ready = finding(config)
    assert ready.status == "OK", ready
    assert "transfer lock on, auto-renew on, auth code obtainable" in ready.reason
    assert 700 < ready.metrics["days_left"] < 740  # moto registers for two years here
    shown = json.dumps(ready.evidence)
    code = domains.retrieve_domain_auth_code(DomainName=DOMAIN)["AuthCode"]
    assert code not in shown  # whether it can be had, never the code

    domains.disable_domain_transfer_lock(DomainName=DOMAIN)
    unlocked = finding(config)
    assert unlocked.status == "WARNING" and "transfer lock is off" in unlocked.reason

    stacks = tmp_path / "stacks"
    shutil.copytree(STACKS, stacks, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    done = failover(config, "audit", "--stacks", str(stacks), "--format", "json",
                    "--backend", "file:///tmp/state")
    assert done.returncode in (0, 1), done.stderr
    rows = json.loads(done.stdout)["vendors"]["r53d"]
    assert [r["kind"] for r in rows] == ["registration"]
    assert "transfer lock is off" in rows[0]["what"] and not rows[0]["blocking"]
