"""The status page: one self-contained HTML file, no external assets, no JavaScript.

Pure: :func:`render` turns a :class:`PageData` into HTML and reads nothing else.
Two audiences:

- ``internal``: everything: verdicts with reasons, which hosting each DNS provider
  serves, SaaS dependencies and their providers, the last moves with their summaries,
  the last drill with its timeline picture (inline SVG);
- ``public``: what users need: is the service up, where it is served from, what moved
  and when. No addresses, no reasons, no drill picture (it names servers); with
  ``hide_names`` no hosting, DNS provider or vendor names either ("hosting 1").

Elements carry ``id`` and ``data-*`` attributes (``hosting-NAME`` with
``data-verdict``, ``provider-NAME`` with ``data-serving``) so that a browser test reads
the DOM, not the prose. Every value from outside is escaped.
"""

from __future__ import annotations

import html
import re
import time
from dataclasses import dataclass, field
from typing import Literal

Audience = Literal["public", "internal"]

VERDICT_COLOUR = {"UP": "#1a7f37", "DEGRADED": "#9a6700", "DOWN": "#cf222e",
                  "TERMINATED": "#82071e", "UNKNOWN": "#6e7781"}


@dataclass(frozen=True)
class HostingRow:
    name: str
    vendor: str
    verdict: str
    since: float | None = None
    reason: str = ""
    # Per vantage point (a clustered watcher's name -> its verdict). Empty for one watcher;
    # the clustered watchers fill it from their shared state.
    vantage: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ProviderRow:
    name: str
    vendor: str
    serving: tuple[str, ...]          # hostings whose endpoints it answers with
    error: str | None = None          # when it could not be read


@dataclass(frozen=True)
class SaasRow:
    dependency: str
    selected: str | None               # provider selected now (None: unknown)
    vendor: str | None
    account: str                       # alive | refused | unknown | TERMINATED
    fallback: str | None               # the next provider, None when there is none
    fallback_account: str = "unknown"


@dataclass(frozen=True)
class MoveLine:
    id: int
    kind: str
    started: float
    seconds: float | None
    state: str
    reason: str
    summary: str


@dataclass(frozen=True)
class DrillLine:
    vendor: str
    outcome: str
    at: float | None
    sentence: str
    evacuate: float | None
    svg: str | None = None


@dataclass(frozen=True)
class PageData:
    service: str
    zone: str
    generated: float
    hostings: list[HostingRow]
    providers: list[ProviderRow]
    terminated: dict[str, str] = field(default_factory=dict)     # vendor -> since (text)
    saas: list[SaasRow] = field(default_factory=list)
    moves: list[MoveLine] = field(default_factory=list)
    drill: DrillLine | None = None
    title: str | None = None
    # The operator's pin with until when it holds (internal page only); None: no pin.
    pin: str | None = None


def stamp(at: float | None) -> str:
    """Local time with its zone, said once (failover.clock.stamp), so readers anywhere
    can place it."""
    from failover.clock import stamp as clock_stamp

    return clock_stamp(at)


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "-", text)


class _Names:
    """On a public page with ``hide_names``: 'hosting 1', 'DNS provider 2', 'vendor A'."""

    def __init__(self, data: PageData, hide: bool) -> None:
        self.hide = hide
        self.hostings = {h.name: f"hosting {i}" for i, h in enumerate(data.hostings, 1)}
        self.providers = {p.name: f"DNS provider {i}" for i, p in enumerate(data.providers, 1)}
        vendors = sorted({h.vendor for h in data.hostings} | {p.vendor for p in data.providers}
                         | {s.vendor for s in data.saas if s.vendor} | set(data.terminated))
        self.vendors = {v: f"vendor {chr(65 + i) if i < 26 else i}" for i, v in
                        enumerate(vendors)}

    def hosting(self, name: str) -> str:
        return self.hostings.get(name, "a hosting") if self.hide else name

    def provider(self, name: str) -> str:
        return self.providers.get(name, "a DNS provider") if self.hide else name

    def vendor(self, name: str | None) -> str:
        if name is None:
            return "-"
        return self.vendors.get(name, "a vendor") if self.hide else name

    def saas_provider(self, name: str | None) -> str:
        return "-" if name is None else ("a provider" if self.hide else name)


