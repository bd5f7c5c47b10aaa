"""Registration readiness: can the domain itself be held hostage? Per registrar in
``delegation.registrars``, what it says of the domain (transfer lock, expiry, auto-renew,
the auth code, contact privacy), judged for ``check`` (findings) and ``audit``
(dependencies).

A registrar that cannot say (RFC 2136, a plugin without ``readiness``) is reported as
such, never as ready. The auth code is asked for and dropped: only whether it could be
had is kept.
"""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import NamedTuple

from failover.audit import Dependency
from failover.config import Config
from failover.errors import FailoverError
from failover.finding import Finding
from failover.registrars.base import MAX_STATUS, Readiness, Registrar
from failover.untrusted import clean

# Under this many days to expiry a registration is an emergency (a registrar's grace
# period and a transfer both take days).
MIN_DAYS = 30
_STATUS = {0: "OK", 1: "WARNING", 2: "CRITICAL", 3: "UNKNOWN"}


class Problem(NamedTuple):
    """One way a registration is not ready: how bad, what it is, the fix, and whether it
    blocks recovery (the domain could lapse, or could not be transferred away)."""

    kind: str       # expiry | auto-renew | transfer-lock | auth-code | privacy
    severity: int
    text: str
    fix: str
    blocks: bool = False


def problems(r: Readiness, now: float) -> list[Problem]:
    """Each way the registration is not ready."""
    out: list[Problem] = []
    days = r.days_left(now)
    if days is not None and days < MIN_DAYS:
        out.append(Problem("expiry", 1 if r.auto_renew else 2,
                           f"expires in {days:.0f} days (under {MIN_DAYS})"
                           + ("; auto-renew is on" if r.auto_renew else "; auto-renew is OFF"),
                           "renew it now and turn auto-renew on", blocks=True))
    elif r.auto_renew is False:
        out.append(Problem("auto-renew", 1, "auto-renew is off: a missed renewal loses the domain",
                           "turn auto-renew on"))
    if r.transfer_lock is False:
        out.append(Problem("transfer-lock", 1, "transfer lock is off: the domain can be "
                           "moved away (or hijacked) with its auth code",
                           "turn the transfer lock on"))
    if r.auth_code is False:
        # Without the auth code no other registrar can take the domain: this one holds it.
        why = r.auth_code_error or "refused"
        out.append(Problem("auth-code", 1, f"the auth code cannot be had now ({why}): a "
                           "transfer away would wait on this registrar",
                           "ask the registrar why it refuses the auth code, and fix that "
                           "before you need to transfer", blocks=True))
    if r.privacy is False:
        out.append(Problem("privacy", 1, "contact privacy is off on some contact",
                           "turn contact privacy on for every contact"))
    return out


def read(registrars: Mapping[str, Registrar]) -> dict[str, Readiness | str | None]:
    """Each registrar's readiness (None: it cannot say; a string: why it failed),
    read concurrently."""
    def one(item: tuple[str, Registrar]) -> tuple[str, Readiness | str | None]:
        name, registrar = item
        try:
            return name, _inert(registrar.readiness())
        except FailoverError as exc:
            return name, str(exc)
        except Exception as exc:  # an SDK error we did not map: still one line
            return name, f"{name}: {type(exc).__name__}: {clean(exc)}"

    if not registrars:
        return {}
    with ThreadPoolExecutor(max_workers=len(registrars)) as pool:
        return dict(pool.map(one, registrars.items()))


def _inert(r: Readiness | None) -> Readiness | None:
    """A plugin's answer with the registrar's own words cleaned and bounded, as Route 53
    Domains' are: a plugin passes on what a vendor said, and it is shown and kept."""
    if r is None:
        return None
    return replace(r, domain=clean(r.domain, 255),
                   status=tuple(clean(s, 60) for s in list(r.status)[:MAX_STATUS]),
                   auth_code_error=None if r.auth_code_error is None
                   else clean(r.auth_code_error))


def findings(readings: Mapping[str, Readiness | str | None], now: float) -> list[Finding]:
    """One ``registrar`` finding per registrar."""
    out = []
    for name, r in readings.items():
        if r is None:
            out.append(Finding("registrar", name, "OK", 0, "this registrar cannot report "
                               "transfer lock, expiry or auth code: check them at the "
                               "registrar"))
            continue
        if isinstance(r, str):
            out.append(Finding("registrar", name, "UNKNOWN", 3, f"could not be read: {r}"))
            continue
        found = problems(r, now)
        sev = max((p.severity for p in found), default=0)
        days = r.days_left(now)
        reason = ("; ".join(p.text for p in found)
                  + f". Fix at {name}: " + "; ".join(p.fix for p in found)) if found else (
            f"{r.domain}: transfer lock on, auto-renew on, auth code obtainable, "
            f"{days:.0f} days to expiry" if days is not None else f"{r.domain}: ready")
        out.append(Finding("registrar", name, _STATUS[sev], sev, reason,
                           evidence=[r.to_json(now)],
                           metrics={"days_left": round(days, 1)} if days is not None else {}))
    return out


def dependencies(readings: Mapping[str, Readiness | str | None], now: float
                 ) -> list[Dependency]:
    """What ``audit`` says of each registrar that is not ready: an expiry under
    :data:`MIN_DAYS` and an auth code it will not give block recovery, the rest is
    named."""
    out = []
    for name, r in readings.items():
        if isinstance(r, str):
            out.append(Dependency(vendor=name, kind="registration",
                                  what=f"the registration at {name}",
                                  loss=f"its readiness could not be read: {r}",
                                  fix="check transfer lock, expiry and auth code at the "
                                      "registrar", blocking=False))
            continue
        if r is None:
            continue
        for p in problems(r, now):
            out.append(Dependency(
                vendor=name, kind="registration", what=f"{r.domain} at {name}: {p.text}",
                loss=(f"{r.domain} may lapse before anyone can move it" if p.kind == "expiry"
                      else
                      f"{name} blocks recovery: {r.domain} cannot be transferred away "
                      "without it" if p.blocks else
                      f"{r.domain} is not ready to be kept or moved in a hurry"),
                fix=p.fix, blocking=p.blocks))
    return out


def read_config(config: Config) -> dict[str, Readiness | str | None]:
    """:func:`read` for the registrars ``delegation.registrars`` names; one that cannot
    be set up (no credentials, an unknown plugin) is reported as such, the others read."""
    from failover.registrars import make_registrar

    if config.delegation is None:
        return {}
    built: dict[str, Registrar] = {}
    failed: dict[str, Readiness | str | None] = {}
    for name in config.delegation.registrars:
        try:
            built[name] = make_registrar(name, config)
        except FailoverError as exc:
            failed[name] = str(exc)
    try:
        return {**read(built), **failed}
    finally:
        for r in built.values():
            r.close()
