"""The runbook from a config and a journal: evidence per vendor, exact commands with the
config path, what goes with each vendor, the standby, the last drill's timings."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from failover.config import Config, parse_config
from failover.errors import ConfigError
from failover.journal import HostingState, Journal
from failover.runbook import render

CONFIG = """
service: social
zone: example.org.
ttl: 60
records: [{name: "@", type: A}, {name: www, type: A}]
vendors:
  aws:
    control: {kind: aws, region: eu-west-1}
    services: [SES mail, SNS SMS alerts]
  gcp: {}
  colo: {control: {kind: ssh, host: 192.0.2.10}}
  hetzner:
    control: {kind: http, url: "https://api.hetzner.cloud/v1/servers", token_env: HCLOUD,
              terminated_status: [401, 403, 423], terminated_body: [suspended]}
hosting:
  aws-use1:  {vendor: aws, priority: 1, endpoints: {A: [203.0.113.10]}}
  gcp-euw1:  {vendor: gcp, priority: 2, endpoints: {A: [198.51.100.20]}}
  metal-fra: {vendor: colo, priority: 3, endpoints: {A: [192.0.2.20]}}
  hz-fsn1:   {vendor: hetzner, priority: 4, endpoints: {A: [192.0.2.30]}}
dns:
  route53: {vendor: aws, kind: route53, hosted_zone_id: Z123, access_key_id_env: R53_KEY,
            secret_access_key_env: R53_SECRET, verify: nameservers}
  knot-fra: {vendor: colo, kind: rfc2136, server: 192.0.2.53, port: 5353,
             verify_servers: ["192.0.2.54"],
             tsig: {name: failover., secret_env: FAILOVER_TSIG}}
backups:
  db-s3:  {kind: s3, vendor: aws, bucket: social-db, prefix: nightly/, rpo: 24h}
  db-fra: {kind: path, vendor: colo, path: /srv/backups, rpo: 24h}
checks:
  - {kind: http, path: /healthz, expect_status: [200], body_contains: ok, timeout: 2s}
