"""The Route 53 provider against the lab's moto server: reads, batched changes, conflicts,
throttling and refused credentials (injected with botocore's event hooks in front of
moto, which accepts any key and never throttles), and a 3,000-record plan."""

from __future__ import annotations

import socket
import time
from pathlib import Path
from typing import Any

import pytest
from botocore.awsrequest import AWSResponse

from failover.clock import FakeClock
from failover.config import Config, Route53Provider, load_config, parse_config
from failover.dns.query import DnsAuthority
from failover.dns.route53 import MAX_CHANGES, MAX_RECORDS, Backoff, Route53
from failover.errors import (
    ConfigError,
    ProviderAuthError,
    ProviderConflict,
    ProviderError,
    ProviderUnreachable,
)
from failover.records import Change, RRKey, RRSet
from lab import aws
from lab.core import route53_answers

pytestmark = pytest.mark.integration

ZONE = "example.test."
WWW, API, APEX = f"www.{ZONE}", f"api.{ZONE}", ZONE
MANAGED = [(APEX, "A"), (WWW, "A"), (API, "A")]
START = "127.0.0.11"
CHANGE_CALL = "before-call.route53.ChangeResourceRecordSets"
CONFIG = """\
service: s
zone: example.test.
records: [{name: www}]
vendors: {aws: {}}
hosting: {h: {vendor: aws, endpoints: {A: [192.0.2.1]}}}
dns:
  route53: {vendor: aws, kind: route53, hosted_zone_id: Z1, credentials_file: aws-credentials}
"""


class RecordingClock(FakeClock):
    """A fake clock that remembers every sleep."""

    def __init__(self) -> None:
        super().__init__()
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        super().sleep(seconds)


def config_of(lab: dict[str, Any]) -> Config:
    return load_config(Path(lab["dir"]) / "failover.yaml")


def route53(lab: dict[str, Any], clock: FakeClock | None = None, **settings: Any) -> Route53:
    """The lab's ``route53`` provider, with some settings replaced."""
    config = config_of(lab)
    base = config.dns["route53"]
    assert isinstance(base, Route53Provider)
    return Route53("route53", base.model_copy(update=settings), config,
                   clock=clock or RecordingClock())


def a(name: str, *values: str, ttl: int = 60, set_id: str | None = None,
      weight: int | None = None) -> RRSet:
    return RRSet.of(name, "A", ttl, values, set_id, weight)


