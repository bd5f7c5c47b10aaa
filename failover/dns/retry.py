"""How DNS providers wait between tries: bounded exponential backoff with jitter.

Route 53 (botocore, with its own retries turned off) and the HTTP-API providers
(:mod:`failover.dns.rest`) retry throttling and the server's own trouble with one
:class:`Backoff`; Cloud DNS also paces its polling of a pending change with it.
The random source and the clock are the caller's, so tests neither sleep nor guess.
"""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True)
class Backoff:
    """Exponential backoff with jitter: try ``tries`` times, waiting about base, 2*base, ...

    Each wait is drawn from [d/2, d] with d = min(cap, base * 2**attempt) ("equal
    jitter"): spread out so that many clients do not retry in step, yet, until the
    cap, never shorter than the wait before it. The defaults wait about 6 s in all.
    """

    tries: int = 6
    base: float = 0.2
    cap: float = 5.0

    def delay(self, attempt: int, rng: random.Random) -> float:
        d = min(self.cap, self.base * 2.0 ** attempt)
        return d / 2 + rng.random() * d / 2
