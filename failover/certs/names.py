"""The names a certificate is for: those asked for, else ``certs.names``, else every
managed record's name; each checked to be a DNS name in the zone (DNS-01 can validate
only names the DNS providers serve)."""

from __future__ import annotations

from collections.abc import Sequence

from failover.config import Config
from failover.config.base import dns_name
from failover.config.certs import CertSettings
from failover.errors import ConfigError
from failover.records import absolute_name
from failover.untrusted import clean


def certified_names(config: Config, requested: Sequence[str] = ()) -> list[str]:
    """The names to certify (no trailing dot): those requested, else ``certs.names``,
    else every managed record's name; each must be in the zone. A name that ends in the
    zone's name is taken as it is (``www.example.org``); any other as relative (``www``)."""
    zone = config.zone
    given = list(requested) or list(_certs(config).names) or [r.name for r in
                                                               config.records]
    out: list[str] = []
    for text in given:
        try:
            checked = dns_name(str(text))
        except ValueError as exc:
            raise ConfigError(f"--name {clean(text, 100)}: {clean(exc, 200)}") from None
        full = checked.rstrip(".") + "."
        name = full if full == zone or full.endswith("." + zone) else absolute_name(
            checked, zone)
        if name != zone and not name.endswith("." + zone):
            raise ConfigError(f"--name {clean(text, 100)}: not in the zone {zone}; only "
                              "names the DNS providers serve can be validated by DNS-01")
        if name.rstrip(".") not in out:
            out.append(name.rstrip("."))
    return out


def _certs(config: Config) -> CertSettings:
    if config.certs is None:
        raise ConfigError("the config has no certs: section; add certs.cas and "
                          "certs.targets (see docs/certs.md)", file=config.source)
    return config.certs

