"""Reports: pure functions from data to text, and the edges that gather and publish them.

- :mod:`failover.reports.page`: the status page, one self-contained HTML file (pure);
- :mod:`failover.reports.pagedata`: what the page shows, gathered from the journal and
  what every DNS provider serves;
- :mod:`failover.reports.publish`: the page written to every target (a folder, S3, a
  webhook), each bounded, a dead one reported and never fatal; and the page as a
  subscriber of the engine's events (it knows events and models, never the engine).
"""