interval: 10s
fall: 3
rise: 2
"""


@pytest.fixture
def setup(tmp_path: Path) -> tuple[Config, Path]:
    path = tmp_path / "conf dir" / "failover.yaml"
    path.parent.mkdir()
    path.write_text(CONFIG)
    return parse_config(CONFIG, str(path)), path


def journal_with_drill(config: Config) -> Journal:
    j = Journal(config.journal_path())
    j.save_verdicts(1_700_000_000.0, [
        HostingState("aws-use1", "UP", 5, 0, 1_699_999_000.0, 1_700_000_000.0),
        HostingState("gcp-euw1", "UP", 5, 0, 1_699_999_000.0, 1_700_000_000.0),
        HostingState("metal-fra", "DOWN", 0, 4, 1_699_999_500.0, 1_700_000_000.0),
    ], [])
    phases = [{"name": "detect", "label": "detect", "seconds": 30.02, "ok": True},
              {"name": "write", "label": "write route53", "seconds": 0.41, "ok": True},
              {"name": "verify", "label": "verify route53 ns-1.awsdns-01.org", "seconds": 21.5,
               "ok": True}]
    j.event(1_700_000_100.0, "drill", "drill of vendor aws passed: detected in 30.02 s",
            {"stage": "end", "vendor": "aws", "mode": "simulate", "outcome": "passed",
             "config": {"interval": 10.0, "fall": 3, "rise": 2}, "phases": phases,
             "totals": {"evacuate": 51.93, "failback": 12.5}})
    j.event(1_700_000_050.0, "drill", "drill aws: detect took 30 s",
            {"stage": "phase", "vendor": "aws"})
    return j


def section(text: str, vendor: str) -> str:
    start = text.index(f"## Vendor {vendor}")
    end = text.find("\n## ", start + 1)
    return text[start:] if end < 0 else text[start:end]


def blocks(text: str) -> list[str]:
    return re.findall(r"```sh\n(.*?)```", text, re.S)


def test_every_vendor_has_its_steps_with_the_config_path(setup) -> None:
    config, path = setup
    text = render(config, path, now=1_700_000_200.0)
    cfg = shlex.quote(str(path.resolve()))
    assert cfg.startswith("'")                     # the space in the folder is quoted
    for vendor in ("aws", "gcp", "colo", "hetzner"):
        part = section(text, vendor)
        for heading in ("### 1. Recognise it", f"### 2. Evacuate {vendor}",
                        f"### 3. Verify that {vendor} is off", "### 5. Standby",
                        "### 6. Afterwards", "### 8. Roll back", "### 9. The last drill"):
            assert heading in part, (vendor, heading)
        cmds = "\n".join(blocks(part))
        assert f"failover -c {cfg} plan --off {vendor}\n" in cmds
        assert f"failover -c {cfg} move --off {vendor} --yes\n" in cmds
        assert f"failover -c {cfg} status\n" in cmds
        assert f"failover -c {cfg} rollback --yes\n" in cmds
        assert f"move --off {vendor} --checksum CHECKSUM --yes" in part
    assert f"failover -c {cfg} check\n" in text


def test_verify_commands_ask_each_provider_directly(setup) -> None:
    config, path = setup
    cmds = "\n".join(blocks(section(render(config, path), "gcp")))
    assert "dig @192.0.2.53 -p 5353 example.org. A +short" in cmds
    assert "dig @192.0.2.53 -p 5353 www.example.org. A +short" in cmds
    assert "dig @192.0.2.54 www.example.org. A +short" in cmds     # port 53 left out
    assert ('AWS_ACCESS_KEY_ID="$R53_KEY" AWS_SECRET_ACCESS_KEY="$R53_SECRET" aws route53 '
            "list-resource-record-sets --hosted-zone-id Z123 --region us-east-1 --query "
            "\"ResourceRecordSets[?Type=='A'].[Name,Type,join(',',ResourceRecords[].Value)]\" "
            "--output text") in cmds
    # verify: nameservers: a loop over the hosted zone's name servers.
    assert "aws route53 get-hosted-zone --id Z123" in cmds
    assert 'dig @"$ns" www.example.org. A +short' in cmds


def test_termination_evidence_per_control_plane(setup) -> None:
    config, path = setup
    text = render(config, path)
    aws = section(text, "aws")
    assert "`AccountSuspended`" in aws and "`InvalidClientTokenId`" in aws
    assert "`TERMINATED`" in aws and "failover reinstate aws" in aws
    gcp = section(text, "gcp")
    assert "outage and termination look the same from outside" in gcp
    assert "no `control:` block for gcp" in gcp
    colo = section(text, "colo")
    assert "SSH banner of 192.0.2.10:22" in colo
    assert "outage and termination look the same from outside" in colo
    hz = section(text, "hetzner")
    assert "HTTP 401, 403, 423 or a body containing 'suspended'" in hz


def test_what_goes_with_a_vendor_and_what_remains(setup) -> None:
    config, path = setup
    text = render(config, path)
    aws = section(text, "aws")
    assert "**DNS providers at aws: route53.**" in aws
    assert "remove their name servers from the delegation of example.org" in aws
    assert "**Backup db-s3** (s3://social-db/nightly/) is at aws" in aws
    assert "db-fra at colo (/srv/backups/*, RPO 1 d)" in aws
    assert "**Also gone with aws** (not handled by failover; switch these by hand): SES mail, " \
           "SNS SMS alerts." in aws
    standby = aws[aws.index("### 5. Standby"):aws.index("### 6.")]
    assert "| gcp-euw1 | gcp | 2 | 198.51.100.20 |" in standby
    assert "aws-use1" not in standby
    assert "DNS providers that remain: knot-fra." in standby
    gcp = section(text, "gcp")
    assert "DNS providers at gcp: none" in gcp
    assert "(`vendors.gcp.services`): none listed" in gcp


def test_journal_verdicts_expected_answers_and_last_drill(setup) -> None:
    config, path = setup
    j = journal_with_drill(config)
    try:
        text = render(config, path, journal=j, now=1_700_000_200.0)
    finally:
        j.close()
    aws = section(text, "aws")
    # Expected target: the best healthy hosting outside aws, by the journal's verdicts.
    assert "every managed name should move to **gcp-euw1** (A 198.51.100.20)" in aws
    assert "the new answers, going by the journal's last verdicts: A `198.51.100.20`" in aws
    assert "| metal-fra | colo | 3 | 192.0.2.20 | DOWN (checked" in aws
    assert "2 of 3 standby hostings were healthy at their last check" in aws
    # The last drill: the 'end' event, not the newer 'phase' one.
    drill = aws[aws.index("### 9. The last drill of aws"):]
    assert "simulate, **passed**: drill of vendor aws passed: detected in 30.02 s." in drill
    assert "| detect | 30.020 |" in drill
    assert "| verify route53 ns-1.awsdns-01.org | 21.500 |" in drill
    assert "| **evacuated (fault to every authority verified)** | **51.930** |" in drill
    assert "interval 10.0 s, fall 3, rise 2" in drill
    gcp = section(text, "gcp")
    assert "No drill of gcp in the journal" in gcp
    assert "drill --vendor gcp --simulate" in gcp
    # With gcp gone too (policy still prefers priority): evacuating gcp serves aws-use1.
    assert "move to **aws-use1** (A 203.0.113.10)" in gcp


def test_a_journal_file_is_read_when_present_and_never_created(setup) -> None:
    config, path = setup
    render(config, path)
    assert not config.journal_path().exists()
    journal_with_drill(config).close()
    text = render(config, path)
    assert f"the journal `{config.journal_path()}`" in text
    assert "detected in 30.02 s" in text


def test_one_vendor_only_and_unknown_vendor(setup) -> None:
    config, path = setup
    text = render(config, path, vendor="colo")
    assert "## Vendor colo" in text and "## Vendor aws" not in text
    assert "| colo | metal-fra | knot-fra | ssh |" in text
    with pytest.raises(ConfigError, match="no such vendor; vendors: aws, colo, gcp, hetzner"):
        render(config, path, vendor="azure")


def test_no_standby_left_is_said_plainly(tmp_path: Path) -> None:
    text = CONFIG.replace("  gcp-euw1:  {vendor: gcp,", "  gcp-euw1:  {vendor: aws,") \
        .replace("  metal-fra: {vendor: colo,", "  metal-fra: {vendor: aws,") \
        .replace("  hz-fsn1:   {vendor: hetzner,", "  hz-fsn1:   {vendor: aws,")
    config = parse_config(text, str(tmp_path / "f.yaml"))
    aws = section(render(config, tmp_path / "f.yaml"), "aws")
    assert "**Nothing**: every hosting is at aws" in aws
    assert "**no healthy hosting outside aws**" in aws


def test_the_runbook_ends_with_automatic_failover_working(setup) -> None:
    """Issue 20: after evacuating, step 6 expects exit 1 (the DOWN hosting no longer
    served, the move's pin), says to resume, and so does the rollback; step 0 does not
    loop on a pin's warning."""
    config, path = setup
    text = render(config, path)
    assert "exit **1** while aws's hostings stay DOWN and are no longer served" in text
    assert "Exit **2** means users still reach a DOWN hosting" in text
    assert text.count(" resume`") >= 2 * len(config.vendors)   # afterwards, and rollback
    assert "`pins.move_expires`, 30 min" in text
    assert "only warning left is a `pin` row" in text
