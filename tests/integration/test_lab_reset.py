"""lab.reset puts a lab back as ``up`` left it, or says it cannot: the shared ``lab`` fixture
is only as good as this."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path
from typing import Any

import pytest

from lab import aws, bind, core, extras
from lab import reset as lab_reset
from lab.core import START_ADDRESS, bind_answers, route53_answers
from lab.procs import alive

pytestmark = pytest.mark.integration


def _dirty(lab: dict[str, Any]) -> None:
    """What tests do to a lab without killing a server."""
    root = Path(lab["dir"])
    secret = (root / "tsig.secret").read_text().strip()
    bind.update(bind.HOST, lab["bind"]["port"], bind.ZONE, secret,
                [("www.example.test.", "A", "192.0.2.99"),
                 ("extra.example.test.", "TXT", '"left behind"')], ttl=30)
    bind.update(bind.HOST, lab["parent"]["port"], bind.PARENT, secret,
                [("other.test.", "NS", "ns.other.test.")])
    r53 = aws.client(lab["moto"]["endpoint"])
    r53.change_resource_record_sets(
        HostedZoneId=lab["moto"]["hosted_zone_id"], ChangeBatch={"Changes": [
            {"Action": "UPSERT", "ResourceRecordSet": {
                "Name": "www.example.test.", "Type": "A", "TTL": 5,
                "ResourceRecords": [{"Value": "192.0.2.98"}]}},
            {"Action": "CREATE", "ResourceRecordSet": {
                "Name": "new.example.test.", "Type": "A", "TTL": 60,
                "ResourceRecords": [{"Value": "192.0.2.97"}]}}]})
    aws.service_client("s3", lab["moto"]["endpoint"]).put_object(
        Bucket=extras.BUCKET, Key="index.html", Body=b"a page")
    (root / "failover.yaml").write_text("changed by a test\n")
    (root / "journal.sqlite").write_bytes(b"a journal")
    (root / "tsig.secret").write_text("d3Jvbmc=\n")
    core.kill(root, "aws")
    core.suspend(root, "aws")


def test_reset_undoes_what_a_test_did(lab: dict[str, Any]) -> None:
    root = Path(lab["dir"])
    config = (root / "failover.yaml").read_text()
    _dirty(lab)
    assert bind_answers(lab, "www") == sorted(["192.0.2.99", START_ADDRESS])

    data = lab_reset.reset(root)

    for name in ("@", "www", "api"):
        assert bind_answers(lab, name) == [START_ADDRESS]
        assert route53_answers(lab, name) == [START_ADDRESS]
    assert bind_answers(lab, "extra", "TXT") == []
    assert route53_answers(lab, "new") == []
    assert (root / "failover.yaml").read_text() == config
    assert not (root / "journal.sqlite").exists()
    assert core.suspended(root) == {}
    assert all(h["alive"] for h in data["origins"]["hostings"].values())
    knot_serial = bind.soa_serial(bind.HOST, lab["knot"]["port"])
    assert knot_serial == bind.soa_serial(bind.HOST, lab["bind"]["port"])


def test_a_lab_with_a_server_gone_is_not_reset(lab: dict[str, Any]) -> None:
    """A killed BIND cannot be put back by a reset: the fixture must start a fresh lab."""
    os.kill(lab["bind"]["pid"], signal.SIGKILL)
    deadline = time.monotonic() + 10
    while alive(lab["bind"]["pid"]) and time.monotonic() < deadline:  # a SIGKILL takes a moment
        time.sleep(0.02)
    with pytest.raises(core.LabError, match="bind is not running"):
        lab_reset.reset(lab["dir"])


def test_a_change_the_reset_does_not_undo_is_caught(lab: dict[str, Any],
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """The comparison after the reset is what makes it safe: with the Route 53 restore made
    a no-op, the left-over record is found and the reset refuses."""
    r53 = aws.client(lab["moto"]["endpoint"])
    r53.change_resource_record_sets(
        HostedZoneId=lab["moto"]["hosted_zone_id"], ChangeBatch={"Changes": [
            {"Action": "CREATE", "ResourceRecordSet": {
                "Name": "new.example.test.", "Type": "A", "TTL": 60,
                "ResourceRecords": [{"Value": "192.0.2.97"}]}}]})
    monkeypatch.setattr(lab_reset, "_restore_route53", lambda endpoint, want: None)
    with pytest.raises(core.LabError, match="still differs from the snapshot: route53"):
        lab_reset.reset(lab["dir"])
