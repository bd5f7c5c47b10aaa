"""Hostile configs through the real 'failover validate' (issue 21): each is exit 3 and one
line naming the file, the line and the fix, in the config's own words; no traceback, no
"internal error", no pydantic jargon such as ``literal['majority']``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BASE = (ROOT / "examples" / "failover.yaml").read_text()
SCRIPT = Path(sys.executable).parent / "failover"
CLUSTER = ("\ncluster: {{endpoints: ['http://127.0.0.1:2379'], node: n1, vendor: aws, "
           "watchers: [n1], quorum: {quorum}}}\n")


def _line(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def _validate(tmp_path: Path, text: str) -> str:
    path = tmp_path / "failover.yaml"
    path.write_text(text)
    result = subprocess.run([str(SCRIPT), "-c", str(path), "validate"], capture_output=True,
                            text=True, timeout=120, env={**os.environ, "CI": "true"})
    assert result.returncode == 3, result
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    said = lines[0]
    assert "Traceback" not in said and "internal error" not in said
    assert said.startswith(f"failover: {path}:")
    return said.removeprefix(f"failover: {path}:")


@pytest.mark.parametrize(("quorum", "got"), [
    ("1e400", "'1e400'"), ("1.0e+400", "inf"), ("1" + "0" * 400, "a number of 401 digits"),
    ("yes", "True"), ("[1]", "[1]"),
])
def test_a_quorum_that_is_no_number_says_what_it_should_be(tmp_path: Path, quorum: str,
                                                            got: str) -> None:
    text = BASE + CLUSTER.format(quorum=quorum)
    said = _validate(tmp_path, text)
    assert said.startswith(f"{_line(text, 'cluster:')}: cluster.quorum: should be 'majority' "
                           "or a")
    assert f"(got {got})" in said and "literal" not in said


@pytest.mark.parametrize("key", ["no", "off", "yes", "on", "true", "null", "~"])
def test_a_key_yaml_reads_as_a_boolean_or_null_is_refused(tmp_path: Path, key: str) -> None:
    text = BASE.replace("vendors:\n", f"vendors:\n  {key}: {{}}\n", 1)
    said = _validate(tmp_path, text)
    assert said.startswith(f"{_line(text, key + ': {}')}: the key '{key}' is read by YAML as ")
    assert f"quote it: '{key}':" in said and "False" not in said


def test_a_nul_byte_names_its_line(tmp_path: Path) -> None:
    text = BASE.replace("zone: ", "zone: \x00", 1)
    said = _validate(tmp_path, text)
    assert said.startswith(f"{_line(text, 'zone:')}: a control character (U+0000)")


def test_an_etcd_password_over_plain_http_is_refused_unless_insecure(tmp_path: Path) -> None:
    cluster = ("\ncluster: {{endpoints: ['{url}'], node: n1, vendor: aws, watchers: [n1], "
               "username: failover, password_env: ETCD_PASSWORD{extra}}}\n")
    text = BASE + cluster.format(url="http://10.0.0.5:2379", extra="")
    said = _validate(tmp_path, text)
    assert said.startswith(f"{_line(text, 'cluster:')}: cluster: the etcd password would "
                           "cross the network in clear text to http://10.0.0.5:2379; write "
                           "https:// endpoints with tls")
    assert "insecure: true" in said
    for url, extra in (("http://127.0.0.1:2379", ", insecure: true"),
                       ("https://10.0.0.5:2379", ", tls: {ca_file: ca.pem}")):
        path = tmp_path / "ok.yaml"
        path.write_text(BASE + cluster.format(url=url, extra=extra))
        ok = subprocess.run([str(SCRIPT), "-c", str(path), "validate"], capture_output=True,
                            text=True, timeout=120, env={**os.environ, "CI": "true"})
        assert ok.returncode in (0, 1), ok.stderr


def test_a_huge_service_name_is_refused(tmp_path: Path) -> None:
    text = BASE.replace("service: social", "service: " + "x" * 1_000_000, 1)
    said = _validate(tmp_path, text)
    assert said.startswith(f"{_line(BASE, 'service:')}: service: String should have at most "
                           "100 characters") and len(said) < 200
    said = _validate(tmp_path, BASE.replace("service: social", 'service: "a\\u001b[2Jb"', 1))
    assert "control character" in said and "\x1b" not in said


def test_too_many_records_are_counted_before_any_is_validated(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from failover.config import parse_config
    from failover.config import records as section
    from failover.errors import ConfigError

    monkeypatch.setattr(section, "MAX_RECORDS", 3)
    rows = "".join(f"  - {{name: r{i}, type: NOPE}}\n" for i in range(4))
    text = BASE.replace('records:\n  - {name: "@", type: A}\n  - {name: www, type: A}\n',
                        "records:\n" + rows)
    with pytest.raises(ConfigError) as info:
        parse_config(text, "f.yaml")
    assert str(info.value) == (f"f.yaml:{_line(text, 'records:')}: records: 4 managed records; "
                               "at most 3 (a plan holds each at every DNS provider): split "
                               "the service into several configs")


@pytest.mark.parametrize(("extra", "says"), [
    ("cluster: {endpoints: ['http://127.0.0.1:2379'], node: n1, watchers: [n1], "
     "vendor: nosuch}", "cluster.vendor: unknown vendor 'nosuch'"),
    ("cluster: {endpoints: ['http://127.0.0.1:2379'], node: n1, watchers: [n1], vendor: aws, "
     "ttl: 1400ms, loop_wait: 200ms, retry_timeout: 200ms}",
     "cluster: ttl must be whole seconds: etcd leases count them, so 1.4s would be a 1s"),
    ("page: {targets: [{kind: dir, path: /etc}]}", "page.targets.0.path: /etc is a system "
     "folder (/etc)"),
    ("page: {targets: [{kind: s3, bucket: b, key: i.html, "
     "endpoint_url: 'https://AKIAEXAMPLE:KeySekret99@s3.example.org'}]}",
     "endpoint_url holds a user or key before '@'"),
    ("saas:\n  sms:\n    switch: {kind: dns, name: sms.other.org., type: TXT}\n"
     "    providers: {a: {vendor: aws}, b: {vendor: gcp}}",
     "saas.sms.switch.name: 'sms.other.org.' is outside zone example.org."),
])
def test_the_newer_sections_refuse_what_they_cannot_do(tmp_path: Path, extra: str,
                                                        says: str) -> None:
    said = _validate(tmp_path, BASE + "\n" + extra + "\n")
    assert says in said and "KeySekret99" not in said


def test_a_page_folder_that_is_a_symbolic_link_is_refused(tmp_path: Path) -> None:
    (tmp_path / "status").symlink_to("/etc")
    said = _validate(tmp_path, BASE + "\npage: {targets: [{kind: dir, path: status}]}\n")
    assert f"{tmp_path / 'status'} is a symbolic link" in said
