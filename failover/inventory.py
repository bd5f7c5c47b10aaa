"""The inventory: each hosting's endpoints, from the config file or from Pulumi stack outputs.

A hosting written with addresses passes through. A hosting with
``endpoints: {from_stack: NAME}`` takes them from that stack's outputs
(``addresses`` unless ``output`` says otherwise): first from the export
file the deploy pipeline writes (``inventory.export_file``), else from the
Pulumi CLI (``pulumi stack output --json --stack NAME``, run with a
timeout in ``inventory.pulumi_cwd``). Each stack is asked once, all stacks
at the same time. Every failure is an :class:`InventoryError` of one line
naming the hosting, the stack and what to do.

``resolved_config_text`` writes a config whose ``from_stack`` hostings
carry the resolved addresses, for machines with no Pulumi access.

Reading outputs never needs the stacks' secrets: the CLI runs without
``PULUMI_CONFIG_PASSPHRASE`` (an incident runner must not hold every stack
secret), and a CLI that asks for it is told to use the export file. The
stacks' ``port`` and ``health_url`` outputs are kept beside the addresses,
so that :func:`port_warnings` can say when no check probes what a stack
opened.
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
import shutil
import subprocess
import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from failover.config import Config, StackEndpoints, StaticEndpoints
from failover.errors import ConfigError, InventoryError

RECORD_TYPES = ("A", "AAAA", "CNAME")
PULUMI = "pulumi"
# What `pulumi stack output` prints for a secret output without --show-secrets.
SECRET_PLACEHOLDER = "[secret]"
_HOSTNAME = re.compile(r"^(?=.{1,253}\.?$)([A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9])?\.)*"
                       r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.?$")
_MAX_WORKERS = 8
# What the CLI must never be handed by the inventory: the key to every stack secret.
_PASSPHRASE_VARS = ("PULUMI_CONFIG_PASSPHRASE", "PULUMI_CONFIG_PASSPHRASE_FILE")
_WHAT = {"A": "an IPv4 address", "AAAA": "an IPv6 address", "CNAME": "a host name"}

Endpoints = dict[str, list[str]]


@dataclass(frozen=True)
class StackSource:
    """Where a stack's outputs were read: ``export`` (with the file) or ``pulumi``."""

    kind: str
    detail: str
    # When the outputs were written (the export file's modification time), if known.
    written_at: float | None = None


@dataclass
class ResolvedHosting:
    """One hosting's endpoints and where they came from; ``error`` when they could not be had."""

    name: str
    vendor: str
    endpoints: Endpoints = field(default_factory=lambda: {t: [] for t in RECORD_TYPES})
    stack: str | None = None
    output: str | None = None
    source: StackSource | None = None
    error: str | None = None
    # The service port and health URL the stack exported beside the addresses, if any.
    port: int | None = None
    health_url: str | None = None
    # The etcd member the stack runs (infra/watcher.py): its client URL, if any.
    etcd_client_url: str | None = None

    @property
    def origin(self) -> str:
        """``file``, ``export <path>`` or ``pulumi``: where the endpoints were read."""
        if self.stack is None:
            return "file"
        if self.source is None:
            return "unresolved"
        return self.source.kind if self.source.kind == "pulumi" else \
            f"{self.source.kind} {self.source.detail}"

    def to_json(self) -> dict[str, Any]:
        return {"hosting": self.name, "vendor": self.vendor, "origin": self.origin,
                "stack": self.stack, "output": self.output,
                "written_at": self.source.written_at if self.source else None,
                **{t: list(self.endpoints[t]) for t in RECORD_TYPES},
                "port": self.port, "health_url": self.health_url,
                "etcd": self.etcd_client_url, "error": self.error}


