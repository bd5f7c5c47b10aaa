"""Registrars: where ``failover delegation`` writes the zone's NS set at the parent.

One module per kind behind :class:`~failover.registrars.base.Registrar`; ``plugin``
builds a class of that shape that an installed package registered as an entry point
in the ``failover.registrars`` group, so a registrar failover does not ship needs no
change here. The config names the entry point, never a module: nothing is imported
that was not installed as a failover registrar.
"""

from __future__ import annotations

from failover.config import Config, PluginRegistrar, Rfc2136Registrar, Route53DomainsRegistrar
from failover.config.delegation import ENTRY_POINT_FIX, REGISTRAR_GROUP, registrar_plugins
from failover.errors import ConfigError
from failover.registrars.base import Registrar


def make_registrar(name: str, config: Config) -> Registrar:
    """Build the registrar called ``name`` in ``config.delegation.registrars``."""
    assert config.delegation is not None
    settings = config.delegation.registrars[name]
    if isinstance(settings, Rfc2136Registrar):
        from failover.registrars.rfc2136 import Rfc2136Parent

        return Rfc2136Parent(name, settings, config)
    if isinstance(settings, Route53DomainsRegistrar):
        from failover.registrars.route53domains import Route53Domains

        return Route53Domains(name, settings, config)
    assert isinstance(settings, PluginRegistrar)
    return _plugin(name, settings, config)


def _plugin(name: str, settings: PluginRegistrar, config: Config) -> Registrar:
    key = f"delegation.registrars.{name}.entry_point"
    # Looked up again, not only when the config was read: a Config built some other
    # way reaches no module that is not a registered plugin either.
    entry = registrar_plugins().get(settings.entry_point)
    if entry is None:
        raise ConfigError(f"no registrar plugin {settings.entry_point!r} is installed (entry "
                          f"points in {REGISTRAR_GROUP})", fix=ENTRY_POINT_FIX,
                          file=config.source, key=key)
    try:
        cls = entry.load()
    except (ImportError, AttributeError) as exc:
        raise ConfigError(f"plugin {settings.entry_point!r} ({entry.value}) cannot be loaded: "
                          f"{exc}; reinstall the package that provides it",
                          file=config.source, key=key) from None
    if not isinstance(cls, type) or not issubclass(cls, Registrar):
        raise ConfigError(f"plugin {settings.entry_point!r} ({entry.value}) is not a failover "
                          f"Registrar class (subclass failover.registrars.base.Registrar)",
                          file=config.source, key=key)
    try:
        return cls(name, dict(settings.settings), config)  # type: ignore[call-arg,arg-type]
    except (TypeError, ValueError, KeyError) as exc:
        raise ConfigError(f"plugin {settings.entry_point!r} refused its settings: {exc}",
                          file=config.source, key=f"delegation.registrars.{name}.settings"
                          ) from None
