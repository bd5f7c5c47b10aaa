"""Switches: which provider each dependency uses now, which it should use, and the records.

A ``dns`` switch is one TXT or CNAME record that the engine manages beside the hosting
records: it is read with them, planned with them (so it has a checksum, a before-image,
verification at every authority and a rollback) and written at every DNS provider.
The provider in use is read back from what the DNS providers serve.

A ``webhook`` switch is an HTTP call to the application's config endpoint; the provider
in use is the last one a switch call set (journal events of kind ``saas-switch``),
else the first.

A dependency moves off its provider when the provider's vendor is evacuated
(``--off``) or terminated, or when the operator says ``--saas DEP --to PROVIDER``. It
moves to the first provider, in the config's order, whose vendor is not evacuated and
whose verdict (when known) is not TERMINATED or DEGRADED. With no such provider it stays.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from failover.config import Config, DnsSwitch, WebhookSwitch
from failover.errors import ConfigError
from failover.records import RRKey, RRSet, absolute_name, normalize_value

Current = Mapping[str, tuple[dict[RRKey, RRSet] | None, str | None]]


@dataclass(frozen=True)
class Choice:
    """One dependency's switch, from one provider to another, and why."""

    dependency: str
    from_provider: str | None
    to_provider: str
    reason: str
    kind: str                     # dns | webhook

    def sentence(self) -> str:
        return (f"{self.dependency}: {self.from_provider or '?'} -> {self.to_provider} "
                f"({self.reason})")

    def to_json(self) -> dict[str, Any]:
        return {"dependency": self.dependency, "from": self.from_provider,
                "to": self.to_provider, "reason": self.reason, "kind": self.kind}


def switch_keys(config: Config) -> list[tuple[str, str]]:
    """The (absolute name, type) of every dns switch: managed beside the hosting records."""
    return [(absolute_name(s.switch.name, config.zone), s.switch.type)
            for s in config.saas.values() if isinstance(s.switch, DnsSwitch)]


def selected(config: Config, current: Current, events: Iterable[dict[str, Any]] = ()
             ) -> dict[str, str | None]:
    """Each dependency's provider in use now (None: cannot tell)."""
    out: dict[str, str | None] = {}
    switched = _last_webhook_switches(events)
    for dep, spec in config.saas.items():
        if isinstance(spec.switch, DnsSwitch):
            out[dep] = _from_dns(config, dep, current)
        elif isinstance(spec.switch, WebhookSwitch):
            out[dep] = switched.get(dep, next(iter(spec.providers)))
        else:
            out[dep] = next(iter(spec.providers))
    return out


def _from_dns(config: Config, dep: str, current: Current) -> str | None:
    spec = config.saas[dep]
    assert isinstance(spec.switch, DnsSwitch)
    key = (absolute_name(spec.switch.name, config.zone), spec.switch.type)
    by_value = {normalize_value(spec.switch.type, spec.value_of(p)): p for p in spec.providers}
    seen: list[str | None] = []
    for rrsets, _err in current.values():
        if rrsets is None:
            continue
        values = {v for k, rr in rrsets.items() if (k.name, k.rtype) == key for v in rr.values}
        seen.append(next((by_value[v] for v in sorted(values) if v in by_value), None))
    known = [s for s in seen if s is not None]
    # Providers that disagree: the one most of them serve.
    return max(set(known), key=known.count) if known else None


def _last_webhook_switches(events: Iterable[dict[str, Any]]) -> dict[str, str]:
    out: dict[str, str] = {}
    for e in events:                      # newest first
        data = e.get("data")
        try:
            parsed = json.loads(data) if isinstance(data, str) else data
        except ValueError:
            continue
        if isinstance(parsed, dict) and parsed.get("ok") and parsed.get("dependency") \
                and parsed["dependency"] not in out:
            out[parsed["dependency"]] = str(parsed.get("to"))
    return out


