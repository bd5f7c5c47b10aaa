"""The config file: YAML -> typed, validated model.

Every error names the file, the line and the key, and says what would fix
it. Cross-references (a hosting naming a vendor, a DNS provider naming a
vendor) are checked after the types. Relative paths in the file (secret
files, credential files, the journal) are taken relative to the file.

``load_config`` is the one entry point; ``fragility_warnings`` lists setups
that validate but would not survive the loss of one vendor.

One module per section, each importing only those listed before it::

    base         Strict, durations, DNS names, servers, header text
    credentials  AWS keys and secret URLs, shared by several sections
    vendors  hostings  dns  checks  records  backups  policy
    delegation  notify  cluster  page  saas           the sections
    model        Config, the whole file
    references   cross-references between sections
    load         file -> text -> YAML -> Config, pydantic errors -> file:line
    warnings     setups that one vendor's loss would break

Other code imports from ``failover.config`` itself, so the modules may be rearranged.
"""

from failover.config.backups import Backup, PathBackup, S3Backup
from failover.config.base import (
    DAY,
    Duration,
    HeaderText,
    HttpStatus,
    LongDuration,
    ServerList,
    Strict,
    dns_name,
    parse_duration,
)
from failover.config.checks import Check, DnsCheck, HostingPorts, HttpCheck, TcpCheck, TlsCheck
from failover.config.cluster import Cluster, ClusterTls
from failover.config.credentials import AwsCredentialSettings, SecretUrl
from failover.config.delegation import (
    Delegation,
    PluginRegistrar,
    Registrar,
    Rfc2136Registrar,
    Route53DomainsRegistrar,
)
from failover.config.dns import (
    CloudDnsProvider,
    CloudflareProvider,
    DnsProvider,
    OctodnsProvider,
    PowerDnsProvider,
    Rfc2136Provider,
    Route53Provider,
    Tsig,
    read_deadline,
)
from failover.config.hostings import Hosting, InventorySettings, StackEndpoints, StaticEndpoints
from failover.config.load import MAX_CONFIG_BYTES, load_config, parse_config, read_config_text
from failover.config.model import Config
from failover.config.notify import Heartbeat, NoticeKind, NotifyChannel, NotifySettings
from failover.config.page import (
    Audience,
    DirTarget,
    PageSettings,
    PageTarget,
    S3Target,
    WebhookTarget,
)
from failover.config.policy import Policy, Verify
from failover.config.records import MAX_TTL, ManagedRecord
from failover.config.saas import (
    DnsSwitch,
    SaasDataProbe,
    SaasDependency,
    SaasProvider,
    WebhookSwitch,
)
from failover.config.vendors import (
    AwsControl,
    ControlPlane,
    GcpControl,
    HttpControl,
    SshControl,
    Vendor,
)
from failover.config.warnings import fragility_warnings, notice_warnings, saas_warnings
from failover.errors import ConfigError

__all__ = [
    "DAY",
    "MAX_CONFIG_BYTES",
    "MAX_TTL",
    "Audience",
    "AwsControl",
    "AwsCredentialSettings",
    "Backup",
    "Check",
    "CloudDnsProvider",
    "CloudflareProvider",
    "Cluster",
    "ClusterTls",
    "Config",
    "ConfigError",
    "ControlPlane",
    "Delegation",
    "DirTarget",
    "DnsCheck",
    "DnsProvider",
    "DnsSwitch",
    "Duration",
    "GcpControl",
    "HeaderText",
    "Heartbeat",
    "Hosting",
    "HostingPorts",
    "HttpCheck",
    "HttpControl",
    "HttpStatus",
    "InventorySettings",
    "LongDuration",
    "ManagedRecord",
    "NoticeKind",
    "NotifyChannel",
    "NotifySettings",
    "OctodnsProvider",
    "PageSettings",
    "PageTarget",
    "PathBackup",
    "PluginRegistrar",
    "Policy",
    "PowerDnsProvider",
    "Registrar",
    "Rfc2136Provider",
    "Rfc2136Registrar",
    "Route53DomainsRegistrar",
    "Route53Provider",
    "S3Backup",
    "S3Target",
    "SaasDataProbe",
    "SaasDependency",
    "SaasProvider",
    "SecretUrl",
    "ServerList",
    "SshControl",
    "StackEndpoints",
    "StaticEndpoints",
    "Strict",
    "TcpCheck",
    "TlsCheck",
    "Tsig",
    "Vendor",
    "Verify",
    "WebhookSwitch",
    "WebhookTarget",
    "dns_name",
    "fragility_warnings",
    "load_config",
    "notice_warnings",
    "parse_config",
    "parse_duration",
    "read_config_text",
    "read_deadline",
    "saas_warnings",
]
