"""The lab's opt-in DNS providers (``python -m lab up --providers all``): PowerDNS with its
HTTP API, the Cloudflare stand-in and the Cloud DNS stand-in, each serving example.test.
with the same managed names as BIND and Route 53.

The default ``up`` does not start them, so the dozens of tests that use the lab start as
fast as before. ``start`` runs the three servers at once and returns what lab.json keeps
about them and the lines they add to DIR/failover.yaml; their rows in the lab's process
table (for ``down`` and ``status``) are in lab.processes. Their secrets are files in DIR:
pdns.key, cloudflare.token, gcp.token.
"""

from __future__ import annotations

import secrets
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from lab import pdns
from lab.files import write_private
from lab.procs import LabError, free_port, python_env, spawn, wait_until

HOST = "127.0.0.1"
CHOICES = ("default", "all")
CF_ZONE_ID = "00000000000000000000000000ec7e57"  # a Cloudflare zone id is 32 hex digits
CF_NS = ["ada.ns.cloudflare.test.", "bob.ns.cloudflare.test."]
GCP_PROJECT = "lab-project"
GCP_ZONE = "example-test"
GCP_NS = ["ns-cloud-a1.googledomains.test.", "ns-cloud-a2.googledomains.test."]


def cf_marker(port: int) -> str:
    return f"lab.cfapi --port {port}"


def gcp_marker(port: int) -> str:
    return f"lab.gcpapi --port {port}"


def start(root: Path, avoid: tuple[int, ...], started: list[subprocess.Popen[bytes]],
          zone: str, names: list[str], address: str, ttl: int, other_ns: list[str]
          ) -> tuple[dict[str, Any], str, str]:
    """Start the three, fill their zones; (lab.json part, dns: lines, vendors: lines)."""
    write_private(root / "cloudflare.token", secrets.token_urlsafe(30) + "\n")
    write_private(root / "gcp.token", "ya29." + secrets.token_urlsafe(30) + "\n")
    proc, dns_port, api_port, key = pdns.start(root, avoid)
    started.append(proc)
    cf_port = free_port((HOST,), avoid=(*avoid, dns_port, api_port))
    cf = spawn([sys.executable, "-m", "lab.cfapi", "--port", str(cf_port), "--token-file",
                str(root / "cloudflare.token"), "--zone-id", CF_ZONE_ID, "--zone-name", zone,
                *(a for ns in CF_NS for a in ("--name-server", ns))],
               root / "cfapi.log", env=python_env(), cwd=root)
    started.append(cf)
    gcp_port = free_port((HOST,), avoid=(*avoid, dns_port, api_port, cf_port))
    gcp = spawn([sys.executable, "-m", "lab.gcpapi", "--port", str(gcp_port), "--token-file",
                 str(root / "gcp.token"), "--project", GCP_PROJECT, "--dns-zone", GCP_ZONE,
                 "--dns-name", zone, *(a for ns in GCP_NS for a in ("--name-server", ns))],
                root / "gcpapi.log", env=python_env(), cwd=root)
    started.append(gcp)

    pdns.wait_ready(proc, root, api_port, key, 30)
    pdns.create_zone(api_port, key, zone, names, address, ttl, other_ns)
    cf_url = f"http://{HOST}:{cf_port}/client/v4"
    gcp_url = f"http://{HOST}:{gcp_port}"
    wait_until("the Cloudflare stand-in", lambda: _answers(f"{cf_url}/zones/{CF_ZONE_ID}"),
               cf, root / "cfapi.log", 30)
    wait_until("the Cloud DNS stand-in", lambda: _answers(f"{gcp_url}/v3/projects/x"), gcp,
               root / "gcpapi.log", 30)
    cf_token = (root / "cloudflare.token").read_text().strip()
    gcp_token = (root / "gcp.token").read_text().strip()
    for name in [*names, f"mail.{zone}"]:
        content = "127.0.0.99" if name.startswith("mail.") else address
        _post(f"{cf_url}/zones/{CF_ZONE_ID}/dns_records", cf_token,
              {"name": name.rstrip("."), "type": "A", "content": content,
               "ttl": ttl, "proxied": False})
    _post(f"{gcp_url}/dns/v1/projects/{GCP_PROJECT}/managedZones/{GCP_ZONE}/changes",
          gcp_token, {"additions": [{"name": n, "type": "A", "ttl": ttl, "rrdatas": [address]}
                                    for n in names]})
    data = {"pdns": {"host": HOST, "port": dns_port, "api_port": api_port, "pid": proc.pid,
                     "api_key_file": str(root / "pdns.key"), "ns": pdns.NS_NAME},
            "cloudflare": {"url": cf_url, "port": cf_port, "pid": cf.pid,
                           "zone_id": CF_ZONE_ID, "token_file": str(root / "cloudflare.token"),
                           "name_servers": CF_NS},
            "clouddns": {"url": gcp_url, "port": gcp_port, "pid": gcp.pid,
                         "project": GCP_PROJECT, "managed_zone": GCP_ZONE,
                         "token_file": str(root / "gcp.token"), "name_servers": GCP_NS}}
    dns = (f"  powerdns: {{vendor: metal, kind: powerdns, url: \"http://{HOST}:{api_port}\", "
           f"api_key_file: pdns.key, verify_servers: [\"{HOST}:{dns_port}\"], "
           f"ns_names: [{pdns.NS_NAME}], timeout: 5s}}\n"
           f"  cloudflare: {{vendor: cloudflare, kind: cloudflare, zone_id: \"{CF_ZONE_ID}\", "
           f"token_file: cloudflare.token, url: \"{cf_url}\", ns_names: [{', '.join(CF_NS)}], "
           f"timeout: 5s}}\n"
           f"  clouddns: {{vendor: gcp, kind: clouddns, project: {GCP_PROJECT}, "
           f"managed_zone: {GCP_ZONE}, token_file: gcp.token, url: \"{gcp_url}\", "
           f"ns_names: [{', '.join(GCP_NS)}], timeout: 5s}}\n")
    return data, dns, "  cloudflare: {}\n"


def name_servers(data: dict[str, Any]) -> list[str]:
    """The NS names of the opt-in providers, as the parent should list them."""
    return [data["pdns"]["ns"], *data["cloudflare"]["name_servers"],
            *data["clouddns"]["name_servers"]]


def _answers(url: str) -> bool:
    try:
        urllib.request.urlopen(url, timeout=0.5).close()
    except urllib.error.HTTPError:
        return True  # any HTTP answer (401/403 without a token) means it is up
    except (OSError, ValueError):
        return False
    return True


def _post(url: str, token: str, body: dict[str, Any]) -> None:
    import json

    req = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                 headers={"Authorization": f"Bearer {token}",
                                          "Content-Type": "application/json"})
    try:
        urllib.request.urlopen(req, timeout=5).close()
    except (OSError, ValueError) as exc:
        raise LabError(f"cannot fill the stand-in's zone at {url}: {exc}") from None
