"""The parent zone's primary as a registrar: one signed RFC 2136 UPDATE of the NS set.

The UPDATE carries the prerequisite "the NS RRset is exactly ``before``" (RFC 2136
section 2.4.2), then deletes the RRset and adds ``after`` at the same TTL: the
server applies all of it or nothing, and a changed NS set fails the prerequisite
(NXRRSET) without touching the zone. Reads ask the primary directly over TCP.
"""

from __future__ import annotations

from collections.abc import Sequence

import dns.exception
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.tsig
import dns.update

from failover.config import Config, Rfc2136Registrar
from failover.dns.query import where
from failover.dns.rfc2136 import TsigKey, load_tsig
from failover.errors import (
    ConfigError,
    ProviderAuthError,
    ProviderConflict,
    ProviderError,
    ProviderUnreachable,
)
from failover.registrars.base import Registrar, ns_name
from failover.untrusted import clean


class Rfc2136Parent(Registrar):
    kind = "rfc2136"

    def __init__(self, name: str, settings: Rfc2136Registrar, config: Config) -> None:
        super().__init__(name, config.zone)
        self.settings = settings
        self.server = where(settings.server, settings.port)
        self.tsig: TsigKey | None = None
        if settings.tsig is not None:
            try:
                self.tsig = load_tsig(name, settings.tsig, config)
            except ConfigError as exc:  # it names dns.NAME.tsig; the key is elsewhere here
                raise ConfigError(exc.problem, file=exc.file, line=exc.line,
                                  key=f"delegation.registrars.{name}.tsig",
                                  fix=exc.fix) from None
        self.ttl = 3600

    @property
    def label(self) -> str:
        return f"{self.name} ({self.settings.zone} at {self.server})"

    def read(self) -> list[str]:
        query = dns.message.make_query(self.zone, "NS")
        try:
            answer = dns.query.tcp(query, self.settings.server, port=self.settings.port,
                                   timeout=self.settings.timeout)
        except (OSError, dns.exception.DNSException) as exc:
            raise ProviderUnreachable(self.name, f"cannot ask {self.server} for the NS set of "
                                                 f"{self.zone}: {clean(exc)}") from None
        owner = dns.name.from_text(self.zone)
        for section in (answer.answer, answer.authority):
            for rrset in section:
                if rrset.rdtype == dns.rdatatype.NS and rrset.name == owner:
                    self.ttl = rrset.ttl
                    return sorted({ns_name(rd.target.to_text()) for rd in rrset})
        raise ProviderError(self.name, f"{self.server} lists no NS set for {self.zone} "
                                       f"({dns.rcode.to_text(answer.rcode())}); is it the "
                                       f"primary of {self.settings.zone}?")

    def write(self, before: Sequence[str], after: Sequence[str]) -> None:
        if self.tsig is not None:
            message = dns.update.UpdateMessage(self.settings.zone, keyring=self.tsig.keyring,
                                               keyname=self.tsig.name,
                                               keyalgorithm=self.tsig.algorithm)
        else:
            message = dns.update.UpdateMessage(self.settings.zone)
        # "Exactly this RRset" (value dependent): the set in the zone must equal before.
        message.present(self.zone, *(dns.rdata.from_text(dns.rdataclass.IN,
                                                         dns.rdatatype.NS, n) for n in before))
        message.delete(self.zone, "NS")
        for n in after:
            message.add(self.zone, self.ttl, "NS", n)
        try:
            reply = dns.query.tcp(message, self.settings.server, port=self.settings.port,
                                  timeout=self.settings.timeout)
        except dns.tsig.PeerError as exc:
            raise ProviderAuthError(self.name, f"{self.server} refused TSIG key "
                                               f"'{self.tsig.label if self.tsig else ''}' "
                                               f"({type(exc).__name__}); check the secret in "
                                               f"{self.tsig.source if self.tsig else '?'}"
                                    ) from None
        except (OSError, dns.exception.DNSException) as exc:
            raise ProviderUnreachable(self.name, f"UPDATE of {self.settings.zone} at "
                                                 f"{self.server} failed: {clean(exc)}") from None
        rcode = reply.rcode()
        if rcode in (dns.rcode.NXRRSET, dns.rcode.YXRRSET):
            raise ProviderConflict(self.name, f"the NS set of {self.zone} at {self.server} is "
                                              f"no longer {', '.join(before)} "
                                              f"({dns.rcode.to_text(rcode)}); nothing changed")
        if rcode in (dns.rcode.REFUSED, dns.rcode.NOTAUTH):
            raise ProviderAuthError(self.name, f"{self.server} refused the UPDATE of "
                                               f"{self.settings.zone} "
                                               f"({dns.rcode.to_text(rcode)}); allow the "
                                               f"key to update it")
        if rcode != dns.rcode.NOERROR:
            raise ProviderError(self.name, f"{self.server} answered "
                                           f"{dns.rcode.to_text(rcode)} to the UPDATE")
