"""CAA (RFC 8659): which CAs the zone lets issue for a name, as every DNS provider serves it.

A CA looks for the CAA set of the name itself, then of each parent in turn; the first
non-empty set is the relevant one, and without one any CA may issue. Within that set,
``issue`` properties name the CAs that may (``issue ";"``: none); a set with no ``issue``
property lets any CA issue non-wildcard names. Only the zone's own names are read (the
parents above the zone are the parent's business).

:func:`parse` reads one value as DNS servers and Route 53 spell it (``0 issue
"letsencrypt.org; validationmethods=dns-01"``); anything else is reported, never trusted.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from failover.records import RRKey, RRSet
from failover.untrusted import clean

_VALUE = re.compile(r'^\s*(\d{1,3})\s+([A-Za-z0-9]{1,15})\s+"((?:[^"\\]|\\.)*)"\s*$')


@dataclass(frozen=True)
class Property:
    flags: int
    tag: str
    value: str

    @property
    def issuer(self) -> str:
        """The issuer domain of an issue/issuewild value ("" when it names none)."""
        return self.value.split(";", 1)[0].strip().lower().rstrip(".")


def parse(text: str) -> Property:
    """One CAA value; ValueError (clean text) if it is not one."""
    m = _VALUE.match(text)
    if not m:
        raise ValueError(f"not a CAA value: {clean(text, 120)}")
    flags = int(m.group(1))
    if flags > 255:
        raise ValueError(f"CAA flags over 255: {clean(text, 120)}")
    return Property(flags, m.group(2).lower(), m.group(3).replace('\\"', '"'))


def lookup_names(name: str, zone: str) -> list[str]:
    """``name`` and each parent up to the zone's apex, absolute, closest first."""
    name = name.lower().rstrip(".") + "."
    zone = zone.lower().rstrip(".") + "."
    out = [name]
    while name != zone and "." in name.rstrip(".") and name.endswith("." + zone):
        name = name.split(".", 1)[1]
        out.append(name)
    return out


def relevant(served: Mapping[RRKey, RRSet], name: str, zone: str) -> tuple[str, tuple[str, ...]]:
    """(the owner, its CAA values) of the set a CA would use for ``name``; ("", ()) if
    no name up to the apex has one."""
    for owner in lookup_names(name, zone):
        rr = served.get(RRKey(owner, "CAA"))
        if rr is not None and rr.values:
            return owner, rr.values
    return "", ()


def allows(values: Sequence[str], issuers: Sequence[str]) -> tuple[bool, str]:
    """Whether a CAA set lets a CA known by ``issuers`` issue a non-wildcard certificate,
    and why. An unreadable value or an unknown critical property forbids (RFC 8659 4.1)."""
    if not values:
        return True, "no CAA record: any CA may issue"
    props = []
    for v in values:
        try:
            props.append(parse(v))
        except ValueError as exc:
            return False, f"unreadable CAA value ({exc}): no CA can rely on it"
    for p in props:
        if p.flags & 128 and p.tag not in ("issue", "issuewild", "iodef"):
            return False, f"critical CAA property '{clean(p.tag, 20)}' no CA understands"
    issue = [p for p in props if p.tag == "issue"]
    if not issue:
        return True, "CAA has no issue property: any CA may issue"
    named = sorted({p.issuer for p in issue if p.issuer})
    if not issuers:
        return False, (f"CAA allows only {', '.join(named) or 'no CA'}; this CA's CAA "
                       "domain is not configured (certs.cas.NAME.caa)")
    mine = {i.lower().rstrip(".") for i in issuers}
    if mine & set(named):
        return True, f"CAA allows {', '.join(sorted(mine & set(named)))}"
    return False, f"CAA allows only {', '.join(named) or 'no CA'}"
