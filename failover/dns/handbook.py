"""What a person types to look at an HTTP-API DNS provider by hand (for the runbook).

One function per question, for the kinds whose module lives beside this one (PowerDNS,
Cloudflare, Cloud DNS, and octoDNS providers through their verify_servers): where the
provider is, and the shell lines that show what it serves with what each should print.
Secrets are referenced as the config names them (``$VAR`` or ``$(cat FILE)``), never
written out.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from failover.dns.query import parse_server


def where(p: Any) -> str:
    """One phrase: where this provider's zone is."""
    if p.kind == "powerdns":
        return f"{p.url} (PowerDNS API, server {p.server_id})"
    if p.kind == "cloudflare":
        return f"Cloudflare zone {p.zone_id}" + (f" at {p.url}" if "api.cloudflare.com"
                                                 not in p.url else "")
    if p.kind == "clouddns":
        return f"Cloud DNS zone {p.managed_zone} in project {p.project}"
    if p.kind == "octodns":
        return f"octoDNS {p.class_}"
    return str(p.kind)


def _secret(env: str | None, file: str | None, resolve: Callable[[str], Path]) -> str:
    if env:
        return f'"${env}"'
    assert file
    return f'"$(cat {shlex.quote(str(resolve(file)))})"'


def verify_lines(pname: str, p: Any, zone: str, names: Sequence[tuple[str, str]],
                 resolve: Callable[[str], Path]) -> tuple[list[str], list[str]]:
    """(shell lines, what to expect) to see what provider ``pname`` serves now."""
    lines: list[str] = []
    expects: list[str] = []
    servers = [parse_server(s) for s in getattr(p, "verify_servers", [])]
    for host, port in servers:
        port_arg = ["-p", str(port)] if port != 53 else []
        lines += [" ".join(["dig", f"@{host}", *port_arg, n, t, "+short"]) for n, t in names]
    if servers:
        expects.append(f"each `dig` at {pname}: the new answers of its type, one per line, "
                       "and nothing else")
    if p.kind == "powerdns" and not servers:
        key = _secret(p.api_key_env, p.api_key_file, resolve)
        for n, t in names:
            lines.append(f"curl -s -H \"X-API-Key: {key[1:-1]}\" "
                         f"'{p.url.rstrip('/')}/api/v1/servers/{p.server_id}/zones/{zone}"
                         f"?rrset_name={n}&rrset_type={t}'")
        expects.append(f"each `curl` at {pname}: JSON whose rrsets hold the new answers")
    elif p.kind == "cloudflare":
        token = _secret(p.token_env, p.token_file, resolve)
        for n, t in names:
            lines.append(f"curl -s -H \"Authorization: Bearer {token[1:-1]}\" "
                         f"'{p.url.rstrip('/')}/zones/{p.zone_id}/dns_records"
                         f"?name={n.rstrip('.')}&type={t}'")
        expects.append(f"each `curl` at {pname}: `\"success\":true` and one result per new "
                       "answer")
    elif p.kind == "clouddns" and not servers:
        token = _secret(p.token_env, p.token_file, resolve)
        for n, t in names:
            lines.append(f"curl -s -H \"Authorization: Bearer {token[1:-1]}\" "
                         f"'{p.url.rstrip('/')}/dns/v1/projects/{p.project}/managedZones/"
                         f"{p.managed_zone}/rrsets?name={n}&type={t}'")
        expects.append(f"each `curl` at {pname}: rrsets whose rrdatas are the new answers")
    return lines, expects
