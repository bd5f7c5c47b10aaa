"""Real servers on loopback for tests, the demo and drills: BIND 9, moto, HTTP origins.

The API lives in :mod:`lab.core` (``up``, ``kill``, ``revive``, ``down``, ``load``); the
command line is ``python -m lab up|kill|revive|down|status --dir DIR [VENDOR]``.
"""
