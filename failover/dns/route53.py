"""Amazon Route 53, through its API (botocore; moto in the lab).

Reads list the hosted zone's record sets: one ``ListResourceRecordSets`` call
per managed record starting at its name and type when few records are
managed, the whole zone page by page (300 record sets a call) when that is
fewer calls. Alias records are left out.

Writes are ``ChangeResourceRecordSets`` batches: an update is a DELETE of the
before-image and a CREATE of the new set in the same batch, so Route 53 itself
refuses it if the record set no longer matches (a batch is all or nothing).
Before writing, the affected record sets are read once: a record that changed
since the plan is reported by name before anything is sent, and DELETEs carry
the record sets exactly as Route 53 spells them. Batches stay within Route 53's
per-request limits (``batch_changes``); throttling and 5xx answers are retried
with jittered exponential backoff. Every batch is sent first, then each is waited
on until INSYNC: the wait is not part of the writes (nor of a lease's window).

A fenced write (:mod:`failover.dns.fence`) puts in EVERY batch a DELETE of the fence
TXT with its exact current value (none when absent: then its CREATE fails if one
appeared) and a CREATE with the writer's epoch, so Route 53 refuses a stale
leader's batch whole. A refused batch whose fence moved is FenceLost.

Credentials come from environment variables, a credentials file or botocore's
own chain, as :mod:`failover.awscreds` reads them; they are never printed,
logged or put in an error.
"""

from __future__ import annotations

import math
import random
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar, cast

from failover.awscreds import load_credentials
from failover.clock import Clock, SystemClock
from failover.config import Config, Route53Provider
from failover.dns.base import Authority, Provider, RecordKey
from failover.dns.conflict import first_few, held_instead, partial
from failover.dns.fence import Fence, check_deadline, fence_name, moved, refuse_newer
from failover.dns.query import DnsAuthority
from failover.dns.retry import Backoff
from failover.dns.verify import ApiReadBack
from failover.errors import (
    ConfigError,
    FenceLost,
    ProviderAuthError,
    ProviderConflict,
    ProviderError,
    ProviderOutcomeUnknown,
    ProviderUnreachable,
)
from failover.records import Change, RRKey, RRSet
from failover.untrusted import clean

if TYPE_CHECKING:
    from mypy_boto3_route53.client import Route53Client

# Route 53's limits on one ChangeResourceRecordSets request
# (docs.aws.amazon.com/Route53/latest/DeveloperGuide/DNSLimitations.html).
MAX_RECORDS = 1000  # ResourceRecord elements (an UPSERT would count twice; we send none)
MAX_VALUE_CHARS = 32000  # characters in all Value elements together
MAX_CHANGES = 500  # Change elements: our own, well under what Route 53 accepts

PAGE_SIZE = 300  # the most ListResourceRecordSets returns in one call
LOOKUP_SIZE = 10  # record sets asked for when looking up one name and type
FEW_KEYS = 5  # up to this many records, read per record without asking the zone's size
SYNC_TIMEOUT = 180.0  # how long a batch may stay PENDING before we give up waiting

RETRY_CODES = frozenset({"Throttling", "ThrottlingException", "PriorRequestNotComplete",
                         "RequestLimitExceeded", "TooManyRequestsException"})
AUTH_CODES = frozenset({"InvalidClientTokenId", "SignatureDoesNotMatch", "AccessDenied",
                        "AccessDeniedException", "UnrecognizedClientException", "AuthFailure",
                        "AccountSuspended", "ExpiredToken", "ExpiredTokenException",
                        "InvalidAccessKeyId", "MissingAuthenticationToken",
                        "OptInRequired"})

# Calls that change the zone: without their answer, their outcome is unknown.
WRITES = frozenset({"ChangeResourceRecordSets"})

_ESCAPE = re.compile(r"\\(\d{3})")
T = TypeVar("T")


# -- batching (pure) -----------------------------------------------------------

