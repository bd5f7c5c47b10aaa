"""The fencing token at every DNS provider kind (issue 19), against real servers: BIND
over RFC 2136 and moto's Route 53 from the shared lab, PowerDNS, and the Cloud DNS and
Cloudflare stand-ins.

For each kind: a fenced write sets ``_failover-fence.<zone>`` TXT and its changes; a
stale writer gets FenceLost and none of its changes lands; a writer that read the
fence before a newer leader advanced it is refused (by the server itself where the
provider can check: RFC 2136, Route 53, Cloud DNS); advancing is idempotent at an
equal epoch and refuses a lower one; no batch starts after the lease's deadline.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from failover.clock import FakeClock
from failover.config import (
    CloudDnsProvider,
    CloudflareProvider,
    Config,
    OctodnsProvider,
    PowerDnsProvider,
    Rfc2136Provider,
    Route53Provider,
    load_config,
    parse_config,
)
from failover.dns.base import Provider
from failover.dns.clouddns import CloudDns
from failover.dns.cloudflare import Cloudflare
from failover.dns.fence import Fence, fence_name, parse_fence
from failover.dns.octodns import Octodns
from failover.dns.powerdns import PowerDns
from failover.dns.query import DnsAuthority
from failover.dns.retry import Backoff
from failover.dns.rfc2136 import Rfc2136
from failover.dns.route53 import Route53
from failover.errors import FenceLost, LeaseWindowClosed, ProviderConflict
from failover.records import Change, RRKey, RRSet
from lab import pdns as lab_pdns
from lab.cfapi import CfZone, FakeCloudflare
from lab.clouddns import ManagedZone
from lab.gcpapi import FakeGcp
from lab.procs import stop
from tests.hypo import cases

pytestmark = pytest.mark.integration

ZONE = "example.test."
WWW, API, APEX = f"www.{ZONE}", f"api.{ZONE}", ZONE
FENCE = RRKey(fence_name(ZONE), "TXT")
START = "127.0.0.11"
KINDS = ["rfc2136", "route53", "clouddns", "cloudflare", "powerdns", "octodns"]
FAST = Backoff(tries=4, base=0.01, cap=0.05)


def a(name: str, *values: str, ttl: int = 60) -> RRSet:
    return RRSet.of(name, "A", ttl, values)


# -- the providers, each with a way to read what its authority holds ------------------

class Kind:
    """One provider kind under test: ``make()`` builds a fresh provider (a second one is
    another leader's process), ``held(keys)`` reads what the authority serves, not
    through the provider's own read where there is a server to ask."""

    def __init__(self, make: Callable[[], Provider],
                 held: Callable[[list[tuple[str, str]]], dict[RRKey, RRSet]]) -> None:
        self.make = make
        self.held = held

    def www(self) -> set[str]:
        got = self.held([(WWW, "A")]).get(RRKey(WWW, "A"))
        return set(got.values) if got else set()

    def fence(self) -> int | None:
        got = self.held([(FENCE.name, "TXT")]).get(FENCE)
        return parse_fence(got.values) if got else None


def _lab_kind(lab: dict[str, Any], kind: str) -> Kind:
    config = load_config(Path(lab["dir"]) / "failover.yaml")
    settings = config.dns["bind" if kind == "rfc2136" else "route53"]
    if kind == "rfc2136":
        assert isinstance(settings, Rfc2136Provider)
        bind = settings

        def make() -> Provider:
            return Rfc2136("bind", bind, config)

        dns = DnsAuthority("bind", lab["bind"]["host"], int(lab["bind"]["port"]), ZONE, 2.0)
        return Kind(make, dns.read)
    assert isinstance(settings, Route53Provider)
    r53 = settings

    def make_r53() -> Provider:
        return Route53("route53", r53, config, backoff=FAST)

    reader = make_r53()
    return Kind(make_r53, reader.read)  # moto has no DNS server: its API is the authority


def _octodns_kind(lab: dict[str, Any]) -> Kind:
    """octoDNS's own RFC 2136 provider (octodns_bind) at the lab's BIND."""
    config = _config(Path(lab["dir"]), f"""\
  octo: {{vendor: v, kind: octodns, class: octodns_bind.Rfc2136Provider,
          settings: {{host: {lab["bind"]["host"]}, port: {lab["bind"]["port"]},
                      key_name: failover-lab., key_secret: file/tsig.secret,
                      key_algorithm: hmac-sha256}}}}""")
    settings = config.dns["octo"]
    assert isinstance(settings, OctodnsProvider)
    octo = settings
    dns = DnsAuthority("bind", lab["bind"]["host"], int(lab["bind"]["port"]), ZONE, 2.0)
    return Kind(lambda: Octodns("octo", octo, config), dns.read)


def _pdns_kind(tmp_path: Path) -> Iterator[Kind]:
    proc, dns_port, api_port, key = lab_pdns.start(tmp_path)
    try:
        lab_pdns.wait_ready(proc, tmp_path, api_port, key, 30)
        lab_pdns.create_zone(api_port, key, ZONE, [APEX, WWW, API], START, 60,
                             ["ns1.example.test."])
        config = _config(tmp_path, f"""\
  pdns: {{vendor: v, kind: powerdns, url: "http://127.0.0.1:{api_port}",
          api_key_file: pdns.key, max_rrsets: 1}}""")
        settings = config.dns["pdns"]
        assert isinstance(settings, PowerDnsProvider)
        pdns = settings
        dns = DnsAuthority("pdns", "127.0.0.1", dns_port, ZONE, 2.0)
        yield Kind(lambda: PowerDns("pdns", pdns, config, backoff=FAST), dns.read)
    finally:
        stop(proc.pid)


CF_TOKEN = "cf-fence-token"
CF_ZONE_ID = "0123456789abcdef0123456789abcdef"


def _cf_kind(tmp_path: Path) -> Iterator[Kind]:
    zone = CfZone(CF_ZONE_ID, ZONE, ["ada.ns.cloudflare.com."])
    for name in (APEX, WWW, API):
        zone.add(zone.records, {"name": name, "type": "A", "content": START, "ttl": 60,
                                "proxied": False})
    (tmp_path / "cf.token").write_text(CF_TOKEN + "\n")
    with FakeCloudflare(CF_TOKEN, [zone]) as fake:
        config = _config(tmp_path, f"""\
  cf: {{vendor: v, kind: cloudflare, zone_id: "{CF_ZONE_ID}", token_file: cf.token,
        url: "{fake.url}", batch_limit: 1}}""")
        settings = config.dns["cf"]
        assert isinstance(settings, CloudflareProvider)
        cf = settings

        def make() -> Provider:
            return Cloudflare("cf", cf, config, backoff=FAST)

        yield Kind(make, make().read)  # no DNS server of ours there: the API answers
    fake.violations.assert_none()


def _gcp_kind(tmp_path: Path) -> Iterator[Kind]:
    zone = ManagedZone("example-test", ZONE, ["ns-cloud-a1.googledomains.com."])
    for name in (APEX, WWW, API):
        zone.rrsets[(name, "A")] = {"kind": "dns#resourceRecordSet", "name": name,
                                    "type": "A", "ttl": 60, "rrdatas": [START]}
    (tmp_path / "gcp.token").write_text("ya29.fence\n")
    with FakeGcp(token="ya29.fence", project="p", dns_zones={"example-test": zone}) as fake:
        config = _config(tmp_path, f"""\
  cdns: {{vendor: v, kind: clouddns, project: p, managed_zone: example-test,
          token_file: gcp.token, url: "{fake.url}", max_rrsets: 2}}""")
        settings = config.dns["cdns"]
        assert isinstance(settings, CloudDnsProvider)
        cdns = settings

        def make() -> Provider:
            return CloudDns("cdns", cdns, config, backoff=FAST)

        yield Kind(make, make().read)
    fake.violations.assert_none()


def _config(tmp_path: Path, provider: str) -> Config:
    return parse_config(f"""\
service: s
zone: {ZONE}
records: [{{name: "@"}}, {{name: www}}, {{name: api}}]
vendors: {{v: {{}}}}
hosting: {{h: {{vendor: v, endpoints: {{A: [192.0.2.1]}}}}}}
dns:
{provider}
""", str(tmp_path / "failover.yaml"))


@pytest.fixture
def powerdns_kind(tmp_path: Path) -> Iterator[Kind]:
    yield from _pdns_kind(tmp_path)


@pytest.fixture
def cloudflare_kind(tmp_path: Path) -> Iterator[Kind]:
    yield from _cf_kind(tmp_path)


@pytest.fixture
def clouddns_kind(tmp_path: Path) -> Iterator[Kind]:
    yield from _gcp_kind(tmp_path)


def kind_named(request: pytest.FixtureRequest, name: str) -> Kind:
    """The provider kind ``name``: BIND and Route 53 from the shared lab, the others
    started for this test."""
    if name in ("rfc2136", "route53"):
        return _lab_kind(request.getfixturevalue("lab"), name)
    if name == "octodns":
        return _octodns_kind(request.getfixturevalue("lab"))
    got = request.getfixturevalue(f"{name}_kind")
    assert isinstance(got, Kind)
    return got


@pytest.fixture(params=KINDS)
def kind(request: pytest.FixtureRequest) -> Kind:
    return kind_named(request, request.param)


def move_www(p: Provider, *values: str) -> Change:
    """The change that moves www from what ``p`` holds now to ``values``."""
    before = p.read([(WWW, "A")])[RRKey(WWW, "A")]
    return Change("update", before, a(WWW, *values))


# -- 1. a fenced write sets the fence and its changes ---------------------------------

def test_a_fenced_write_sets_the_fence_and_the_changes(kind: Kind) -> None:
    p = kind.make()
    p.apply([move_www(p, "127.0.0.12")], Fence(100))
    assert kind.www() == {"127.0.0.12"}
    assert kind.fence() == 100
    assert p.read_fence() == 100


# -- 2. a stale writer writes nothing -------------------------------------------------

def test_a_stale_writer_gets_fence_lost_and_nothing_of_it_lands(kind: Kind) -> None:
    new, old = kind.make(), kind.make()
    new.apply([move_www(new, "127.0.0.12")], Fence(100))
    with pytest.raises(FenceLost) as lost:
        old.apply([move_www(old, "127.0.0.66")], Fence(99))
    assert str(lost.value) == (f"{old.name}: fenced by a newer leader (epoch 100 > our 99): "
                               f"this node writes nothing more")
    assert (lost.value.held, lost.value.ours) == (100, 99)
    assert kind.www() == {"127.0.0.12"}
    assert kind.fence() == 100


# -- 4. advancing -----------------------------------------------------------------------

def test_advance_is_idempotent_at_an_equal_epoch_and_refuses_a_lower_one(kind: Kind) -> None:
    p = kind.make()
    assert p.advance_fence(Fence(7)) is None
    assert kind.fence() == 7
    assert p.advance_fence(Fence(7)) == 7
    assert p.advance_fence(Fence(9)) == 7
    assert kind.fence() == 9
    with pytest.raises(FenceLost):
        kind.make().advance_fence(Fence(8))
    assert kind.fence() == 9
    assert kind.www() == {START}  # the fence, nothing else


# -- the lease's deadline -----------------------------------------------------------------

def test_no_batch_starts_after_the_deadline(kind: Kind) -> None:
    p = kind.make()
    with pytest.raises(LeaseWindowClosed) as closed:
        p.apply([move_www(p, "127.0.0.12")], Fence(5, deadline=time.monotonic() - 0.01))
    assert "was not sent" in str(closed.value)
    assert kind.www() == {START}
    assert kind.fence() is None


# -- a plan's own conflict is still the plan's -------------------------------------------

def test_a_changed_record_under_a_held_fence_is_a_plain_conflict(kind: Kind) -> None:
    p, other = kind.make(), kind.make()
    stale = move_www(p, "127.0.0.12")
    other.apply([move_www(other, "127.0.0.13")], Fence(3))
    with pytest.raises(ProviderConflict) as conflict:
        p.apply([stale], Fence(3))
    assert not isinstance(conflict.value, FenceLost)
    assert kind.www() == {"127.0.0.13"}


# -- 3. the race: a newer leader advances the fence after this writer read it ---------

# The method each provider kind reads the fence through first in ``apply``.
FIRST_READ = {"rfc2136": "read", "route53": "read_raw", "clouddns": "read",
              "powerdns": "read", "cloudflare": "read_records"}


def race_after_read(p: Provider, kind: str, newer: Callable[[], object], nth: int = 1) -> None:
    """Make ``p``'s ``nth`` read in apply run ``newer`` just after (``nth`` 1) or just
    before (later reads) it: another leader writes in the window this writer has."""
    original = getattr(p, FIRST_READ[kind])
    calls = [0]

    def read(*args: Any, **kwargs: Any) -> Any:
        calls[0] += 1
        if calls[0] == nth and nth > 1:
            newer()
        got = original(*args, **kwargs)
        if calls[0] == nth == 1:
            newer()
        return got

    setattr(p, FIRST_READ[kind], read)


@pytest.mark.parametrize("start", [None, 50])
@pytest.mark.parametrize("name", ["rfc2136", "route53", "clouddns"])
def test_the_server_refuses_a_writer_whose_fence_moved_after_it_read(
        name: str, start: int | None, request: pytest.FixtureRequest) -> None:
    k = kind_named(request, name)
    if start is not None:
        k.make().advance_fence(Fence(start))
    old, new = k.make(), k.make()
    change = move_www(old, "127.0.0.66")
    race_after_read(old, name, lambda: new.advance_fence(Fence(60)))
    with pytest.raises(FenceLost) as lost:
        old.apply([change], Fence(55))
    # The check that refused it is the server's: the client had read the old fence.
    said = {"rfc2136": "the server refused the UPDATE", "route53": "Route 53 refused the batch",
            "clouddns": "Cloud DNS refused the change"}[name]
    assert said in str(lost.value)
    assert str(lost.value).startswith(f"{old.name}: fenced by a newer leader (epoch 60 > our 55)")
    assert k.www() == {START}
    assert k.fence() == 60


@pytest.mark.parametrize("name", ["powerdns", "cloudflare"])
def test_a_re_read_provider_refuses_the_next_batch_once_the_fence_moved(
        name: str, request: pytest.FixtureRequest) -> None:
    k = kind_named(request, name)
    old, new = k.make(), k.make()
    changes = [move_www(old, "127.0.0.66"),
               Change("update", old.read([(API, "A")])[RRKey(API, "A")], a(API, "127.0.0.66"))]
    # One change per batch (max_rrsets / batch_limit 1): the newer leader writes between.
    race_after_read(old, name, lambda: new.advance_fence(Fence(60)), nth=2)
    with pytest.raises(FenceLost) as lost:
        old.apply(changes, Fence(55))
    assert "fenced by a newer leader (epoch 60 > our 55)" in str(lost.value)
    assert "1 of 2" in str(lost.value)
    api = k.held([(API, "A")])[RRKey(API, "A")]
    assert set(api.values) == {START}  # the second batch never went
    assert k.fence() == 60


# -- 5. the property: the highest epoch that wrote is what is served ------------------

# One step: ("apply", writer) reads and writes at once; ("read", writer) keeps what the
# writer sees; ("write", writer) writes on what it last read, however stale by now.
STEP = st.tuples(st.sampled_from(["apply", "read", "write", "advance"]),
                 st.integers(min_value=0, max_value=3))


# The lab is the shared one: each example puts www and the fence back first.
@settings(cases(50), suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(STEP, min_size=1, max_size=12),
       epochs=st.lists(st.integers(min_value=1, max_value=9), min_size=4, max_size=4))
# The stale leaders' two cases, always run: it read before a newer leader only advanced
# the fence (its before-image of www still holds), or before the newer one wrote.
@example(steps=[("read", 0), ("advance", 1), ("write", 0)], epochs=[1, 2, 3, 4])
@example(steps=[("apply", 1), ("read", 0), ("apply", 2), ("write", 0), ("apply", 0)],
         epochs=[5, 5, 6, 7])
def test_the_highest_epoch_that_wrote_is_served_and_no_lower_one_lands_after_it(
        lab: dict[str, Any], steps: list[tuple[str, int]], epochs: list[int]) -> None:
    k = _lab_kind(lab, "rfc2136")
    writers = [k.make() for _ in epochs]
    assert isinstance(writers[0], Rfc2136)
    _reset(writers[0])
    seen: dict[int, tuple[RRSet | None, RRSet | None]] = {}   # writer -> (fence, www)
    landed: list[tuple[int, str]] = []                         # (epoch, www value) in order
    for n, (what, w) in enumerate(steps):
        p, fence = writers[w], Fence(epochs[w])
        assert isinstance(p, Rfc2136)
        value = f"10.0.{n}.{epochs[w]}"
        if what == "read":
            found = p.read([(WWW, "A"), (FENCE.name, "TXT")])
            seen[w] = (found.get(FENCE), found.get(RRKey(WWW, "A")))
            newer = parse_fence(found[FENCE].values) if FENCE in found else None
            if newer is not None and newer > fence.epoch:
                del seen[w]  # as apply does: a writer that sees a newer epoch stops
            continue
        before = (k.fence(), k.www())
        now = p.read([(WWW, "A"), (FENCE.name, "TXT")])
        try:
            if what == "advance":
                p.advance_fence(fence)
                value = ""
            elif what == "apply":
                p.apply([move_www(p, value)], fence)
            elif w in seen:
                held, www = seen[w]
                assert www is not None
                p.write([Change("update", www, a(WWW, value))], fence, held)
                # The server took it: nothing had changed since this writer read.
                assert (now.get(FENCE), now.get(RRKey(WWW, "A"))) == seen[w]
            else:
                continue
        except ProviderConflict:
            assert (k.fence(), k.www()) == before, "a refused write changed something"
            if what == "write":
                assert (now.get(FENCE), now.get(RRKey(WWW, "A"))) != seen[w]
            continue
        if value:
            landed.append((fence.epoch, value))
        else:
            landed.append((fence.epoch, ""))
        assert k.fence() == fence.epoch
    epochs_landed = [e for e, _ in landed]
    assert epochs_landed == sorted(epochs_landed), f"a lower epoch landed after: {landed}"
    if landed:
        assert k.fence() == max(epochs_landed)
        values = [v for _, v in landed if v]
        assert k.www() == ({values[-1]} if values else {START})


def _reset(p: Rfc2136) -> None:
    """The zone as the lab left it: www at START, no fence (each example starts fresh)."""
    found = p.read([(WWW, "A"), (FENCE.name, "TXT")])
    changes = []
    if FENCE in found:
        changes.append(Change("delete", found[FENCE], None))
    if found.get(RRKey(WWW, "A")) != a(WWW, START):
        changes.append(Change("update", found[RRKey(WWW, "A")], a(WWW, START)))
    p.apply(changes)


# -- Route 53's INSYNC wait is outside the lease's window ------------------------------

def test_route53_sends_every_fenced_batch_before_waiting_for_insync(
        lab: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    import failover.dns.route53 as r53

    monkeypatch.setattr(r53, "MAX_CHANGES", 4)   # the fence's two and two of ours a batch
    config = load_config(Path(lab["dir"]) / "failover.yaml")
    settings = config.dns["route53"]
    assert isinstance(settings, Route53Provider)
    p = Route53("route53", settings, config, backoff=FAST, clock=FakeClock())
    calls: list[str] = []

    def pending(parsed: dict[str, Any], **_: Any) -> None:
        calls.append("ChangeResourceRecordSets")
        parsed["ChangeInfo"]["Status"] = "PENDING"   # as Route 53 answers, until INSYNC

    p.client.meta.events.register("after-call.route53.ChangeResourceRecordSets", pending)
    p.client.meta.events.register("after-call.route53.GetChange",
                                  lambda **_: calls.append("GetChange"))
    news = [a(f"n{i}.{ZONE}", "127.0.0.30") for i in range(3)]
    p.apply([Change("create", None, rr) for rr in news], Fence(70, time.monotonic() + 60))
    assert calls == ["ChangeResourceRecordSets"] * 2 + ["GetChange"] * 2
    assert p.read_fence() == 70
    assert {rr.key for rr in news} <= set(p.read([(rr.name, "A") for rr in news]))


# -- Route 53: a takeover's fence waits for no INSYNC ----------------------------------

def test_route53_advances_its_fence_without_waiting_for_insync(lab: dict[str, Any]) -> None:
    """Route 53 checks a batch's exact DELETE when it accepts it, so a new leader's fence
    holds from then on: its first move is not held up by up to ``sync_timeout`` (a
    move's own write still waits, after its last batch)."""
    kind = _lab_kind(lab, "route53")
    p = kind.make()
    assert isinstance(p, Route53)

    def never_insync(change_id: str, status: str) -> None:
        raise AssertionError(f"waited for INSYNC of {change_id}")

    p._wait_insync = never_insync  # type: ignore[method-assign]
    p.advance_fence(Fence(11))
    assert kind.fence() == 11
    with pytest.raises(AssertionError, match="waited for INSYNC"):
        p.apply([move_www(p, "127.0.0.12")], Fence(11))
