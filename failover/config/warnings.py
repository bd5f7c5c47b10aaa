"""Warnings about setups that validate but would not survive the loss of one vendor."""

from failover.config.hostings import StackEndpoints
from failover.config.model import Config


def saas_warnings(config: Config) -> list[str]:
    """Dependencies that one vendor's loss would stop."""
    out = []
    for dep, spec in config.saas.items():
        first, p = next(iter(spec.providers.items()))
        if len(spec.providers) == 1:
            out.append(f"{dep} has no fallback; losing {first} stops it "
                       f"(vendor {p.vendor}): add a second provider at another vendor")
        elif len({q.vendor for q in spec.providers.values()}) == 1:
            out.append(f"every provider of {dep} is at vendor '{p.vendor}'; losing it stops "
                       f"{dep}: add one at another vendor")
        if spec.switch is None and len(spec.providers) > 1:
            out.append(f"{dep} has no switch: failover can watch its providers but not move "
                       "the application to the fallback; add switch: {kind: dns} or "
                       "{kind: webhook}")
    return out


def notice_warnings(config: Config) -> list[str]:
    """Notices that one vendor could silence."""
    if config.notify is None:
        return ["no notify: channels: nobody is told when failover moves or a vendor "
                "terminates us; add channels at two vendors"]
    warnings = []
    where = {c.vendor for c in config.notify.channels}
    if len(config.notify.channels) < 2:
        warnings.append("only one notify channel: if it fails nobody is told; add a second "
                        "at another vendor")
    elif None not in where and len(where) == 1:
        warnings.append(f"every notify channel is at vendor '{next(iter(where))}': its "
                        "termination silences them all; add one at another vendor")
    return warnings


def fragility_warnings(config: Config) -> list[str]:
    """Setups that validate but would not survive the loss of one vendor or provider."""
    warnings: list[str] = []
    hosting_vendors = {h.vendor for h in config.hosting.values()}
    if len(hosting_vendors) < 2:
        warnings.append(f"all hostings are at one vendor ({', '.join(hosting_vendors)}): "
                        "its termination leaves nowhere to move; add a hosting at another vendor")
    if len(config.dns) < 2:
        warnings.append("only one DNS provider: if it drops the zone, nothing can be moved; "
                        "add a second DNS provider at another vendor")
    dns_vendors = {p.vendor for p in config.dns.values()}
    if len(config.dns) >= 2 and len(dns_vendors) < 2:
        warnings.append(f"every DNS provider is at vendor '{next(iter(dns_vendors))}': its "
                        "termination takes the whole zone; put one at another vendor")
    for record in config.records:
        ttl = config.record_ttl(record)
        if ttl > config.max_ttl:
            warnings.append(f"managed record '{record.name} {record.type}' has TTL {ttl}s: "
                            "resolvers keep the old answer that long after a move; "
                            f"use {config.max_ttl}s or less")
    for name, hosting in config.hosting.items():
        if isinstance(hosting.endpoints, StackEndpoints):
            continue
        if len(config.hosting) > 1 and hosting.vendor in dns_vendors and len(dns_vendors) == 1:
            warnings.append(f"hosting '{name}' and every DNS provider share vendor "
                            f"'{hosting.vendor}'")
    if not config.checks:
        warnings.append("no checks: every hosting will be UNKNOWN; "
                        "add at least an http or tcp check")
    if config.notify is not None:
        warnings += notice_warnings(config)
    return warnings + saas_warnings(config)