_STYLE = """
body{font:15px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:0;
color:#1f2328;background:#f6f8fa}
main{max-width:60rem;margin:0 auto;padding:1.5rem}
h1{font-size:1.5rem;margin:.2rem 0}h2{font-size:1.1rem;margin:1.6rem 0 .5rem}
.banner{padding:.8rem 1rem;border-radius:6px;color:#fff;font-weight:600}
table{border-collapse:collapse;width:100%;background:#fff}
th,td{text-align:left;padding:.35rem .6rem;border-bottom:1px solid #d0d7de;vertical-align:top}
th{font-size:.8rem;text-transform:uppercase;color:#57606a}
.v{font-weight:700}.muted{color:#57606a;font-size:.85rem}
svg{max-width:100%;height:auto;background:#fff}
footer{margin-top:2rem;color:#57606a;font-size:.85rem}
"""


def render(data: PageData, *, audience: Audience = "internal", hide_names: bool = False) -> str:
    """The whole page as one HTML document."""
    internal = audience == "internal"
    names = _Names(data, hide_names and not internal)
    title = data.title or f"{data.service} status"
    up = [h for h in data.hostings if h.verdict in ("UP", "DEGRADED")]
    serving = sorted({s for p in data.providers for s in p.serving})
    if not data.hostings:
        state, colour = "No checks yet", VERDICT_COLOUR["UNKNOWN"]
    elif up and serving and all(s in {h.name for h in up} for s in serving):
        state, colour = "Service up", VERDICT_COLOUR["UP"]
    elif up:
        state, colour = "Service degraded: moving or recovering", VERDICT_COLOUR["DEGRADED"]
    else:
        state, colour = "Service down", VERDICT_COLOUR["DOWN"]
    where = ", ".join(names.hosting(s) for s in serving) or "unknown"
    out = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
           '<meta name="viewport" content="width=device-width,initial-scale=1">',
           f"<title>{_e(title)}</title><style>{_STYLE}</style></head>",
           f'<body data-audience="{audience}"><main>',
           f"<h1>{_e(title)}</h1>",
           f'<p class="banner" id="overall" style="background:{colour}" '
           f'data-serving="{_e(" ".join(names.hosting(s) for s in serving))}">'
           f"{_e(state)}. Served from: {_e(where)}.</p>"]
    if internal and data.pin:
        out.append(f'<p class="pin" id="pin"><strong>Pin</strong>: {_e(data.pin)}</p>')
    out += _hostings(data, names, internal)
    out += _providers(data, names, internal)
    if data.saas:
        out += _saas(data, names, internal)
    out += _moves(data, names, internal)
    if data.drill is not None:
        out += _drill(data.drill, names, internal)
    out += [f'<footer>Generated <time id="generated" datetime="'
            f'{time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(data.generated))}">'
            f"{_e(stamp(data.generated))}</time> by failover for zone "
            f"{_e(data.zone.rstrip('.'))}. "
            "This page is static and published to several hosts, so it stays readable "
            "when one vendor is gone.</footer>", "</main></body></html>"]
    return "\n".join(out) + "\n"


