"""Any octoDNS provider, used only to read and to apply (``kind: octodns``).

failover keeps its own plan, checksum, journal, verification and rollback; the
octoDNS provider (``class: octodns_powerdns.PowerDnsProvider``, ``octodns_bind.
Rfc2136Provider``, or any of octoDNS's ~45) is asked only to ``populate`` a zone
and to ``apply`` a plan that failover builds itself. That plan holds exactly the
managed records that change (Create, Update, Delete), never the rest of the zone,
so octoDNS's "make the zone match the config" never deletes what failover does
not own, and octoDNS's own safety thresholds do not apply (failover's do).

Precondition: octoDNS providers have no conditional write, so the zone is read
again (``populate``) immediately before ``apply`` and compared with the plan's
before-images; any difference refuses the apply. The window that remains is one
read; the provider's own batching and retries apply inside ``apply``.

A fenced write (:mod:`failover.dns.fence`) reads the fence in that same
``populate``: a newer epoch refuses the write with FenceLost; otherwise the plan
also sets the fence TXT to the writer's epoch (its first change). Whether the
octoDNS provider applies a plan atomically is its own affair, so this is a
"re-read" provider, with the window of one ``populate`` (docs/fencing.md).

Settings go to the provider's constructor as they are, except strings
``env/NAME`` (octoDNS's convention: the environment variable) and ``file/PATH``
(the file's content, relative to the config file): secrets stay out of the config
and are never shown; they are scrubbed from any error the provider raises.
octoDNS is an optional extra (``pip install 'failover[octodns]'`` plus the
provider's package). Only a provider class shipped by an installed octoDNS
distribution is ever imported (:func:`failover.config.octodnsclass.octodns_provider_class`):
a config file cannot make failover import, and so run, any other module.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from failover.config import Config, OctodnsProvider
from failover.config.octodnsclass import octodns_provider_class
from failover.config.secretfile import SecretFileError, read_secret_file
from failover.dns.base import Authority, Provider, RecordKey
from failover.dns.fence import Fence, check_deadline, fence_name, refuse_newer
from failover.dns.verify import api_authorities
from failover.errors import (
    ConfigError,
    ProviderAuthError,
    ProviderConflict,
    ProviderError,
    ProviderUnreachable,
)
from failover.records import Change, RRKey, RRSet, relative_name
from failover.untrusted import clean


class Octodns(Provider):
    """The zone through an octoDNS provider's ``populate`` and ``apply``."""

    kind = "octodns"
    supports_weights = False
    fence_check = "re-read"

    def __init__(self, name: str, settings: OctodnsProvider, config: Config) -> None:
        super().__init__(name, settings.vendor, config.zone)
        self.settings = settings
        self.secrets: list[tuple[str, str]] = []  # (value, where it came from)
        kwargs = {k: self._resolve(k, v, config) for k, v in settings.settings.items()}
        self.target = self._build(kwargs, config)
        self.applies = 0

    def __repr__(self) -> str:
        return f"Octodns({self.name!r}, {self.settings.class_})"

    def _resolve(self, key: str, value: Any, config: Config) -> Any:
        where_key = f"dns.{self.name}.settings.{key}"
        if not isinstance(value, str):
            return value
        if value.startswith("env/"):
            var = value[4:]
            found = os.environ.get(var)
            if not found:
                raise ConfigError(f"environment variable {var} is not set; export it",
                                  file=config.source, key=where_key)
            self.secrets.append((found, f"${var}"))
            return found
        if value.startswith("file/"):
            path = config.resolve_path(value[5:])
            try:   # bounded: /dev/zero or a FIFO is one line, not a hang
                text = read_secret_file(path, one_line=False)
            except SecretFileError as exc:
                raise ConfigError(str(exc), file=config.source, key=where_key) from None
            self.secrets.append((text, str(path)))
            return text
        return value

    def _build(self, kwargs: dict[str, Any], config: Config) -> Any:
        # Vetted again here, not only when the config was read: a Config built some
        # other way must not get to import a module of its choosing either.
        try:
            cls = octodns_provider_class(self.settings.class_)
        except ValueError as exc:
            raise ConfigError(str(exc), file=config.source, key=f"dns.{self.name}.class"
                              ) from None
        try:
            return cls(self.name, **kwargs)
        except Exception as exc:  # the provider's own validation: one line, scrubbed
            raise ConfigError(f"{self.settings.class_} refused its settings: "
                              f"{self._scrub(str(exc))}", file=config.source,
                              key=f"dns.{self.name}.settings") from None

    # -- errors --------------------------------------------------------------------

    def _scrub(self, text: str) -> str:
        for value, source in self.secrets:
            if value:
                text = text.replace(value, f"<secret from {source}>")
        return clean(text)

    def _error(self, what: str, exc: Exception) -> ProviderError:
        text = self._scrub(f"{type(exc).__name__}: {exc}")
        name = type(exc).__name__.lower()
        status = getattr(getattr(exc, "response", None), "status_code", None)
        said = text.lower()
        if "auth" in name or status in (401, 403) or "tsig" in name or any(
                w in said for w in ("unauthorized", "forbidden", "badkey", "badsig")):
            sources = ", ".join(s for _, s in self.secrets) or "its settings"
            return ProviderAuthError(self.name, f"{what}: the provider refused the credential "
                                                f"from {sources} ({text})")
        if isinstance(exc, (ConnectionError, OSError, TimeoutError)) or "connect" in name or \
                "timeout" in name:
            return ProviderUnreachable(self.name, f"{what}: {text}")
        return ProviderError(self.name, f"{what}: {text}")

    # -- reading -------------------------------------------------------------------

    def _zone(self) -> Any:
        from octodns.zone import Zone

        zone = Zone(self.zone, [])
        try:
            self.target.populate(zone, target=True, lenient=True)
        except Exception as exc:  # any provider's error, mapped and scrubbed
            raise self._error("populate", exc) from None
        return zone

    def read(self, keys: Sequence[RecordKey]) -> dict[RRKey, RRSet]:
        wanted = {(n.lower(), t.upper()) for n, t in keys}
        if not wanted:
            return {}
        return {k: rr for k, (rr, _) in self._records(self._zone(), wanted).items()}

    def _records(self, zone: Any, wanted: set[tuple[str, str]]
                 ) -> dict[RRKey, tuple[RRSet, Any]]:
        out: dict[RRKey, tuple[RRSet, Any]] = {}
        for record in zone.records:
            key = (record.fqdn.lower(), record._type)
            if key not in wanted:
                continue
            values = record.values if hasattr(record, "values") else [record.value]
            try:
                rr = RRSet.of(key[0], key[1], record.ttl, [str(v) for v in values])
            except ValueError:
                continue
            out[rr.key] = (rr, record)
        return out

    # -- writing -------------------------------------------------------------------

    def apply(self, changes: Sequence[Change], fence: Fence | None = None) -> None:
        if not changes and fence is None:
            return
        from octodns.provider.plan import Plan
        from octodns.record import Create, Delete, Record, Update

        for c in changes:
            if c.key.set_id is not None:
                raise ProviderError(self.name, f"{c.key}: weighted record sets are not "
                                               f"written through octoDNS; use one per name")
        check_deadline(self.name, fence, 0, 1, "apply")
        existing = self._zone()
        fence_key = RRKey(fence_name(self.zone), "TXT")
        held = self._records(existing, {(c.key.name, c.key.rtype) for c in changes}
                             | {(fence_key.name, "TXT")})
        held_fence = held.pop(fence_key, None)
        if fence is not None:
            refuse_newer(self.name, held_fence[0] if held_fence else None, fence)
        stale = [c for c in changes
                 if (held[c.key][0] if c.key in held else None) != c.before]
        if stale:
            shown = "; ".join(f"{c.key} (plan expected "
                              f"{','.join(c.before.values) if c.before else 'nothing'}, "
                              f"the provider has "
                              f"{','.join(held[c.key][0].values) if c.key in held else 'nothing'})"
                              for c in stale[:5])
            raise ProviderConflict(self.name, f"the zone's records changed since the plan: "
                                              f"{shown} (nothing was sent)")
        desired = existing.copy()
        octo_changes: list[Any] = []
        if fence is not None:
            # octoDNS spells TXT values unquoted (with ; escaped: ours has none).
            fenced = {"type": "TXT", "ttl": fence.rrset(self.zone).ttl,
                      "values": [fence.txt()]}
            new = Record.new(desired, relative_name(fence_key.name, self.zone), fenced,
                             lenient=True)
            if held_fence is not None:
                octo_changes.append(Update(held_fence[1], new))
                desired.add_record(new, replace=True, lenient=True)
            else:
                octo_changes.append(Create(new))
                desired.add_record(new, lenient=True)
        for c in changes:
            old = held[c.key][1] if c.key in held else None
            new = None
            if c.after is not None:
                data: dict[str, Any] = {"type": c.after.rtype, "ttl": c.after.ttl}
                if c.after.rtype == "CNAME":
                    data["value"] = c.after.values[0]
                else:
                    data["values"] = list(c.after.values)
                name = relative_name(c.after.name, self.zone)
                new = Record.new(desired, "" if name == "@" else name, data, lenient=True)
            if old is not None and new is not None:
                octo_changes.append(Update(old, new))
                desired.add_record(new, replace=True, lenient=True)
            elif new is not None:
                octo_changes.append(Create(new))
                desired.add_record(new, lenient=True)
            elif old is not None:
                octo_changes.append(Delete(old))
                desired.remove_record(old)
        plan = Plan(existing, desired, octo_changes, True)
        try:
            self.target.apply(plan)
        except Exception as exc:  # any provider's error, mapped and scrubbed
            raise self._error("apply", exc) from None
        self.applies += 1

    # -- verifying -----------------------------------------------------------------

    def authorities(self) -> list[Authority]:
        return api_authorities(self, self.settings.verify_servers, self.settings.timeout,
                               read_back="(octoDNS populate)")
