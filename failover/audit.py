"""What recovery itself depends on, per vendor: ``failover audit``.

Moving traffic needs only failover and the DNS providers; standing the
service up again at the vendors that remain needs more: the Pulumi state
backend, the secrets provider that decrypts each stack's config, the
container registry every new instance pulls from, the admins' way to sign
in, and the registrar that holds the domain. This module reads the config,
the Pulumi project (``Pulumi.yaml``, each ``Pulumi.<stack>.yaml``) and the
service description (``service.yaml``: the image, its mirrors and the
``recovery:`` section) and says, per vendor, what losing that vendor would
take from recovery.

A loss *blocks* recovery when no copy is left at another vendor: every
registry of the image at one vendor, a cloud KMS as secrets provider (the
key dies with the account), a state backend with no copy elsewhere, one
sign-in path for admins with no break-glass account. A registrar blocks
only when it is also a vendor we hedge against (the same loss would take
the domain and a hosting); otherwise it is noted. Findings that do not
block are notes.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

from failover.config import Config
from failover.errors import ConfigError

# Registries by host, and the vendor that can cut us off from each.
_REGISTRIES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^ghcr\.io$"), "github"),
    (re.compile(r"^(docker\.io|registry-1\.docker\.io|index\.docker\.io)$"), "docker"),
    (re.compile(r"^quay\.io$"), "quay"),
    (re.compile(r"^registry\.gitlab\.com$"), "gitlab"),
    (re.compile(r"\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com$|^public\.ecr\.aws$"), "aws"),
    (re.compile(r"(^|\.)gcr\.io$|-docker\.pkg\.dev$"), "gcp"),
    (re.compile(r"\.azurecr\.io$"), "azure"),
    (re.compile(r"^registry\.digitalocean\.com$"), "digitalocean"),
    (re.compile(r"\.scw\.cloud$"), "scaleway"),
]
# Object-store endpoints (S3-compatible state backends) by host suffix.
_ENDPOINTS: list[tuple[str, str]] = [
    ("amazonaws.com", "aws"), ("storage.googleapis.com", "gcp"),
    ("r2.cloudflarestorage.com", "cloudflare"), ("backblazeb2.com", "backblaze"),
    ("digitaloceanspaces.com", "digitalocean"), ("scw.cloud", "scaleway"),
    ("your-objectstorage.com", "hetzner"), ("wasabisys.com", "wasabi"),
    ("linodeobjects.com", "akamai"), ("ovh.net", "ovh"),
]
_KMS = {"awskms": "aws", "gcpkms": "gcp", "azurekeyvault": "azure"}
PULUMI_CLOUD = "https://api.pulumi.com"


@dataclass
class Dependency:
    """One thing recovery needs, at one vendor."""

    vendor: str
    kind: str  # state, secrets, registry, registrar, sign-in
    what: str
    loss: str  # what losing the vendor does to recovery
    fix: str
    blocking: bool
    stack: str | None = None


@dataclass
class Audit:
    """Every dependency found, and where they were read from."""

    sources: list[str]
    dependencies: list[Dependency] = field(default_factory=list)

    @property
    def blocking_vendors(self) -> list[str]:
        return sorted({d.vendor for d in self.dependencies if d.blocking})

    def by_vendor(self) -> dict[str, list[Dependency]]:
        found: dict[str, list[Dependency]] = {}
        for dep in sorted(self.dependencies, key=lambda d: (d.vendor, not d.blocking, d.kind)):
            found.setdefault(dep.vendor, []).append(dep)
        return found

    def to_json(self) -> dict[str, Any]:
        return {"ok": not self.blocking_vendors, "blocking": self.blocking_vendors,
                "sources": self.sources,
                "vendors": {v: [asdict(d) for d in deps] for v, deps in self.by_vendor().items()}}


# -- naming vendors ---------------------------------------------------------------------

def vendor_names(config: Config) -> dict[str, str]:
    """Canonical vendor (``aws``, ``gcp``) -> the config's name for it, where it has one."""
    names: dict[str, str] = {}
    for name, vendor in config.vendors.items():
        kind = getattr(vendor.control, "kind", None)
        if kind in ("aws", "gcp") and kind not in names:
            names[kind] = name
        names.setdefault(name, name)
    return names


