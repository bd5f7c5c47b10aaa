"""DNS providers: one module per kind behind the interface in ``base``.

SDKs are imported only when a provider of that kind is built, so that
``failover --help`` does not pay for boto3.
"""

from __future__ import annotations

from failover.config import (
    CloudDnsProvider,
    CloudflareProvider,
    Config,
    OctodnsProvider,
    PowerDnsProvider,
    Rfc2136Provider,
    Route53Provider,
)
from failover.dns.base import Provider


def make_provider(name: str, config: Config) -> Provider:
    """Build the provider called ``name`` in ``config``."""
    settings = config.dns[name]
    if isinstance(settings, Rfc2136Provider):
        from failover.dns.rfc2136 import Rfc2136

        return Rfc2136(name, settings, config)
    if isinstance(settings, Route53Provider):
        from failover.dns.route53 import Route53

        return Route53(name, settings, config)
    if isinstance(settings, PowerDnsProvider):
        from failover.dns.powerdns import PowerDns

        return PowerDns(name, settings, config)
    if isinstance(settings, CloudflareProvider):
        from failover.dns.cloudflare import Cloudflare

        return Cloudflare(name, settings, config)
    if isinstance(settings, CloudDnsProvider):
        from failover.dns.clouddns import CloudDns

        return CloudDns(name, settings, config)
    if isinstance(settings, OctodnsProvider):
        from failover.dns.octodns import Octodns

        return Octodns(name, settings, config)
    raise AssertionError(f"no provider for {type(settings).__name__}")
