"""How many cases each property test runs: its full count in ``make test``, fewer in
development.

``HYPOTHESIS_PROFILE=dev`` (``make unit``, ``make integration``) runs a tenth of each
count, at least 20; ``full``, the default and what ``make test`` and CI run, runs every
test's own count. A property whose count is a promise (never an empty answer: 10,000
cases) is marked ``keep`` and runs its full count in both.
"""

from __future__ import annotations

import os

from hypothesis import settings

PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "full")
settings.register_profile("full", deadline=None)
settings.register_profile("dev", deadline=None, max_examples=20)
settings.load_profile(PROFILE if PROFILE in ("full", "dev") else "full")


def cases(count: int, *, keep: bool = False) -> settings:
    """Settings for a property test that runs ``count`` cases (see the module's doc)."""
    if PROFILE == "dev" and not keep:
        count = max(20, count // 10)
    return settings(max_examples=count, deadline=None)
