"""The whole config file as one model: ``Config``, and the paths and timings read from it."""

import os
from pathlib import Path

from pydantic import Field, field_validator

from failover.config.backups import Backup
from failover.config.base import Duration, HeaderText, Strict, dns_name
from failover.config.certs import CertSettings
from failover.config.checks import Check
from failover.config.cluster import Cluster
from failover.config.delegation import Delegation
from failover.config.dns import DnsProvider
from failover.config.hostings import Hosting, InventorySettings
from failover.config.notify import NotifySettings
from failover.config.page import PageSettings
from failover.config.pins import Pins
from failover.config.policy import Policy, Verify
from failover.config.records import MAX_TTL, ManagedRecord, RecordList
from failover.config.saas import SaasDependency
from failover.config.vendors import Vendor

MAX_SERVICE = 100


class Config(Strict):
    # A name for people, in every notice, page title and sentence: short, one line.
    service: HeaderText = Field(min_length=1, max_length=MAX_SERVICE)
    zone: str
    ttl: int = Field(default=60, ge=0, le=MAX_TTL)
    records: RecordList = Field(min_length=1)
    vendors: dict[str, Vendor] = Field(min_length=1)
    hosting: dict[str, Hosting] = Field(min_length=1)
    dns: dict[str, DnsProvider] = Field(min_length=1)
    checks: list[Check] = Field(default_factory=list)
    interval: Duration = 10.0
    # HAProxy's fastinter: once a hosting is on its way to another verdict (a failed
    # check toward fall, a good one toward rise), the watcher looks again this soon, so
    # fall 3 costs one interval and two confirmations, not three intervals. Default
    # interval / 5; never more than interval. See ``confirm_every``.
    confirm_interval: Duration | None = None
    fall: int = Field(default=3, ge=1, le=1000)
    rise: int = Field(default=2, ge=1, le=1000)
    concurrency: int = Field(default=200, ge=1, le=10000)
    policy: Policy = Field(default_factory=Policy)
    pins: Pins = Field(default_factory=Pins)
    verify: Verify = Field(default_factory=Verify)
    journal: str | None = None
    backups: dict[str, Backup] = Field(default_factory=dict)
    # The highest TTL a managed record may have before 'check' warns.
    max_ttl: int = Field(default=300, ge=0, le=MAX_TTL)
    inventory: InventorySettings = Field(default_factory=InventorySettings)
    # Check that the parent zone delegates to name servers of at least two vendors.
    delegation: Delegation | None = None
    notify: NotifySettings | None = None
    # Watchers on several vendors sharing state through etcd (see Cluster); absent: one machine.
    cluster: Cluster | None = None
    page: PageSettings | None = None
    saas: dict[str, SaasDependency] = Field(default_factory=dict)
    # Standby certificates through ACME DNS-01 (failover/certs); absent: none kept.
    certs: CertSettings | None = None

    # Where the file was read from; relative paths inside it are taken from its folder.
    source: str = Field(default="<memory>", exclude=True)

    @field_validator("zone")
    @classmethod
    def _zone(cls, zone: str) -> str:
        if not zone.strip().rstrip(".") or zone.strip() == "@":
            raise ValueError("zone must be a domain name such as example.org.")
        return dns_name(zone.strip().rstrip(".") + ".")

    def confirm_every(self, interval: float | None = None) -> float:
        """Seconds to the next look while a hosting is changing verdict, for a watcher
        that looks every ``interval`` seconds (default: the config's)."""
        every = self.interval if interval is None else interval
        confirm = every / 5 if self.confirm_interval is None else self.confirm_interval
        return min(confirm, every)

    @property
    def base_dir(self) -> Path:
        return Path(self.source).resolve().parent if self.source != "<memory>" else Path.cwd()

    def resolve_path(self, path: str) -> Path:
        """A path from the file, taken relative to the file's folder."""
        p = Path(os.path.expanduser(path))
        return p if p.is_absolute() else self.base_dir / p

    def journal_path(self) -> Path:
        if self.journal:
            return self.resolve_path(self.journal)
        return self.base_dir / ".failover" / "journal.sqlite"

    def record_ttl(self, record: ManagedRecord) -> int:
        return self.ttl if record.ttl is None else record.ttl

    def hostings_of(self, vendor: str) -> list[str]:
        return [name for name, h in self.hosting.items() if h.vendor == vendor]