def registry_vendor(image: str) -> tuple[str, str]:
    """(registry host, vendor) of an image reference; no host means Docker Hub."""
    first = image.split("/", 1)[0]
    host = first if "/" in image and ("." in first or ":" in first or first == "localhost") \
        else "docker.io"
    for pattern, vendor in _REGISTRIES:
        if pattern.search(host):
            return host, vendor
    return host, host


def backend_vendor(url: str) -> str | None:
    """The vendor holding a Pulumi state backend URL; None for a local folder."""
    parsed = urlparse(url)
    scheme = parsed.scheme.lower()
    if scheme == "file":
        return None
    if scheme in ("https", "http"):
        return "pulumi" if parsed.hostname in (None, "api.pulumi.com", "app.pulumi.com") \
            else str(parsed.hostname)
    if scheme == "gs":
        return "gcp"
    if scheme == "azblob":
        return "azure"
    if scheme == "s3":
        endpoint = (parse_qs(parsed.query).get("endpoint") or [""])[0]
        host = urlparse(endpoint if "//" in endpoint else f"//{endpoint}").hostname or ""
        if not host:
            return "aws"
        for suffix, vendor in _ENDPOINTS:
            if host == suffix or host.endswith("." + suffix):
                return vendor
        return host
    raise ConfigError(f"state backend '{url}': unknown scheme '{scheme}' (expected s3, gs, "
                      "azblob, file or https)")


def secrets_vendor(provider: str) -> str | None:
    """The vendor holding a stack's secrets key; None for the passphrase provider."""
    scheme = provider.split("://", 1)[0].lower() if "://" in provider else provider.lower()
    if scheme in ("passphrase", ""):
        return None
    if scheme in _KMS:
        return _KMS[scheme]
    if scheme == "hashivault":
        return urlparse(provider).hostname or "vault"
    if scheme == "service":
        return "pulumi"
    raise ConfigError(f"secrets provider '{provider}': unknown kind '{scheme}'")


# -- reading the stacks -----------------------------------------------------------------

def _yaml(path: Path) -> Any:
    import yaml

    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not YAML: {exc}".splitlines()[0]) from None


def _mapping(data: Any, path: Path) -> dict[str, Any]:
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping at the top")
    return data


def _strings(value: Any, where: str) -> list[str]:
    if value is None:
        return []
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(i, str) and i for i in items):
        raise ConfigError(f"{where}: expected a list of names or URLs")
    return list(items)


def audit(config: Config, stacks: Path | None, backend: str | None = None) -> Audit:
    """Read the config and the stacks folder; list what recovery depends on, per vendor.

    ``backend`` overrides the state backend (else ``backend.url`` in Pulumi.yaml, else
    ``$PULUMI_BACKEND_URL``, else Pulumi Cloud).
    """
    names = vendor_names(config)
    hedged = set(config.vendors)

    def name(vendor: str) -> str:
        return names.get(vendor, vendor)

    result = Audit(sources=[config.source])
    if stacks is None or not (stacks / "Pulumi.yaml").is_file():
        where = stacks or "the config's folder"
        raise ConfigError(f"no Pulumi.yaml in {where}; pass --stacks DIR (the Pulumi project "
                          "folder) or set inventory.pulumi_cwd")
    project = _mapping(_yaml(stacks / "Pulumi.yaml"), stacks / "Pulumi.yaml")
    result.sources.append(str(stacks / "Pulumi.yaml"))
    service_file = stacks / "service.yaml"
    description = _mapping(_yaml(service_file), service_file) if service_file.is_file() else {}
    if description:
        result.sources.append(str(service_file))
    recovery = description.get("recovery") or {}
    if not isinstance(recovery, dict):
        raise ConfigError(f"{service_file}: recovery must be a mapping")

    result.dependencies += _state(project, recovery, backend, name, stacks)
    result.dependencies += _secrets(stacks, result, name)
    result.dependencies += _registries(description.get("service") or {}, name, service_file)
    result.dependencies += _registrar(recovery, hedged, name, service_file)
    result.dependencies += _sign_in(recovery, name, service_file)
    result.dependencies += certificate_bindings(config, name)
    return result


