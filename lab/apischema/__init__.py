"""The vendors' published API descriptions, trimmed to what failover calls, and a validator
that checks the lab's stand-ins against them (see docs/vendor-schemas.md).

- :mod:`lab.apischema.cloudflare_v4`: Cloudflare v4, transcribed by hand;
- :mod:`lab.apischema.clouddns_v1`: Cloud DNS v1's discovery document, trimmed by
  :mod:`lab.apischema.trim_clouddns`;
- :mod:`lab.apischema.validate`: requests and answers checked against either.
"""
