"""Done-when of issue 12, in the lab: ``failover drill --vendor aws --terminate`` with SaaS
providers at aws (an SMS API and an identity provider, whose accounts the lab's suspend
refuses) switches them through DNS TXT/CNAME verified at every authority, notifies SMTP
and the webhook while a third channel is dead (all three journaled), publishes the page
to the moto bucket and a local folder where headless Chromium sees the new state, and
rolls everything back."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lab import browser, smtp, webhook
from lab import core as lab_core
from lab.bind import answers

pytestmark = pytest.mark.integration


@pytest.fixture
def saas_lab(tmp_path: Path) -> Iterator[dict[str, Any]]:
    root = tmp_path / "lab"
    try:
        data = lab_core.up(root, saas=True)
    except lab_core.LabError as exc:
        pytest.fail(f"the lab did not start: {exc}", pytrace=False)
    try:
        yield {**data, "dir": root.resolve()}
    finally:
        lab_core.down(root)


def failover(config: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "cli.app", "-c", config, *args],
                          capture_output=True, text=True, timeout=240,
                          env={**os.environ, "CI": "true"}, stdin=subprocess.DEVNULL)


def switches(lab: dict[str, Any]) -> dict[str, list[str]]:
    """What BIND, Knot and Route 53 serve for the two switch records."""
    out = {}
    for label, port in (("bind", lab["bind"]["port"]), ("knot", lab["knot"]["port"])):
        out[label] = answers("127.0.0.1", int(port), "_sms", "TXT") + \
            answers("127.0.0.1", int(port), "login", "CNAME")
    out["route53"] = lab_core.route53_answers(lab, "_sms", "TXT") + \
        lab_core.route53_answers(lab, "login", "CNAME")
    return out


def test_drill_terminate_aws_switches_saas_notifies_publishes_and_rolls_back(
        saas_lab: dict[str, Any], tmp_path: Path) -> None:
    lab = saas_lab
    before = switches(lab)
    assert all(v == ['"provider=twilio"', "lab.okta.test."] for v in before.values()), before
    report_dir = tmp_path / "drill"
    drilled = failover(lab["config"], "drill", "--vendor", "aws", "--terminate",
                       "--report", str(report_dir))
    assert drilled.returncode == 0, drilled.stdout + drilled.stderr
    report = json.loads((report_dir / "report.json").read_text())
    move_id = report["move"]["move_id"]
    changed = {(c["name"], c["type"]) for p in report["plan"]["providers"]
               for c in [ch["after"] for ch in p["changes"]] if c}
    assert {("_sms.example.test.", "TXT"), ("login.example.test.", "CNAME")} <= changed
    assert "sms: twilio -> vonage" in report["plan"]["decision"]["reason"]
    assert "auth: okta -> auth0" in report["plan"]["decision"]["reason"]
    desired = {(rr["name"], rr["type"]): rr["values"] for p in report["plan"]["providers"]
               for rr in p["desired"]}
    assert desired[("_sms.example.test.", "TXT")] == ['"provider=vonage"']
    assert desired[("login.example.test.", "CNAME")] == ["lab.auth0.test."]
    # Verified at every authority: BIND, its Knot secondary, Route 53.
    verify = [p for p in report["phases"] if p["name"] == "verify"]
    assert len(verify) == 3 and all(p["ok"] for p in verify)
    # ... and rolled back everywhere.
    assert switches(lab) == before

    # Notices: SMTP and the webhook got the move; the dead channel's failure is journaled
    # and reported on the two others.
    history = failover(lab["config"], "history", str(move_id), "-f", "json")
    notices = [n for n in json.loads(history.stdout)["notices"] if n["notice"] == "move"]
    assert {(n["channel"], n["ok"]) for n in notices} == \
        {("mail", True), ("hook", True), ("dead", False)}
    mails = smtp.messages(Path(lab["smtp"]["mail"]))
    assert any(f"move {move_id} done" in m["text"] for m in mails)
    posts = webhook.received(Path(lab["webhook"]["root"]))
    titles = [json.loads(str(p["body"]))["title"] for p in posts]
    assert any(f"move {move_id} done" in t for t in titles)
    assert any("notice channel(s) failed" in t for t in titles)

    # The page as that move left it, from the moto bucket and the local folder.
    for base in (lab["pages"]["s3"], lab["pages"]["local"]):
        dom = browser.dump_dom(f"{base}move-{move_id}.html")
        assert 'id="hosting-aws-use1" data-verdict="TERMINATED"' in dom, base
        assert 'id="provider-route53" data-serving="gcp-euw1"' in dom
        assert 'id="provider-bind" data-serving="gcp-euw1"' in dom
        assert re.search(r'id="saas-sms" data-selected="vonage"', dom)
        assert re.search(r'id="saas-auth" data-selected="auth0"', dom)
    # And the current page, after the rollback, is back on aws.
    dom = browser.dump_dom(lab["pages"]["s3"] + "index.html")
    assert 'id="provider-route53" data-serving="aws-use1"' in dom
    assert 'id="saas-sms" data-selected="twilio"' in dom
    shot = browser.screenshot(f"{lab['pages']['local']}move-{move_id}.html",
                              tmp_path / "page.png")
    assert shot.stat().st_size > 10_000
    # No secret of any channel in the journal, the pages or the output.
    secrets = [Path(lab["dir"], "notify", f).read_text().strip() for f in
               ("mail.url", "hook.url", "dead.url")]
    password = Path(lab["smtp"]["password_file"]).read_text().strip()
    token = secrets[1].rsplit("/", 1)[1]
    seen = (drilled.stdout + drilled.stderr + history.stdout + dom
            + "".join(p.read_bytes().decode("latin-1")
                      for p in Path(lab["dir"]).glob("journal.sqlite*"))
            + (Path(lab["dir"]) / "www" / "local" / f"move-{move_id}.html").read_text())
    for secret in (password, token):
        assert secret not in seen