def rrset_dict(rr: RRSet) -> dict[str, Any]:
    """An RRSet as a Route 53 ResourceRecordSet."""
    out: dict[str, Any] = {"Name": rr.name, "Type": rr.rtype, "TTL": rr.ttl,
                           "ResourceRecords": [{"Value": v} for v in rr.values]}
    if rr.set_id is not None:
        out["SetIdentifier"] = rr.set_id
        if rr.weight is not None:
            out["Weight"] = rr.weight
    return out


def change_dicts(change: Change, current: Mapping[RRKey, dict[str, Any]] | None = None
                 ) -> list[dict[str, Any]]:
    """The Route 53 Change elements for one change: DELETE before, CREATE after.

    ``current`` holds record sets as Route 53 returned them; a DELETE uses that
    spelling when there is one, since Route 53 deletes only an exact match.
    """
    out: list[dict[str, Any]] = []
    if change.before is not None:
        raw = (current or {}).get(change.before.key)
        out.append({"Action": "DELETE",
                    "ResourceRecordSet": raw if raw is not None else rrset_dict(change.before)})
    if change.after is not None:
        out.append({"Action": "CREATE", "ResourceRecordSet": rrset_dict(change.after)})
    return out


def _records_and_chars(changes: list[dict[str, Any]]) -> tuple[int, int]:
    values = [r["Value"] for c in changes for r in c["ResourceRecordSet"].get(
        "ResourceRecords", [])]
    records = sum(2 if c["Action"] == "UPSERT" else 1 for c in changes
                  for _ in c["ResourceRecordSet"].get("ResourceRecords", []))
    return records, sum(len(v) for v in values)


def batch_changes(changes: Sequence[Change],
                  current: Mapping[RRKey, dict[str, Any]] | None = None, *,
                  max_records: int = MAX_RECORDS, max_chars: int = MAX_VALUE_CHARS,
                  max_changes: int = MAX_CHANGES) -> list[list[dict[str, Any]]]:
    """Split ``changes`` into ChangeResourceRecordSets batches within Route 53's limits.

    An update's DELETE and CREATE always share a batch (a batch is atomic, so the
    record set is never missing in between). In a batch, DELETEs come before
    CREATEs, which Route 53 requires for the same record set and which changes
    nothing for different ones. A change that alone exceeds a limit is a
    ProviderError-worthy plan; here it raises ValueError naming the record.
    """
    return [body for body, _ in _batches(changes, current, max_records=max_records,
                                         max_chars=max_chars, max_changes=max_changes)]


def _batches(changes: Sequence[Change], current: Mapping[RRKey, dict[str, Any]] | None, *,
             max_records: int = MAX_RECORDS, max_chars: int = MAX_VALUE_CHARS,
             max_changes: int = MAX_CHANGES
             ) -> list[tuple[list[dict[str, Any]], list[Change]]]:
    """``batch_changes``, each batch with the changes it carries."""
    batches: list[tuple[list[dict[str, Any]], list[Change]]] = []
    batch: list[dict[str, Any]] = []
    carried: list[Change] = []
    records = chars = 0
    for change in changes:
        group = change_dicts(change, current)
        g_records, g_chars = _records_and_chars(group)
        if g_records > max_records or g_chars > max_chars or len(group) > max_changes:
            raise ValueError(f"the change to {change.key} alone has {g_records} records and "
                             f"{g_chars} characters of values, more than one Route 53 "
                             f"request takes ({max_records} records, {max_chars} characters)")
        if batch and (records + g_records > max_records or chars + g_chars > max_chars
                      or len(batch) + len(group) > max_changes):
            batches.append((batch, carried))
            batch, carried, records, chars = [], [], 0, 0
        batch.extend(group)
        carried.append(change)
        records += g_records
        chars += g_chars
    if batch:
        batches.append((batch, carried))
    return [([c for c in b if c["Action"] == "DELETE"] + [c for c in b if c["Action"] != "DELETE"],
             carried) for b, carried in batches]


# -- the provider --------------------------------------------------------------

