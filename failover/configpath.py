"""Where the config file is: apart from :mod:`failover.config`, so that the CLI's root
callback, which runs even for ``COMMAND --help``, imports no pydantic or YAML (issue 13)."""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_CONFIG = "failover.yaml"
CONFIG_ENV = "FAILOVER_CONFIG"


def config_path(explicit: str | None) -> Path:
    """``-c`` wins, then ``$FAILOVER_CONFIG``, then ``./failover.yaml``."""
    return Path(explicit or os.environ.get(CONFIG_ENV) or DEFAULT_CONFIG)
