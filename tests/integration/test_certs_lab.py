"""``failover certs`` against two real ACME CAs (Pebble, twice, each with its own root)
that validate DNS-01 by asking the lab's BIND, with the challenge tokens written by
failover's own DNS path at BIND (and so Knot, its secondary) and Route 53 (moto).

The CAs are started per test beside the shared lab (0.6 s for both); the config is the
lab's own plus a ``certs:`` section, written in the lab's folder (reset removes it).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lab import core as lab_core
from lab import knot, pebble
from lab.procs import LabError

pytestmark = pytest.mark.integration
CHALLENGES = ["_acme-challenge.example.test.", "_acme-challenge.www.example.test.",
              "_acme-challenge.api.example.test."]


@pytest.fixture
def cas(lab: dict[str, Any], tmp_path: Path) -> Iterator[dict[str, Any]]:
    """Two Pebble CAs checking DNS-01 at the lab's BIND; their lab.json entries."""
    try:
        entries = pebble.start(tmp_path / "pebble", int(lab["bind"]["port"]))["pebble"]
    except LabError as exc:
        pytest.fail(f"pebble did not start: {exc}", pytrace=False)
    try:
        yield entries
    finally:
        pebble.stop(entries)


def write_config(lab: dict[str, Any], cas: dict[str, Any], certs: Path,
                 verify: str | None = None, bucket: str | None = None) -> Path:
    text = Path(lab["config"]).read_text()
    if verify:
        text = re.sub(r"^verify: .*$", f"verify: {verify}", text, flags=re.M)
    text += pebble.config_section(cas, str(certs))
    if bucket:  # a second target at another vendor: moto's S3
        text += (f"    - {{kind: s3, bucket: {bucket}, prefix: standby, endpoint_url: "
                 f"\"{lab['moto']['endpoint']}\", credentials_file: aws-credentials}}\n")
    path = Path(lab["dir"]) / "certs-test.yaml"
    path.write_text(text)
    return path


def failover(config: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "cli.app", "-c", str(config), *args],
                          capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, "CI": "true"}, stdin=subprocess.DEVNULL)


def txt_everywhere(lab: dict[str, Any], name: str) -> dict[str, list[str]]:
    """What BIND, Knot and Route 53 serve for ``name`` TXT now."""
    from lab import bind

    return {"bind": bind.answers(lab["bind"]["host"], int(lab["bind"]["port"]), name, "TXT"),
            "knot": bind.answers(lab["knot"]["host"], int(lab["knot"]["port"]), name, "TXT"),
            "route53": lab_core.route53_answers(lab, name, "TXT")}


def verifies(chain_pem: bytes, root_pem: bytes, name: str) -> bool:
    """Whether the chain's leaf verifies for ``name`` up to ``root_pem`` (cryptography's
    own path builder, as a TLS client would)."""
    from cryptography import x509
    from cryptography.x509.verification import PolicyBuilder, Store, VerificationError

    certs = x509.load_pem_x509_certificates(chain_pem)
    store = Store([x509.load_pem_x509_certificate(root_pem)])
    verifier = PolicyBuilder().store(store).build_server_verifier(x509.DNSName(name))
    try:
        verifier.verify(certs[0], certs[1:])
    except VerificationError:
        return False
    return True