class Route53(Provider):
    """A Route 53 hosted zone, written in batches through the API."""

    kind = "route53"
    supports_weights = True
    fence_check = "atomic"

    def __init__(self, name: str, settings: Route53Provider, config: Config, *,
                 clock: Clock | None = None, rng: random.Random | None = None,
                 backoff: Backoff | None = None, sync_timeout: float = SYNC_TIMEOUT) -> None:
        super().__init__(name, settings.vendor, config.zone)
        self.settings = settings
        self.zone_id = settings.hosted_zone_id.rsplit("/", 1)[-1]
        self._fence_only = False   # advance_fence: accepted is enough, no INSYNC wait
        self.credentials = load_credentials(settings, config, key=f"dns.{name}")
        self.clock: Clock = clock or SystemClock()
        self.rng = rng or random.Random()
        self.backoff = backoff or Backoff()
        self.sync_timeout = sync_timeout
        self.batches_sent = 0  # ChangeResourceRecordSets batches in the last apply
        self.tries = 0  # attempts the last ``call`` made
        self._client: Route53Client | None = None

    def __repr__(self) -> str:
        return f"Route53({self.name!r}, {self.zone_id}, {self.credentials!r})"

    @property
    def client(self) -> Route53Client:
        """The botocore client, made on first use (tests hook its events)."""
        if self._client is None:
            self._client = self._make_client()
        return self._client

    def _make_client(self) -> Route53Client:
        import botocore.config
        import botocore.exceptions
        import botocore.session

        creds = self.credentials
        config = botocore.config.Config(
            connect_timeout=self.settings.timeout, read_timeout=self.settings.timeout,
            # One attempt: we retry ourselves (Backoff), with a clock tests control.
            # (botocore's "max_attempts" counts retries: 1 was a second attempt, and it
            # retried a refused connection after sleeping up to a second.)
            retries={"mode": "standard", "total_max_attempts": 1})
        try:
            if creds.explicit:
                # Explicit keys: a stray AWS_PROFILE must not send us to another account.
                session = botocore.session.Session(
                    session_vars={"profile": (None, None, None, None)})
            else:
                session = botocore.session.Session(profile=creds.profile)
            client = session.create_client(
                "route53", region_name=self.settings.region,
                endpoint_url=self.settings.endpoint_url, config=config,
                aws_access_key_id=creds.access_key_id,
                aws_secret_access_key=creds.secret_access_key,
                aws_session_token=creds.session_token)
        except botocore.exceptions.ProfileNotFound:
            raise ConfigError(f"AWS profile '{creds.profile}' is not in ~/.aws/config or "
                              f"~/.aws/credentials; fix profile or add it",
                              key=f"dns.{self.name}.profile") from None
        except botocore.exceptions.BotoCoreError as exc:
            raise ProviderError(self.name, f"cannot set up the Route 53 client: {exc}") from None
        return cast("Route53Client", client)

    # -- calling the API ---------------------------------------------------------

    def call(self, what: str, fn: Callable[..., T], **kwargs: Any) -> T:
        """``fn(**kwargs)`` with our backoff on throttling and 5xx, errors mapped."""
        import botocore.exceptions

        for attempt in range(self.backoff.tries):
            self.tries = attempt + 1
            try:
                return fn(**kwargs)
            except botocore.exceptions.ClientError as exc:
                error = exc.response.get("Error", {})
                # Route 53's words (its code and message): one inert line each.
                code = clean(error.get("Code", "?"), 80)
                message = clean(error.get("Message", "")) or code
                status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0))
                retry = code in RETRY_CODES or status >= 500
                if retry and attempt + 1 < self.backoff.tries:
                    self.clock.sleep(self.backoff.delay(attempt, self.rng))
                    continue
                raise self._client_error(what, code, message, status, attempt + 1) from None
            except (botocore.exceptions.ReadTimeoutError,
                    botocore.exceptions.ConnectionClosedError) as exc:
                if what in WRITES:
                    # The request was sent: Route 53 may have applied the batch.
                    raise ProviderOutcomeUnknown(
                        self.name, f"unknown: {what} sent to Route 53 at {self._endpoint()}, "
                                   f"but {self._why(exc)}; it may have been applied") from None
                raise ProviderUnreachable(self.name, f"{what}: no answer from Route 53 at "
                                                     f"{self._endpoint()}: "
                                                     f"{self._why(exc)}") from None
            except (botocore.exceptions.EndpointConnectionError,
                    botocore.exceptions.ConnectTimeoutError) as exc:
                raise ProviderUnreachable(self.name, f"{what}: no answer from Route 53 at "
                                                     f"{self._endpoint()}: "
                                                     f"{self._why(exc)}") from None
            except botocore.exceptions.NoCredentialsError:
                raise ProviderAuthError(self.name, f"{what}: no AWS credentials found in "
                                                   f"{self.credentials.source}; set "
                                                   f"credentials_file or profile") from None
            except botocore.exceptions.BotoCoreError as exc:
                raise ProviderError(self.name, f"{what}: {clean(exc)}") from None
        raise AssertionError("unreachable: the last try raises")

    def _client_error(self, what: str, code: str, message: str, status: int,
                      tries: int) -> ProviderError:
        if code in AUTH_CODES:
            return ProviderAuthError(self.name, f"{what}: Route 53 refused our credentials "
                                                f"({code}: {message}); check "
                                                f"{self.credentials.source}")
        if code == "NoSuchHostedZone":
            return ProviderError(self.name, f"hosted zone {self.zone_id} not found "
                                            f"(NoSuchHostedZone); check hosted_zone_id, or the "
                                            f"zone was deleted")
        if code in RETRY_CODES:
            return ProviderError(self.name, f"{what}: Route 53 still answered {code} after "
                                            f"{tries} tries")
        if status >= 500:
            return ProviderUnreachable(self.name, f"{what}: Route 53 answered {status} "
                                                  f"({code}) {tries} times")
        if code == "InvalidChangeBatch":
            return ProviderConflict(self.name, f"Route 53 refused the batch, so the records "
                                               f"changed since the plan: {message}")
        return ProviderError(self.name, f"{what}: {code}: {message}")

    def _why(self, exc: Exception) -> str:
        """Botocore's connection errors in a few words (its own text repeats the URL)."""
        import botocore.exceptions

        if isinstance(exc, botocore.exceptions.ReadTimeoutError):
            return f"timed out after {self.settings.timeout:g}s waiting for the answer"
        if isinstance(exc, botocore.exceptions.ConnectTimeoutError):
            return f"could not connect within {self.settings.timeout:g}s"
        if isinstance(exc, botocore.exceptions.ConnectionClosedError):
            return "the connection was closed before the answer"
        return "could not connect"

    def _endpoint(self) -> str:
        return self.settings.endpoint_url or f"route53 ({self.settings.region})"

    # -- reading -----------------------------------------------------------------

    def read(self, keys: Sequence[RecordKey]) -> dict[RRKey, RRSet]:
        return {k: rr for k, (rr, _) in self.read_raw(keys).items()}

    def read_raw(self, keys: Sequence[RecordKey]
                 ) -> dict[RRKey, tuple[RRSet, dict[str, Any]]]:
        """The record sets for ``keys``, each with Route 53's own dict of it."""
        wanted = {(name.lower(), rtype.upper()) for name, rtype in keys}
        if not wanted:
            return {}
        found: Iterator[dict[str, Any]]
        if len(wanted) <= FEW_KEYS or len(wanted) <= self._zone_pages():
            found = (item for name, rtype in sorted(wanted)
                     for item in self._list_from(name, rtype))
        else:
            found = self._list_from(None, None)
        out: dict[RRKey, tuple[RRSet, dict[str, Any]]] = {}
        for raw in found:
            rr = _rrset_of(raw)
            if rr is not None and (rr.name, rr.rtype) in wanted:
                out[rr.key] = (rr, raw)
        return out

    def _zone_pages(self) -> int:
        """How many ListResourceRecordSets calls reading the whole zone takes."""
        zone = self.call("GetHostedZone", self.client.get_hosted_zone, Id=self.zone_id)
        count = int(zone["HostedZone"].get("ResourceRecordSetCount", 0))
        return max(1, math.ceil(count / PAGE_SIZE))

    def _list_from(self, name: str | None, rtype: str | None) -> Iterator[dict[str, Any]]:
        """Record sets in Route 53's order (labels reversed, then type), from name/type on.

        With a name, stop at the first record set of another name or type: one call
        for a plain record. Without, read the whole zone.
        """
        kwargs: dict[str, Any] = {"HostedZoneId": self.zone_id, "MaxItems": str(PAGE_SIZE)}
        if name is not None:
            # A few more than one, so a small weighted set still takes one call.
            kwargs.update(StartRecordName=name, StartRecordType=rtype, MaxItems=str(LOOKUP_SIZE))
        seen: set[tuple[str, str, str | None]] = set()
        while True:
            page = self.call("ListResourceRecordSets",
                             self.client.list_resource_record_sets, **kwargs)
            new = 0
            for raw in page["ResourceRecordSets"]:
                item: dict[str, Any] = dict(raw)
                raw_name = _decode_name(str(item["Name"]))
                if name is not None and (raw_name != name or item["Type"] != rtype):
                    return
                ident = (raw_name, str(item["Type"]), item.get("SetIdentifier"))
                if ident in seen:  # a page boundary inside a weighted set, read twice
                    continue
                seen.add(ident)
                new += 1
                yield item
            if not page.get("IsTruncated"):
                return
            if not new:
                # Some stand-ins ignore StartRecordIdentifier and repeat a page;
                # stop rather than loop, and say so rather than return half a set.
                raise ProviderError(self.name, f"ListResourceRecordSets repeated a page at "
                                               f"{page['NextRecordName']} "
                                               f"{page['NextRecordType']}")
            kwargs["MaxItems"] = str(PAGE_SIZE)
            kwargs["StartRecordName"] = page["NextRecordName"]
            kwargs["StartRecordType"] = page["NextRecordType"]
            if page.get("NextRecordIdentifier"):
                kwargs["StartRecordIdentifier"] = page["NextRecordIdentifier"]
            else:
                kwargs.pop("StartRecordIdentifier", None)

    # -- writing -----------------------------------------------------------------

    def apply(self, changes: Sequence[Change], fence: Fence | None = None) -> None:
        self.batches_sent = 0
        if not changes and fence is None:
            return
        keys = sorted({(c.key.name, c.key.rtype) for c in changes})
        fence_key = RRKey(fence_name(self.zone), "TXT")
        held = self.read_raw(keys + ([(fence_key.name, "TXT")] if fence else []))
        # With a fence, the fence record is the fence's; without, a change may be to it
        # (clearing the fence after etcd was rebuilt).
        held_fence = held.pop(fence_key, None) if fence is not None else None
        if fence is not None:
            refuse_newer(self.name, held_fence[0] if held_fence else None, fence)
        stale = []
        for c in changes:
            now = held.get(c.key)
            if (now[0] if now else None) != c.before:
                stale.append(held_instead(c, now[0] if now else None, "Route 53"))
        if stale:
            raise ProviderConflict(self.name, "the server's records changed since the plan: "
                                              + first_few(stale)
                                              + " (nothing was sent)")
        self.write(changes, {k: raw for k, (_, raw) in held.items()}, fence,
                   held_fence[1] if held_fence else None)

    def write(self, changes: Sequence[Change], current: Mapping[RRKey, dict[str, Any]],
              fence: Fence | None, held_fence: dict[str, Any] | None) -> None:
        """Send ``changes`` in batches (DELETEs spelled as in ``current``), each (with
        ``fence``) on condition that the fence is ``held_fence`` (the first batch; None:
        absent) or our epoch (the next): Route 53 decides. Then wait for INSYNC."""
        self.batches_sent = 0
        reserve = _fence_reserve(fence, held_fence, self.zone)
        try:
            batches = _batches(changes, current, max_records=MAX_RECORDS - reserve[0],
                               max_chars=MAX_VALUE_CHARS - reserve[1],
                               max_changes=MAX_CHANGES - (2 if fence else 0))
        except ValueError as exc:
            raise ProviderError(self.name, str(exc)) from None
        if not batches and fence is not None:
            batches = [([], [])]
        pending: list[tuple[str, str]] = []
        for done, (batch, carried) in enumerate(batches):
            check_deadline(self.name, fence, done, len(batches), "batch")
            # The fence as the first batch found it, then as each batch leaves it.
            expected = held_fence
            if fence is not None:
                expected = held_fence if done == 0 else rrset_dict(fence.rrset(self.zone))
                batch = _fenced(batch, fence, self.zone, expected)
            try:
                info = self.call("ChangeResourceRecordSets",
                                 self.client.change_resource_record_sets,
                                 HostedZoneId=self.zone_id,
                                 ChangeBatch={"Comment": "failover", "Changes": batch})
            except ProviderConflict as exc:
                if self.tries > 1 and self._already_applied(carried, fence):
                    # An earlier try went through though its answer was lost (a 5xx or
                    # a throttle after the write), so the retry's DELETE found nothing.
                    self.batches_sent += 1
                    continue
                if fence is not None:
                    self._check_fence(fence, expected, done, len(batches))
                raise partial(exc, done, len(batches), "batches") from None
            except ProviderError as exc:
                raise partial(exc, done, len(batches), "batches") from None
            self.batches_sent += 1
            pending.append((str(info["ChangeInfo"]["Id"]), str(info["ChangeInfo"]["Status"])))
        if self._fence_only:
            return   # accepted is enough: Route 53 checked the fence when it took the batch
        for change_id, status in pending:
            self._wait_insync(change_id, status)

    def advance_fence(self, fence: Fence) -> int | None:
        """As :meth:`Provider.advance_fence`, without waiting for INSYNC: Route 53 checks
        a batch's DELETE when it accepts it, so an accepted fence already refuses a stale
        leader's batch, and a new leader's first move is not held up by up to
        ``sync_timeout`` at takeover."""
        self._fence_only = True
        try:
            return super().advance_fence(fence)
        finally:
            self._fence_only = False

    def _check_fence(self, fence: Fence, expected: dict[str, Any] | None, done: int,
                     total: int) -> None:
        """After a refused batch: FenceLost if the fence no longer is ``expected``."""
        try:
            now = self.held_fence()
        except ProviderError:
            return  # cannot tell: the refusal is reported as it is
        want = _rrset_of(expected) if expected is not None else None
        if now != want:
            lost = moved(self.name, want, now, fence)
            raise partial(FenceLost(self.name, f"{lost.detail} (Route 53 refused the batch "
                                               f"whole)", held=lost.held, ours=lost.ours),
                          done, total, "batches") from None

    def _already_applied(self, changes: Sequence[Change], fence: Fence | None) -> bool:
        """Whether Route 53 already holds every ``after`` of ``changes`` (and our fence)."""
        keys = {(c.key.name, c.key.rtype) for c in changes}
        if fence is not None:
            keys.add((fence_name(self.zone), "TXT"))
        try:
            now = self.read(sorted(keys))
        except ProviderError:
            return False
        ours = fence is None or now.get(fence.rrset(self.zone).key) == fence.rrset(self.zone)
        return ours and all(now.get(c.key) == c.after for c in changes)

    def _wait_insync(self, change_id: str, status: str) -> None:
        deadline = self.clock.monotonic() + self.sync_timeout
        attempt = 0
        while status != "INSYNC":
            if self.clock.monotonic() >= deadline:
                raise ProviderError(self.name, f"change {change_id} is still {status} after "
                                               f"{self.sync_timeout:g}s; Route 53 accepted it "
                                               f"and should apply it later")
            self.clock.sleep(self.backoff.delay(attempt, self.rng))
            attempt += 1
            got = self.call("GetChange", self.client.get_change, Id=change_id)
            status = str(got["ChangeInfo"]["Status"])

    # -- proving the credentials -----------------------------------------------------

    def check_write(self) -> str:
        """Send a ChangeResourceRecordSets batch whose only change is a DELETE of a record
        set that cannot exist (a random value): Route 53 checks the caller's permission
        for the call before it validates the batch, so AccessDenied (or another
        credentials error) means our credentials may not write, and InvalidChangeBatch
        means they may, with nothing changed (a batch is all or nothing)."""
        import secrets

        value = f'"failover-write-check-{secrets.token_hex(8)}"'
        batch = {"Comment": "failover write check: must fail, changes nothing",
                 "Changes": [{"Action": "DELETE", "ResourceRecordSet": {
                     "Name": f"_failover-write-check.{self.zone}", "Type": "TXT", "TTL": 1,
                     "ResourceRecords": [{"Value": value}]}}]}
        try:
            self.call("ChangeResourceRecordSets (write check)",
                      self.client.change_resource_record_sets, HostedZoneId=self.zone_id,
                      ChangeBatch=batch)
        except ProviderConflict:
            return ("Route 53 took a ChangeResourceRecordSets call with our credentials and "
                    "refused only its DELETE of a record set that does not exist; nothing "
                    "changed")
        raise ProviderError(self.name, "the write check's DELETE of a record set that "
                                       "cannot exist was accepted; is this Route 53?")

    # -- verifying ---------------------------------------------------------------

    def authorities(self) -> list[Authority]:
        if self.settings.verify == "api":
            return [ApiReadBack(f"{self.name} API", self)]
        zone = self.call("GetHostedZone", self.client.get_hosted_zone, Id=self.zone_id)
        servers = (zone.get("DelegationSet") or {}).get("NameServers") or []
        if not servers:
            raise ProviderError(self.name, f"hosted zone {self.zone_id} has no name servers "
                                           f"(a private zone?); set verify: api")
        # DnsAuthority resolves each name when it is read, not now: the system
        # resolver may be the thing that is failing.
        return [DnsAuthority(f"{self.name} {ns}", ns, 53, self.zone, self.settings.timeout)
                for ns in servers]

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None


