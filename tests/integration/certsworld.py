"""Two Pebble ACME CAs beside the shared lab, checking DNS-01 at its BIND, and the helpers
the certificate tests share: a config with a ``certs:`` section, ``failover`` as a user
runs it, what each DNS server serves, and chain verification against a CA's root.

The CAs are started per test (0.6 s for both); the config is the lab's own plus a
``certs:`` section, written in the lab's folder (reset removes it).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lab import core as lab_core
from lab import pebble
from lab.procs import LabError

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
                 verify: str | None = None, bucket: str | None = None,
                 hook: Path | None = None) -> Path:
    text = Path(lab["config"]).read_text()
    if verify:
        text = re.sub(r"^verify: .*$", f"verify: {verify}", text, flags=re.M)
    text += pebble.config_section(cas, str(certs))
    if bucket:  # a second target at another vendor: moto's S3
        text += (f"    - {{kind: s3, bucket: {bucket}, prefix: standby, endpoint_url: "
                 f"\"{lab['moto']['endpoint']}\", credentials_file: aws-credentials}}\n")
    if hook:  # a third, at a third place: the lab's webhook receiver (vendor gcp)
        text += f"    - {{kind: webhook, url_file: \"{hook}\"}}\n"
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