def _hostings(data: PageData, names: _Names, internal: bool) -> list[str]:
    vantages = sorted({v for h in data.hostings for v in h.vantage})
    head = ["Hosting", "Vendor", "Verdict", "Since"] + vantages + (["Why"] if internal else [])
    rows = ["<h2>Hostings</h2>", "<table id=\"hostings\"><tr>"
            + "".join(f"<th>{_e(c)}</th>" for c in head) + "</tr>"]
    for h in data.hostings:
        colour = VERDICT_COLOUR.get(h.verdict, VERDICT_COLOUR["UNKNOWN"])
        cells = [_e(names.hosting(h.name)), _e(names.vendor(h.vendor)),
                 f'<span class="v" style="color:{colour}">{_e(h.verdict)}</span>',
                 _e(stamp(h.since))]
        cells += [_e(h.vantage.get(v, "-")) for v in vantages]
        if internal:
            cells.append(f'<span class="muted">{_e(h.reason)}</span>')
        rows.append(f'<tr id="hosting-{_e(_slug(names.hosting(h.name)))}" '
                    f'data-verdict="{_e(h.verdict)}">'
                    + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    rows.append("</table>")
    if data.terminated:
        said = ", ".join(f"{names.vendor(v)} (since {since})"
                         for v, since in sorted(data.terminated.items()))
        rows.append(f'<p id="terminated">Vendors that terminated our account: {_e(said)}. '
                    "They are not served again until an operator reinstates them.</p>")
    return rows


def _providers(data: PageData, names: _Names, internal: bool) -> list[str]:
    rows = ["<h2>Which hosting each DNS provider serves now</h2>",
            '<table id="providers"><tr><th>DNS provider</th><th>Vendor</th>'
            "<th>Serves</th></tr>"]
    for p in data.providers:
        if p.error is not None:
            serves = "unreachable" + (f": {_e(p.error)}" if internal else "")
        else:
            serves = _e(", ".join(names.hosting(s) for s in p.serving) or "(none of ours)")
        slug = _e(_slug(names.provider(p.name)))
        rows.append(f'<tr id="provider-{slug}" data-serving="'
                    f'{_e(" ".join(names.hosting(s) for s in p.serving))}">'
                    f"<td>{_e(names.provider(p.name))}</td><td>{_e(names.vendor(p.vendor))}</td>"
                    f'<td class="serving">{serves}</td></tr>')
    rows.append("</table>")
    return rows


def _saas(data: PageData, names: _Names, internal: bool) -> list[str]:
    rows = ["<h2>Services we depend on</h2>",
            '<table id="saas"><tr><th>Dependency</th><th>Provider now</th><th>Vendor</th>'
            "<th>Account</th><th>Fallback</th></tr>"]
    for s in data.saas:
        fallback = (f"{names.saas_provider(s.fallback)} ({s.fallback_account})"
                    if s.fallback else "none")
        rows.append(f'<tr id="saas-{_e(_slug(s.dependency))}" '
                    f'data-selected="{_e(names.saas_provider(s.selected))}" '
                    f'data-account="{_e(s.account)}">'
                    f"<td>{_e(s.dependency)}</td><td>{_e(names.saas_provider(s.selected))}</td>"
                    f"<td>{_e(names.vendor(s.vendor))}</td><td>{_e(s.account)}</td>"
                    f"<td>{_e(fallback)}</td></tr>")
    rows.append("</table>")
    return rows


def _moves(data: PageData, names: _Names, internal: bool) -> list[str]:
    rows = ["<h2>Last moves</h2>"]
    if not data.moves:
        return [*rows, "<p>No moves yet.</p>"]
    head = ["#", "Kind", "Started", "Took", "Outcome"] + (["Why and what"] if internal else [])
    rows.append('<table id="moves"><tr>' + "".join(f"<th>{c}</th>" for c in head) + "</tr>")
    for m in data.moves:
        # A non-breaking space: "0.15 s" is one value and must not wrap as "0.15 / s".
        took = f"{m.seconds:.2f}&nbsp;s" if m.seconds is not None else "-"
        cells = [str(m.id), _e(m.kind), _e(stamp(m.started)), took, _e(m.state)]
        if internal:
            cells.append(f"{_e(m.reason)}<br><span class=\"muted\">{_e(m.summary)}</span>")
        rows.append(f'<tr id="move-{m.id}" data-state="{_e(m.state)}">'
                    + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    rows.append("</table>")
    return rows


def _drill(d: DrillLine, names: _Names, internal: bool) -> list[str]:
    evac = f"; off the vendor in {d.evacuate:.2f} s" if d.evacuate is not None else ""
    rows = ["<h2>Last drill</h2>",
            f'<p id="drill" data-outcome="{_e(d.outcome)}">Drill of '
            f"{_e(names.vendor(d.vendor))} on {_e(stamp(d.at))}: "
            f"<strong>{_e(d.outcome)}</strong>{_e(evac)}.</p>"]
    if internal:
        rows.append(f'<p class="muted">{_e(d.sentence)}</p>')
        if d.svg:
            # The SVG is ours (failover.timeline escapes every label); drop its XML prolog.
            rows.append('<figure id="drill-timeline">'
                        + re.sub(r"^<\?xml[^>]*>\s*", "", d.svg) + "</figure>")
    return rows
