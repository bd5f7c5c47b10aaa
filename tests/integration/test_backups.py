"""Backup freshness against a real moto server (S3) and real files.

Two moto servers run for this module: ``plain`` accepts any keys; ``auth``
enforces IAM after its first four requests (INITIAL_NO_AUTH_ACTION_COUNT), so
that a user without policies meets a real AccessDenied and a wrong secret a
real SignatureDoesNotMatch. Time is moved with a FakeClock, never slept
(except once, so that S3's one-second LastModified tells objects apart).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import boto3
import pytest
import yaml

import failover.backups as backups
from failover.backups import check_backups
from failover.clock import FakeClock
from failover.config import Config, load_config
from failover.errors import ConfigError
from failover.report import Finding

pytestmark = pytest.mark.integration

HOST = "127.0.0.1"
KEY_ID, SECRET = "AKIAFAILOVERTEST", "s3cret/never-printed+42"
BUCKET = "backups"
OLD_KEYS = ["many/a.dump", "many/b.dump", "many/c.dump", "many/d.dump"]
NEWEST_KEY = "many/z-newest.dump"
START_TIMEOUT = 30.0


@dataclass
class Moto:
    endpoint: str
    proc: subprocess.Popen[bytes]
    log: Path


@dataclass
class Servers:
    plain: Moto
    auth: Moto
    newest_at: float            # LastModified of NEWEST_KEY, seconds since the epoch
    reader: tuple[str, str]     # an IAM user's keys on the auth server, with no policies


def _free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def _start(tmp: Path, name: str, env: dict[str, str]) -> Moto:
    port = _free_port()
    log = tmp / f"moto-{name}.log"
    with log.open("wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", HOST, "-p", str(port)],
                                stdout=out, stderr=subprocess.STDOUT, env={**os.environ, **env})
    return Moto(f"http://{HOST}:{port}", proc, log)


def _wait(moto: Moto) -> None:
    port = int(moto.endpoint.rsplit(":", 1)[1])
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if moto.proc.poll() is not None:
            break
        try:
            socket.create_connection((HOST, port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    tail = moto.log.read_text(errors="replace")[-2000:]
    pytest.fail(f"moto server did not start at {moto.endpoint} within {START_TIMEOUT}s "
                f"(exit code {moto.proc.poll()}); its log:\n{tail}", pytrace=False)


def _stop(moto: Moto) -> None:
    moto.proc.terminate()
    try:
        moto.proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        moto.proc.kill()
        moto.proc.wait()


def _client(service: Literal["s3", "iam"], endpoint: str) -> Any:
    return boto3.session.Session().client(service, endpoint_url=endpoint, region_name="us-east-1",
                                          aws_access_key_id=KEY_ID, aws_secret_access_key=SECRET)


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    tmp = tmp_path_factory.mktemp("moto")
    # The auth server's first four requests (below) are let through; IAM is enforced after.
    plain = _start(tmp, "plain", {})
    auth = _start(tmp, "auth", {"INITIAL_NO_AUTH_ACTION_COUNT": "4"})
    try:
        _wait(plain)
        _wait(auth)
        s3 = _client("s3", plain.endpoint)
        s3.create_bucket(Bucket=BUCKET)
        for key in ["db/2024-01-01.dump", "db/2024-01-02.dump", "marker-only/", *OLD_KEYS]:
            s3.put_object(Bucket=BUCKET, Key=key, Body=b"backup")
        time.sleep(1.1)   # LastModified has one-second resolution
        s3.put_object(Bucket=BUCKET, Key=NEWEST_KEY, Body=b"backup")
        head = s3.head_object(Bucket=BUCKET, Key=NEWEST_KEY)

        auth_s3, iam = _client("s3", auth.endpoint), _client("iam", auth.endpoint)
        auth_s3.create_bucket(Bucket=BUCKET)
        auth_s3.put_object(Bucket=BUCKET, Key="db/x.dump", Body=b"backup")
        iam.create_user(UserName="reader")
        key = iam.create_access_key(UserName="reader")["AccessKey"]
        yield Servers(plain, auth, head["LastModified"].timestamp(),
                      (key["AccessKeyId"], key["SecretAccessKey"]))
    finally:
        _stop(plain)
        _stop(auth)


@pytest.fixture(autouse=True)
def _no_aws_from_outside(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The caller's AWS variables, files and proxies must not leak into these tests."""
    for var in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
                "AWS_DEFAULT_PROFILE", "HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy",
                "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


