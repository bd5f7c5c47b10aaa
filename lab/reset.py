"""Put a running lab back the way ``up`` left it, without restarting its servers.

A lab takes seconds to start (moto alone about one); a test that only reads and writes
DNS needs a lab *as new*, not a new lab. :func:`snapshot` records, right after ``up``,
everything a test can change without killing a server: the zones at BIND (the lab's zone
and its parent), the hosted zones and records at moto's Route 53, the objects in moto's
S3 buckets, the EC2 instances' states, and every file under the lab's folder but the
servers' own. :func:`reset` brings each back (signed UPDATEs to BIND, a ChangeBatch to
Route 53, deletes at S3, files rewritten), revives killed origins and lifts suspensions,
waits until Knot serves BIND's serial again, then reads everything once more and
compares it with the snapshot. Anything it cannot put back, or that still differs, is a
:class:`LabError`: the caller then starts a fresh lab, so a reset lab is never a lab
that merely looks new.
"""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path
from typing import Any

from lab import aws, bind, core, processes
from lab.files import load
from lab.procs import LabError, alive

SNAPSHOT = "reset.json"
# Folders and files under the lab's root that belong to its servers (their working files,
# logs and journals) or to the lab itself: not the tests' to change, not compared.
SERVER_PARTS = {"bind", "parent", "knot", "origins", "faults", "lab.json", SNAPSHOT,
                "lab.lock", "unbound", "pdns", "etcd", "watchers", "logs"}
SERVER_SUFFIXES = (".log", ".pid", ".jnl")
RRsets = dict[str, list[Any]]  # "name type" -> [ttl, sorted values]


def _files(root: Path) -> dict[str, str]:
    """Relative path -> content (base64) of every file the tests may touch."""
    out = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if rel.parts[0] in SERVER_PARTS or path.name.endswith(SERVER_SUFFIXES):
            continue
        if path.is_file() and not path.is_symlink():
            out[str(rel)] = base64.b64encode(path.read_bytes()).decode()
    return out


def _axfr(host: str, port: int, zone: str, secret: str) -> RRsets:
    """Every RRset of ``zone`` but its SOA, read by a signed zone transfer."""
    import dns.exception
    import dns.query
    import dns.tsig
    import dns.tsigkeyring
    import dns.zone

    keyring = dns.tsigkeyring.from_text({bind.KEY_NAME: secret})
    try:
        z = dns.zone.from_xfr(dns.query.xfr(host, zone, port=port, timeout=5, lifetime=10,
                                            keyring=keyring, keyname=bind.KEY_NAME,
                                            keyalgorithm=dns.tsig.HMAC_SHA256,
                                            relativize=False),
                              relativize=False)
    except (dns.exception.DNSException, OSError, EOFError) as exc:
        raise LabError(f"reset: cannot transfer {zone} from {host}:{port}: {exc}") from None
    out: RRsets = {}
    for name, rdataset in z.iterate_rdatasets():
        rdtype = dns.rdatatype.to_text(rdataset.rdtype)
        if rdtype != "SOA":
            out[f"{name.to_text()} {rdtype}"] = [rdataset.ttl,
                                                 sorted(rd.to_text() for rd in rdataset)]
    return out


def _update_bind(host: str, port: int, zone: str, secret: str, now: RRsets,
                 want: RRsets) -> None:
    """One signed UPDATE that turns ``now`` into ``want``: missing values added first (at
    the wanted TTL), then extra values deleted one by one, so an apex NS set is never left
    empty on the way (BIND ignores a delete of the whole apex NS set)."""
    import dns.exception
    import dns.query
    import dns.rcode
    import dns.tsig
    import dns.tsigkeyring
    import dns.update

    keyring = dns.tsigkeyring.from_text({bind.KEY_NAME: secret})
    message = dns.update.UpdateMessage(zone, keyring=keyring,
                                       keyalgorithm=dns.tsig.HMAC_SHA256)
    changed = False
    for key in sorted(set(now) | set(want)):
        name, rdtype = key.split(" ")
        have, need = now.get(key), want.get(key)
        if have == need:
            continue
        changed = True
        if need is not None:
            for value in need[1]:  # re-adding sets the wanted TTL on the whole set
                message.add(name, need[0], rdtype, value)
        if have is not None:
            for value in sorted(set(have[1]) - set(need[1] if need else [])):
                message.delete(name, rdtype, value)
    if not changed:
        return
    try:
        reply = dns.query.tcp(message, host, port=port, timeout=5)
    except (dns.exception.DNSException, OSError) as exc:
        raise LabError(f"reset: UPDATE of {zone} failed: {exc}") from None
    if reply.rcode() != dns.rcode.NOERROR:
        raise LabError(f"reset: UPDATE of {zone} answered {dns.rcode.to_text(reply.rcode())}")


