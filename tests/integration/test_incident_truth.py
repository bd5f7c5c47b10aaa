"""Issue 8 through the CLI against the lab: what failover says in the incident hour is true.

Each test runs ``failover`` as a user would (a subprocess, CI=true, no terminal) against
the lab's real BIND and moto server, and reads the answers back from them.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import sqlite3
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from lab.core import bind_answers, kill, route53_answers

pytestmark = pytest.mark.integration

AWS, GCP, METAL = "127.0.0.11", "127.0.0.12", "127.0.0.13"


def failover(config: Path | str, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    env = {**os.environ, "CI": "true", "COLUMNS": "80"}
    return subprocess.run([sys.executable, "-m", "cli.app", "-c", str(config), *args],
                          capture_output=True, text=True, timeout=timeout, env=env,
                          stdin=subprocess.DEVNULL)


def variant(lab: dict[str, Any], name: str, *subs: tuple[str, str]) -> Path:
    """The lab's config with each (pattern, replacement) applied once, as ``name``."""
    text = Path(lab["config"]).read_text()
    for pattern, repl in subs:
        new = re.sub(pattern, repl, text, count=1)
        assert new != text, pattern
        text = new
    path = lab["dir"] / name
    path.write_text(text)
    return path


DEAD_ROUTE53 = (r'endpoint_url: "http://127\.0\.0\.1:\d+", credentials_file: aws-credentials, '
                r'verify', 'endpoint_url: "http://127.0.0.1:9", credentials_file: '
                'aws-credentials, verify')
DEAD_BIND = (r"port: \d+, tsig", "port: 9, timeout: 1s, tsig")


def moves(lab: dict[str, Any]) -> int:
    with sqlite3.connect(lab["dir"] / "journal.sqlite") as db:
        return int(db.execute("SELECT count(*) FROM moves").fetchone()[0])


# -- defect 1: an unreachable provider is never counted as serving anything -----------------

def test_no_provider_reachable_is_critical_everywhere(lab: dict[str, Any]) -> None:
    cfg = variant(lab, "dead.yaml", DEAD_ROUTE53, DEAD_BIND)
    kill(lab["dir"], "aws")
    for args in (["reconcile", "--auto-move"], ["move", "--to", "metal-fra", "--yes"],
                 ["plan"], ["plan", "--off", "aws"]):
        proc = failover(cfg, *args)
        said = proc.stdout + proc.stderr
        assert proc.returncode == 2, (args, said)
        assert "no DNS provider reachable" in said, (args, said)
        assert "Nothing to change" not in said and "every DNS provider serves" not in said
        assert "Traceback" not in said
    assert moves(lab) == 0          # nothing was journaled as a move

    status = failover(cfg, "status")
    assert status.returncode == 2, status.stdout + status.stderr
    rows = [line.split() for line in status.stdout.splitlines() if line.startswith("www A")]
    assert rows and rows[0][-1] == "unknown", status.stdout
    assert "no DNS provider reachable" in status.stdout
    data = json.loads(failover(cfg, "status", "--format", "json").stdout)
    assert {a["agree"] for a in data["agree"]} == {None}
    # Nothing was written anywhere.
    assert {tuple(bind_answers(lab, n)) for n in lab["names"]} == {(AWS,)}
    assert {tuple(route53_answers(lab, n)) for n in lab["names"]} == {(AWS,)}


