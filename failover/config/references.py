"""What the types alone cannot check, once they are sound: names that must be declared
elsewhere (vendors, hostings), files that must exist (a check's ca_file), a min_healthy
that can be met, managed records inside the zone, listed once and served by every
hosting, and SaaS switches that clash with no managed record. Each failure is a
:class:`ConfigError` at the key's file:line; all of them (up to 20) are raised at once."""

import os
from collections import Counter
from collections.abc import Callable

from failover.config.hostings import StaticEndpoints
from failover.config.model import Config
from failover.config.page import DirTarget
from failover.config.saas import DnsSwitch
from failover.errors import ConfigError, ConfigErrors
from failover.records import absolute_name
from failover.yamlsrc import Located


def check_references(config: Config, located: Located) -> None:
    """Raise :class:`ConfigErrors` naming each of these that does not hold (up to 20)."""
    vendors = sorted(config.vendors)
    problems: list[ConfigError] = []

    def fail(path: tuple[str | int, ...], msg: str) -> None:
        # Collected, not raised: each check below only reads the config, so the next
        # one is sound to run after a failure, and the operator fixes all in one edit.
        problems.append(ConfigError(msg, file=located.file, line=located.line_of(path),
                                    key=".".join(str(p) for p in path)))

    _check(config, located, vendors, fail)
    if problems:
        raise ConfigErrors.of(problems[:20])


def _check(config: Config, located: Located, vendors: list[str],
           fail: Callable[[tuple[str | int, ...], str], None]) -> None:

    for name, hosting in config.hosting.items():
        if hosting.vendor not in config.vendors:
            fail(("hosting", name, "vendor"),
                 f"unknown vendor '{hosting.vendor}'; declared vendors: {', '.join(vendors)}")
    for name, provider in config.dns.items():
        if provider.vendor not in config.vendors:
            fail(("dns", name, "vendor"),
                 f"unknown vendor '{provider.vendor}'; declared vendors: {', '.join(vendors)}")
    for name, backup in config.backups.items():
        if backup.vendor not in config.vendors:
            fail(("backups", name, "vendor"),
                 f"unknown vendor '{backup.vendor}'; declared vendors: {', '.join(vendors)}")
    if config.cluster is not None and config.cluster.vendor not in config.vendors:
        fail(("cluster", "vendor"), f"unknown vendor '{config.cluster.vendor}'; declared "
                                    f"vendors: {', '.join(vendors)}")
    _check_notify_references(config, fail)
    _check_check_references(config, fail)
    _check_saas_references(config, fail)
    _check_page_folders(config, fail)
    if config.policy.min_healthy > len(config.hosting):
        fail(("policy", "min_healthy"),
             f"min_healthy is {config.policy.min_healthy} but there are only "
             f"{len(config.hosting)} hostings; it can never be met: lower it or add hostings")
    seen: set[tuple[str, str]] = set()
    for i, record in enumerate(config.records):
        name = absolute_name(record.name, config.zone)
        if name != config.zone and not name.endswith("." + config.zone):
            fail(("records", i, "name"),
                 f"'{record.name}' is outside zone {config.zone}; write it relative to the "
                 f"zone ('www', '@') or end it in .{config.zone}")
        key = (name, record.type)
        if key in seen:
            fail(("records", i), f"managed record '{record.name} {record.type}' is listed twice")
        seen.add(key)
    types = {r.type: i for i, r in reversed(list(enumerate(config.records)))}
    for rtype, i in types.items():
        record = config.records[i]
        for hname, hosting in config.hosting.items():
            eps = hosting.endpoints
            if isinstance(eps, StaticEndpoints) and not eps.values(rtype):
                fail(("hosting", hname, "endpoints"),
                     f"managed record '{record.name} {rtype}' needs {rtype} "
                     f"endpoints, and hosting '{hname}' has none; add them or stop "
                     "managing that type")
    names = Counter(absolute_name(r.name, config.zone) for r in config.records)
    for i, record in enumerate(config.records):
        name = absolute_name(record.name, config.zone)
        if record.type == "CNAME" and name == config.zone:
            fail(("records", i), "a CNAME cannot stand at the zone apex; manage A/AAAA there")
        if record.type == "CNAME" and names[name] > 1:
            fail(("records", i), f"'{record.name}' cannot have a CNAME beside other types")


