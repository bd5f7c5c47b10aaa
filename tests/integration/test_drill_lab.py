"""The drill and the runbook against the lab's real BIND, moto and origins, through the CLI.

``failover drill --vendor aws`` really stops aws's origins, measures, fails back and leaves
the lab as it found it, also when a phase fails. The runbook's evacuate, verify and roll
back commands are run exactly as written (the issue's "done when").
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import urllib.request
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from lab.core import bind_answers, kill, revive, route53_answers, status

pytestmark = pytest.mark.integration

AWS, GCP = "127.0.0.11", "127.0.0.12"
BIN = Path(sys.executable).parent


def failover(config: Path | str, *args: str, timeout: float = 180) -> subprocess.CompletedProcess:
    env = {**os.environ, "CI": "true"}
    return subprocess.run([sys.executable, "-m", "cli.app", "-c", str(config), *args],
                          capture_output=True, text=True, timeout=timeout, env=env,
                          stdin=subprocess.DEVNULL)


def all_answers(lab: dict[str, Any]) -> set[tuple[str, ...]]:
    return {tuple(bind_answers(lab, n)) for n in lab["names"]} | \
           {tuple(route53_answers(lab, n)) for n in lab["names"]}


def origins_alive(lab: dict[str, Any]) -> None:
    rows = status(lab["dir"])
    assert all(r["alive"] for r in rows), rows
    data = json.loads((Path(lab["dir"]) / "lab.json").read_text())
    port = data["origins"]["port"]
    for name, h in data["origins"]["hostings"].items():
        assert h["alive"], name
        with urllib.request.urlopen(f"http://{h['address']}:{port}/healthz", timeout=2) as r:
            assert r.status == 200, name


def test_drill_aws_measures_every_phase_and_leaves_the_lab_as_found(lab: dict[str, Any],
                                                                   tmp_path: Path) -> None:
    assert all_answers(lab) == {(AWS,)}
    out = tmp_path / "report"
    proc = failover(lab["config"], "drill", "--vendor", "aws", "--report", str(out))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "drill passed" in proc.stdout and "Traceback" not in proc.stderr
    assert "detect check" not in proc.stderr        # CI=true: no progress chatter

    assert {p.name for p in out.iterdir()} >= {"report.md", "report.json", "timeline.svg"}
    data = json.loads((out / "report.json").read_text())
    assert data["outcome"] == "passed" and data["mode"] == "lab" and data["exit_code"] == 0
    interval, fall = data["config"]["interval"], data["config"]["fall"]
    # Detection at the config's pace: the first check one interval after the fault.
    assert fall * interval - 0.5 <= data["totals"]["detect"] <= (fall + 1) * interval
    writes = {r["provider"]: r for r in data["providers"]}
    assert set(writes) == {"route53", "bind"}
    for row in writes.values():
        assert row["write"] > 0 and row["rollback_write"] > 0 and row["write_ok"]
    # Each server named by the software answering there (version.bind CH TXT).
    bind_authority = f"bind 127.0.0.1:{lab['bind']['port']} (BIND)"
    knot_authority = f"bind 127.0.0.1:{lab['knot']['port']} (Knot)"
    auths = {r["authority"]: r for r in data["authorities"]}
    assert {"route53 API", bind_authority, knot_authority} <= set(auths), set(auths)
    assert {r["provider"] for r in auths.values()} == {"route53", "bind"}
    for row in auths.values():
        assert row["ok"] and row["verify"] is not None and row["rollback_verify"] is not None
    names = [p["name"] for p in data["phases"]]
    for name in ("stop", "detect", "decide", "plan", "write", "verify", "restore", "recover",
                 "rollback-write", "rollback-verify"):
        assert name in names, name
    assert data["totals"]["evacuate"] > data["totals"]["detect"]
    assert data["restored"]["answers"] is True and data["restored"]["vendor_up"] is True

    md = (out / "report.md").read_text()
    assert "| write route53 |" in md and f"| verify {bind_authority} |" in md
    assert f"every **{interval:g}s** (`interval`)" in md
    svg = ET.parse(out / "timeline.svg").getroot()
    rows = {r.get("data-row") for r in svg.iter("{http://www.w3.org/2000/svg}rect")
            if r.get("class") == "bar"}
    assert {"route53: write", "bind: write", "route53: verify at route53 API",
            f"bind: verify at {bind_authority}", f"bind: verify at {knot_authority}"} <= rows

    # The lab as the drill found it: answers back to aws, every origin alive, the journal
    # holding the drill's timings for the runbook.
    assert all_answers(lab) == {(AWS,)}
    origins_alive(lab)
    runbook = failover(lab["config"], "runbook", "--vendor", "aws")
    assert runbook.returncode == 0, runbook.stderr
    assert "### 9. The last drill of aws" in runbook.stdout
    assert "lab, **passed**: drill of vendor aws passed" in runbook.stdout


def test_a_failed_phase_still_leaves_the_lab_as_found(lab: dict[str, Any],
                                                      tmp_path: Path) -> None:
    # A second config beside lab.json whose bind verifies at a server that never answers:
    # the move's verification fails, and the drill must still fail back.
    config = Path(lab["config"])
    text = config.read_text()
    if "verify_servers: [" in text:
        text = text.replace("verify_servers: [", 'verify_servers: ["127.0.0.1:9", ', 1)
    else:
        text = re.sub(r"(  bind: \{.*)\}\n", r'\1, verify_servers: ["127.0.0.1:9"]}\n', text)
    text = re.sub(r"verify: \{[^}]*\}", "verify: {timeout: 2s, interval: 200ms}", text)
    text = text.replace("journal: journal.sqlite", "journal: journal-broken.sqlite")
    broken = config.with_name("failover-broken.yaml")
    broken.write_text(text)
    out = tmp_path / "report"
    proc = failover(broken, "drill", "--vendor", "aws", "--report", str(out))
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "drill failed" in proc.stdout
    data = json.loads((out / "report.json").read_text())
    assert data["outcome"] == "failed"
    bad = [p for p in data["phases"] if not p["ok"]]
    assert bad and all(p["authority"] == "bind 127.0.0.1:9" for p in bad), bad
    assert data["rollback"] is not None
    assert data["restored"]["answers"] is True and data["restored"]["vendor_up"] is True
    assert all_answers(lab) == {(AWS,)}
    origins_alive(lab)


# -- the runbook, run as written ---------------------------------------------------------

def commands(runbook: str, heading: str) -> list[str]:
    """The shell lines of the fenced blocks in the section whose heading contains ``heading``."""
    parts = re.split(r"^### ", runbook, flags=re.M)
    found = [p for p in parts if p.split("\n", 1)[0].find(heading) >= 0]
    assert len(found) == 1, f"one section '{heading}' expected"
    return [line for block in re.findall(r"```sh\n(.*?)```", found[0], re.S)
            for line in block.splitlines() if line.strip()]


def run(line: str) -> subprocess.CompletedProcess:
    """One runbook line through bash, with failover (and the AWS CLI, if any) on PATH."""
    env = {**os.environ, "CI": "true", "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}
    if " aws route53 " in f" {line} " and shutil.which("aws", path=env["PATH"]) is None:
        return _aws_without_cli(line)
    return subprocess.run(["bash", "-c", line], capture_output=True, text=True, env=env,
                          timeout=120, stdin=subprocess.DEVNULL)


def _aws_without_cli(line: str) -> subprocess.CompletedProcess:
    """Where the AWS CLI is not installed: the same call, with the line's own arguments,
    through boto3 (failover's dependency), printed as ``--output text`` would."""
    import boto3

    words = shlex.split(line)
    env = dict(w.split("=", 1) for w in words if re.match(r"^[A-Z_]+=", w))
    args = [w for w in words if not re.match(r"^[A-Z_]+=", w)]
    assert args[:3] == ["aws", "route53", "list-resource-record-sets"], line
    opt = {args[i]: args[i + 1] for i in range(3, len(args) - 1, 2)}
    old = os.environ.get("AWS_SHARED_CREDENTIALS_FILE")
    os.environ["AWS_SHARED_CREDENTIALS_FILE"] = env["AWS_SHARED_CREDENTIALS_FILE"]
    try:
        client = boto3.client("route53", endpoint_url=opt.get("--endpoint-url"),
                              region_name=opt["--region"])
        sets = client.list_resource_record_sets(
            HostedZoneId=opt["--hosted-zone-id"])["ResourceRecordSets"]
    finally:
        if old is None:
            os.environ.pop("AWS_SHARED_CREDENTIALS_FILE")
        else:
            os.environ["AWS_SHARED_CREDENTIALS_FILE"] = old
    types = set(re.findall(r"Type=='(\w+)'", opt["--query"]))
    text = "".join(f"{s['Name']}\t{s['Type']}\t"
                   f"{','.join(r['Value'] for r in s.get('ResourceRecords', []))}\n"
                   for s in sets if s["Type"] in types)
    return subprocess.CompletedProcess(args, 0, text, "")


def verify_all(runbook: str, lab: dict[str, Any], want: str) -> None:
    lines = commands(runbook, "Verify")
    assert any(line.split()[3] == "status" for line in lines if line.startswith("failover "))
    assert any(line.startswith("dig ") for line in lines)
    assert any(" aws route53 list-resource-record-sets " in line for line in lines)
    for line in lines:
        proc = run(line)
        assert proc.returncode == 0, (line, proc.stdout, proc.stderr)
        if line.startswith("dig "):
            assert proc.stdout.split() == [want], (line, proc.stdout)
        elif " aws route53 " in line:
            rows = [r.split("\t") for r in proc.stdout.strip().splitlines()]
            assert {r[0] for r in rows} == set(lab["names"]), proc.stdout
            assert {r[2] for r in rows} == {want}, proc.stdout
        else:
            assert "AGREE" in proc.stdout and want in proc.stdout, proc.stdout


def test_the_runbook_commands_work_as_written(lab: dict[str, Any], tmp_path: Path) -> None:
    path = tmp_path / "RUNBOOK.md"
    made = failover(lab["config"], "runbook", "--vendor", "aws", "--output", str(path))
    assert made.returncode == 0, made.stderr
    runbook = path.read_text()
    assert all_answers(lab) == {(AWS,)}
    verify_all(runbook, lab, AWS)

    kill(lab["dir"], "aws")                       # the incident
    evacuate = commands(runbook, "Evacuate")
    assert [line.split()[3:] for line in evacuate] == [["plan", "--off", "aws"],
                                                      ["move", "--off", "aws", "--yes"]]
    for line in evacuate:
        proc = run(line)
        assert proc.returncode == 0, (line, proc.stdout, proc.stderr)
    assert all_answers(lab) == {(GCP,)}
    verify_all(runbook, lab, GCP)

    revive(lab["dir"], "aws")                     # aws is back: return to it
    for _ in range(2):                            # step 7: check `rise` (2) times until UP
        failover(lab["config"], "check")
    for line in commands(runbook, "Roll back"):
        proc = run(line)
        assert proc.returncode == 0, (line, proc.stdout, proc.stderr)
    assert all_answers(lab) == {(AWS,)}
    verify_all(runbook, lab, AWS)


def test_terminate_drill_rehearses_a_termination_and_reinstates(lab: dict[str, Any],
                                                                 tmp_path: Path) -> None:
    report = tmp_path / "report"
    proc = failover(lab["config"], "drill", "--vendor", "aws", "--terminate", "--report",
                    str(report), "--format", "json")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    data = json.loads((report / "report.json").read_text())
    detect = next(p for p in data["phases"] if p["name"] == "detect")
    assert "TERMINATED" in detect["detail"]
    assert all_answers(lab) == {("127.0.0.11",)}
    # The lab's control plane accepts us again and the drill's termination mark is gone.
    check = failover(lab["config"], "check", "--format", "json")
    assert check.returncode == 0, check.stdout
    assert json.loads(check.stdout)["terminated"] == {}