def test_one_unreachable_provider_is_unknown_and_journaled_with_its_error(
        lab: dict[str, Any]) -> None:
    cfg = variant(lab, "deadbind.yaml", DEAD_BIND)
    moved = failover(cfg, "move", "--to", "gcp-euw1", "--yes")
    assert moved.returncode == 2, moved.stdout + moved.stderr
    with sqlite3.connect(lab["dir"] / "journal.sqlite") as db:
        steps = dict(db.execute("SELECT provider, error FROM move_steps").fetchall())
    assert steps["bind"] and "cannot connect to 127.0.0.1:9" in steps["bind"], steps
    history = failover(cfg, "history", "1")
    assert re.search(r"bind \(metal\): unreachable, 0 changes: bind: cannot connect",
                     history.stdout), history.stdout

    status = failover(cfg, "status")
    assert status.returncode == 2, status.stdout + status.stderr   # BIND not answering
    www = [line.split() for line in status.stdout.splitlines() if line.startswith("www A")]
    assert www == [["www", "A", GCP, "unreachable", "unknown"]], status.stdout

    again = failover(cfg, "move", "--to", "gcp-euw1", "--yes")
    assert again.returncode == 2, again.stdout + again.stderr      # BIND's answers unknown
    assert "Nothing to change: every reachable DNS provider already serves this" in again.stdout


# -- defect 2: rollback never leaves a record without an answer ---------------------------