def make_config(folder: Path, backups_section: dict[str, Any]) -> Config:
    """A minimal valid failover.yaml in ``folder`` with these backups, loaded from disk."""
    (folder / "aws-credentials").write_text(
        f"[default]\naws_access_key_id = {KEY_ID}\naws_secret_access_key = {SECRET}\n")
    data = {
        "service": "social", "zone": "example.test.", "records": [{"name": "www", "type": "A"}],
        "vendors": {"aws": {}, "metal": {}},
        "hosting": {"metal-1": {"vendor": "metal", "endpoints": {"A": ["127.0.0.1"]}}},
        "dns": {"bind": {"vendor": "metal", "kind": "rfc2136", "server": HOST}},
        "backups": backups_section,
    }
    path = folder / "failover.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return load_config(path)


def s3_entry(endpoint: str, prefix: str, *, bucket: str = BUCKET, rpo: str = "1h",
             **more: Any) -> dict[str, Any]:
    """An S3 entry with the keys of ``make_config``'s credentials file, unless ``more`` says."""
    return {"kind": "s3", "vendor": "aws", "bucket": bucket, "prefix": prefix,
            "endpoint_url": endpoint, "rpo": rpo, "timeout": "2s",
            "credentials_file": "aws-credentials", **more}


def one(config: Config, clock: FakeClock | None = None) -> Finding:
    findings = check_backups(config, clock=clock)
    assert len(findings) == 1
    finding = findings[0]
    assert finding.kind == "backup"
    assert SECRET not in json.dumps(finding.to_json()), "a finding shows the secret key"
    return finding


# -- S3 ---------------------------------------------------------------------------------------

def test_fresh_object_is_ok(servers: Servers, tmp_path: Path) -> None:
    config = make_config(tmp_path, {"db": s3_entry(servers.plain.endpoint, "db/")})
    f = one(config)
    assert (f.status, f.severity, f.vendor) == ("OK", 0, "aws"), f.reason
    assert f.reason.startswith("newest backup is ") and f.reason.endswith("old, within the "
                                                                          "1h RPO")
    assert f.metrics["objects_seen"] == 2
    assert 0 <= f.metrics["age_seconds"] < 600
    assert f.evidence[0]["location"] == f"s3://{BUCKET}/db/"
    assert f.evidence[0]["newest"] in ("db/2024-01-01.dump", "db/2024-01-02.dump")


def test_stale_object_is_warning(servers: Servers, tmp_path: Path) -> None:
    config = make_config(tmp_path, {"db": s3_entry(servers.plain.endpoint, "many/")})
    clock = FakeClock(start=servers.newest_at + 3 * 3600 + 30)
    f = one(config, clock)
    assert (f.status, f.severity) == ("WARNING", 1)
    assert f.reason == "newest backup is 3h old, over the 1h RPO"
    assert f.metrics["age_seconds"] == pytest.approx(3 * 3600 + 30)