@dataclass
class Inventory:
    """Every hosting of a config, in the config's order."""

    config: Config
    hostings: list[ResolvedHosting]

    @property
    def errors(self) -> list[str]:
        return [h.error for h in self.hostings if h.error]

    @property
    def warnings(self) -> list[str]:
        return port_warnings(self)

    def endpoints(self) -> dict[str, Endpoints]:
        return {h.name: {t: list(h.endpoints[t]) for t in RECORD_TYPES} for h in self.hostings}

    def raise_first(self) -> None:
        """Raise the first error as one line, saying how many more there are."""
        errors = self.errors
        if errors:
            more = f" (and {len(errors) - 1} more; run 'failover inventory')" \
                if len(errors) > 1 else ""
            raise InventoryError(errors[0] + more)

    def to_json(self) -> dict[str, Any]:
        return {"config": self.config.source, "ok": not self.errors,
                "hostings": [h.to_json() for h in self.hostings], "warnings": self.warnings}


def resolve_endpoints(config: Config) -> dict[str, dict[str, list[str]]]:
    """Every hosting's endpoints by record type (``A``, ``AAAA``, ``CNAME``).

    Static endpoints pass through; ``from_stack`` ones come from the export
    file if it holds the stack, else from the Pulumi CLI. Raises
    :class:`InventoryError` (one line) if any cannot be resolved.
    """
    inventory = resolve_inventory(config)
    inventory.raise_first()
    return inventory.endpoints()


def resolve_inventory(config: Config) -> Inventory:
    """Resolve every hosting, keeping each failure on its hosting instead of stopping."""
    stacks = sorted({h.endpoints.from_stack for h in config.hosting.values()
                     if isinstance(h.endpoints, StackEndpoints)})
    fetched = _fetch_all(config, stacks)
    hostings: list[ResolvedHosting] = []
    for name, hosting in config.hosting.items():
        eps = hosting.endpoints
        if isinstance(eps, StaticEndpoints):
            hostings.append(ResolvedHosting(name, hosting.vendor,
                                            {t: eps.values(t) for t in RECORD_TYPES}))
            continue
        resolved = ResolvedHosting(name, hosting.vendor, stack=eps.from_stack, output=eps.output)
        where = f"{config.source}: hosting '{name}'"
        result = fetched[eps.from_stack]
        if isinstance(result, InventoryError):
            resolved.error = f"{where}: {result}"
        else:
            outputs, resolved.source = result
            try:
                resolved.endpoints = endpoints_from_output(
                    lookup_output(outputs, eps.output, eps.from_stack), eps.output, eps.from_stack)
                resolved.port, resolved.health_url, resolved.etcd_client_url = \
                    _service_outputs(outputs, eps.output, eps.from_stack)
            except InventoryError as exc:
                resolved.error = f"{where}: {exc}"
        hostings.append(resolved)
    return Inventory(config, hostings)


# -- reading outputs ----------------------------------------------------------------

def _fetch_all(config: Config, stacks: list[str]
               ) -> dict[str, tuple[dict[str, Any], StackSource] | InventoryError]:
    """Each stack's outputs, or the error that stopped them; CLI calls run side by side."""
    results: dict[str, tuple[dict[str, Any], StackSource] | InventoryError] = {}
    settings = config.inventory
    export = config.resolve_path(settings.export_file) if settings.export_file else None
    need_cli: list[str] = []
    misses: dict[str, str] = {}
    for stack in stacks:
        try:
            found = outputs_from_export(export, stack) if export else None
        except InventoryError as exc:
            results[stack] = exc
            continue
        if found is not None:
            results[stack] = found
        else:
            need_cli.append(stack)
            if export is not None:
                misses[stack] = f"not in export {export}"
    if need_cli:
        cwd = config.resolve_path(settings.pulumi_cwd) if settings.pulumi_cwd else None

        def one(stack: str) -> tuple[str, tuple[dict[str, Any], StackSource] | InventoryError]:
            try:
                return stack, (outputs_from_pulumi(stack, cwd=cwd, timeout=settings.timeout),
                               StackSource("pulumi", str(cwd or Path.cwd())))
            except InventoryError as exc:
                if stack in misses:
                    return stack, InventoryError(f"{misses[stack]}, and {exc}")
                return stack, exc

        with ThreadPoolExecutor(max_workers=min(_MAX_WORKERS, len(need_cli))) as pool:
            results.update(pool.map(one, need_cli))
    return results