def answers(lab: dict[str, Any], name: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    return tuple(bind_answers(lab, name)), tuple(route53_answers(lab, name))


def test_rollback_with_a_config_that_manages_more_refuses_then_keeps_every_answer(
        lab: dict[str, Any]) -> None:
    narrow = variant(lab, "noapi.yaml", (r", \{name: api, type: A\}", ""))
    moved = failover(narrow, "move", "--to", "gcp-euw1", "--yes")
    assert moved.returncode == 0, moved.stdout + moved.stderr
    refused = failover(lab["config"], "rollback", "--yes")
    assert refused.returncode == 4, refused.stdout + refused.stderr
    assert "do not match the managed records" in refused.stderr
    assert "api.example.test. A" in refused.stderr and "--force" in refused.stderr
    assert "to delete" in refused.stdout and "0 to delete" in refused.stdout
    assert answers(lab, "www") == ((GCP,), (GCP,))            # nothing written
    forced = failover(lab["config"], "rollback", "--yes", "--force")
    assert forced.returncode == 0, forced.stdout + forced.stderr
    assert answers(lab, "www") == ((AWS,), (AWS,))
    assert answers(lab, "api") == ((AWS,), (AWS,))            # never emptied
    status = failover(lab["config"], "status")
    assert "(none)" not in status.stdout and status.returncode == 0, status.stdout


# -- defect 3: rollback is judged like move --to ------------------------------------------

def test_rollback_refuses_to_send_traffic_back_to_a_dead_or_terminated_vendor(
        lab: dict[str, Any]) -> None:
    from lab.core import suspend

    config = lab["config"]
    kill(lab["dir"], "aws")
    failover(config, "check")
    failover(config, "check")                                 # fall: 2 -> DOWN
    moved = failover(config, "move", "--off", "aws", "--yes")
    assert moved.returncode == 0, moved.stdout + moved.stderr
    for state in ("DOWN", "TERMINATED"):
        if state == "TERMINATED":
            suspend(lab["dir"], "aws")
        for args in (["--dry-run"], ["--yes"]):
            back = failover(config, "rollback", *args)
            said = back.stdout + back.stderr
            assert back.returncode == 4, said
            assert re.search(rf"would serve aws-use1 again, but (aws-use1 is {state}|vendor "
                             rf"'aws' was marked {state})", said), said
            assert "run 'failover move' to serve the best healthy hosting" in said
            assert "Dry run" not in said
        assert answers(lab, "www") == ((GCP,), (GCP,))
    forced = failover(config, "rollback", "--yes", "--force")
    assert forced.returncode == 0, forced.stdout + forced.stderr
    assert answers(lab, "www") == ((AWS,), (AWS,))


# -- defects 6 and 7: a write with no answer, a provider that hangs ---------------------------

class UpdateProxy:
    """A TCP proxy to BIND that forwards every message, and first awaits ``on_update()``
    for each UPDATE (opcode 5) that changes records: hold it, or pause BIND, for as long
    as the test wants."""

    def __init__(self, port: int, on_update: Any) -> None:
        self.target = port
        self.on_update = on_update
        self.updates = 0
        self.loop = asyncio.new_event_loop()
        self.port = 0
        ready = threading.Event()
        threading.Thread(target=self._run, args=(ready,), daemon=True).start()
        assert ready.wait(10)

    def _run(self, ready: threading.Event) -> None:
        asyncio.set_event_loop(self.loop)
        server = self.loop.run_until_complete(
            asyncio.start_server(self._client, "127.0.0.1", 0))
        self.port = server.sockets[0].getsockname()[1]
        ready.set()
        self.loop.run_forever()

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_r, up_w = await asyncio.open_connection("127.0.0.1", self.target)
        try:
            while True:
                head = await reader.readexactly(2)
                msg = await reader.readexactly(struct.unpack("!H", head)[0])
                # An UPDATE with records to change (not the write check, whose only
                # content is a prerequisite that fails).
                if (msg[2] >> 3) & 0xF == 5 and msg[8:10] != b"\x00\x00":
                    self.updates += 1
                    await self.on_update()
                up_w.write(head + msg)
                await up_w.drain()
                rhead = await up_r.readexactly(2)
                writer.write(rhead + await up_r.readexactly(struct.unpack("!H", rhead)[0]))
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()
            up_w.close()

    def close(self) -> None:
        async def shutdown() -> None:
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        asyncio.run_coroutine_threadsafe(shutdown(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)


def through(lab: dict[str, Any], proxy: UpdateProxy, name: str, bind_timeout: str,
            verify_timeout: str) -> Path:
    return variant(lab, name, (r"port: \d+, tsig", f"port: {proxy.port}, timeout: "
                               f"{bind_timeout}, tsig"),
                   (r"verify: \{timeout: [^,]+,", f"verify: {{timeout: {verify_timeout},"))


@pytest.mark.own_lab
def test_a_write_with_no_answer_is_unknown_and_status_settles_it(lab: dict[str, Any]) -> None:
    pid = lab["bind"]["pid"]

    async def pause_bind() -> None:          # BIND stops with the UPDATE about to arrive
        os.kill(pid, signal.SIGSTOP)

    proxy = UpdateProxy(lab["bind"]["port"], pause_bind)
    try:
        cfg = through(lab, proxy, "paused.yaml", "2s", "1s")
        moved = failover(cfg, "move", "--off", "aws", "--yes", "--format", "json")
        assert proxy.updates == 1, moved.stdout + moved.stderr
        result = json.loads(moved.stdout)["result"]
        steps = {s["provider"]: s for s in result["steps"]}
        assert steps["route53"]["state"] == "applied"
        assert steps["bind"]["state"] == "unknown", steps["bind"]
        assert "unknown: timed out after 2 s" in steps["bind"]["error"]
        assert "not written: bind" not in result["summary"], result["summary"]
        assert "outcome unknown" in result["summary"] and moved.returncode == 2
        held = failover(cfg, "status")
        assert held.returncode == 2 and "read again now" in held.stdout, held.stdout
    finally:
        os.kill(pid, signal.SIGCONT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and bind_answers(lab, "www") != [GCP]:
        time.sleep(0.2)
    assert bind_answers(lab, "www") == [GCP]           # BIND applied it when resumed
    try:
        status = failover(cfg, "status")
    finally:
        proxy.close()
    assert re.search(r"bind: its write in move 1 had no answer \(bind: unknown: timed out "
                     r"after 2 s.*read again now: written \(settled", " ".join(
                         status.stdout.split())), status.stdout
    assert status.returncode == 0, status.stdout
    with sqlite3.connect(lab["dir"] / "journal.sqlite") as db:
        state = db.execute("SELECT state FROM move_steps WHERE provider='bind'").fetchone()[0]
    assert state == "applied"


def test_each_provider_is_verified_as_soon_as_its_own_write_returns(
        lab: dict[str, Any]) -> None:
    async def hold() -> None:                # BIND's UPDATE hangs until the write times out
        await asyncio.sleep(3600)

    proxy = UpdateProxy(lab["bind"]["port"], hold)
    try:
        cfg = through(lab, proxy, "held.yaml", "8s", "1s")
        moved = failover(cfg, "move", "--off", "aws", "--yes", "--format", "json")
    finally:
        proxy.close()
    result = json.loads(moved.stdout)["result"]
    steps = {s["provider"]: s for s in result["steps"]}
    assert steps["bind"]["apply_seconds"] >= 7, steps["bind"]       # it did hang
    route53 = steps["route53"]
    assert route53["state"] == "applied" and route53["verified"], route53
    # Route 53 converged while BIND was still hung: its time is its own, not BIND's
    # (before, it was BIND's whole hang).
    assert route53["verifications"][0]["seconds"] < steps["bind"]["apply_seconds"] / 2
    with sqlite3.connect(lab["dir"] / "journal.sqlite") as db:
        verified_at = db.execute("SELECT at FROM verifications WHERE provider='route53'"
                                 ).fetchone()[0]
        bind_done = db.execute("SELECT applied FROM move_steps WHERE provider='bind'"
                               ).fetchone()[0]
    assert verified_at < bind_done


# -- defect 9: the lab's moto applies a batch entirely or not at all ----------------------

def test_lab_route53_refuses_a_batch_with_one_bad_change_and_changes_nothing(
        lab: dict[str, Any]) -> None:
    import botocore.exceptions

    from lab import aws

    r53 = aws.client(lab["moto"]["endpoint"])
    zone_id = lab["moto"]["hosted_zone_id"]

    def replace(name: str) -> list[dict[str, Any]]:
        return [{"Action": action, "ResourceRecordSet": {
                    "Name": name, "Type": "A", "TTL": 60,
                    "ResourceRecords": [{"Value": value}]}}
                for action, value in (("DELETE", AWS), ("CREATE", GCP))]

    for bad in ({"Action": "CREATE", "ResourceRecordSet": {
                    "Name": "api.other.org.", "Type": "A", "TTL": 60,
                    "ResourceRecords": [{"Value": GCP}]}},
                {"Action": "DELETE", "ResourceRecordSet": {
                    "Name": "api.example.test.", "Type": "A", "TTL": 60,
                    "ResourceRecords": [{"Value": METAL}]}}):
        batch = replace("example.test.") + replace("www.example.test.") + [bad]
        with pytest.raises(botocore.exceptions.ClientError):
            r53.change_resource_record_sets(HostedZoneId=zone_id,
                                            ChangeBatch={"Changes": batch})
        for name in lab["names"]:
            assert route53_answers(lab, name) == [AWS], (bad, name)
    # The zone still takes the same changes as a good batch, once.
    r53.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={
        "Changes": replace("example.test.") + replace("www.example.test.")})
    assert [route53_answers(lab, n) for n in ("@", "www", "api")] == [[GCP], [GCP], [AWS]]


# -- defect 4: check knows what DNS serves, and its exit code follows it ---------------------

def test_check_says_what_each_provider_serves_and_clears_after_the_move(
        lab: dict[str, Any]) -> None:
    from prometheus_client.parser import text_string_to_metric_families

    config = lab["config"]

    def check() -> tuple[int, list[str]]:
        proc = failover(config, "check", "--format", "json")
        found = {f["name"]: f for f in json.loads(proc.stdout)["findings"]
                 if f["kind"] == "serving"}
        return proc.returncode, [f"SERVING {p} ({f['vendor']}): {f['status']}: {f['reason']}"
                                 for p, f in ((p, found[p]) for p in ("route53", "bind"))]

    code, lines = check()
    assert lines == ["SERVING route53 (aws): OK: serves aws-use1 (UP)",
                     "SERVING bind (metal): OK: serves aws-use1 (UP)"], lines
    kill(lab["dir"], "aws")
    check()
    code, lines = check()                                   # fall: 2 -> DOWN
    assert code == 2
    assert lines == [f"SERVING {p}: CRITICAL: traffic is still on aws-use1 (DOWN); run "
                     "'failover move --off aws'" for p in ("route53 (aws)", "bind (metal)")], lines
    moved = failover(config, "move", "--off", "aws", "--yes")
    assert moved.returncode == 0, moved.stdout + moved.stderr
    code, lines = check()
    assert code == 1, lines                                 # the alert clears to WARNING
    assert lines == [f"SERVING {p}: WARNING: serves gcp-euw1 (UP), a standby, while "
                     "aws-use1 is DOWN" for p in ("route53 (aws)", "bind (metal)")], lines

    prom = failover(config, "check", "--format", "prometheus")
    assert prom.returncode == 1
    samples = {(s.name, tuple(sorted((k, v) for k, v in s.labels.items() if k != "service"))):
               s.value for fam in text_string_to_metric_families(prom.stdout)
               for s in fam.samples}
    served = {labels: v for (name, labels), v in samples.items() if name == "failover_served"}
    assert served == {(("hosting", h), ("provider", p)): float(h == "gcp-euw1")
                      for h in ("aws-use1", "gcp-euw1", "metal-fra")
                      for p in ("route53", "bind")}
    assert samples[("failover_moves_total", (("kind", "move"),))] == 1
    assert samples[("failover_last_move_timestamp_seconds", ())] > 1e9
    assert samples[("failover_check_duration_seconds", ())] > 0


# -- defect 5: check and plan prove write credentials, without changing the zone -----------

def zone_state(lab: dict[str, Any]) -> tuple[int, list[Any]]:
    """BIND's SOA serial and every record set Route 53 holds."""
    import dns.message
    import dns.query

    from lab import aws

    answer = dns.query.tcp(dns.message.make_query(lab["zone"], "SOA"), "127.0.0.1",
                           port=lab["bind"]["port"], timeout=5)
    serial = answer.answer[0][0].serial
    sets = aws.client(lab["moto"]["endpoint"]).list_resource_record_sets(
        HostedZoneId=lab["moto"]["hosted_zone_id"])["ResourceRecordSets"]
    return serial, sets


def test_check_and_plan_prove_write_credentials_without_changing_the_zone(
        lab: dict[str, Any]) -> None:
    import base64

    config = lab["config"]
    before = zone_state(lab)
    good = failover(config, "check", "--format", "json")
    dns = {f["name"]: f for f in json.loads(good.stdout)["findings"] if f["kind"] == "dns"}
    assert "write credentials accepted (TSIG key 'failover-lab.' verified" in \
        dns["bind"]["reason"] and "NXRRSET" in dns["bind"]["reason"]
    assert "write credentials accepted (Route 53 took" in dns["route53"]["reason"]

    secret = lab["dir"] / "tsig.secret"
    right = secret.read_text()
    wrong = base64.b64encode(b"x" * 32).decode()          # well formed, not the key
    secret.write_text(wrong + "\n")
    checked = failover(config, "check")
    said = " ".join(checked.stdout.split())
    assert checked.returncode == 2
    assert re.search(r"dns bind CRITICAL write credentials refused: bind: \S+ refused TSIG "
                     r"key 'failover-lab\.' \(BADSIG\)", said), said
    planned = failover(config, "plan", "--off", "aws")
    assert planned.returncode == 2, planned.stdout + planned.stderr
    assert re.search(r"needs --force: bind: .*\(BADSIG\).*DNS left split",
                     " ".join(planned.stdout.split())), planned.stdout
    for proc in (checked, planned):
        assert wrong not in proc.stdout + proc.stderr and "Traceback" not in proc.stderr
    assert zone_state(lab) == before                      # nothing in the zone changed

    secret.write_text("not base64 at all!\n")
    # JSON: at 80 columns the table cuts the secret file's long path short.
    bad = failover(config, "check", "--format", "json")
    said = " ".join(bad.stdout.split())
    assert "tsig.secret is not base64; put the secret that tsig-keygen prints there" in said
    assert "could not be set up" not in said
    secret.write_text(right)
    assert zone_state(lab) == before
