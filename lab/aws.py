"""moto in server mode for the lab: Route 53 with the example.test. hosted zone, STS and EC2
with one running instance tagged ``service=lab``; and the fault proxy in front of it.

moto runs as ``python -m moto.server`` on a free port of 127.0.0.1; boto3 talks to it with
the fixed keys ``testing``/``testing``, ignoring proxies and the caller's AWS profile. moto
loads none of its default AMIs (the first EC2 call is slow enough without), so any
``ami-...`` id runs. The fault proxy (:mod:`lab.awsproxy`) is what failover's control-plane
probe talks to; while DIR/faults/aws exists it refuses STS and EC2 as a suspended account.
"""

from __future__ import annotations

import functools
import http.client
import importlib.util
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

from lab.procs import POLL, LabError, free_port, python_env, spawn, wait_until

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
    proc = spawn([sys.executable, "-m", "lab.motoserver", "-H", HOST, "-p", str(port)], log,
                 env=python_env(MOTO_EC2_LOAD_DEFAULT_AMIS="false"), cwd=root)
    return proc, port


def moto_marker(port: int) -> str:
    """What moto's command line holds (to tell it from a reused pid)."""
    return f"lab.motoserver -H {HOST} -p {port}"


def proxy_marker(port: int) -> str:
    """What the fault proxy's command line holds (to tell it from a reused pid)."""
    return f"lab.awsproxy --port {port}"


def start_proxy(root: Path, moto_port: int, avoid: tuple[int, ...] = ()
                ) -> tuple[subprocess.Popen[bytes], int]:
    """Start the fault proxy in front of moto on a free port, without waiting."""
    port = free_port((HOST,), avoid=avoid)
    (root / "faults").mkdir(exist_ok=True)
    log = root / "aws-proxy.log"
    log.write_text("")
    proc = spawn([sys.executable, "-m", "lab.awsproxy", "--port", str(port), "--upstream",
                  f"http://{HOST}:{moto_port}", "--faults", str(root / "faults")],
                 log, env=python_env(), cwd=root)
    return proc, port


def wait_proxy(proc: subprocess.Popen[bytes], root: Path, port: int, timeout: float) -> None:
    from lab.awsproxy import HEALTH

    wait_until("aws proxy", lambda: http_answers(HOST, port, HEALTH), proc,
               root / "aws-proxy.log", timeout)


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


def client(endpoint: str) -> Any:
    """A Route 53 client for the lab's moto, immune to ~/.aws, AWS_PROFILE and HTTP(S)_PROXY."""
    return service_client("route53", endpoint)


@functools.lru_cache(maxsize=16)
def service_client(service: str, endpoint: str) -> Any:
    """A botocore client for ``service`` at ``endpoint`` (moto or the fault proxy), immune
    to ~/.aws, AWS_PROFILE and HTTP(S)_PROXY."""
    import botocore.config
    import botocore.exceptions
    import botocore.session

    # A CI's AWS_PROFILE or ~/.aws/config must not matter here: no profile, no file at all.
    session = botocore.session.Session(session_vars={"profile": (None, None, None, None)})
    for var in ("config_file", "credentials_file"):
        session.set_config_variable(var, os.devnull)
    try:
        return session.create_client(
            service, region_name=REGION, endpoint_url=endpoint,
            aws_access_key_id=KEY, aws_secret_access_key=KEY,
            config=botocore.config.Config(proxies={}, retries={"max_attempts": 2},
                                          connect_timeout=2, read_timeout=10))
    except botocore.exceptions.BotoCoreError as exc:
        raise LabError(f"cannot make a {service} client for {endpoint}: {exc}") from None


def create_zone(r53: Any, zone: str, names: list[str], address: str, ttl: int) -> str:
    """Create the hosted zone with A records; its id without the /hostedzone/ prefix."""
    made = r53.create_hosted_zone(Name=zone, CallerReference=uuid.uuid4().hex)
    zone_id = str(made["HostedZone"]["Id"]).rsplit("/", 1)[-1]
    r53.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={"Changes": [
        {"Action": "UPSERT", "ResourceRecordSet": {
            "Name": name, "Type": "A", "TTL": ttl, "ResourceRecords": [{"Value": address}]}}
        for name in names]})
    return zone_id


def name_servers(r53: Any, zone_id: str) -> list[str]:
    """The hosted zone's name servers (its delegation set), as absolute names."""
    found = r53.get_hosted_zone(Id=zone_id).get("DelegationSet", {}).get("NameServers", [])
    return [n if n.endswith(".") else n + "." for n in found]


def set_zone_ns(r53: Any, zone_id: str, zone: str, names: list[str], ttl: int) -> None:
    """Make the hosted zone's own NS set ``names`` (the delegation lists both vendors)."""
    r53.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={"Changes": [
        {"Action": "UPSERT", "ResourceRecordSet": {
            "Name": zone, "Type": "NS", "TTL": ttl,
            "ResourceRecords": [{"Value": n} for n in names]}}]})


def create_instance(endpoint: str, tags: dict[str, str]) -> str:
    """Run one EC2 instance in moto carrying ``tags``; its id once moto says it runs."""
    ec2 = service_client("ec2", endpoint)
    made = ec2.run_instances(ImageId="ami-0f1a11ab", MinCount=1, MaxCount=1,
                             InstanceType="t3.micro", TagSpecifications=[{
                                 "ResourceType": "instance",
                                 "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}])
    instance_id = str(made["Instances"][0]["InstanceId"])
    for _ in range(100):  # moto reports "pending" once, then "running"
        found = ec2.describe_instances(InstanceIds=[instance_id])["Reservations"]
        if found and found[0]["Instances"][0]["State"]["Name"] == "running":
            return instance_id
        time.sleep(POLL)
    raise LabError(f"moto: instance {instance_id} never reached 'running'")


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
