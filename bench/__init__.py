"""Benchmarks of failover against the tools people would use instead, on this machine.

``python -m bench`` (``make bench``) measures a health sweep against Prometheus
blackbox_exporter, a DNS switch on BIND against octoDNS, and start-up time, and
writes ``bench/RESULTS.md`` with the ratios first. See ``bench/__main__.py``.
"""
