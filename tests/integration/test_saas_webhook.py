"""A webhook switch against a real HTTP receiver: the application's config endpoint gets
the provider as JSON, the answer is checked and the switch journaled; a dead endpoint is
a journaled failure that leaves the provider in use unchanged."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from failover.config import parse_config
from failover.engine import Engine
from failover.records import RRSet
from lab import webhook
from lab.procs import free_port
from tests.unit.memprovider import MemProvider

pytestmark = pytest.mark.integration

TOKEN = "apptok-Yh38Qw1ZpR"


def test_move_saas_calls_the_application_and_journals_it(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    app = webhook.serve(tmp_path / "app")
    monkeypatch.setenv("T_APP", f"http://127.0.0.1:{app.server_port}/config/{TOKEN}")
    text = f"""
service: s
zone: example.test.
records: [{{name: www, type: A}}]
vendors: {{aws: {{}}, zendesk: {{}}, freshworks: {{}}}}
hosting:
  a: {{vendor: aws, endpoints: {{A: [127.0.0.21]}}}}
dns:
  m: {{vendor: aws, kind: rfc2136, server: 127.0.0.1}}
journal: {tmp_path}/j.sqlite
saas:
  support:
    switch: {{kind: webhook, url_env: T_APP, body_contains: ok}}
    providers: {{zendesk: {{vendor: zendesk}}, freshdesk: {{vendor: freshworks}}}}
"""
    config = parse_config(text, str(tmp_path / "failover.yaml"))
    www = RRSet.of("www.example.test.", "A", 60, ["127.0.0.21"])
    mem = MemProvider("m", "aws", config.zone, {www.key: www})
    engine = Engine(config, provider_factory=lambda _n, _c: mem)
    try:
        assert engine.saas_selected() == {"support": "zendesk"}
        with engine.lock():
            plan = engine.plan(saas={"support": "freshdesk"})
            assert plan.empty and engine.saas_webhooks_pending
            result = engine.move(plan, reason=plan.decision.reason, args={"saas": "support"})
        assert result.state == "done"
        assert engine.saas_selected() == {"support": "freshdesk"}
        (post,) = webhook.received(tmp_path / "app")
        assert json.loads(str(post["body"])) == {"dependency": "support",
                                                 "provider": "freshdesk", "value": "freshdesk"}
        (event,) = engine.journal.events(kind="saas-switch")
        assert "switched: HTTP 200" in event["sentence"] and TOKEN not in event["sentence"]
        # A dead endpoint: journaled as not switched; the provider in use stays.
        monkeypatch.setenv("T_APP", f"http://127.0.0.1:{free_port()}/config/{TOKEN}")
        with engine.lock():
            plan = engine.plan(saas={"support": "zendesk"})
            engine.move(plan, reason=plan.decision.reason, args={"saas": "support"})
        last = engine.journal.events(kind="saas-switch")[0]
        assert "NOT switched: connection refused" in last["sentence"]
        assert TOKEN not in last["sentence"] + last["data"]
        assert engine.saas_selected() == {"support": "freshdesk"}
    finally:
        engine.close()
        app.shutdown()
        app.server_close()
    # The CLI: one line for an unknown provider, and --saas needs --to.
    path = tmp_path / "failover.yaml"
    path.write_text(text)
    env = {**os.environ, "CI": "true", "T_APP": "http://127.0.0.1:9/x"}
    for args, said in ((["--saas", "support", "--to", "kayako"], "no provider 'kayako'"),
                       (["--saas", "support"], "--saas support needs --to PROVIDER")):
        proc = subprocess.run([sys.executable, "-m", "cli.app", "-c", str(path), "move",
                               *args, "--yes"], capture_output=True, text=True, env=env,
                              timeout=60)
        assert proc.returncode == 3 and said in proc.stderr and "Traceback" not in proc.stderr