def _route53(endpoint: str) -> dict[str, Any]:
    """Hosted zone id -> {name, records: RRsets} at moto's Route 53 (SOA left out)."""
    r53 = aws.client(endpoint)
    out: dict[str, Any] = {}
    for page in r53.get_paginator("list_hosted_zones").paginate():
        for zone in page["HostedZones"]:
            zone_id = str(zone["Id"]).rsplit("/", 1)[-1]
            records: RRsets = {}
            for rpage in r53.get_paginator("list_resource_record_sets").paginate(
                    HostedZoneId=zone_id):
                for rr in rpage["ResourceRecordSets"]:
                    if rr["Type"] == "SOA":
                        continue
                    key = json.dumps({k: v for k, v in rr.items()
                                      if k not in ("TTL", "ResourceRecords")}, sort_keys=True)
                    records[key] = [rr.get("TTL"), sorted(r["Value"] for r in
                                                          rr.get("ResourceRecords", []))]
            out[zone_id] = {"name": zone["Name"], "records": records}
    return out


def _rrset(key: str, entry: list[Any]) -> dict[str, Any]:
    rr: dict[str, Any] = json.loads(key)
    if entry[0] is not None:
        rr["TTL"] = entry[0]
    if entry[1]:
        rr["ResourceRecords"] = [{"Value": v} for v in entry[1]]
    return rr


def _restore_route53(endpoint: str, want: dict[str, Any]) -> None:
    r53 = aws.client(endpoint)
    now = _route53(endpoint)
    for zone_id, zone in now.items():
        changes = []
        target = want.get(zone_id, {"records": {}})["records"]
        for key, entry in zone["records"].items():
            if target.get(key) != entry and not (zone_id not in want and '"NS"' in key
                                                 and json.loads(key)["Name"] == zone["name"]):
                changes.append({"Action": "DELETE", "ResourceRecordSet": _rrset(key, entry)})
        for key, entry in target.items():
            if zone["records"].get(key) != entry:
                changes.append({"Action": "CREATE", "ResourceRecordSet": _rrset(key, entry)})
        if changes:
            r53.change_resource_record_sets(HostedZoneId=zone_id,
                                            ChangeBatch={"Changes": changes})
        if zone_id not in want:
            r53.delete_hosted_zone(Id=zone_id)


def _s3(endpoint: str) -> dict[str, list[str]]:
    s3 = aws.service_client("s3", endpoint)
    return {b["Name"]: sorted(o["Key"] for page in
                              s3.get_paginator("list_objects_v2").paginate(Bucket=b["Name"])
                              for o in page.get("Contents", []))
            for b in s3.list_buckets().get("Buckets", [])}


def _restore_s3(endpoint: str, want: dict[str, list[str]]) -> None:
    s3 = aws.service_client("s3", endpoint)
    for bucket, keys in _s3(endpoint).items():
        for key in sorted(set(keys) - set(want.get(bucket, []))):
            s3.delete_object(Bucket=bucket, Key=key)
        if bucket not in want:
            s3.delete_bucket(Bucket=bucket)


def _instances(endpoint: str) -> dict[str, str]:
    ec2 = aws.service_client("ec2", endpoint)
    return {i["InstanceId"]: i["State"]["Name"]
            for r in ec2.describe_instances().get("Reservations", []) for i in r["Instances"]}