def _fence_reserve(fence: Fence | None, held: Mapping[str, Any] | None,
                   zone: str) -> tuple[int, int]:
    """The ResourceRecord elements and value characters the fence takes in each batch."""
    if fence is None:
        return 0, 0
    ours = [r["Value"] for r in rrset_dict(fence.rrset(zone))["ResourceRecords"]]
    theirs = [str(r.get("Value", "")) for r in (held or {}).get("ResourceRecords") or []]
    records = max(len(theirs), len(ours)) + len(ours)
    return records, max(sum(map(len, theirs)), sum(map(len, ours))) + sum(map(len, ours))


def _fenced(batch: list[dict[str, Any]], fence: Fence, zone: str,
            held: dict[str, Any] | None) -> list[dict[str, Any]]:
    """``batch`` with the fence's exact DELETE first (when it is ``held``) and its CREATE
    with our epoch last: the batch applies only where the fence is still ``held``."""
    delete = [{"Action": "DELETE", "ResourceRecordSet": held}] if held is not None else []
    create = [{"Action": "CREATE", "ResourceRecordSet": rrset_dict(fence.rrset(zone))}]
    return delete + batch + create


def _decode_name(name: str) -> str:
    """Route 53 escapes some characters as \\ddd (octal): ``\\052`` is ``*``."""
    return _ESCAPE.sub(lambda m: chr(int(m.group(1), 8)), name).lower()


def _rrset_of(raw: Mapping[str, Any]) -> RRSet | None:
    """A Route 53 record set -> RRSet; None for alias and traffic-policy records."""
    if "ResourceRecords" not in raw or "TTL" not in raw:
        return None
    return RRSet.of(_decode_name(str(raw["Name"])), str(raw["Type"]), int(raw["TTL"]),
                    [r["Value"] for r in raw["ResourceRecords"]], raw.get("SetIdentifier"),
                    raw.get("Weight"))
