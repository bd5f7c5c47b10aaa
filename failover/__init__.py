"""failover: keep a service reachable when a vendor stops serving it.

The engine is a library: it probes hostings, turns probe results into
verdicts, derives desired DNS answers from a policy, plans the changes per
DNS provider, applies and verifies them, and journals everything. It has no
terminal code; the ``cli`` package renders what it returns.
"""

__version__ = "0.1.0"