def outputs_from_export(path: Path, stack: str) -> tuple[dict[str, Any], StackSource] | None:
    """A stack's outputs from the export: a JSON file ``{stack: outputs}`` or a folder of
    ``<stack>.json`` files. ``None`` when the export does not hold the stack."""
    if path.is_dir():
        file = path / f"{_file_name(stack)}.json"
        if not file.exists():
            return None
        data = _read_json(file)
        if not isinstance(data, dict):
            raise InventoryError(f"export {file}: expected the JSON object that "
                                 f"'pulumi stack output --json' prints")
        return data, StackSource("export", str(file), file.stat().st_mtime)
    if not path.exists():
        return None
    data = _read_json(path)
    if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
        raise InventoryError(f"export {path}: expected a JSON object of stack name -> outputs")
    if stack not in data:
        return None
    return data[stack], StackSource("export", str(path), path.stat().st_mtime)


def _file_name(stack: str) -> str:
    # ORG/PROJECT/STACK -> ORG_PROJECT_STACK.json; a bare STACK -> STACK.json.
    return stack.replace("/", "_")


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InventoryError(f"export {path}: cannot read: {exc.strerror or exc}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InventoryError(f"export {path}: not JSON: {exc}") from None


def outputs_from_pulumi(stack: str, *, cwd: Path | None = None,
                        timeout: float = 30.0) -> dict[str, Any]:
    """``pulumi stack output --json --stack STACK`` as a dict; every failure one line."""
    exe = shutil.which(PULUMI)
    if exe is None:
        raise InventoryError(f"stack '{stack}': the pulumi CLI is not on PATH; install it "
                             "(https://www.pulumi.com/docs/install/) or set inventory.export_file "
                             "to the deploy pipeline's JSON export")
    if cwd is not None and not cwd.is_dir():
        raise InventoryError(f"stack '{stack}': inventory.pulumi_cwd {cwd} is not a folder")
    # No update check (a network call) and no prompts: this may run during an incident, in CI.
    # No passphrase either: outputs failover reads are plain, and the runner must not hold
    # the key to every stack secret.
    env = {k: v for k, v in os.environ.items() if k not in _PASSPHRASE_VARS}
    env["PULUMI_SKIP_UPDATE_CHECK"] = "true"
    command = [exe, "stack", "output", "--json", "--non-interactive", "--stack", stack]
    started = time.monotonic()
    try:
        done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True,
                              timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        raise InventoryError(f"stack '{stack}': 'pulumi stack output' gave no answer in "
                             f"{timeout:g}s (is the state backend reachable?); raise "
                             "inventory.timeout or use inventory.export_file") from None
    except OSError as exc:
        raise InventoryError(f"stack '{stack}': cannot run {exe}: {exc.strerror or exc}") from None
    if done.returncode != 0 and "passphrase" in done.stderr.lower():
        raise InventoryError(f"stack '{stack}': the pulumi CLI asks for the secrets passphrase, "
                             "which failover never hands it; write the outputs at deploy time "
                             f"('pulumi stack output --json --stack {stack} > "
                             f"exports/{_file_name(stack)}.json') and set inventory.export_file")
    if done.returncode != 0:
        raise InventoryError(f"stack '{stack}': pulumi: {_first_error(done.stderr)} "
                             f"(exit {done.returncode} after {time.monotonic() - started:.1f}s"
                             f"{_cwd_hint(cwd)})")
    try:
        data = json.loads(done.stdout)
    except json.JSONDecodeError as exc:
        raise InventoryError(f"stack '{stack}': pulumi printed no JSON ({exc})") from None
    if not isinstance(data, dict):
        raise InventoryError(f"stack '{stack}': pulumi printed {type(data).__name__}, "
                             "not the outputs object")
    return data


def _first_error(stderr: str) -> str:
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    for line in lines:
        if line.lower().startswith("error:"):
            return line[len("error:"):].strip()
    return lines[-1] if lines else "failed without a message"


def _cwd_hint(cwd: Path | None) -> str:
    return f", in {cwd}" if cwd else "; set inventory.pulumi_cwd to the Pulumi project folder"


# -- turning an output into endpoints ---------------------------------------------------

def _service_outputs(outputs: Mapping[str, Any], output: str,
                     stack: str) -> tuple[int | None, str | None, str | None]:
    """``port``, ``health_url`` and ``etcd.client_url`` beside the addresses output."""
    parent: Any = outputs
    if output not in outputs:
        for part in output.split(".")[:-1]:
            parent = parent.get(part) if isinstance(parent, Mapping) else None
    if not isinstance(parent, Mapping):
        return None, None, None
    port, url = parent.get("port"), parent.get("health_url")
    where = f"stack '{stack}'"
    if port is not None:
        if isinstance(port, str) and port.isdigit():
            port = int(port)
        if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
            raise InventoryError(f"{where} output 'port' is {port!r}, not a port number")
    if url is not None and not isinstance(url, str):
        raise InventoryError(f"{where} output 'health_url' is {url!r}, not a URL")
    etcd = parent.get("etcd")
    client = etcd.get("client_url") if isinstance(etcd, Mapping) else None
    if etcd is not None and not (isinstance(client, str) and client.startswith("https://")):
        raise InventoryError(f"{where} output 'etcd' has no https client_url: {etcd!r}")
    return port, url or None, client


def probed_ports(config: Config) -> set[int]:
    """Every port some data-plane check connects to (http 80, https 443 unless given)."""
    ports: set[int] = set()
    for check in config.checks:
        port = getattr(check, "port", None)
        if port is None:
            port = 443 if check.kind == "https" else 80
        ports.add(int(port))
    return ports


def port_warnings(inventory: Inventory) -> list[str]:
    """One line per hosting whose stack opened a port that no check probes.

    The stacks open the service port and nothing else; a check on another
    port (the example once probed 80 and 443 for a service on 8080) reads
    every hosting as down.
    """
    probed = probed_ports(inventory.config)
    lines = []
    for hosting in inventory.hostings:
        if hosting.port is None or hosting.error or hosting.port in probed:
            continue
        have = ", ".join(str(p) for p in sorted(probed)) or "none"
        lines.append(f"{inventory.config.source}: hosting '{hosting.name}': stack "
                     f"'{hosting.stack}' serves on port {hosting.port}"
                     f"{' (' + hosting.health_url + ')' if hosting.health_url else ''}, "
                     f"but the checks probe {have}; add {{kind: http, port: {hosting.port}}} "
                     "to checks")
    return lines


def lookup_output(outputs: Mapping[str, Any], output: str, stack: str) -> Any:
    """The value of ``output`` (a key, or a dotted path) among a stack's outputs."""
    if output in outputs:
        return outputs[output]
    value: Any = outputs
    for part in output.split("."):
        if not isinstance(value, Mapping) or part not in value:
            have = ", ".join(sorted(outputs)) or "none"
            raise InventoryError(f"stack '{stack}' has no output '{output}' (its outputs: "
                                 f"{have}); set endpoints.output to one of them")
        value = value[part]
    return value


def endpoints_from_output(value: Any, output: str, stack: str) -> Endpoints:
    """An output's value as endpoints by type.

    Accepts a list of IP addresses (and at most one host name, taken as a
    CNAME target), a single string, or a mapping with ``A``, ``AAAA``,
    ``CNAME`` keys (each a string or a list).
    """
    where = f"stack '{stack}' output '{output}'"
    if value == SECRET_PLACEHOLDER or (isinstance(value, list) and SECRET_PLACEHOLDER in value):
        raise InventoryError(f"{where} is a secret; export addresses as plain outputs "
                             "(they are public anyway)")
    endpoints: Endpoints = {t: [] for t in RECORD_TYPES}
    if isinstance(value, Mapping):
        unknown = sorted(set(value) - set(RECORD_TYPES))
        if unknown:
            raise InventoryError(f"{where}: unknown keys {', '.join(unknown)}; "
                                 "use A, AAAA and CNAME")
        for rtype in RECORD_TYPES:
            for item in _as_list(value.get(rtype), where):
                got = _classify(item, where)
                if got != rtype:
                    raise InventoryError(f"{where}: '{item}' under {rtype} is not "
                                         f"{_WHAT[rtype]}")
                endpoints[rtype].append(_canonical(item, rtype))
    else:
        for item in _as_list(value, where):
            rtype = _classify(item, where)
            endpoints[rtype].append(_canonical(item, rtype))
    if not any(endpoints.values()):
        raise InventoryError(f"{where} is empty; has the stack been deployed ('pulumi up')?")
    if endpoints["CNAME"] and (endpoints["A"] or endpoints["AAAA"]):
        raise InventoryError(f"{where} mixes addresses and a host name; "
                             "a hosting has either a CNAME target or addresses")
    if len(endpoints["CNAME"]) > 1:
        raise InventoryError(f"{where} has {len(endpoints['CNAME'])} host names; "
                             "a hosting has at most one CNAME target")
    return endpoints


def _as_list(value: Any, where: str) -> list[str]:
    if value is None:
        return []
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
        raise InventoryError(f"{where}: expected addresses as strings, got {value!r}")
    return [i.strip() for i in items]


def _classify(item: str, where: str) -> str:
    try:
        address = ipaddress.ip_address(item)
    except ValueError:
        if _HOSTNAME.match(item):
            return "CNAME"
        raise InventoryError(f"{where}: '{item}' is neither an IP address nor a host name"
                             ) from None
    return "A" if address.version == 4 else "AAAA"


def _canonical(item: str, rtype: str) -> str:
    return str(ipaddress.ip_address(item)) if rtype in ("A", "AAAA") else item


# -- writing a resolved config -----------------------------------------------------------

def cluster_section(inventory: Inventory, current: Any) -> dict[str, Any] | None:
    """The config's ``cluster:`` section with ``endpoints`` from the stacks' etcd members.

    Only the endpoints come from the stacks; this node's name, vendor, timing and TLS
    files stay as the config has them. ``None`` when no stack runs a member or the
    config has no cluster section to complete.
    """
    endpoints = sorted({h.etcd_client_url for h in inventory.hostings if h.etcd_client_url})
    if not endpoints or not isinstance(current, dict):
        return None
    return {**current, "endpoints": endpoints}


def resolved_config_text(inventory: Inventory) -> str:
    """The config file's text with every ``from_stack`` hosting's endpoints written out.

    Comments are not kept (the YAML is re-emitted); a header says where the
    file came from. The result is validated before it is returned, so a
    broken config is never written.
    """
    import yaml

    inventory.raise_first()
    config = inventory.config
    source = Path(config.source)
    try:
        data = yaml.safe_load(source.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise InventoryError(f"{config.source}: cannot re-read the config: {exc}") from None
    stacks: list[str] = []
    for hosting in inventory.hostings:
        if hosting.stack is None:
            continue
        static: dict[str, Any] = {t: hosting.endpoints[t] for t in ("A", "AAAA")
                                  if hosting.endpoints[t]}
        if hosting.endpoints["CNAME"]:
            static["CNAME"] = hosting.endpoints["CNAME"][0]
        data["hosting"][hosting.name]["endpoints"] = static
        stacks.append(f"{hosting.name} <- {hosting.stack} ({hosting.origin})")
    header = [f"# Resolved by 'failover inventory --output' from {config.source}",
              f"# at {time.strftime('%Y-%m-%d %H:%M:%S %z')}; from_stack endpoints written out:"]
    header += [f"#   {line}" for line in stacks]
    cluster = cluster_section(inventory, data.get("cluster"))
    members = sorted({h.etcd_client_url for h in inventory.hostings if h.etcd_client_url})
    if cluster is not None:
        data["cluster"] = cluster
        header.append("#   cluster.endpoints <- the stacks' etcd members")
    elif members:
        header.append(f"# The stacks run etcd members ({', '.join(members)}): add a cluster "
                      "section (node, vendor, tls) to use them.")
    text = "\n".join(header) + "\n" + yaml.safe_dump(data, sort_keys=False,
                                                     default_flow_style=None, width=100)
    from failover.config import parse_config

    try:
        parse_config(text, str(source))
    except ConfigError as exc:
        raise InventoryError(f"the resolved config would not validate: {exc}") from None
    return text


def write_resolved_config(inventory: Inventory, path: Path) -> None:
    """Write :func:`resolved_config_text` to ``path`` atomically (a temp file, then rename)."""
    text = resolved_config_text(inventory)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise InventoryError(f"cannot write {path}: {exc.strerror or exc}") from None
