"""Whatever stops an issuance after the tokens are written (Ctrl-C while the CA is asked,
the CA refusing), the tokens are withdrawn through the same journaled path. The CA side
is a stand-in here (an interrupt cannot be timed against a real one); the DNS side is
the in-memory provider behind the real engine, move and journal. Issuance against real
CAs is tests/integration/test_certs_lab.py."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from failover.certs import issue
from failover.certs.client import Challenge
from failover.clock import FakeClock
from failover.config import parse_config
from failover.engine import Engine
from failover.errors import CertError
from tests.unit.memprovider import MemProvider

CONFIG = """
service: s
zone: example.test.
records: [{name: www, type: A}]
vendors: {aws: {}, metal: {}}
hosting: {a: {vendor: aws, endpoints: {A: [10.0.0.1]}}}
dns:
  r53: {vendor: aws, kind: route53, hosted_zone_id: Z1}
  bind: {vendor: metal, kind: rfc2136, server: 127.0.0.1}
verify: {timeout: 1s, interval: 100ms}
certs:
  cas: {one: {directory: "https://ca.test/dir"}}
  targets: [{kind: dir, path: certs}]
"""
TOKEN = "_acme-challenge.www.example.test."


class StandInAccount:
    """The CA's side of an order; ``fail`` raises when the CA is asked to validate."""

    fail: BaseException = KeyboardInterrupt()

    def __init__(self, config: Any, ca: str) -> None:
        self.asked = False

    def order(self, names: list[str]) -> tuple[object, bytes, list[Challenge]]:
        return object(), b"key", [Challenge("www.example.test", TOKEN, "tok3n", None)]

    def answer(self, pending: list[Challenge]) -> None:
        raise type(self).fail

    def finalize(self, order: object) -> str:
        raise AssertionError("never reached")

    def close(self) -> None:
        pass


@pytest.fixture
def engine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
           ) -> Iterator[tuple[Engine, dict[str, MemProvider]]]:
    (tmp_path / "failover.yaml").write_text(CONFIG + f"journal: {tmp_path}/j.sqlite\n")
    config = parse_config((tmp_path / "failover.yaml").read_text(),
                          str(tmp_path / "failover.yaml"))
    mems = {"r53": MemProvider("r53", "aws", config.zone),
            "bind": MemProvider("bind", "metal", config.zone)}
    e = Engine(config, clock=FakeClock(), provider_factory=lambda n, _c: mems[n])
    monkeypatch.setattr(issue, "Account", StandInAccount)
    yield e, mems
    e.close()


@pytest.mark.parametrize("fault", [KeyboardInterrupt(), CertError("CA one refused: x")])
def test_the_tokens_are_withdrawn_whatever_stops_the_issuance(
        engine: tuple[Engine, dict[str, MemProvider]], monkeypatch: pytest.MonkeyPatch,
        fault: BaseException) -> None:
    e, mems = engine
    monkeypatch.setattr(StandInAccount, "fail", fault)
    with pytest.raises(type(fault)):
        issue.issue(e, "one", ["www"])
    for mem in mems.values():
        written = [(c.action, c.key.name) for c in mem.applied if "acme" in c.key.name]
        assert written == [("create", TOKEN), ("delete", TOKEN)], written
        assert not [k for k in mem.records if k.name == TOKEN]
    moves = e.journal.moves()
    assert [(m.kind, m.state) for m in moves] == [("acme-challenge", "done")] * 2
    assert e.journal.events(kind="acme-validate")  # asked only after every one served it
