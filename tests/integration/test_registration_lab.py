"""Registration readiness against Route 53 Domains in the lab's moto (GetDomainDetail,
RetrieveDomainAuthCode, the transfer lock calls as AWS documents them): ``check`` reports a
ready registration, then one whose transfer lock was turned off; ``audit`` names it, and a
hosting whose certificate lives only in ACM. An expiry under 30 days, auto-renew off and an
auth code refused are made by the lab's own ``LabSetRegistration`` (no Route 53 Domains
call sets an expiry under a year, or makes the registry refuse); hostile registry text
(escapes, huge strings, many statuses) reaches neither the finding nor the terminal.
A domain of its own (readiness.test) is registered for the test and deleted after."""

from __future__ import annotations

import json
import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from failover import registration
from failover.config import load_config
from failover.engine import Engine
from failover.finding import Finding
from failover.registrars import make_registrar
from failover.untrusted import clean
from lab import aws, motodomains
from tests.hypo import cases
from tests.integration.certsworld import failover

pytestmark = pytest.mark.integration
DOMAIN = "readiness.test"
DAY = 86400.0
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


def config_with_registrar(lab: dict[str, Any], acm: bool = False) -> Path:
    text = Path(lab["config"]).read_text()
    if acm:  # aws-use1's certificate lives only in AWS Certificate Manager
        text, n = re.subn(r"^(  aws-use1: +\{vendor: aws, )", r"\1certificate: acm, ", text,
                          flags=re.M)
        assert n == 1, text
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
    config = config_with_registrar(lab, acm=True)
    ready = finding(config)
    assert ready.status == "OK", ready
    assert "transfer lock on, auto-renew on, auth code obtainable" in ready.reason
    assert 700 < ready.metrics["days_left"] < 740  # moto registers for two years here
    shown = json.dumps(ready.evidence)
    code = domains.retrieve_domain_auth_code(DomainName=DOMAIN)["AuthCode"]
    assert code not in shown  # whether it can be had, never the code
    assert code not in clean(f"a library's debug line: {code}")  # and masked if echoed

    domains.disable_domain_transfer_lock(DomainName=DOMAIN)
    unlocked = finding(config)
    assert unlocked.status == "WARNING" and "transfer lock is off" in unlocked.reason
    assert "Fix at r53d: turn the transfer lock on" in unlocked.reason

    stacks = tmp_path / "stacks"
    shutil.copytree(STACKS, stacks, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    done = failover(config, "audit", "--stacks", str(stacks), "--format", "json",
                    "--backend", "file:///tmp/state")
    assert done.returncode in (0, 1), done.stderr
    vendors = json.loads(done.stdout)["vendors"]
    rows = vendors["r53d"]
    assert [r["kind"] for r in rows] == ["registration"]
    assert "transfer lock is off" in rows[0]["what"] and not rows[0]["blocking"]
    [acm] = [r for r in vendors["aws"] if r["kind"] == "certificate"]
    assert acm["what"] == "hosting aws-use1's certificate lives only in AWS Certificate Manager"
    assert "bound to aws" in acm["loss"] and acm["blocking"]  # no certs: section here
    assert done.returncode == 1  # it blocks recovery: audit says so in its exit code


def test_expiry_under_thirty_days_with_auto_renew_off_is_critical_and_blocks_recovery(
        lab: dict[str, Any], domains: Any) -> None:
    config = config_with_registrar(lab)
    motodomains.set_registration(lab["moto"]["endpoint"], DOMAIN, expires=time.time() + 12 * DAY)
    soon = finding(config)
    assert soon.status == "WARNING" and "expires in 12 days (under 30)" in soon.reason
    assert "auto-renew is on" in soon.reason and 11 < soon.metrics["days_left"] < 13

    domains.disable_domain_auto_renew(DomainName=DOMAIN)
    lapsing = finding(config)
    assert lapsing.status == "CRITICAL" and "auto-renew is OFF" in lapsing.reason
    assert "Fix at r53d: renew it now and turn auto-renew on" in lapsing.reason
    [dep] = registration.dependencies(registration.read_config(load_config(config)),
                                      time.time())
    assert dep.vendor == "r53d" and dep.blocking and "may lapse" in dep.loss
    assert dep.what.startswith(f"{DOMAIN} at r53d: expires in 12 days")


def test_auto_renew_off_alone_is_a_warning(lab: dict[str, Any], domains: Any) -> None:
    domains.disable_domain_auto_renew(DomainName=DOMAIN)
    off = finding(config_with_registrar(lab))
    assert off.status == "WARNING", off
    assert off.reason.startswith("auto-renew is off") and "turn auto-renew on" in off.reason
    assert off.evidence[0]["auto_renew"] is False


def test_an_auth_code_refused_is_found_and_blocks_recovery(lab: dict[str, Any],
                                                           domains: Any) -> None:
    config = config_with_registrar(lab)
    motodomains.set_registration(lab["moto"]["endpoint"], DOMAIN, refuse_auth_code=(
        "InvalidInput", "The domain is suspended"))
    refused = finding(config)
    assert refused.status == "WARNING", refused
    assert "the auth code cannot be had now" in refused.reason
    assert "InvalidInput: The domain is suspended" in refused.reason
    assert refused.evidence[0]["auth_code"] is False
    [dep] = registration.dependencies(registration.read_config(load_config(config)),
                                      time.time())
    assert dep.blocking and "r53d blocks recovery" in dep.loss


# What a terminal would act on: C0 and C1 controls (ESC, CSI), DEL, bidi overrides.
UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
HOSTILE = st.lists(st.sampled_from(["\x1b[2J", "\x1b]0;pwned\x07", "\u202e", "\x9b31m", "\x00",
                                    "\n", "[bold]", "<b>", "ok", "é",
                                    "clientTransferProhibited"]),
                   max_size=40).map(lambda parts: "".join(parts) * 50)


def test_hostile_registry_text_is_inert_in_the_finding_and_on_the_terminal(
        lab: dict[str, Any], domains: Any) -> None:
    config = config_with_registrar(lab)
    endpoint = lab["moto"]["endpoint"]
    registrar = make_registrar("r53d", load_config(config))

    @cases(50)
    @given(st.lists(HOSTILE, max_size=60), HOSTILE)
    @example(["ok"] * 500, "\x1b[2J" * 10_000)  # more statuses than EPP has; a huge message
    def inert(status: list[str], message: str) -> None:
        motodomains.set_registration(endpoint, DOMAIN, status=status,
                                     refuse_auth_code=("InvalidInput", message or "no"))
        [row] = registration.findings(registration.read({"r53d": registrar}), time.time())
        shown = [row.reason, *(str(s) for s in row.evidence[0]["status"]),
                 str(row.evidence[0]["auth_code_error"])]
        assert not any(UNSAFE.search(t) for t in shown), shown
        assert len(row.evidence[0]["status"]) <= 20
        assert all(len(s) <= 60 for s in row.evidence[0]["status"])
        assert len(row.reason) < 2000

    try:
        inert()
    finally:
        registrar.close()
    # The last hostile answer, as the operator's terminal shows it.
    motodomains.set_registration(endpoint, DOMAIN, status=["\x1b]0;pwned\x07" * 1000],
                                 refuse_auth_code=("InvalidInput", "\x1b[2J\u202e" * 5000))
    done = failover(config, "check", timeout=300)
    assert done.returncode in (0, 1, 2), done.stderr
    assert "\x1b" not in done.stdout + done.stderr and "\u202e" not in done.stdout
    assert "r53d" in done.stdout and "auth code" in done.stdout