# A vendor-managed certificate service -> the vendor whose account holds it.
MANAGED_CERTIFICATES = {"acm": ("aws", "AWS Certificate Manager"),
                        "google-managed": ("gcp", "Google-managed certificates"),
                        "cloudflare": ("cloudflare", "Cloudflare's edge certificates")}


def certificate_bindings(config: Config, name: Any = lambda v: v) -> list[Dependency]:
    """Hostings whose certificate lives only in a vendor's managed service: it cannot be
    exported, so losing that vendor leaves the name without a certificate anywhere else
    unless a standby certificate from a CA of our own is on hand (``certs:``)."""
    out = []
    for hosting, spec in config.hosting.items():
        if spec.certificate == "own":
            continue
        vendor, service = MANAGED_CERTIFICATES[spec.certificate]
        standby = config.certs is not None
        out.append(Dependency(
            vendor=name(vendor), kind="certificate",
            what=f"hosting {hosting}'s certificate lives only in {service}",
            loss=(f"hosting {hosting} is bound to {name(vendor)}: its certificate cannot be "
                  "exported, and " + ("the standby certificates of certs: are what the "
                                      "other hostings serve" if standby else
                                      "no standby certificate is kept anywhere else")),
            fix="keep standby certificates from a second CA at targets at other vendors: "
                "a certs: section and 'failover certs issue'",
            blocking=not standby))
    return out


def _state(project: dict[str, Any], recovery: dict[str, Any], override: str | None,
           name: Any, stacks: Path) -> list[Dependency]:
    backend_cfg = project.get("backend")
    url = override or (backend_cfg.get("url") if isinstance(backend_cfg, dict) else None) \
        or os.environ.get("PULUMI_BACKEND_URL")
    said = "" if url else " (the default: no backend.url in Pulumi.yaml, no $PULUMI_BACKEND_URL)"
    url = url or PULUMI_CLOUD
    vendor = backend_vendor(str(url))
    copies = _strings(recovery.get("state_backups"), f"{stacks}/service.yaml recovery."
                                                     "state_backups")
    copy_vendors = {v for v in (backend_vendor(c) for c in copies) if v is not None}
    if vendor is None:
        return []
    safe = bool(copy_vendors - {vendor})
    shown = re.sub(r"//[^@/]*@", "//", str(url))  # never print credentials in a URL
    return [Dependency(
        vendor=name(vendor), kind="state", what=f"Pulumi state at {shown}{said}",
        loss="no 'pulumi up' or 'pulumi stack output' for any stack until the state is "
             "restored" + (f" (copies at {', '.join(sorted(map(name, copy_vendors)))})"
                           if safe else ""),
        fix="keep 'pulumi stack export' copies at another vendor and list them in "
            "service.yaml recovery.state_backups, or move the backend (pulumi login)",
        blocking=not safe)]


def _secrets(stacks: Path, result: Audit, name: Any) -> list[Dependency]:
    found: list[Dependency] = []
    for path in sorted(stacks.glob("Pulumi.*.yaml")):
        settings = _mapping(_yaml(path), path)
        result.sources.append(str(path))
        stack = path.name[len("Pulumi."):-len(".yaml")]
        provider = settings.get("secretsprovider")
        if provider is None:
            # No key and no salt yet: 'pulumi stack init' decides (the README says passphrase).
            continue
        vendor = secrets_vendor(str(provider))
        if vendor is None:
            continue
        found.append(Dependency(
            vendor=name(vendor), kind="secrets", stack=stack,
            what=f"stack {stack}'s secrets provider {str(provider).split('?')[0]}",
            loss=f"stack {stack}'s secrets cannot be decrypted: no 'pulumi up' of {stack}",
            fix=f"pulumi stack change-secrets-provider passphrase --stack {stack}",
            blocking=True))
    return found