def test_issue_from_the_second_ca_through_every_dns_provider(
        lab: dict[str, Any], cas: dict[str, Any], tmp_path: Path) -> None:
    from failover.journal import Journal
    from lab import aws

    s3 = aws.service_client("s3", lab["moto"]["endpoint"])
    s3.create_bucket(Bucket="certs-standby")
    config = write_config(lab, cas, tmp_path / "certs", bucket="certs-standby")
    done = failover(config, "certs", "issue", "--ca", "pebble-b", "--format", "json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)["result"]
    assert result["names"] == ["example.test", "www.example.test", "api.example.test"]
    assert result["saved"] == [f"dir:{tmp_path / 'certs'}", "s3://certs-standby/standby"]

    # The tokens were written and verified at BIND, Knot and Route 53 (moto) before the
    # CA was asked to validate, and withdrawn (and verified gone) afterwards.
    journal = Journal(Path(lab["dir"]) / "journal.sqlite")
    try:
        published, withdrawn = result["moves"]["publish"], result["moves"]["withdraw"]
        asked = [e for e in journal.events(kind="acme-validate")]
        assert len(asked) == 1 and json.loads(asked[0]["data"])["move"] == published
        seen = journal.verifications(published)
        labels = {v["authority"] for v in seen if v["ok"]}
        assert labels == {f"bind 127.0.0.1:{lab['bind']['port']}",
                          f"bind 127.0.0.1:{lab['knot']['port']}", "route53 API"}, seen
        assert max(v["at"] for v in seen) <= asked[0]["at"]
        steps = {s.provider: s for s in journal.steps(published)}
        assert {p: s.state for p, s in steps.items()} == {"bind": "applied",
                                                          "route53": "applied"}
        assert sorted(c["after"]["name"] for c in steps["bind"].changes) == sorted(CHALLENGES)
        gone = journal.verifications(withdrawn)
        assert {v["authority"] for v in gone if v["ok"]} == labels
        assert min(v["at"] for v in gone) >= asked[0]["at"]
        assert journal.move(withdrawn).state == "done"  # type: ignore[union-attr]
    finally:
        journal.close()
    for name in CHALLENGES:
        assert txt_everywhere(lab, name) == {"bind": [], "knot": [], "route53": []}

    # The certificate names every managed name and verifies against pebble-b's root
    # only: the two CAs are independent.
    folder = tmp_path / "certs" / "pebble-b" / "example.test"
    chain = (folder / "fullchain.pem").read_bytes()
    assert (folder / "privkey.pem").stat().st_mode & 0o777 == 0o600
    for name in result["names"]:
        assert verifies(chain, pebble.root_pem(cas["pebble-b"]), name)
        assert not verifies(chain, pebble.root_pem(cas["pebble-a"]), name)

    key = s3.get_object(Bucket="certs-standby", Key="standby/pebble-b/example.test/privkey.pem")
    assert key["ServerSideEncryption"] == "AES256"
    assert key["Body"].read() == (folder / "privkey.pem").read_bytes()

    shown = failover(config, "certs", "status", "--format", "json")
    assert shown.returncode == 0, shown.stderr
    certs = json.loads(shown.stdout)["certificates"]
    assert [(c["ca"], c["target"]) for c in certs] == [
        ("pebble-b", f"dir:{tmp_path / 'certs'}"), ("pebble-b", "s3://certs-standby/standby")]
    assert all(c["days_left"] > 21 and c["names"] == result["names"] for c in certs)


@pytest.fixture
def frozen_knot(lab: dict[str, Any]) -> Iterator[None]:
    """Knot's zone updates held: it answers with what it had, so it never sees a token."""
    knot.knotc(lab["dir"], "zone-freeze", lab["zone"])
    try:
        yield
    finally:
        knot.knotc(lab["dir"], "zone-thaw", lab["zone"])


def test_a_lagging_authority_means_the_ca_is_never_asked(
        lab: dict[str, Any], cas: dict[str, Any], tmp_path: Path, frozen_knot: None) -> None:
    from failover.journal import Journal

    config = write_config(lab, cas, tmp_path / "certs", verify="{timeout: 2s, interval: 100ms}")
    done = failover(config, "certs", "issue", "--ca", "pebble-a")
    assert done.returncode == 2, (done.stdout, done.stderr)
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr, done.stderr
    assert "not served everywhere" in lines[0], lines[0]
    assert f"127.0.0.1:{lab['knot']['port']}" in lines[0], lines[0]
    # Pebble never heard an answer to a challenge, and nothing was kept.
    log = (Path(cas["pebble-a"]["folder"]) / "pebble.log").read_text()
    assert "POST /chalZ/" not in log
    assert not (tmp_path / "certs").exists()
    journal = Journal(Path(lab["dir"]) / "journal.sqlite")
    try:
        assert journal.events(kind="acme-validate") == []
        kinds = [m.kind for m in journal.moves()]
        assert kinds == ["acme-challenge", "acme-challenge"]  # published, then withdrawn
    finally:
        journal.close()
    for name in CHALLENGES:
        assert txt_everywhere(lab, name) == {"bind": [], "knot": [], "route53": []}
