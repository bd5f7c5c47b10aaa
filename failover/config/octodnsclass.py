"""Which octoDNS provider class a config may name: only one shipped by an installed octoDNS
distribution is ever imported, never a module a config file merely names.

``kind: octodns`` takes a ``class`` path, and importing a module runs its code: a config
that arrives through a pull request must not be able to name ``os.system``. The allowed
packages are read from the installed distributions' metadata without importing anything;
config validation and the provider's construction both call
:func:`octodns_provider_class`, so a config that skipped one still meets the other.
"""

import importlib
import re
from importlib.metadata import distributions
from typing import Any


def octodns_packages() -> dict[str, str]:
    """The top-level modules of the installed octoDNS distributions, to the distribution.

    Read from the distributions' metadata (``top_level.txt``, else their file lists);
    nothing is imported. A distribution counts when it is ``octodns`` or ``octodns-*``,
    and of what it ships only ``octodns`` and ``octodns_*`` modules count, so an
    installed package cannot lend a provider's name to ``os`` or ``subprocess``.
    """
    found: dict[str, str] = {}
    for dist in distributions():
        name = re.sub(r"[-_.]+", "-", (dist.metadata["Name"] or "").lower())
        if name != "octodns" and not name.startswith("octodns-"):
            continue
        listed = (dist.read_text("top_level.txt") or "").split()
        if not listed:  # wheels built without setuptools: the first part of each path
            listed = [f.parts[0].removesuffix(".py") for f in dist.files or () if f.parts]
        for top in listed:
            if top.isidentifier() and (top == "octodns" or top.startswith("octodns_")):
                found.setdefault(top, name)
    return found


def octodns_provider_class(path: str) -> type[Any]:
    """The octoDNS provider class ``package.module.Class``, vetted before and after import.

    Its module is imported only when its top-level package belongs to an installed
    octoDNS distribution (:func:`octodns_packages`); the class must then be a subclass
    of octoDNS's ``BaseProvider``. Anything else is a ``ValueError`` whose text names
    the installed providers and the fix; config validation and the provider's
    construction both call this, so a config that skipped one still meets the other.
    """
    module_name, _, class_name = path.rpartition(".")
    top = module_name.partition(".")[0]
    packages = octodns_packages()
    if top not in packages:
        package = top.replace("_", "-") if top.startswith("octodns_") else "octodns-NAME"
        raise ValueError(f"{path} is not an octoDNS provider from an installed octodns-* "
                         f"distribution, and is not imported; installed: "
                         f"{_installed_providers(packages)}; install the provider's package "
                         f"(pip install {package}) and name its class")
    from octodns.provider.base import BaseProvider

    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ValueError(f"cannot import {module_name} ({exc}); reinstall its package, "
                         f"{packages[top]}") from None
    cls = getattr(module, class_name, None)
    if not isinstance(cls, type) or not issubclass(cls, BaseProvider) or cls is BaseProvider:
        raise ValueError(f"{path} is not an octoDNS provider (a subclass of octodns.provider."
                         f"base.BaseProvider); installed: {_installed_providers(packages)}")
    return cls


def _installed_providers(packages: dict[str, str]) -> str:
    """``octodns_bind.Rfc2136Provider, ...``: the provider classes the octodns-* packages
    export at their top level (only those packages are imported), for an error's fix."""
    try:
        from octodns.provider.base import BaseProvider
    except ImportError:
        return "none (pip install 'failover[octodns]')"
    names: list[str] = []
    for top in sorted(p for p in packages if p != "octodns"):
        try:
            module = importlib.import_module(top)
        except Exception:  # any failure: a broken provider package is left out of a hint
            continue
        names += [f"{top}.{n}" for n, v in sorted(vars(module).items())
                  if isinstance(v, type) and issubclass(v, BaseProvider)
                  and v.__module__.partition(".")[0] == top]
    return ", ".join(names) or "none"