def choose(config: Config, now: Mapping[str, str | None], *, off: Iterable[str] = (),
           requested: Mapping[str, str] | None = None,
           verdicts: Mapping[tuple[str, str], str] | None = None) -> list[Choice]:
    """The switches to make: off evacuated vendors, or where the operator asked."""
    off = set(off)
    requested = dict(requested or {})
    verdicts = verdicts or {}
    for dep, to in requested.items():
        if dep not in config.saas:
            raise ConfigError(f"--saas {dep}: no such dependency; dependencies: "
                              f"{', '.join(sorted(config.saas)) or '(none configured)'}")
        if to not in config.saas[dep].providers:
            raise ConfigError(f"--to {to}: {dep} has no provider '{to}'; its providers: "
                              f"{', '.join(config.saas[dep].providers)}")
        if config.saas[dep].switch is None:
            raise ConfigError(f"--saas {dep}: it has no switch: configured, so failover "
                              "cannot tell the application; add switch: {kind: dns} or "
                              "{kind: webhook}")
    out = []
    for dep, spec in config.saas.items():
        if spec.switch is None:
            continue
        kind = spec.switch.kind
        cur = now.get(dep)
        if dep in requested:
            if requested[dep] != cur:
                out.append(Choice(dep, cur, requested[dep],
                                  f"operator asked --saas {dep} --to {requested[dep]}", kind))
            continue
        if cur is None or spec.providers[cur].vendor not in off:
            continue
        for name, p in spec.providers.items():
            if name == cur or p.vendor in off:
                continue
            if verdicts.get((dep, name)) in ("TERMINATED", "DEGRADED"):
                continue
            out.append(Choice(dep, cur, name, f"vendor {spec.providers[cur].vendor} "
                                              "evacuated", kind))
            break
    return out


def desired(config: Config, choices: Iterable[Choice]) -> dict[tuple[str, str],
                                                                dict[RRKey, RRSet]]:
    """The switch records the dns choices want, by (absolute name, type)."""
    out: dict[tuple[str, str], dict[RRKey, RRSet]] = {}
    for c in choices:
        spec = config.saas[c.dependency]
        if not isinstance(spec.switch, DnsSwitch):
            continue
        name = absolute_name(spec.switch.name, config.zone)
        rr = RRSet.of(name, spec.switch.type, spec.switch.ttl or config.ttl,
                      [spec.value_of(c.to_provider)])
        out[(name, spec.switch.type)] = {rr.key: rr}
    return out


def call_webhook(config: Config, choice: Choice) -> tuple[bool, str]:
    """Tell the application through its config endpoint; (ok, what it said)."""
    import urllib.error
    import urllib.request

    from failover.control.web import describe
    from failover.nofollow import is_redirect, refused, urlopen
    from failover.secreturls import read_url, scrub

    spec = config.saas[choice.dependency]
    assert isinstance(spec.switch, WebhookSwitch)
    hook = spec.switch
    try:
        url = read_url(config, hook, f"saas.{choice.dependency}.switch")
    except ConfigError as exc:
        return False, exc.detail
    body = json.dumps({"dependency": choice.dependency, "provider": choice.to_provider,
                       "value": spec.value_of(choice.to_provider)}).encode()
    req = urllib.request.Request(url, data=body, method=hook.method,
                                 headers={"Content-Type": "application/json"})
    try:
        with urlopen(req, timeout=hook.timeout) as resp:
            status, text = int(resp.status), resp.read(4096).decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        status, text = int(exc.code), exc.read(4096).decode("utf-8", "replace")
        if is_redirect(status):
            # Followed, the POST would become a GET elsewhere, and its 200 a false "switched".
            return False, refused(status, exc.headers, f"saas.{choice.dependency}.switch")
    except (OSError, ValueError) as exc:
        return False, scrub(describe(exc), [url])
    if status not in hook.expect_status:
        return False, f"HTTP {status}, expected {hook.expect_status}"
    if hook.body_contains and hook.body_contains not in text:
        return False, f"HTTP {status} without {hook.body_contains!r} in the answer"
    return True, f"HTTP {status}"