def test_newest_is_found_across_pages(servers: Servers, tmp_path: Path,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """With two keys a page, the newest object sits on the third page of ListObjectsV2."""
    monkeypatch.setattr(backups, "MAX_KEYS", 2)
    config = make_config(tmp_path, {"db": s3_entry(servers.plain.endpoint, "many/")})
    f = one(config, FakeClock(start=servers.newest_at + 60))
    assert f.status == "OK", f.reason
    assert f.evidence[0]["newest"] == NEWEST_KEY
    assert f.metrics["objects_seen"] == len(OLD_KEYS) + 1
    assert f.metrics["age_seconds"] == pytest.approx(60)


def test_empty_prefix_is_critical(servers: Servers, tmp_path: Path) -> None:
    config = make_config(tmp_path, {"db": s3_entry(servers.plain.endpoint, "nothing-here/")})
    f = one(config)
    assert (f.status, f.severity) == ("CRITICAL", 2)
    assert f.reason == f"no backup under s3://{BUCKET}/nothing-here/"
    assert f.metrics["objects_seen"] == 0
    assert "age_seconds" not in f.metrics


def test_folder_marker_is_not_a_backup(servers: Servers, tmp_path: Path) -> None:
    config = make_config(tmp_path, {"db": s3_entry(servers.plain.endpoint, "marker-only/")})
    f = one(config)
    assert f.status == "CRITICAL"
    assert f.reason == f"no backup under s3://{BUCKET}/marker-only/"


def test_missing_bucket_is_critical(servers: Servers, tmp_path: Path) -> None:
    config = make_config(tmp_path, {"db": s3_entry(servers.plain.endpoint, "db/",
                                                   bucket="no-such-bucket")})
    f = one(config)
    assert (f.status, f.severity) == ("CRITICAL", 2)
    assert "NoSuchBucket" in f.reason
    assert "s3://no-such-bucket/db/" in f.reason


def test_access_denied_is_critical(servers: Servers, tmp_path: Path,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    key_id, secret = servers.reader
    monkeypatch.setenv("BACKUP_KEY_ID", key_id)
    monkeypatch.setenv("BACKUP_SECRET", secret)
    config = make_config(tmp_path, {"db": s3_entry(
        servers.auth.endpoint, "db/", access_key_id_env="BACKUP_KEY_ID",
        secret_access_key_env="BACKUP_SECRET", credentials_file=None)})
    f = one(config)
    assert (f.status, f.severity) == ("CRITICAL", 2)
    assert "AccessDenied" in f.reason
    assert secret not in json.dumps(f.to_json())


def test_wrong_secret_is_critical_and_never_shown(servers: Servers, tmp_path: Path) -> None:
    """The secret in the credentials file is wrong for the auth server: a real signature error."""
    config = make_config(tmp_path, {"db": s3_entry(servers.auth.endpoint, "db/")})
    f = one(config)
    assert f.status == "CRITICAL"
    assert "InvalidAccessKeyId" in f.reason or "SignatureDoesNotMatch" in f.reason


def test_keys_from_environment(servers: Servers, tmp_path: Path,
                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BACKUP_KEY_ID", KEY_ID)
    monkeypatch.setenv("BACKUP_SECRET", SECRET)
    entry = s3_entry(servers.plain.endpoint, "db/", access_key_id_env="BACKUP_KEY_ID",
                     secret_access_key_env="BACKUP_SECRET", credentials_file=None)
    assert one(make_config(tmp_path, {"db": entry})).status == "OK"

    monkeypatch.delenv("BACKUP_SECRET")
    f = one(make_config(tmp_path, {"db": entry}))
    assert (f.status, f.severity) == ("UNKNOWN", 3)
    assert "BACKUP_SECRET is not set" in f.reason


def test_keys_from_a_profile(servers: Servers, tmp_path: Path,
                             monkeypatch: pytest.MonkeyPatch) -> None:
    """``profile`` alone: boto3 reads it from the usual AWS files."""
    shared = tmp_path / "shared-credentials"
    shared.write_text(f"[backup-reader]\naws_access_key_id = {KEY_ID}\n"
                      f"aws_secret_access_key = {SECRET}\n")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(shared))
    entry = s3_entry(servers.plain.endpoint, "db/", profile="backup-reader",
                     credentials_file=None)
    assert one(make_config(tmp_path, {"db": entry})).status == "OK"

    entry["profile"] = "nobody"
    f = one(make_config(tmp_path, {"db": entry}))
    assert f.status == "UNKNOWN"
    assert "no AWS profile 'nobody'" in f.reason


def test_credentials_file_names_a_missing_profile(servers: Servers, tmp_path: Path) -> None:
    config = make_config(tmp_path, {"db": s3_entry(servers.plain.endpoint, "db/",
                                                   profile="absent")})
    f = one(config)
    assert f.status == "UNKNOWN"
    assert "no [absent] section" in f.reason


def test_nothing_listening_is_unknown(tmp_path: Path) -> None:
    endpoint = f"http://{HOST}:{_free_port()}"
    f = one(make_config(tmp_path, {"db": s3_entry(endpoint, "db/")}))
    assert (f.status, f.severity) == ("UNKNOWN", 3)
    assert f.reason == (f"cannot reach the storage for s3://{BUCKET}/db/ at {endpoint}: "
                        "connection refused")


def test_silent_endpoints_time_out_concurrently(tmp_path: Path) -> None:
    """Four stores that accept connections and never answer: each is UNKNOWN after its own
    timeout, and the four are waited on together, not one after another."""
    with socket.socket() as silent:
        silent.bind((HOST, 0))
        silent.listen(64)
        endpoint = f"http://{HOST}:{silent.getsockname()[1]}"
        entries = {f"db{i}": s3_entry(endpoint, "db/", timeout="1s") for i in range(4)}
        config = make_config(tmp_path, entries)
        t0 = time.monotonic()
        findings = check_backups(config)
        took = time.monotonic() - t0
    assert [f.name for f in findings] == ["db0", "db1", "db2", "db3"]
    assert {f.status for f in findings} == {"UNKNOWN"}, [f.reason for f in findings]
    assert all(f.reason.endswith("timeout after 1.0s (waiting for an answer)")
               for f in findings), findings[0].reason
    assert min(f.seconds for f in findings) >= 1.0           # the timeout was waited for...
    serial = sum(f.seconds for f in findings)
    assert took < 0.6 * serial, (took, serial)                # ...by the four at once


def test_entries_keep_config_order_and_vendor(servers: Servers, tmp_path: Path) -> None:
    (tmp_path / "dumps").mkdir()
    (tmp_path / "dumps" / "x.dump").write_text("x")
    config = make_config(tmp_path, {
        "z-empty": s3_entry(servers.plain.endpoint, "nothing-here/"),
        "a-fresh": s3_entry(servers.plain.endpoint, "db/"),
        "m-local": {"kind": "path", "vendor": "metal", "path": "dumps", "rpo": "24h"},
    })
    findings = check_backups(config)
    assert [(f.name, f.status, f.vendor) for f in findings] == [
        ("z-empty", "CRITICAL", "aws"), ("a-fresh", "OK", "aws"), ("m-local", "OK", "metal")]


def test_half_a_key_pair_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="together") as err:
        make_config(tmp_path, {"db": s3_entry("http://127.0.0.1:1", "db/",
                                              credentials_file=None,
                                              access_key_id_env="ONLY_THE_ID")})
    assert err.value.key == "backups.db"
    assert err.value.line is not None


# -- local paths --------------------------------------------------------------------------------

def _dump(path: Path, mtime: float) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("backup")
    os.utime(path, (mtime, mtime))
    return path


def path_entry(path: str, pattern: str = "*.dump", rpo: str = "1h") -> dict[str, Any]:
    return {"kind": "path", "vendor": "metal", "path": path, "pattern": pattern, "rpo": rpo}


def test_local_fresh_is_ok(tmp_path: Path) -> None:
    now = 1_700_000_000.0
    _dump(tmp_path / "dumps" / "2023" / "old.dump", now - 7200)
    newest = _dump(tmp_path / "dumps" / "2023" / "11" / "new.dump", now - 600)
    _dump(tmp_path / "dumps" / "newer-but-not-a-dump.txt", now - 10)
    config = make_config(tmp_path, {"local": path_entry("dumps")})   # relative to the config
    f = one(config, FakeClock(start=now))
    assert (f.status, f.severity, f.vendor) == ("OK", 0, "metal"), f.reason
    assert f.reason == "newest backup is 10m old, within the 1h RPO"
    assert f.evidence[0]["newest"] == str(newest)
    assert f.metrics == {"objects_seen": 2, "rpo_seconds": 3600.0, "age_seconds": 600.0}


def test_local_stale_is_warning(tmp_path: Path) -> None:
    now = 1_700_000_000.0
    _dump(tmp_path / "dumps" / "a.dump", now - 3 * 3600 - 5 * 60)
    f = one(make_config(tmp_path, {"local": path_entry(str(tmp_path / "dumps"))}),
            FakeClock(start=now))
    assert (f.status, f.severity) == ("WARNING", 1)
    assert f.reason == "newest backup is 3h 5m old, over the 1h RPO"


def test_local_missing_folder_is_critical(tmp_path: Path) -> None:
    f = one(make_config(tmp_path, {"local": path_entry("no-such-folder")}))
    assert (f.status, f.severity) == ("CRITICAL", 2)
    assert f.reason == f"no backup under {tmp_path / 'no-such-folder'}: no such file or folder"


def test_local_no_matching_file_is_critical(tmp_path: Path) -> None:
    _dump(tmp_path / "dumps" / "notes.txt", time.time())
    f = one(make_config(tmp_path, {"local": path_entry("dumps")}))
    assert f.status == "CRITICAL"
    assert f.reason == f"no backup under {tmp_path / 'dumps'}"
    assert f.metrics["objects_seen"] == 0


def test_local_future_mtime_counts_as_new(tmp_path: Path) -> None:
    now = 1_700_000_000.0
    _dump(tmp_path / "dumps" / "a.dump", now + 300)
    f = one(make_config(tmp_path, {"local": path_entry("dumps")}), FakeClock(start=now))
    assert f.status == "OK"
    assert f.metrics["age_seconds"] == 0.0
