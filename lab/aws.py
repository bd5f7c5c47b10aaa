"""moto in server mode for the lab: Route 53 with the example.test. hosted zone.

moto runs as ``python -m moto.server`` on a free port of 127.0.0.1; boto3 talks to it with
the fixed keys ``testing``/``testing``, ignoring proxies and the caller's AWS profile.
"""

from __future__ import annotations

import functools
import http.client
import importlib.util
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

from lab.procs import LabError, free_port, spawn, wait_until

HOST = "127.0.0.1"
REGION = "us-east-1"
KEY = "testing"
CREDENTIALS = f"""\
# Keys for the lab's moto server (moto accepts any); written by `python -m lab up`.
[default]
aws_access_key_id = {KEY}
aws_secret_access_key = {KEY}
"""


def start(root: Path, avoid: tuple[int, ...] = ()) -> tuple[subprocess.Popen[bytes], int]:
    """Start moto on a free port; returns (process, port) without waiting."""
    if importlib.util.find_spec("moto") is None:
        raise LabError(f"moto is not installed in {sys.executable}: run `bash scripts/setup.sh` "
                       "or `pip install 'moto[server]'`")
    port = free_port((HOST,), avoid=avoid)
    log = root / "moto.log"
    log.write_text("")
    proc = spawn([sys.executable, "-m", "moto.server", "-H", HOST, "-p", str(port)], log,
                 cwd=root)
    return proc, port


def http_answers(host: str, port: int, path: str = "/moto-api/", timeout: float = 0.5) -> bool:
    """Whether an HTTP server answers at host:port (any status; no proxy)."""
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        conn.request("GET", path)
        conn.getresponse().read()
        return True
    except (OSError, http.client.HTTPException):
        return False
    finally:
        conn.close()


def wait_ready(proc: subprocess.Popen[bytes], root: Path, port: int, timeout: float) -> None:
    wait_until("moto", lambda: http_answers(HOST, port), proc, root / "moto.log", timeout)


@functools.lru_cache(maxsize=16)
def client(endpoint: str) -> Any:
    """A Route 53 client for the lab's moto, immune to ~/.aws, AWS_PROFILE and HTTP(S)_PROXY."""
    import botocore.config
    import botocore.exceptions
    import botocore.session

    # A CI's AWS_PROFILE or ~/.aws/config must not matter here: no profile, no file at all.
    session = botocore.session.Session(session_vars={"profile": (None, None, None, None)})
    for var in ("config_file", "credentials_file"):
        session.set_config_variable(var, os.devnull)
    try:
        return session.create_client(
            "route53", region_name=REGION, endpoint_url=endpoint,
            aws_access_key_id=KEY, aws_secret_access_key=KEY,
            config=botocore.config.Config(proxies={}, retries={"max_attempts": 2},
                                          connect_timeout=2, read_timeout=10))
    except botocore.exceptions.BotoCoreError as exc:
        raise LabError(f"cannot make a Route 53 client for {endpoint}: {exc}") from None


def create_zone(r53: Any, zone: str, names: list[str], address: str, ttl: int) -> str:
    """Create the hosted zone with A records; its id without the /hostedzone/ prefix."""
    made = r53.create_hosted_zone(Name=zone, CallerReference=uuid.uuid4().hex)
    zone_id = str(made["HostedZone"]["Id"]).rsplit("/", 1)[-1]
    r53.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={"Changes": [
        {"Action": "UPSERT", "ResourceRecordSet": {
            "Name": name, "Type": "A", "TTL": ttl, "ResourceRecords": [{"Value": address}]}}
        for name in names]})
    return zone_id


def answers(endpoint: str, zone_id: str, name: str, rdtype: str = "A") -> list[str]:
    """Sorted values of ``name``/``rdtype`` in the hosted zone, read through the API."""
    want = name.lower().rstrip(".")
    values: list[str] = []
    for page in client(endpoint).get_paginator("list_resource_record_sets").paginate(
            HostedZoneId=zone_id):
        for rrset in page["ResourceRecordSets"]:
            if rrset["Name"].lower().rstrip(".") == want and rrset["Type"] == rdtype:
                values += [r["Value"] for r in rrset.get("ResourceRecords", [])]
    return sorted(values)