def _registries(service: Any, name: Any, where: Path) -> list[Dependency]:
    if not isinstance(service, dict) or not service.get("image"):
        return []
    image = str(service["image"])
    mirrors = _strings(service.get("image_mirrors"), f"{where} service.image_mirrors")
    last = image.split("/")[-1]
    refs = [image, *(f"{m.rstrip('/')}/{last}" for m in mirrors)]
    by_vendor: dict[str, list[str]] = {}
    for ref in refs:
        by_vendor.setdefault(name(registry_vendor(ref)[1]), []).append(ref)
    single = len(by_vendor) == 1
    found = []
    for vendor, here in by_vendor.items():
        others = sorted(set(by_vendor) - {vendor})
        found.append(Dependency(
            vendor=vendor, kind="registry", what=", ".join(here),
            loss=("every new instance fails to pull " + here[0]) if single else
                 f"new instances pull from {', '.join(others)} instead",
            fix="mirror the image to a registry at two other vendors (service.image_mirrors) "
                "and push to each in the deploy" if single else "none needed",
            blocking=single))
    return found


def _registrar(recovery: dict[str, Any], hedged: set[str], name: Any,
               where: Path) -> list[Dependency]:
    registrar = recovery.get("registrar")
    if registrar is None:
        return []
    if not isinstance(registrar, str) or not registrar:
        raise ConfigError(f"{where}: recovery.registrar must be a vendor name")
    vendor = name(registrar)
    also = vendor in hedged
    second = recovery.get("second_registrar")
    if second is not None and (not isinstance(second, str) or not second):
        raise ConfigError(f"{where}: recovery.second_registrar must name a registrar where "
                          "an account is ready to take a transfer")
    if second is not None and name(second) == vendor:
        second = None  # the same company again is no second account: its "no" covers both
    if not second and not also:
        return [Dependency(
            vendor=vendor, kind="registrar", what=f"the domain's registration at {vendor}",
            loss="a registrar that suspends or holds the domain (GoDaddy gave Gab 24 hours) "
                 "blocks recovery: there is no second registrar account to transfer it to",
            fix="open an account at a second registrar and name it in "
                "recovery.second_registrar; keep the transfer lock and auth code in reach",
            blocking=True)]
    return [Dependency(
        vendor=vendor, kind="registrar", what=f"the domain's registration at {vendor}",
        loss="the domain and its delegation, with everything else at this vendor" if also
             else "the domain's delegation cannot be changed (the zone keeps being served)",
        fix="move the domain to a registrar that is none of the hedged vendors" if also
            else "registry lock, and billing and 2FA that do not depend on a hedged vendor",
        blocking=also)]


def _sign_in(recovery: dict[str, Any], name: Any, where: Path) -> list[Dependency]:
    paths = _strings(recovery.get("admin_sign_in"), f"{where} recovery.admin_sign_in")
    if not paths:
        return []
    break_glass = recovery.get("break_glass") is True
    vendors = sorted({name(p) for p in paths})
    single = len(vendors) == 1 and not break_glass
    return [Dependency(
        vendor=vendor, kind="sign-in", what=f"admins sign in through {vendor}",
        loss="admins cannot sign in to any vendor console or API to recover" if single
             else "admins sign in another way (" + (
                 "break-glass accounts" if break_glass else ", ".join(set(vendors) - {vendor}))
             + ")",
        fix="keep break-glass accounts at each vendor, outside the IdP "
            "(recovery.break_glass: true once they exist)" if single else "none needed",
        blocking=single) for vendor in vendors]


def default_stacks(config: Config) -> Path | None:
    """The Pulumi project folder: inventory.pulumi_cwd, else ./stacks beside the config."""
    if config.inventory.pulumi_cwd:
        return config.resolve_path(config.inventory.pulumi_cwd)
    beside = Path(config.source).resolve().parent / "stacks"
    return beside if beside.is_dir() else None


def lines(deps: Iterable[Dependency]) -> list[str]:
    """One sentence per dependency: 'losing github: every new instance fails ...; fix'."""
    return [f"losing {d.vendor}: {d.loss}" + (f"; {d.fix}" if d.blocking else "")
            for d in deps]
