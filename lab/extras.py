"""The lab's parts for what else a vendor takes: notice channels and status page hosts.

:func:`start` (called by ``lab.core.up``) starts a real SMTP server (aiosmtpd,
``lab.smtp``) and a webhook receiver that also serves files (``lab.webhook``, root
DIR/www), creates the ``status`` bucket in moto, writes the channel URLs to files
readable by the owner only (they hold a password and tokens), and appends ``notify:``
and ``page:`` sections to DIR/failover.yaml:

- channels: ``mail`` (SMTP, vendor metal), ``hook`` (webhook, vendor gcp) and ``dead``
  (a port nobody listens on, vendor aws): a notice must reach the first two while the
  third fails, and the failure be reported on them;
- a heartbeat: GET DIR/www/heartbeat through the webhook receiver;
- page targets: DIR/www/local (internal page; served at ``/local/`` by the receiver),
  the moto bucket ``status`` (public page) and a PUT to the receiver's ``/pub/``
  (public page).
"""

from __future__ import annotations

import json
import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from lab import aws
from lab.files import CONFIG, write_private
from lab.procs import LabError, free_port, python_env, spawn, wait_until

HOST = "127.0.0.1"
SMTP_USER = "failover"
BUCKET = "status"
TIMEOUT = 30.0


def smtp_marker(port: int) -> str:
    return f"lab.smtp --port {port}"


def webhook_marker(port: int) -> str:
    return f"lab.webhook --port {port}"


def _tcp_answers(port: int) -> bool:
    try:
        with socket.create_connection((HOST, port), timeout=0.5) as s:
            return bool(s.recv(3))        # SMTP greets first
    except OSError:
        return False


def start(root: Path, data: dict[str, Any], started: list[subprocess.Popen[bytes]]
          ) -> dict[str, Any]:
    """Start the SMTP server and the webhook receiver, make the bucket, extend the config;
    the entries lab.json keeps for them."""
    password = secrets.token_urlsafe(12)
    write_private(root / "smtp.password", password)
    www = root / "www"
    (www / "local").mkdir(parents=True, exist_ok=True)
    (www / "heartbeat").write_text("ok\n")
    smtp_port = free_port([HOST])
    smtp = spawn([sys.executable, "-m", "lab.smtp", "--port", str(smtp_port), "--root",
                  str(root / "mail"), "--user", SMTP_USER, "--password-file",
                  str(root / "smtp.password")], root / "smtp.log", env=python_env(), cwd=root)
    started.append(smtp)
    hook_port = free_port([HOST], avoid=(smtp_port,))
    hook = spawn([sys.executable, "-m", "lab.webhook", "--port", str(hook_port), "--root",
                  str(www)], root / "webhook.log", env=python_env(), cwd=root)
    started.append(hook)
    wait_until("webhook receiver", lambda: aws.http_answers(HOST, hook_port, "/heartbeat"),
               hook, root / "webhook.log", TIMEOUT)
    wait_until("smtp server", lambda: _tcp_answers(smtp_port), smtp, root / "smtp.log",
               TIMEOUT)
    moto = data["moto"]["endpoint"]
    # Readable by anyone, as a status page bucket is: through a bucket policy, since new
    # S3 buckets refuse ACLs.
    policy = {"Version": "2012-10-17", "Statement": [
        {"Sid": "PublicRead", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
         "Resource": f"arn:aws:s3:::{BUCKET}/*"}]}
    try:
        s3 = aws.service_client("s3", moto)
        s3.create_bucket(Bucket=BUCKET)
        s3.put_bucket_policy(Bucket=BUCKET, Policy=json.dumps(policy))
    except Exception as exc:  # botocore's errors: one line
        raise LabError(f"moto: cannot create the bucket {BUCKET}: {exc}") from None
    dead = free_port([HOST], avoid=(smtp_port, hook_port))
    token = secrets.token_hex(8)
    urls = {
        "notify/mail.url": f"mailto://{SMTP_USER}:{password}@{HOST}:{smtp_port}"
                           "?from=failover@lab.test&to=oncall@lab.test",
        "notify/hook.url": f"json://{HOST}:{hook_port}/notices/{token}",
        "notify/dead.url": f"json://{HOST}:{dead}/notices/{token}",
        "notify/heartbeat.url": f"http://{HOST}:{hook_port}/heartbeat",
        "notify/page.url": f"http://{HOST}:{hook_port}/pub/index.html",
    }
    (root / "notify").mkdir(exist_ok=True)
    for name, url in urls.items():
        write_private(root / name, url + "\n")
    with open(root / CONFIG, "a") as f:
        f.write(f"""\
notify:
  deadline: 3s
  channels:
    - {{name: mail, url_file: notify/mail.url, vendor: metal}}
    - {{name: hook, url_file: notify/hook.url, vendor: gcp}}
    - {{name: dead, url_file: notify/dead.url, vendor: aws}}
  heartbeat: [{{name: hc, url_file: notify/heartbeat.url, vendor: gcp}}]
page:
  title: lab status
  timeout: 5s
  targets:
    - {{kind: dir, path: www/local, audience: internal}}
    - {{kind: s3, bucket: {BUCKET}, endpoint_url: "{moto}", credentials_file: aws-credentials}}
    - {{kind: webhook, url_file: notify/page.url}}
""")
    return {
        "smtp": {"host": HOST, "port": smtp_port, "pid": smtp.pid, "user": SMTP_USER,
                 "password_file": str(root / "smtp.password"), "mail": str(root / "mail")},
        "webhook": {"host": HOST, "port": hook_port, "pid": hook.pid, "root": str(www),
                    "received": str(www / "received.jsonl")},
        "dead_port": dead,
        "pages": {"local": f"http://{HOST}:{hook_port}/local/",
                  "webhook": f"http://{HOST}:{hook_port}/pub/",
                  "s3": f"{moto}/{BUCKET}/"},
    }


