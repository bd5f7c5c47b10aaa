"""``failover certs`` against two real ACME CAs (Pebble, twice, each with its own root)
that validate DNS-01 by asking the lab's BIND, with the challenge tokens written by
failover's own DNS path at BIND (and so Knot, its secondary) and Route 53 (moto).
See certsworld.py for the CAs and helpers.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lab import knot, pebble
from tests.integration.certsworld import (
    CHALLENGES,
    cas,
    failover,
    txt_everywhere,
    verifies,
    write_config,
)

pytestmark = pytest.mark.integration
__all__ = ["cas"]  # a fixture


def test_issue_from_the_second_ca_through_every_dns_provider(
        lab: dict[str, Any], cas: dict[str, Any], tmp_path: Path) -> None:
    from failover.journal import Journal
    from lab import aws

    s3 = aws.service_client("s3", lab["moto"]["endpoint"])
    s3.create_bucket(Bucket="certs-standby")
    url = tmp_path / "certs-hook.url"  # the lab's webhook receiver stores PUTs, serves GETs
    url.write_text(f"http://127.0.0.1:{lab['webhook']['port']}/standby-{tmp_path.name}\n")
    config = write_config(lab, cas, tmp_path / "certs", bucket="certs-standby", hook=url)
    done = failover(config, "certs", "issue", "--ca", "pebble-b", "--format", "json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)["result"]
    assert result["names"] == ["example.test", "www.example.test", "api.example.test"]
    assert result["saved"] == [f"dir:{tmp_path / 'certs'}", "s3://certs-standby/standby",
                               f"webhook:{url}"]

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
        ("pebble-b", f"dir:{tmp_path / 'certs'}"), ("pebble-b", "s3://certs-standby/standby"),
        ("pebble-b", f"webhook:{url}")]
    stored = (Path(lab["webhook"]["root"]) / f"standby-{tmp_path.name}" / "pebble-b"
              / "example.test")
    assert (stored / "fullchain.pem").read_bytes() == chain
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