def _check_check_references(config: Config,
                            fail: Callable[[tuple[str | int, ...], str], None]) -> None:
    hostings = ", ".join(sorted(config.hosting))
    for i, check in enumerate(config.checks):
        for name in check.ports:
            if name not in config.hosting:
                fail(("checks", i, "ports", name),
                     f"unknown hosting '{name}'; declared hostings: {hostings}")
        ca_file = getattr(check, "ca_file", None)
        if ca_file and not config.resolve_path(ca_file).is_file():
            fail(("checks", i, "ca_file"), f"no such file: {config.resolve_path(ca_file)}")


def _check_notify_references(config: Config,
                             fail: Callable[[tuple[str | int, ...], str], None]) -> None:
    vendors = ", ".join(sorted(config.vendors))
    if config.notify is None:
        return
    places = [("channels", i, c.vendor) for i, c in enumerate(config.notify.channels)]
    places += [("heartbeat", i, h.vendor) for i, h in enumerate(config.notify.heartbeat)]
    for section, i, vendor in places:
        if vendor is not None and vendor not in config.vendors:
            fail(("notify", section, i, "vendor"),
                 f"unknown vendor '{vendor}'; declared vendors: {vendors}")


def _check_saas_references(config: Config,
                           fail: Callable[[tuple[str | int, ...], str], None]) -> None:
    vendors = ", ".join(sorted(config.vendors))
    managed = {(r.name.lower().rstrip("."), r.type) for r in config.records}
    names: dict[str, str] = {}
    for dep, spec in config.saas.items():
        for prov, p in spec.providers.items():
            if p.vendor not in config.vendors:
                fail(("saas", dep, "providers", prov, "vendor"),
                     f"unknown vendor '{p.vendor}'; declared vendors: {vendors}")
        if isinstance(spec.switch, DnsSwitch):
            full = absolute_name(spec.switch.name, config.zone)
            if full != config.zone and not full.endswith("." + config.zone):
                fail(("saas", dep, "switch", "name"),
                     f"'{spec.switch.name}' is outside zone {config.zone}, which is all "
                     "failover writes; put the switch record in the zone")
            name = spec.switch.name.lower().rstrip(".")
            clash = [t for (n, t) in managed if n == name]
            if clash and (spec.switch.type == "CNAME" or "CNAME" in clash):
                fail(("saas", dep, "switch", "name"),
                     f"'{spec.switch.name}' is also a managed record; a CNAME cannot stand "
                     "beside other types: give the switch its own name")
            if (name, spec.switch.type) in managed or name in names:
                fail(("saas", dep, "switch", "name"),
                     f"'{spec.switch.name} {spec.switch.type}' is already managed"
                     + (f" by saas '{names[name]}'" if name in names else "")
                     + "; give each switch its own name")
            names[name] = dep


# Folders the system owns: a page written there would replace its files (as root).
_SYSTEM_FOLDERS = ("/", "/etc", "/bin", "/sbin", "/usr", "/lib", "/lib64", "/boot", "/dev",
                   "/proc", "/sys", "/root", "/var/lib", "/run")


def _check_page_folders(config: Config,
                        fail: Callable[[tuple[str | int, ...], str], None]) -> None:
    if config.page is None:
        return
    for i, target in enumerate(config.page.targets):
        if not isinstance(target, DirTarget):
            continue
        path = config.resolve_path(target.path)
        if path.is_symlink():
            fail(("page", "targets", i, "path"),
                 f"{path} is a symbolic link; name the folder itself, so that the page "
                 "cannot be redirected to another place")
            continue
        real = os.path.realpath(path)
        system = [f for f in _SYSTEM_FOLDERS if real == f or
                  (f != "/" and f not in ("/var/lib", "/run") and real.startswith(f + "/"))]
        if system:
            fail(("page", "targets", i, "path"),
                 f"{path} is a system folder ({system[0]}); publish the page to a folder "
                 "of its own, such as /var/www/status")