def _read(root: Path, data: dict[str, Any]) -> dict[str, Any]:
    secret = (root / "tsig.secret").read_text().strip()
    state: dict[str, Any] = {
        "processes": sorted(row["name"] for row in processes.rows(data, root)),
        "zone": _axfr(bind.HOST, data["bind"]["port"], bind.ZONE, secret),
        "parent": _axfr(bind.HOST, data["parent"]["port"], bind.PARENT, secret),
        "files": _files(root),
    }
    endpoint = data["moto"]["endpoint"]
    try:
        state["route53"] = _route53(endpoint)
        state["s3"] = _s3(endpoint)
        state["ec2"] = _instances(endpoint)
    except Exception as exc:  # botocore's errors: one line
        raise LabError(f"reset: moto did not answer: {exc}") from None
    return state


def snapshot(dir: Path | str) -> None:
    """Record the lab's state as it is now (right after ``up``) for :func:`reset`."""
    root = Path(dir).resolve()
    state = _read(root, load(root))
    (root / SNAPSHOT).write_text(json.dumps(state))


def _servers_alive(data: dict[str, Any], root: Path) -> None:
    for row in processes.rows(data, root):
        if row["name"] in data["origins"]["hostings"]:
            continue  # origins are revived below
        if not alive(row["pid"], row["marker"]):
            raise LabError(f"reset: {row['name']} is not running")


def reset(dir: Path | str, timeout: float = 10.0) -> dict[str, Any]:
    """Bring the lab in ``dir`` back to its snapshot; the lab.json dict. LabError when it
    cannot, or when what it reads afterwards still differs from the snapshot."""
    root = Path(dir).resolve()
    try:
        want = json.loads((root / SNAPSHOT).read_text())
    except (OSError, ValueError) as exc:
        raise LabError(f"reset: no snapshot in {root}: {exc}") from None
    data = load(root)
    if data.get("down"):
        raise LabError("reset: the lab is down")
    _servers_alive(data, root)
    files = _files(root)  # first: a test may have changed the TSIG secret's file
    for rel in files.keys() - want["files"].keys():
        (root / rel).unlink(missing_ok=True)
    for rel, content in want["files"].items():
        if files.get(rel) != content:
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            (root / rel).write_bytes(base64.b64decode(content))
    for vendor in sorted(core.suspended(root)):
        core.unsuspend(root, vendor)
    for vendor in sorted({h["vendor"] for h in data["origins"]["hostings"].values()}):
        core.revive(root, vendor)
    secret = (root / "tsig.secret").read_text().strip()
    for part, zone, port in (("zone", bind.ZONE, data["bind"]["port"]),
                             ("parent", bind.PARENT, data["parent"]["port"])):
        now = _axfr(bind.HOST, port, zone, secret)
        _update_bind(bind.HOST, port, zone, secret, now, want[part])
    endpoint = data["moto"]["endpoint"]
    try:
        _restore_route53(endpoint, want["route53"])
        _restore_s3(endpoint, want["s3"])
    except Exception as exc:  # botocore's errors: one line
        raise LabError(f"reset: moto: {exc}") from None
    _knot_follows(root, data, timeout)
    got = _read(root, load(root))
    differs = [part for part in want if got.get(part) != want[part]]
    if differs:
        raise LabError(f"reset: still differs from the snapshot: {', '.join(differs)}")
    return load(root)


def _knot_follows(root: Path, data: dict[str, Any], timeout: float) -> None:
    """Wait until Knot serves BIND's serial (BIND's NOTIFY after the UPDATE)."""
    serial = bind.soa_serial(bind.HOST, data["bind"]["port"], timeout=2.0)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if serial is not None and bind.soa_serial(bind.HOST, data["knot"]["port"]) == serial:
            return
        time.sleep(0.05)
    raise LabError(f"reset: Knot did not reach BIND's serial {serial} in {timeout:g}s")
