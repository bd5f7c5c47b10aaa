"""The shell commands the runbook prints: complete, quoted, one per line.

Every ``failover`` command carries the config's path; the verification commands ask
each DNS provider directly (``dig`` at RFC 2136 servers, the AWS CLI for Route 53,
what :mod:`failover.dns.handbook` says for the API providers), each with the output
to expect.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from pathlib import Path

from failover.config import Config, Rfc2136Provider, Route53Provider
from failover.dns import handbook


class Commands:
    """Command lines for one config at ``path``."""

    def __init__(self, config: Config, path: Path) -> None:
        self.config = config
        self.path = path

    def cmd(self, *args: str) -> str:
        """A complete failover command line with this config."""
        return " ".join(["failover", "-c", shlex.quote(str(self.path)),
                         *(shlex.quote(a) for a in args)])

    def verify_lines(self, names: Sequence[tuple[str, str]]) -> tuple[list[str], list[str]]:
        """The commands that ask every DNS provider what it serves for ``names``, and
        what to expect of them."""
        cfg = self.config
        out: list[str] = []
        expects: list[str] = []
        for pname, p in cfg.dns.items():
            if isinstance(p, Rfc2136Provider):
                servers = [(p.server, p.port)] + [_host_port(s) for s in p.verify_servers]
                seen: list[tuple[str, int]] = []
                for server in servers:
                    if server in seen:
                        continue
                    seen.append(server)
                    host, port = server
                    for name, rtype in names:
                        port_arg = ["-p", str(port)] if port != 53 else []
                        out.append(" ".join(["dig", f"@{host}", *port_arg, name, rtype,
                                             "+short"]))
                expects.append(f"each `dig` at {pname}: the new answers of its type, one per "
                               "line, and nothing else")
            elif isinstance(p, Route53Provider):
                out.append(self.route53_list(p))
                expects.append(f"the `aws route53` line ({pname}, needs the AWS CLI): each "
                               "managed name with the new answers, and exit 0")
                if p.verify == "nameservers":
                    out.append(self.route53_dig(p, names))
                    expects.append(f"the loop over {pname}'s name servers: the new answers "
                                   "from each")
            else:
                lines, said = handbook.verify_lines(pname, p, cfg.zone, names,
                                                    cfg.resolve_path)
                out += lines
                expects += said
        return out, expects

    def route53_env(self, p: Route53Provider) -> list[str]:
        env = []
        if p.credentials_file:
            env.append(f"AWS_SHARED_CREDENTIALS_FILE="
                       f"{shlex.quote(str(self.config.resolve_path(p.credentials_file)))}")
            if p.profile:
                env.append(f"AWS_PROFILE={shlex.quote(p.profile)}")
        elif p.access_key_id_env and p.secret_access_key_env:
            env.append(f'AWS_ACCESS_KEY_ID="${p.access_key_id_env}"')
            env.append(f'AWS_SECRET_ACCESS_KEY="${p.secret_access_key_env}"')
        elif p.profile:
            env.append(f"AWS_PROFILE={shlex.quote(p.profile)}")
        return env

    def route53_args(self, p: Route53Provider) -> list[str]:
        args = []
        if p.endpoint_url:
            args += ["--endpoint-url", shlex.quote(p.endpoint_url)]
        return [*args, "--region", shlex.quote(p.region)]

    def route53_list(self, p: Route53Provider) -> str:
        types = sorted({r.type for r in self.config.records})
        where = " || ".join(f"Type=='{t}'" for t in types)
        query = f"ResourceRecordSets[?{where}].[Name,Type,join(',',ResourceRecords[].Value)]"
        return " ".join([*self.route53_env(p), "aws", "route53", "list-resource-record-sets",
                         "--hosted-zone-id", shlex.quote(p.hosted_zone_id),
                         *self.route53_args(p), "--query", _quote(query),
                         "--output", "text"])

    def route53_dig(self, p: Route53Provider, names: Sequence[tuple[str, str]]) -> str:
        servers = " ".join([*self.route53_env(p), "aws", "route53", "get-hosted-zone", "--id",
                            shlex.quote(p.hosted_zone_id), *self.route53_args(p), "--query",
                            "DelegationSet.NameServers", "--output", "text"])
        digs = "; ".join(f"dig @\"$ns\" {n} {t} +short" for n, t in names)
        return f"for ns in $({servers}); do echo \"$ns\"; {digs}; done"


def _quote(text: str) -> str:
    """Double quotes when nothing inside needs escaping there (easier to read), else shlex."""
    if not any(c in text for c in '"$`\\!'):
        return f'"{text}"'
    return shlex.quote(text)


def _host_port(entry: str) -> tuple[str, int]:
    from failover.dns.query import parse_server

    host, port = parse_server(entry)
    return host, int(port)