# dependency -> (its switch, provider -> (vendor, CNAME target)); the first is the primary
SAAS: dict[str, tuple[str, dict[str, tuple[str, str | None]]]] = {
    "sms": ("{kind: dns, name: _sms, type: TXT}",
            {"twilio": ("aws", None), "vonage": ("gcp", None)}),
    "auth": ("{kind: dns, name: login, type: CNAME}",
             {"okta": ("aws", "lab.okta.test."), "auth0": ("metal", "lab.auth0.test.")}),
}


def start_saas(root: Path, data: dict[str, Any], started: list[subprocess.Popen[bytes]]
               ) -> dict[str, Any]:
    """Start the SaaS stand-ins (lab.saas), write each provider's API token (0600), seed
    the switch records at BIND and Route 53 (the primaries: twilio, okta), and append a
    ``saas:`` section to DIR/failover.yaml."""
    from lab import bind, saas

    (root / "saas").mkdir(exist_ok=True)
    for provider in saas.ROUTES:
        write_private(root / "saas" / f"{provider}.token", secrets.token_hex(16) + "\n")
    port = free_port([HOST])
    proc = spawn([sys.executable, "-m", "lab.saas", "--port", str(port), "--dir", str(root)],
                 root / "saas.log", env=python_env(), cwd=root)
    started.append(proc)
    wait_until("saas stand-ins", lambda: aws.http_answers(HOST, port, "/"), proc,
               root / "saas.log", TIMEOUT)
    zone = data["zone"]
    records = [(f"_sms.{zone}", "TXT", '"provider=twilio"'),
               (f"login.{zone}", "CNAME", "lab.okta.test.")]
    secret = Path(data["bind"]["tsig"]["secret_file"]).read_text().strip()
    bind.update(data["bind"]["host"], int(data["bind"]["port"]), zone, secret, records,
                ttl=60)
    if "knot" in data:
        # Knot follows BIND by NOTIFY: the lab is up once it serves the switch records too.
        serial = bind.soa_serial(data["bind"]["host"], int(data["bind"]["port"]), timeout=2.0)
        knot_at = (data["knot"]["host"], int(data["knot"]["port"]))
        deadline = time.monotonic() + TIMEOUT
        while bind.soa_serial(*knot_at, timeout=1.0) != serial:
            if time.monotonic() > deadline:
                raise LabError(f"knot did not take BIND's serial {serial} within "
                               f"{TIMEOUT:g}s after the SaaS switch records were added")
            time.sleep(0.1)
    r53 = aws.client(data["moto"]["endpoint"])
    r53.change_resource_record_sets(HostedZoneId=data["moto"]["hosted_zone_id"],
                                    ChangeBatch={"Changes": [
        {"Action": "CREATE", "ResourceRecordSet": {"Name": name, "Type": rtype, "TTL": 60,
                                                    "ResourceRecords": [{"Value": value}]}}
        for name, rtype, value in records]})
    lines = ["saas:"]
    for dep, (switch, providers) in SAAS.items():
        lines += [f"  {dep}:", f"    switch: {switch}", "    providers:"]
        for name, (vendor, target) in providers.items():
            url = f"http://{HOST}:{port}{saas.ROUTES[name][0]}"
            value = f"value: {target}, " if target else ""
            lines.append(f"      {name}: {{vendor: {vendor}, {value}control: {{kind: http, "
                         f"url: \"{url}\", token_file: saas/{name}.token, "
                         "terminated_body: [suspended, closed], timeout: 2s}}")
    with open(root / CONFIG, "a") as f:
        f.write("\n".join(lines) + "\n")
    return {"saas": {"host": HOST, "port": port, "pid": proc.pid,
                     "records": [list(r) for r in records]}}