def fail_first(provider: Route53, event: str, times: int, code: str,
               status: int = 400) -> list[int]:
    """Make the first ``times`` calls of ``event`` answer ``code``; returns a call counter."""
    calls = [0]

    def handler(**_: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
        calls[0] += 1
        if calls[0] > times:
            return None  # on to moto
        body = {"Error": {"Code": code, "Message": f"injected {code}"},
                "ResponseMetadata": {"HTTPStatusCode": status}}
        return AWSResponse("http://injected", status, {}, None), body

    provider.client.meta.events.register(event, handler)
    return calls


def test_read_returns_the_hosted_zone(lab: dict[str, Any]) -> None:
    got = route53(lab).read([*MANAGED, (f"nope.{ZONE}", "A"), (WWW, "AAAA")])
    assert got == {RRKey(n, "A"): a(n, START) for n, _ in MANAGED}


def test_read_many_keys_pages_through_the_zone(lab: dict[str, Any]) -> None:
    keys = [*MANAGED, *((f"n{i}.{ZONE}", "A") for i in range(20))]
    assert route53(lab).read(keys) == {RRKey(n, "A"): a(n, START) for n, _ in MANAGED}


def test_update_create_delete_are_visible(lab: dict[str, Any]) -> None:
    provider = route53(lab)
    provider.apply([Change("update", a(WWW, START), a(WWW, "127.0.0.12", "127.0.0.13")),
                    Change("create", None, a(f"new.{ZONE}", "127.0.0.20", ttl=30))])
    assert provider.batches_sent == 1
    assert route53_answers(lab, "www") == ["127.0.0.12", "127.0.0.13"]
    assert route53_answers(lab, "new") == ["127.0.0.20"]
    assert route53_answers(lab, "api") == [START]
    provider.apply([Change("delete", a(f"new.{ZONE}", "127.0.0.20", ttl=30), None),
                    Change("update", a(WWW, "127.0.0.12", "127.0.0.13"), a(WWW, START))])
    assert route53_answers(lab, "new") == []
    assert route53_answers(lab, "www") == [START]


def test_stale_before_image_is_a_conflict_and_changes_nothing(lab: dict[str, Any]) -> None:
    provider = route53(lab)
    # Someone else moved www after our plan was made.
    aws.client(lab["moto"]["endpoint"]).change_resource_record_sets(
        HostedZoneId=lab["moto"]["hosted_zone_id"], ChangeBatch={"Changes": [
            {"Action": "UPSERT", "ResourceRecordSet": {
                "Name": WWW, "Type": "A", "TTL": 60,
                "ResourceRecords": [{"Value": "127.0.0.50"}]}}]})
    with pytest.raises(ProviderConflict) as caught:
        provider.apply([Change("update", a(API, START), a(API, "127.0.0.12")),
                        Change("update", a(WWW, START), a(WWW, "127.0.0.12"))])
    assert f"{WWW} A (plan expected {START}, Route 53 has 127.0.0.50)" in str(caught.value)
    assert provider.batches_sent == 0
    assert route53_answers(lab, "www") == ["127.0.0.50"]
    assert route53_answers(lab, "api") == [START]


def test_create_over_an_existing_record_is_a_conflict(lab: dict[str, Any]) -> None:
    with pytest.raises(ProviderConflict, match="plan expected nothing"):
        route53(lab).apply([Change("create", None, a(WWW, "127.0.0.12"))])
    assert route53_answers(lab, "www") == [START]


def test_route53_refusing_a_batch_is_a_conflict(lab: dict[str, Any]) -> None:
    provider = route53(lab)
    fail_first(provider, CHANGE_CALL, 1, "InvalidChangeBatch")
    with pytest.raises(ProviderConflict, match="injected InvalidChangeBatch"):
        provider.apply([Change("update", a(WWW, START), a(WWW, "127.0.0.12"))])


def test_throttling_is_retried_with_growing_delays(lab: dict[str, Any]) -> None:
    clock = RecordingClock()
    provider = route53(lab, clock)
    calls = fail_first(provider, CHANGE_CALL, 4, "Throttling")
    provider.apply([Change("update", a(WWW, START), a(WWW, "127.0.0.12"))])
    assert calls[0] == 5
    assert route53_answers(lab, "www") == ["127.0.0.12"]
    assert len(clock.sleeps) == 4
    assert clock.sleeps == sorted(clock.sleeps) and clock.sleeps[-1] > clock.sleeps[0] * 2
    assert all(0.1 <= s <= 5.0 for s in clock.sleeps)


def test_prior_request_and_5xx_are_retried(lab: dict[str, Any]) -> None:
    clock = RecordingClock()
    provider = route53(lab, clock)
    fail_first(provider, CHANGE_CALL, 1, "PriorRequestNotComplete")
    fail_first(provider, "before-call.route53.ListResourceRecordSets", 2, "InternalError",
               status=503)
    provider.apply([Change("update", a(WWW, START), a(WWW, "127.0.0.12"))])
    assert route53_answers(lab, "www") == ["127.0.0.12"]
    assert len(clock.sleeps) == 3


def lose_first_answer(provider: Route53, status: int = 500) -> list[int]:
    """Let the first ChangeResourceRecordSets reach moto and apply, then turn its answer
    into ``status`` InternalError, as when Route 53 applies a batch but the answer is lost."""
    calls = [0]

    def handler(http_response: AWSResponse, parsed: dict[str, Any], **_: Any) -> None:
        calls[0] += 1
        if calls[0] == 1:
            http_response.status_code = status
            parsed.clear()
            parsed.update({"Error": {"Code": "InternalError", "Message": "injected"},
                           "ResponseMetadata": {"HTTPStatusCode": status}})

    provider.client.meta.events.register("after-call.route53.ChangeResourceRecordSets",
                                         handler)
    return calls


def test_a_batch_applied_before_its_answer_was_lost_is_not_a_conflict(
        lab: dict[str, Any]) -> None:
    provider = route53(lab)
    calls = lose_first_answer(provider)
    provider.apply([Change("update", a(WWW, START), a(WWW, "127.0.0.12"))])
    # The retry's DELETE of the old answer found nothing: Route 53 refused it, and the
    # provider saw that the first try had already made the planned state.
    assert calls[0] == 2
    assert route53_answers(lab, "www") == ["127.0.0.12"]
    assert provider.batches_sent == 1


def test_a_retried_batch_that_meets_someone_elses_change_is_still_a_conflict(
        lab: dict[str, Any]) -> None:
    provider = route53(lab)
    other = route53(lab)
    calls = [0]

    def meddle(**_: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
        calls[0] += 1
        if calls[0] > 1:
            return None
        # Someone else writes between our tries, and our first try "fails" with a 503.
        other.apply([Change("update", a(WWW, START), a(WWW, "127.0.0.99"))])
        body = {"Error": {"Code": "ServiceUnavailable", "Message": "injected"},
                "ResponseMetadata": {"HTTPStatusCode": 503}}
        return AWSResponse("http://injected", 503, {}, None), body

    provider.client.meta.events.register(CHANGE_CALL, meddle)
    with pytest.raises(ProviderConflict):
        provider.apply([Change("update", a(WWW, START), a(WWW, "127.0.0.12"))])
    assert route53_answers(lab, "www") == ["127.0.0.99"]


def test_endless_throttling_gives_up(lab: dict[str, Any]) -> None:
    clock = RecordingClock()
    provider = route53(lab, clock)
    calls = fail_first(provider, CHANGE_CALL, 100, "ThrottlingException")
    with pytest.raises(ProviderError, match="still answered ThrottlingException after 6 tries"):
        provider.apply([Change("update", a(WWW, START), a(WWW, "127.0.0.12"))])
    assert calls[0] == Backoff().tries
    assert clock.sleeps[-1] <= Backoff().cap
    assert route53_answers(lab, "www") == [START]


def test_refused_credentials_are_an_auth_error(lab: dict[str, Any],
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    key_id, secret = "AKIAFAKEKEYID000001", "fake/secret+key/value0000000000000000000"
    monkeypatch.setenv("LAB_AWS_ID", key_id)
    monkeypatch.setenv("LAB_AWS_SECRET", secret)
    for code in ("InvalidClientTokenId", "AccessDenied", "AccountSuspended"):
        provider = route53(lab, credentials_file=None, access_key_id_env="LAB_AWS_ID",
                           secret_access_key_env="LAB_AWS_SECRET")
        fail_first(provider, "before-call.route53.ListResourceRecordSets", 1, code, 403)
        with pytest.raises(ProviderAuthError) as caught:
            provider.read(MANAGED)
        message = str(caught.value)
        assert code in message and "$LAB_AWS_ID and $LAB_AWS_SECRET" in message
        assert key_id not in message and secret not in message
        assert secret not in repr(provider)


def test_missing_credentials_are_a_config_error(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "aws-credentials").write_text("[default]\naws_access_key_id = a\n"
                                              "aws_secret_access_key = b\n")
    config = parse_config(CONFIG, str(tmp_path / "failover.yaml"))
    base = config.dns["route53"]
    assert isinstance(base, Route53Provider)

    def build(**settings: Any) -> Route53:
        return Route53("route53", base.model_copy(update=settings), config)

    assert "aws-credentials [default]" in repr(build())
    monkeypatch.delenv("LAB_NO_AWS_ID", raising=False)
    monkeypatch.setenv("LAB_AWS_SECRET", "x")
    with pytest.raises(ConfigError, match="LAB_NO_AWS_ID is not set") as caught:
        build(credentials_file=None, access_key_id_env="LAB_NO_AWS_ID",
              secret_access_key_env="LAB_AWS_SECRET")
    assert caught.value.key == "dns.route53.access_key_id_env"
    with pytest.raises(ConfigError, match=r"has no \[ops\] section"):
        build(profile="ops")
    with pytest.raises(ConfigError, match="does not exist"):
        build(credentials_file="nowhere/credentials")
    with pytest.raises(ConfigError, match="not both"):
        build(access_key_id_env="LAB_AWS_ID", secret_access_key_env="LAB_AWS_SECRET")


def test_unknown_hosted_zone(lab: dict[str, Any]) -> None:
    with pytest.raises(ProviderError, match="hosted zone ZNOSUCHZONE1 not found"):
        route53(lab, hosted_zone_id="ZNOSUCHZONE1").read(MANAGED)


def test_dead_endpoint_is_unreachable(lab: dict[str, Any]) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    provider = route53(lab, endpoint_url=f"http://127.0.0.1:{port}", timeout=1.0)
    start = time.monotonic()
    with pytest.raises(ProviderUnreachable, match=f"127.0.0.1:{port}"):
        provider.read(MANAGED)
    assert time.monotonic() - start < 5


def test_dead_endpoint_is_tried_once(lab: dict[str, Any]) -> None:
    # botocore's "max_attempts": 1 meant one retry of a refused connection, after a sleep
    # of up to a second, on every read of every watcher's cycle while Route 53 is gone.
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    provider = route53(lab, endpoint_url=f"http://127.0.0.1:{port}", timeout=1.0)
    sent: list[str] = []
    provider.client.meta.events.register("before-send", lambda **kw: sent.append(
        kw["request"].url) and None)
    with pytest.raises(ProviderUnreachable):
        provider.read(MANAGED)
    assert len(sent) == 1


def test_weighted_record_sets(lab: dict[str, Any]) -> None:
    provider = route53(lab)
    name = f"w.{ZONE}"
    blue, green = a(name, "127.0.0.21", set_id="blue", weight=70), \
        a(name, "127.0.0.22", set_id="green", weight=30)
    provider.apply([Change("create", None, blue), Change("create", None, green)])
    assert provider.read([(name, "A")]) == {blue.key: blue, green.key: green}
    drained = a(name, "127.0.0.21", set_id="blue", weight=0)
    provider.apply([Change("update", blue, drained)])
    assert provider.read([(name, "A")]) == {blue.key: drained, green.key: green}
    # More members than one lookup page holds.
    many = [a(f"m.{ZONE}", f"127.0.1.{i}", set_id=f"s{i:02}", weight=i) for i in range(25)]
    provider.apply([Change("create", None, rr) for rr in many])
    assert provider.read([(f"m.{ZONE}", "A"), (name, "A")]) == {
        rr.key: rr for rr in [*many, drained, green]}


def test_weighted_sets_of_two_names_with_one_identifier_are_apart(lab: dict[str, Any]) -> None:
    # failover names a weighted member after its hosting, so www and api share identifiers.
    provider = route53(lab)
    w1, w2 = f"w1.{ZONE}", f"w2.{ZONE}"
    one, two = a(w1, "127.0.0.21", set_id="aws", weight=1), a(w2, "127.0.0.22", set_id="aws",
                                                                weight=1)
    provider.apply([Change("create", None, one), Change("create", None, two)])
    moved = a(w1, "127.0.0.23", set_id="aws", weight=1)
    provider.apply([Change("update", one, moved)])
    assert provider.read([(w1, "A"), (w2, "A")]) == {moved.key: moved, two.key: two}
    with pytest.raises(ProviderConflict, match="do not match the current values"):
        # Same values, another weight: Route 53 deletes only an exact match.
        provider.call("ChangeResourceRecordSets", provider.client.change_resource_record_sets,
                      HostedZoneId=provider.zone_id, ChangeBatch={"Changes": [
                          {"Action": "DELETE", "ResourceRecordSet": {
                              "Name": w2, "Type": "A", "TTL": 60, "SetIdentifier": "aws",
                              "Weight": 2, "ResourceRecords": [{"Value": "127.0.0.22"}]}}]})


def test_alias_records_are_left_out(lab: dict[str, Any]) -> None:
    aws.client(lab["moto"]["endpoint"]).change_resource_record_sets(
        HostedZoneId=lab["moto"]["hosted_zone_id"], ChangeBatch={"Changes": [
            {"Action": "CREATE", "ResourceRecordSet": {
                "Name": f"alias.{ZONE}", "Type": "A", "AliasTarget": {
                    "HostedZoneId": lab["moto"]["hosted_zone_id"], "DNSName": WWW,
                    "EvaluateTargetHealth": False}}}]})
    provider = route53(lab)
    assert provider.read([(f"alias.{ZONE}", "A"), (WWW, "A")]) == {RRKey(WWW, "A"): a(WWW, START)}
    many = [(f"alias.{ZONE}", "A"), *((f"n{i}.{ZONE}", "A") for i in range(10))]
    assert provider.read(many) == {}


def test_authorities(lab: dict[str, Any]) -> None:
    api = route53(lab).authorities()
    assert [x.label for x in api] == ["route53 API"]
    assert api[0].read(MANAGED) == {RRKey(n, "A"): a(n, START) for n, _ in MANAGED}
    servers = route53(lab, verify="nameservers").authorities()
    assert servers and all(isinstance(x, DnsAuthority) and x.port == 53 for x in servers)
    assert all(x.label == f"route53 {x.host}" for x in servers if isinstance(x, DnsAuthority))


def test_three_thousand_records_in_batches(lab: dict[str, Any]) -> None:
    provider = route53(lab)
    rrsets = [a(f"h{i}.bulk.{ZONE}", f"10.3.{i // 256}.{i % 256}") for i in range(3000)]
    keys = [(rr.name, rr.rtype) for rr in rrsets]
    sent: list[list[dict[str, Any]]] = []

    def spy(params: dict[str, Any], **_: Any) -> None:
        sent.append(params["ChangeBatch"]["Changes"])

    provider.client.meta.events.register(
        "before-parameter-build.route53.ChangeResourceRecordSets", spy)
    provider.apply([Change("create", None, rr) for rr in rrsets])
    assert provider.batches_sent == len(sent) == 3000 // MAX_CHANGES
    assert provider.read(keys) == {rr.key: rr for rr in rrsets}

    sent.clear()
    new_values = ("192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.4")
    moved = [a(rr.name, *new_values) for rr in rrsets]
    provider.apply([Change("update", old, new) for old, new in zip(rrsets, moved, strict=True)])
    # 5 records per update (1 deleted, 4 created): the record limit binds before the
    # change limit, and every DELETE is in the batch of its CREATE.
    assert provider.batches_sent == len(sent) == 3000 * 5 // MAX_RECORDS
    for batch in sent:
        assert len(batch) <= MAX_CHANGES
        assert sum(len(c["ResourceRecordSet"]["ResourceRecords"]) for c in batch) <= MAX_RECORDS
        deleted = {c["ResourceRecordSet"]["Name"] for c in batch if c["Action"] == "DELETE"}
        created = {c["ResourceRecordSet"]["Name"] for c in batch if c["Action"] == "CREATE"}
        assert deleted == created
    assert provider.read(keys) == {rr.key: rr for rr in moved}
    assert route53_answers(lab, "h2999.bulk") == list(new_values)
