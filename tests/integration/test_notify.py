"""Notices through apprise to real servers on loopback: aiosmtpd receiving mail, the lab's
webhook receiver, and a dead port; every delivery journaled, secrets nowhere."""

from __future__ import annotations

import json
import logging
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cli.common import subscribe
from failover.config import parse_config
from failover.engine import Engine
from failover.notify import Notifier
from failover.notify.notices import trial_notice
from failover.records import RRSet
from lab import smtp, webhook
from lab.procs import free_port
from tests.unit.memprovider import MemProvider

pytestmark = pytest.mark.integration

PASSWORD = "pw-Zq8xUe3mN4"           # the SMTP password: in the mail URL only
HOOK_TOKEN = "hooktok-7Hc2Wq9LpR"   # a webhook path that works as a token
DEAD_TOKEN = "deadtok-4Kd8Vb1TyS"
SECRETS = (PASSWORD, HOOK_TOKEN, DEAD_TOKEN)


@pytest.fixture
def channels(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    mail = smtp.serve(tmp_path / "mail", "failover", PASSWORD)
    hook = webhook.serve(tmp_path / "hook")
    dead = free_port()
    monkeypatch.setenv("T_MAIL", f"mailto://failover:{PASSWORD}@127.0.0.1:{mail.port}"
                                 "?from=failover@lab.test&to=oncall@lab.test")
    monkeypatch.setenv("T_HOOK", f"json://127.0.0.1:{hook.server_port}/h/{HOOK_TOKEN}")
    (tmp_path / "dead.url").write_text(f"json://127.0.0.1:{dead}/d/{DEAD_TOKEN}\n")
    try:
        yield {"mail": tmp_path / "mail", "hook": tmp_path / "hook", "dead_port": dead}
    finally:
        mail.stop()
        hook.shutdown()
        hook.server_close()


def config_text(tmp_path: Path, extra: str = "") -> str:
    return f"""
service: lab
zone: example.test.
records: [{{name: www, type: A}}]
vendors: {{aws: {{}}, gcp: {{}}}}
hosting:
  a: {{vendor: aws, priority: 1, endpoints: {{A: [127.0.0.21]}}}}
  g: {{vendor: gcp, priority: 2, endpoints: {{A: [127.0.0.22]}}}}
dns:
  r53: {{vendor: aws, kind: route53, hosted_zone_id: Z1}}
  bind: {{vendor: gcp, kind: rfc2136, server: 127.0.0.1}}
verify: {{timeout: 1s, interval: 50ms}}
journal: {tmp_path}/j.sqlite
notify:
  deadline: 4s
  channels:
    - {{name: mail, url_env: T_MAIL, vendor: gcp}}
    - {{name: hook, url_env: T_HOOK, vendor: aws}}
    - {{name: dead, url_file: dead.url}}
{extra}"""


def test_every_channel_at_once_dead_one_reported_on_the_others(
        tmp_path: Path, channels: dict[str, Any], caplog: pytest.LogCaptureFixture) -> None:
    config = parse_config(config_text(tmp_path), str(tmp_path / "failover.yaml"))
    caplog.set_level(logging.DEBUG)
    deliveries = Notifier(config).send(trial_notice("lab"))
    first = {d.channel: d for d in deliveries if d.notice == "test"}
    assert first["mail"].ok and first["hook"].ok
    assert not first["dead"].ok and first["dead"].error
    assert first["dead"].target == f"json://127.0.0.1:{channels['dead_port']}"
    # The dead channel is named on the two that work.
    follow = [d for d in deliveries if d.notice == "channel-failed"]
    assert {d.channel for d in follow} == {"mail", "hook"} and all(d.ok for d in follow)
    mails = smtp.messages(channels["mail"])
    assert [m["to"] for m in mails] == [["oncall@lab.test"]] * 2
    assert "failover test notice" in mails[0]["text"]
    assert "dead" in mails[1]["text"] and "failed" in mails[1]["text"]
    posts = webhook.received(channels["hook"])
    assert [json.loads(str(p["body"]))["title"] for p in posts] == \
        ["[lab] failover test notice", "[lab] 1 notice channel(s) failed"]
    everything = caplog.text + repr(deliveries) + "".join(m["text"] for m in mails) \
        + json.dumps([p["body"] for p in posts])
    for secret in SECRETS:
        assert secret not in everything


def test_a_move_notice_is_journaled_per_channel_and_shown_in_history(
        tmp_path: Path, channels: dict[str, Any]) -> None:
    config = parse_config(config_text(tmp_path), str(tmp_path / "failover.yaml"))
    start = RRSet.of("www.example.test.", "A", 60, ["127.0.0.21"])
    mems = {n: MemProvider(n, config.dns[n].vendor, config.zone, {start.key: start})
            for n in config.dns}
    engine = subscribe(Engine(config, provider_factory=lambda n, _c: mems[n]))
    try:
        with engine.lock():
            plan = engine.plan_for(engine.decide({}, off=["aws"], to="g"))
            result = engine.move(plan, reason="test", args={})
        assert result.state == "done"
    finally:
        engine.close()      # waits for the notice, bounded
    posts = webhook.received(channels["hook"])
    assert any(f"move {result.move_id} done" in json.loads(str(p["body"]))["title"]
               for p in posts)
    db = (tmp_path / "j.sqlite").read_bytes()
    for secret in SECRETS:
        assert secret.encode() not in db
    env = {**os.environ, "CI": "true", "PYTHONPATH": os.getcwd()}
    (tmp_path / "failover.yaml").write_text(config_text(tmp_path))
    shown = subprocess.run([sys.executable, "-m", "cli.app", "-c", str(tmp_path / "failover.yaml"),
                            "history", str(result.move_id)], capture_output=True, text=True,
                           env=env, timeout=60)
    assert shown.returncode == 0, shown.stderr
    text = " ".join(shown.stdout.split())
    assert "notice move to mail" in text and "notice move to hook" in text
    assert "notice move to dead" in text and "NOT delivered" in text
    as_json = subprocess.run([sys.executable, "-m", "cli.app", "-c",
                              str(tmp_path / "failover.yaml"), "history", str(result.move_id),
                              "-f", "json"], capture_output=True, text=True, env=env, timeout=60)
    notices = json.loads(as_json.stdout)["notices"]
    assert {(n["channel"], n["ok"]) for n in notices if n["notice"] == "move"} == \
        {("mail", True), ("hook", True), ("dead", False)}
    for secret in SECRETS:
        assert secret not in shown.stdout + shown.stderr + as_json.stdout


def test_notify_test_command_reports_each_channel(tmp_path: Path,
                                                  channels: dict[str, Any]) -> None:
    hb = webhook.serve(tmp_path / "hb")
    try:
        os.environ["T_HB"] = f"http://127.0.0.1:{hb.server_port}/ping/{HOOK_TOKEN}x"
        path = tmp_path / "failover.yaml"
        path.write_text(config_text(tmp_path, "  heartbeat: [{name: hc, url_env: T_HB}]\n"))
        env = {**os.environ, "CI": "true", "PYTHONPATH": os.getcwd()}
        proc = subprocess.run([sys.executable, "-m", "cli.app", "-c", str(path), "notify",
                               "test"], capture_output=True, text=True, env=env, timeout=60)
    finally:
        os.environ.pop("T_HB", None)
        hb.shutdown()
        hb.server_close()
    assert proc.returncode == 1, proc.stdout + proc.stderr       # one of four failed
    lines = {line.split()[1]: line for line in proc.stdout.splitlines()
             if line.split() and line.split()[0] in ("channel", "heartbeat")}
    assert "ok" in lines["mail"] and "ok" in lines["hook"] and "FAILED" in lines["dead"]
    # The heartbeat is a GET to a server that answers GET 404 on a missing file: a failure
    # the command must report, not hide.
    assert "FAILED" in lines["hc"] and "HTTP 404" in lines["hc"]
    for secret in SECRETS:
        assert secret not in proc.stdout + proc.stderr


def test_a_hung_channel_is_left_behind_at_the_deadline(tmp_path: Path,
                                                       channels: dict[str, Any]) -> None:
    """A listener that accepts and never answers holds no notice past the deadline."""
    sink = socket.socket()
    sink.bind(("127.0.0.1", 0))
    sink.listen(8)
    os.environ["T_HOOK"] = f"json://127.0.0.1:{sink.getsockname()[1]}/h/{HOOK_TOKEN}?rto=30"
    try:
        config = parse_config(config_text(tmp_path).replace("deadline: 4s", "deadline: 1s"),
                              str(tmp_path / "failover.yaml"))
        deliveries = Notifier(config).send(trial_notice("lab"))
    finally:
        sink.close()
    first = {d.channel: d for d in deliveries if d.notice == "test"}
    assert first["mail"].ok
    assert not first["hook"].ok and "no answer within 1s" in (first["hook"].error or "")


def test_a_blocked_cycle_is_notified_once_and_each_cycle_pings_the_heartbeat(
        tmp_path: Path, channels: dict[str, Any]) -> None:
    from failover.watch import Reconciler

    hb = webhook.serve(tmp_path / "hb")
    (tmp_path / "hb" / "ping").write_text("ok")        # GET /ping answers 200
    g = socket.socket()
    g.bind(("127.0.0.22", 0))
    g.listen(8)
    os.environ["T_HB"] = f"http://127.0.0.1:{hb.server_port}/ping"
    text = config_text(tmp_path, "  heartbeat: [{name: hc, url_env: T_HB}]\n")
    text += f"checks: [{{kind: tcp, port: {g.getsockname()[1]}, timeout: 500ms}}]\nfall: 1\n"
    config = parse_config(text, str(tmp_path / "failover.yaml"))
    start = RRSet.of("www.example.test.", "A", 60, ["127.0.0.21"])
    mems = {n: MemProvider(n, config.dns[n].vendor, config.zone, {start.key: start})
            for n in config.dns}
    engine = subscribe(Engine(config, provider_factory=lambda n, _c: mems[n]))
    try:
        rec = Reconciler(engine, auto_move=False)
        actions = []
        for _ in range(3):
            actions.append(rec.cycle().action)
            engine.sinks.drain()
    finally:
        engine.close()
        g.close()
        hb.shutdown()
        hb.server_close()
        os.environ.pop("T_HB", None)
    assert actions == ["would-move"] * 3
    titles = [json.loads(str(p["body"]))["title"] for p in webhook.received(channels["hook"])]
    assert titles.count("[lab] a move is needed and was not made") == 1
    assert hb.hits == ["GET /ping"] * 3
    journal_db = (tmp_path / "j.sqlite").read_bytes()
    assert b"heartbeat" not in journal_db                     # pings that work are not kept


def test_lost_coordination_is_notified_once_until_it_is_back(
        tmp_path: Path, channels: dict[str, Any]) -> None:
    from failover.notify.outbox import Outbox
    from failover.notify.sink import NoticeSink

    config = parse_config(config_text(tmp_path), str(tmp_path / "failover.yaml"))
    engine = Engine(config)
    notices = NoticeSink(engine, Outbox(config))
    try:
        for _ in range(3):
            notices.coordination_lost("etcd cannot be asked: fail-static")
            notices.drain()
        notices.coordination_back()
        notices.coordination_lost("etcd cannot be asked again")
        notices.drain()
    finally:
        engine.close()
    titles = [json.loads(str(p["body"]))["title"] for p in webhook.received(channels["hook"])]
    assert titles.count("[lab] watchers lost coordination") == 2
