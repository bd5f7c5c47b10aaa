"""``certs issue``, ``certs renew`` and ``certs status``: the CA's order, the challenge
records written by failover's own DNS path, the certificate kept at every target.

Issuing runs in this order, and the order is the promise: order at the CA; write every
``_acme-challenge`` token at every DNS provider and verify it at every authority (a
journaled move of kind ``acme-challenge``); only then tell the CA to validate; wait for
the certificate; and, whatever happened (a refusal, a timeout, Ctrl-C), withdraw the
tokens through the same path. The certificate and its fresh key go to every target; a
target that fails is named and the others still get it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from failover.certs import challenge, store
from failover.certs.client import Account, Challenge
from failover.certs.names import certified_names
from failover.certs.writer import DnsWriter
from failover.config import Config
from failover.config.certs import CertSettings
from failover.errors import CertError, ConfigError, FailoverError
from failover.move import EventSink
from failover.untrusted import clean


@dataclass
class Issued:
    """One certificate taken from one CA, and where it went."""

    ca: str
    names: list[str]
    lineage: str = ""
    issuer: str = ""
    not_after: float = 0.0
    chain_pem: str = ""
    saved: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)     # target -> why
    moves: dict[str, int] = field(default_factory=dict)      # publish/withdraw -> move id
    seconds: dict[str, float] = field(default_factory=dict)  # phase -> seconds
    withdraw_error: str | None = None

    def to_json(self, now: float) -> dict[str, Any]:
        return {"ca": self.ca, "names": self.names, "lineage": self.lineage,
                "issuer": self.issuer,
                "days_left": round((self.not_after - now) / 86400.0, 1),
                "saved": self.saved, "failed": self.failed, "moves": self.moves,
                "seconds": {k: round(v, 3) for k, v in self.seconds.items()},
                "withdraw_error": self.withdraw_error}


def settings(config: Config) -> CertSettings:
    if config.certs is None:
        raise ConfigError("the config has no certs: section; add certs.cas and "
                          "certs.targets (see docs/certs.md)", file=config.source)
    return config.certs


def choose_ca(config: Config, ca: str | None) -> str:
    """The CA named, else ``certs.standby_ca``, else the first configured."""
    certs = settings(config)
    if ca is None:
        return certs.standby_ca or next(iter(certs.cas))
    if ca not in certs.cas:
        raise ConfigError(f"--ca {ca}: no such CA; certs.cas has {', '.join(certs.cas)}")
    return ca


def _tokens(pending: Sequence[Challenge]) -> dict[str, list[str]]:
    tokens: dict[str, list[str]] = {}
    for c in pending:
        tokens.setdefault(c.record, []).append(c.value)
    return tokens


def issue(engine: DnsWriter, ca: str | None = None, names: Sequence[str] = (), *,
          on_event: EventSink | None = None) -> Issued:
    """Take a certificate for ``names`` from ``ca`` through DNS-01 and keep it at every
    target (see the module's docstring for the order of steps)."""
    config = engine.config
    certs = settings(config)
    ca = choose_ca(config, ca)
    wanted = certified_names(config, names)
    clock = engine.clock
    out = Issued(ca, wanted, store.lineage_of(wanted))
    account = Account(config, ca)
    try:
        t = clock.monotonic()
        order, key_pem, pending = account.order(wanted)
        out.seconds["order"] = clock.monotonic() - t
        chain = _validate(engine, account, order, pending, out, on_event)
    finally:
        account.close()
    out.chain_pem = chain
    _, out.issuer, out.not_after = store.describe(chain.encode())
    for target in certs.targets:
        place = store.where(target)
        try:
            store.save(config, target, ca, out.lineage, chain.encode(), key_pem)
        except Exception as exc:  # OSError, botocore: name the target, keep the others
            out.failed[place] = f"{type(exc).__name__}: {clean(exc)}"
        else:
            out.saved.append(place)
    return out


def _validate(engine: DnsWriter, account: Account, order: Any, pending: list[Challenge],
              out: Issued, on_event: EventSink | None) -> str:
    """Publish, verify, answer, finalize; withdraw whatever happens."""
    clock = engine.clock
    if not pending:  # every name validated recently at this CA: nothing to publish
        t = clock.monotonic()
        chain = account.finalize(order)
        out.seconds["issue"] = clock.monotonic() - t
        return chain
    tokens = _tokens(pending)
    reason = f"certs: DNS-01 for {', '.join(out.names)} at CA {out.ca}"
    try:
        t = clock.monotonic()
        _, published = challenge.apply(engine, tokens, "publish", reason=reason,
                                       on_event=on_event)
        out.moves["publish"] = published.move_id
        out.seconds["publish"] = clock.monotonic() - t
        challenge.served_everywhere(published)
        # Journaled before the CA hears of it: the record shows every authority served
        # the tokens (the publish move's verifications) before validation was asked.
        engine.journal.event(clock.now(), "acme-validate",
                             f"certs: tokens served everywhere (move {published.move_id}); "
                             f"CA {out.ca} asked to validate {', '.join(out.names)}",
                             {"ca": out.ca, "names": out.names, "move": published.move_id})
        t = clock.monotonic()
        account.answer(pending)
        chain = account.finalize(order)
        out.seconds["validate"] = clock.monotonic() - t
    except BaseException as exc:
        _withdraw(engine, tokens, reason, out, on_event)
        if out.withdraw_error and isinstance(exc, FailoverError):
            raise type(exc)(f"{exc}; and the tokens were not all removed: "
                            f"{out.withdraw_error}") from None
        raise
    _withdraw(engine, tokens, reason, out, on_event)
    return chain


def _withdraw(engine: DnsWriter, tokens: dict[str, list[str]], reason: str, out: Issued,
              on_event: EventSink | None) -> None:
    clock = engine.clock
    t = clock.monotonic()
    try:
        _, removed = challenge.apply(engine, tokens, "withdraw", reason=reason,
                                     on_event=on_event)
    except FailoverError as exc:
        out.withdraw_error = str(exc)
        return
    out.moves["withdraw"] = removed.move_id
    out.seconds["withdraw"] = clock.monotonic() - t
    try:
        challenge.served_everywhere(removed)
    except CertError:
        out.withdraw_error = (f"move {removed.move_id} {removed.state}: {removed.summary}")


@dataclass
class Renewal:
    """What ``renew`` did for one certificate on hand."""

    ca: str
    lineage: str
    days_left: float
    issued: Issued | None = None
    error: str | None = None


def due(config: Config, now: float) -> list[tuple[str, str, tuple[str, ...], float]]:
    """(CA, lineage, names, days left) of every certificate on hand with fewer than
    ``certs.min_days`` left, the fewest at any target counting."""
    certs = settings(config)
    worst: dict[tuple[str, str], tuple[tuple[str, ...], float]] = {}
    for c in store.on_hand(config).certs:
        if c.error:
            continue
        days = c.days_left(now)
        key = (c.ca, c.lineage)
        if key not in worst or days < worst[key][1]:
            worst[key] = (c.names, days)
    return [(ca, lineage, names, days) for (ca, lineage), (names, days) in sorted(worst.items())
            if days < certs.min_days]


def renew(engine: DnsWriter, *, on_event: EventSink | None = None) -> list[Renewal]:
    """Issue again every certificate on hand that is under ``certs.min_days``, from the
    CA it came from; one failure stops no other."""
    config = engine.config
    out = []
    for ca, lineage, names, days in due(config, engine.clock.now()):
        row = Renewal(ca, lineage, days)
        if ca not in settings(config).cas:
            row.error = f"CA {ca} is no longer in certs.cas; issue from another with --ca"
        else:
            try:
                # Its lineage's name first: the renewed certificate replaces it in place
                # (a CA may list the names in another order than they were asked).
                ordered = sorted(names, key=lambda n: n.rstrip(".") != lineage)
                row.issued = issue(engine, ca, ordered, on_event=on_event)
            except FailoverError as exc:
                row.error = str(exc)
        out.append(row)
    return out
