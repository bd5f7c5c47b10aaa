"""What the status page shows, gathered from the journal (the moves from the shared history
in a cluster, every node's) and from what every DNS provider
serves (as an event carried it, or as read for the page). :mod:`.page` renders it.

"Which hosting a DNS provider serves" is worked out from its answers for the managed
records: a hosting whose endpoints appear among them is served there.

:class:`PageSource` is what the page needs of the engine (the CLI passes the engine);
the picture of the last drill comes from a :data:`DrillPicture` the CLI passes too, so
that the page knows events and models only.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from failover.clock import stamp
from failover.config import Config
from failover.coord.base import MoveStore
from failover.errors import CoordinationError, FailoverError
from failover.events import Served
from failover.journal import MoveRow
from failover.notify.outbox import Recorder
from failover.reports.page import DrillLine, HostingRow, MoveLine, PageData, ProviderRow, SaasRow
from failover.saas.report import rows as saas_rows

MOVES_SHOWN = 5

# (config, when, sentence, the journaled data of a drill's end) -> its timeline as SVG,
# or None when it draws none.
DrillPicture = Callable[[Config, float, str, Mapping[str, Any]], "str | None"]


class PageSource(Recorder, Protocol):
    @property
    def managed(self) -> list[tuple[str, str]]: ...

    def endpoints(self) -> dict[str, dict[str, list[str]]]:
        """Each hosting's endpoints by type."""

    def saas_selected(self, current: Served | None = None) -> dict[str, str | None]:
        """Each SaaS dependency's provider in use, as ``current`` shows it."""

    def read_apart(self) -> Served:
        """Every DNS provider read now, on connections of its own (the page is gathered
        beside the engine's next step)."""

    @property
    def store(self) -> MoveStore:
        """Where moves are recorded: in a cluster the shared history (every node's moves),
        else this node's journal."""


def _moves(source: PageSource) -> list[MoveRow]:
    """The last moves, from the shared history in a cluster; this node's own journal when
    the cluster cannot be asked (the page is still published, with what this node knows)."""
    try:
        return source.store.moves(limit=MOVES_SHOWN)
    except CoordinationError:
        return source.journal.moves(limit=MOVES_SHOWN)


def gather(source: PageSource, served: Served, *, picture: DrillPicture) -> PageData:
    """Everything the page shows, with ``served`` as what each DNS provider serves."""
    config = source.config
    journal = source.journal
    states = journal.hosting_states()
    terminated = journal.terminated_vendors()
    hostings = []
    for name, spec in config.hosting.items():
        st = states.get(name)
        verdict = st.verdict if st is not None else "UNKNOWN"
        reason = ""
        if spec.vendor in terminated:
            verdict = "TERMINATED" if verdict in ("DOWN", "UNKNOWN", "TERMINATED") else verdict
            reason = terminated[spec.vendor][1]
        elif verdict != "UP":
            # The internal page's WHY: the newest verdict's own sentence for this hosting.
            reason = journal.last_reason(name)
        hostings.append(HostingRow(name, spec.vendor, verdict, st.since if st else None, reason))
    moves = []
    for m in _moves(source):
        seconds = (m.finished - m.started) if m.finished else None
        moves.append(MoveLine(m.id, m.kind if not m.rollback_of else
                              f"rollback of {m.rollback_of}", m.started, seconds,
                              m.shown_state, m.reason, m.summary or ""))
    return PageData(
        service=config.service, zone=config.zone, generated=source.clock.now(),
        hostings=hostings, providers=_providers(source, served),
        terminated={v: stamp(since) for v, (since, _why) in terminated.items()},
        saas=_saas(source, served, set(terminated)),
        moves=moves, drill=_last_drill(source, picture),
        title=config.page.title if config.page else None, pin=_pin(source))


def _pin(source: PageSource) -> str | None:
    """The operator's pin and its expiry, if the source has a coordinator to ask (the
    engine has); a page is still published when it cannot be asked."""
    coord = getattr(source, "coord", None)
    if coord is None:
        return None
    try:
        pin = coord.pin()
    except FailoverError:   # etcd out of reach, an unreadable pin file: the page goes on
        return None
    return str(pin.sentence()) if pin is not None else None


def _providers(source: PageSource, served: Served) -> list[ProviderRow]:
    endpoints = source.endpoints()
    values: dict[str, set[str]] = {
        h: {v.lower().rstrip(".") for vals in eps.values() for v in vals}
        for h, eps in endpoints.items()}
    managed = set(source.managed)
    rows = []
    for name, (current, error) in served.items():
        vendor = source.config.dns[name].vendor
        if current is None:
            rows.append(ProviderRow(name, vendor, (), error or "unreachable"))
            continue
        answers = {v.lower().rstrip(".") for key, rr in current.items()
                   if (key.name, key.rtype) in managed for v in rr.values}
        rows.append(ProviderRow(name, vendor,
                                tuple(sorted(h for h, vals in values.items() if vals & answers))))
    return rows


def _saas(source: PageSource, served: Served, terminated: set[str]) -> list[SaasRow]:
    """The page's SaaS table (no probes: what the journal and DNS say, cheaply)."""
    config = source.config
    if not config.saas:
        return []
    out = []
    for r in saas_rows(config, source.saas_selected(served), {}, terminated):
        account = ("TERMINATED" if r.vendor in terminated else "in use") if r.selected \
            else "unknown"
        fallback_vendor = config.saas[r.dependency].providers[r.fallback].vendor \
            if r.fallback else None
        out.append(SaasRow(r.dependency, r.selected, r.vendor, account, r.fallback,
                           "TERMINATED" if fallback_vendor in terminated else "standby"))
    return out


def _last_drill(source: PageSource, picture: DrillPicture) -> DrillLine | None:
    for e in source.journal.events(limit=500, kind="drill"):
        try:
            data: dict[str, Any] = json.loads(e["data"]) if isinstance(e["data"], str) \
                else e["data"]
        except ValueError:
            continue
        if data.get("stage") != "end":
            continue
        sentence = e.get("sentence", "")
        evacuate = (data.get("totals") or {}).get("evacuate")
        return DrillLine(data.get("vendor", "?"), data.get("outcome", "?"), e["at"], sentence,
                         float(evacuate) if evacuate is not None else None,
                         picture(source.config, e["at"], sentence, data))
    return None
