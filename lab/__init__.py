"""Real servers on loopback for tests, the demo and drills: BIND 9 (with its parent zone),
Knot DNS as its secondary, moto behind an AWS fault proxy, HTTP origins.

The API lives in :mod:`lab.core` (``up``, ``kill``, ``revive``, ``suspend``, ``unsuspend``,
``down``, ``load``); the command line is
``python -m lab up|kill|revive|suspend|unsuspend|down|status --dir DIR [VENDOR]``.
"""
