"""Registrars: where ``failover delegation`` writes the zone's NS set at the parent.

One module per kind behind :class:`~failover.registrars.base.Registrar`; ``plugin``
loads any class of that shape by name, so a registrar failover does not ship (an
octoDNS-style plugin point) needs no change here.
"""

from __future__ import annotations

import importlib

from failover.config import Config, PluginRegistrar, Rfc2136Registrar, Route53DomainsRegistrar
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
    key = f"delegation.registrars.{name}.class"
    module_name, _, class_name = settings.class_.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ConfigError(f"cannot import {module_name}: {exc}; install the package that "
                          f"provides it", file=config.source, key=key) from None
    cls = getattr(module, class_name, None)
    if not isinstance(cls, type) or not issubclass(cls, Registrar):
        raise ConfigError(f"{settings.class_} is not a failover Registrar class (subclass "
                          f"failover.registrars.base.Registrar)", file=config.source, key=key)
    try:
        return cls(name, dict(settings.settings), config)  # type: ignore[call-arg,arg-type]
    except (TypeError, ValueError, KeyError) as exc:
        raise ConfigError(f"{settings.class_} refused its settings: {exc}",
                          file=config.source, key=f"delegation.registrars.{name}.settings"
                          ) from None
