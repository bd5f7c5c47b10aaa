"""Certificate readiness as check findings: can every hosting prove it is the service, and
can a second CA take over if the first says no?

- ``certificate`` per hosting and name: the certificate served there (SNI) names it and
  leads to a trusted root (``certs.trust``, else the system's), its days left against
  ``certs.min_days``, its issuer (with ``certs.tls_port``);
- ``certificate`` per certificate on hand: days left, and at how many targets it is;
- ``certs ca-diversity``: valid certificates from at least two independent CAs across
  the hostings and the certificates on hand (a CA is one vendor: it can refuse too);
- ``caa agreement``: every DNS provider serves the same CAA records (a CA may ask any);
- ``caa CA``: the CAA set lets each configured CA issue for every name; CRITICAL for the
  standby CA and for a CA in use.

:func:`gather` reads (TLS, the targets, CAA at every provider); :func:`findings` judges.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from failover.certs import caa, challenge, store
from failover.certs.challenge import Reads
from failover.certs.names import certified_names
from failover.certs.served import Served, covers, fetch
from failover.certs.writer import DnsWriter
from failover.config import Config
from failover.finding import Finding

_STATUS = {0: "OK", 1: "WARNING", 2: "CRITICAL", 3: "UNKNOWN"}


def _finding(kind: str, name: str, severity: int, reason: str, vendor: str | None = None,
             evidence: list[dict[str, Any]] | None = None,
             metrics: dict[str, float] | None = None) -> Finding:
    return Finding(kind, name, _STATUS[severity], severity, reason, vendor=vendor,
                   evidence=evidence or [], metrics=metrics or {})


def addresses(endpoints: Mapping[str, Sequence[str]]) -> list[str]:
    """Where a hosting answers: its A and AAAA addresses, else its CNAME target."""
    found = [*endpoints.get("A", []), *endpoints.get("AAAA", [])]
    return found or [t.rstrip(".") for t in endpoints.get("CNAME", [])]


def gather(writer: DnsWriter, endpoints: Mapping[str, Mapping[str, Sequence[str]]]
           ) -> tuple[list[str], list[Served], store.OnHand, Reads]:
    """(names, what each hosting serves, what is on hand, CAA at every provider)."""
    config = writer.config
    certs = config.certs
    assert certs is not None
    names = certified_names(config)
    keys = sorted({(owner, "CAA") for n in names for owner in caa.lookup_names(n, config.zone)})
    jobs = []
    if certs.tls_port is not None:
        jobs = [(h, a, n) for h in config.hosting for a in addresses(endpoints.get(h, {}))
                for n in names]
    port, timeout = certs.tls_port or 443, certs.timeout
    trust = str(config.resolve_path(certs.trust)) if certs.trust else None
    with ThreadPoolExecutor(max_workers=max(2, min(16, len(jobs) + 2))) as pool:
        reading = pool.submit(challenge.read, writer, keys)
        hand = pool.submit(store.on_hand, config)
        served = list(pool.map(lambda j: fetch(j[0], j[1], port, j[2], timeout, trust), jobs))
        return names, served, hand.result(), reading.result()


def findings(config: Config, names: Sequence[str], served: Sequence[Served],
             on_hand: store.OnHand, caa_reads: Reads, now: float) -> list[Finding]:
    """Every certificate and CAA finding (see the module's docstring)."""
    certs = config.certs
    if certs is None:
        return []
    out = _served_findings(config, served, now, certs.min_days)
    out += _on_hand_findings(config, on_hand, now, certs.min_days)
    out.append(_diversity(config, served, on_hand, now, certs.min_days))
    out += _caa_findings(config, names, served, on_hand, caa_reads, now)
    return out


def _days(not_after: float, now: float) -> float:
    return (not_after - now) / 86400.0


def _judge(names: Sequence[str], name: str, issuer: str, days: float, min_days: int
           ) -> tuple[int, str]:
    if not covers(tuple(names), name):
        return 2, f"the certificate does not name {name} (it names {', '.join(names) or 'none'})"
    if days < 0:
        return 2, f"expired {-days:.0f} days ago (issuer {issuer})"
    if days < min_days:
        return 1, f"{days:.0f} days left, under certs.min_days {min_days} (issuer {issuer})"
    return 0, f"valid for {name}, {days:.0f} days left, issuer {issuer}"


def _served_findings(config: Config, served: Sequence[Served], now: float, min_days: int
                     ) -> list[Finding]:
    by: dict[tuple[str, str], list[Served]] = {}
    for s in served:
        by.setdefault((s.hosting, s.name), []).append(s)
    out = []
    for (hosting, name), rows in by.items():
        worst, reasons, evidence = 0, [], []
        for s in rows:
            if s.error:
                sev, why = 2, s.error
            else:
                sev, why = _judge(s.names, name, s.issuer, _days(s.not_after, now), min_days)
                if sev < 2 and s.trusted is False:
                    sev, why = 2, f"not trusted ({s.trust_error}); issuer {s.issuer}"
            worst = max(worst, sev)
            reasons.append(why if len(rows) == 1 else f"{s.address}: {why}")
            evidence.append(s.to_json())
        days = [_days(s.not_after, now) for s in rows if not s.error]
        out.append(_finding("certificate", f"{hosting} {name}", worst, "; ".join(reasons),
                            vendor=config.hosting[hosting].vendor, evidence=evidence,
                            metrics={"days_left": round(min(days), 1)} if days else {}))
    return out


def _on_hand_findings(config: Config, on_hand: store.OnHand, now: float, min_days: int
                      ) -> list[Finding]:
    assert config.certs is not None
    targets = len(config.certs.targets)
    by: dict[tuple[str, str], list[store.CertInfo]] = {}
    for c in on_hand.certs:
        by.setdefault((c.ca, c.lineage), []).append(c)
    out = []
    for (ca, lineage), rows in sorted(by.items()):
        good = [c for c in rows if not c.error]
        if not good:
            out.append(_finding("certificate", f"on hand {ca}/{lineage}", 1,
                                "; ".join(f"{c.target}: {c.error}" for c in rows)))
            continue
        c = min(good, key=lambda c: c.not_after)
        days = c.days_left(now)
        sev, why = _judge(c.names, c.names[0] if c.names else lineage, c.issuer, days,
                          min_days)
        places = sorted({g.target for g in good})
        if sev == 0 and len(places) < targets:
            sev, why = 1, f"{why}; kept at {len(places)} of {targets} targets only"
        out.append(_finding("certificate", f"on hand {ca}/{lineage}", sev,
                            f"standby from {ca}: {why}",
                            evidence=[g.to_json(now) for g in good],
                            metrics={"days_left": round(days, 1)}))
    for place, why in sorted(on_hand.unreadable.items()):
        out.append(_finding("certificate", f"target {place}", 1, f"cannot be read: {why}"))
    return out


def _valid_issuers(served: Sequence[Served], on_hand: store.OnHand, now: float,
                   min_days: int) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """issuer -> hostings serving a valid certificate from it; issuer -> CAs on hand."""
    serving: dict[str, set[str]] = {}
    for s in served:
        if (not s.error and s.covers() and s.trusted is not False
                and _days(s.not_after, now) >= min_days):
            serving.setdefault(s.issuer, set()).add(s.hosting)
    standby: dict[str, set[str]] = {}
    for c in on_hand.certs:
        if not c.error and c.days_left(now) >= min_days:
            standby.setdefault(c.issuer, set()).add(c.ca)
    return serving, standby


def _diversity(config: Config, served: Sequence[Served], on_hand: store.OnHand, now: float,
               min_days: int) -> Finding:
    serving, standby = _valid_issuers(served, on_hand, now, min_days)
    issuers = sorted(set(serving) | set(standby))
    evidence = [{"issuer": i, "serving": sorted(serving.get(i, ())),
                 "on_hand": sorted(standby.get(i, ()))} for i in issuers]
    metrics = {"independent_cas": float(len(issuers))}
    if len(issuers) >= 2:
        return _finding("certs", "ca-diversity", 0, f"valid certificates from "
                        f"{len(issuers)} independent CAs: {', '.join(issuers)}",
                        evidence=evidence, metrics=metrics)
    assert config.certs is not None
    others = [ca for ca in config.certs.cas if not any(ca in v for v in standby.values())]
    fix = (f"take a standby certificate from another CA: failover certs issue --ca "
           f"{others[0]}" if others else "configure a second CA in certs.cas")
    if not issuers:
        return _finding("certs", "ca-diversity", 1, f"no valid certificate from any CA "
                        f"(with {min_days}+ days left); {fix}", metrics=metrics)
    return _finding("certs", "ca-diversity", 1, f"a single CA ({issuers[0]}) across "
                    f"every hosting and the certificates on hand: its refusal or revocation "
                    f"leaves no hosting able to prove it is {config.zone.rstrip('.')}; {fix}",
                    evidence=evidence, metrics=metrics)


def _caa_findings(config: Config, names: Sequence[str], served: Sequence[Served],
                  on_hand: store.OnHand, reads: Reads, now: float) -> list[Finding]:
    assert config.certs is not None
    certs = config.certs
    readable = {p: rr for p, (rr, _) in reads.items() if rr is not None}
    errors = {p: err or "not read" for p, (rr, err) in reads.items() if rr is None}
    sets = {p: {f"{k.name} {v}" for k, r in rr.items() if k.rtype == "CAA" for v in r.values}
            for p, rr in readable.items()}
    evidence = [{"provider": p, "caa": sorted(s)} for p, s in sets.items()]
    evidence += [{"provider": p, "error": e} for p, e in errors.items()]
    distinct = {frozenset(s) for s in sets.values()}
    if len(distinct) > 1:
        said = "; ".join(f"{p}: {', '.join(sorted(s)) or 'none'}" for p, s in sets.items())
        agree = _finding("caa", "agreement", 1, f"the DNS providers serve different CAA "
                         f"records, and a CA may ask any of them: {said}", evidence=evidence)
    elif errors:
        agree = _finding("caa", "agreement", 3, "CAA could not be read at "
                         f"{', '.join(sorted(errors))}", evidence=evidence)
    else:
        agree = _finding("caa", "agreement", 0, f"every DNS provider ({len(sets)}) serves "
                         f"the same CAA records ({len(next(iter(distinct), ()))})",
                         evidence=evidence)
    out = [agree]
    serving, standby = _valid_issuers(served, on_hand, now, 0)
    in_use = {ca for cas in standby.values() for ca in cas}
    issuer_ca = {c.issuer: c.ca for c in on_hand.certs if not c.error}
    in_use |= {issuer_ca[i] for i in serving if i in issuer_ca}
    for ca, spec in certs.cas.items():
        role = ("standby" if ca == certs.standby else "in use" if ca in in_use
                else "configured")
        refused = []
        for provider, rr in readable.items():
            for name in names:
                owner, values = caa.relevant(rr, name, config.zone)
                ok, why = caa.allows(values, spec.caa)
                if not ok:
                    refused.append(f"{name} at {provider} (CAA of {owner}): {why}")
        if refused:
            sev = 2 if role != "configured" else 1
            out.append(_finding("caa", ca, sev, f"CAA forbids the {role} CA {ca} to issue: "
                                f"{'; '.join(refused[:4])}"
                                + (f" (+{len(refused) - 4} more)" if len(refused) > 4 else ""),
                                evidence=evidence))
        elif readable:
            out.append(_finding("caa", ca, 0, f"CAA lets the {role} CA {ca} issue for "
                                f"{len(names)} names at {len(readable)} DNS providers"))
    unmapped = sorted(i for i in serving if i not in issuer_ca)
    if unmapped:
        out.append(_finding("caa", "in-use", 1, f"hostings serve certificates from "
                            f"{', '.join(unmapped)}, a CA not in certs.cas: whether CAA lets "
                            "it renew is not known; add it to certs.cas with its caa domain"))
    return out


def check(writer: DnsWriter, endpoints: Mapping[str, Mapping[str, Sequence[str]]],
          now: float) -> list[Finding]:
    """Read and judge: every certificate and CAA finding of the service."""
    if writer.config.certs is None:
        return []
    names, served, on_hand, reads = gather(writer, endpoints)
    return findings(writer.config, names, served, on_hand, reads, now)
