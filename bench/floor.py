"""The dnspython floor for the DNS switch: the least a Python program can do to make it.

``python bench/floor.py --port P --zone Z --to ADDRESS`` (TSIG secret in
``$BENCH_TSIG_SECRET``) reads the zone with one AXFR, rewrites every A RRset
except the name server's to ADDRESS in RFC 2136 UPDATEs signed with TSIG, each
packed up to ``--max-message`` bytes (64 KiB by default, sent over one TCP
connection), then reads the zone again with one AXFR and exits 0 only if every
rewritten name answers ADDRESS. No plan shown, no journal, no rollback: the floor
that ``failover move`` is compared with in ``python -m bench dns``.

Standalone on purpose (only dnspython is imported), so its time is the whole
process a user would start; anyone can rerun it against their own server.
"""

from __future__ import annotations

import argparse
import os
import socket
import sys

import dns.name
import dns.query
import dns.rcode
import dns.rdatatype
import dns.tsigkeyring
import dns.update

TCP_MAX = 65535  # a DNS message over TCP carries a 2-byte length


def read_a(host: str, port: int, zone: dns.name.Name, keyring: dict, keyname: str,
           algorithm: str) -> dict[dns.name.Name, list[str]]:
    """Every A RRset of the zone by one AXFR: name -> addresses."""
    found: dict[dns.name.Name, list[str]] = {}
    for message in dns.query.xfr(host, zone, port=port, keyring=keyring, keyname=keyname,
                                 keyalgorithm=algorithm, lifetime=120, relativize=False):
        for rrset in message.answer:
            if rrset.rdtype == dns.rdatatype.A:
                found[rrset.name] = [rd.address for rd in rrset]
    return found


def updates(zone: dns.name.Name, names: list[dns.name.Name], address: str, ttl: int,
            keyring: dict, keyname: str, algorithm: str,
            max_message: int) -> list[dns.update.UpdateMessage]:
    """UPDATE messages replacing each name's A RRset, as many names per message as fit."""
    messages: list[dns.update.UpdateMessage] = []
    per = max(1, max_message // 48)   # a guess from ~40 wire bytes per replaced A RRset
    i = 0
    while i < len(names):
        update = dns.update.UpdateMessage(zone, keyring=keyring,
                                          keyname=dns.name.from_text(keyname),
                                          keyalgorithm=algorithm)
        for name in names[i:i + per]:
            update.replace(name, ttl, dns.rdatatype.A, address)
        if len(update.to_wire()) > max_message and per > 1:
            per = per * 9 // 10
            continue
        messages.append(update)
        i += per
    return messages


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=53)
    parser.add_argument("--zone", required=True)
    parser.add_argument("--to", required=True, help="the new address of every A RRset")
    parser.add_argument("--ttl", type=int, default=60)
    parser.add_argument("--keep", action="append", default=[],
                        help="a name (relative) to leave alone, e.g. the name server's")
    parser.add_argument("--key-name", required=True)
    parser.add_argument("--algorithm", default="hmac-sha256")
    parser.add_argument("--max-message", type=int, default=TCP_MAX)
    args = parser.parse_args(argv)
    secret = os.environ.get("BENCH_TSIG_SECRET")
    if not secret:
        sys.stderr.write("floor: set BENCH_TSIG_SECRET to the TSIG key's base64 secret\n")
        return 3
    zone = dns.name.from_text(args.zone)
    keyname = args.key_name
    keyring = dns.tsigkeyring.from_text({keyname: secret})
    keep = {dns.name.from_text(k, zone) for k in args.keep}
    before = read_a(args.server, args.port, zone, keyring, keyname, args.algorithm)
    names = [n for n in before if n not in keep and before[n] != [args.to]]
    messages = updates(zone, names, args.to, args.ttl, keyring, keyname, args.algorithm,
                       min(args.max_message, TCP_MAX))
    with socket.create_connection((args.server, args.port), timeout=120) as sock:
        for update in messages:
            response = dns.query.tcp(update, args.server, port=args.port, sock=sock,
                                     timeout=120)
            if response.rcode() != 0:
                sys.stderr.write(f"floor: UPDATE refused: {dns.rcode.to_text(response.rcode())}\n")
                return 2
    after = read_a(args.server, args.port, zone, keyring, keyname, args.algorithm)
    wrong = sum(1 for n in names if after.get(n) != [args.to])
    print(f"floor: {len(names)} A RRsets in {len(messages)} UPDATEs; {wrong} wrong after")
    return 0 if not wrong else 2


if __name__ == "__main__":
    sys.exit(main())
