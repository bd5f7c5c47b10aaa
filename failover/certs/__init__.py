"""Standby certificates: issued through ACME DNS-01 by any configured CA, kept at targets at
several vendors, renewed before ``certs.min_days``.

- ``client``: one CA's ACME account and order, through the ``acme`` package (no JWS of
  our own);
- ``challenge``: the ``_acme-challenge`` TXT records, planned, written, verified and
  journaled at every DNS provider by the move's own path (failover.move.execute);
- ``store``: the targets (a folder, an S3 bucket) and the certificates on hand;
- ``issue``: ``issue``, ``renew`` and ``status``, joining the three.

Nothing here prints: the CLI (cli/certs.py) renders.
"""
