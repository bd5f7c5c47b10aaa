"""One bounded reader for every secret file a config names (failover.config.secretfile),
and what it refuses: /dev/zero, a FIFO nobody writes, a huge file, a folder, a line break
inside a token, a pasted secret in an ``*_env`` key; secret files open to group or others
are a warning from 'failover validate', an error with --strict (issue 21).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from failover.config import parse_config
from failover.config.secretfile import (
    MAX_SECRET_BYTES,
    SecretFileError,
    read_secret_env,
    read_secret_file,
)
from failover.control.base import SecretMissing, Trace, read_secret
from failover.errors import ConfigError
from failover.secreturls import read_url
from tests.hypo import cases

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = Path(sys.executable).parent / "failover"
SECRET = "SEKRET-token-9xQ2"


def _refused(path: Path) -> str:
    started = time.monotonic()
    with pytest.raises(SecretFileError) as info:
        read_secret_file(path)
    assert time.monotonic() - started < 5       # never blocks, never reads it all
    said = str(info.value)
    assert str(path) in said and "\n" not in said
    return said


def test_dev_zero_a_fifo_a_folder_and_a_huge_file_are_one_line_each(tmp_path: Path) -> None:
    assert "not a regular file" in _refused(Path("/dev/zero"))
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    assert "not a regular file" in _refused(fifo)
    assert "a folder" in _refused(tmp_path)
    huge = tmp_path / "huge"
    with huge.open("wb") as f:
        f.truncate(3 * 1024 ** 3)        # sparse: 3 GB read would fill the memory
    assert "larger than" in _refused(huge)
    assert "does not exist" in _refused(tmp_path / "nothing")
    (tmp_path / "empty").write_text("\n")
    assert "empty" in _refused(tmp_path / "empty")
    (tmp_path / "latin1").write_bytes(b"caf\xe9")
    assert "not UTF-8" in _refused(tmp_path / "latin1")


def test_a_secret_with_a_line_break_inside_is_refused_without_its_text(tmp_path: Path) -> None:
    path = tmp_path / "token"
    for inside in ("\n", "\r\n", "\x1b[2J", "\x00", "\t", "\x85"):
        path.write_text(f"{SECRET}{inside}{SECRET}\n")
        said = _refused(path)
        assert "control character" in said and SECRET not in said
    path.write_text(f"  {SECRET}\n\n")
    assert read_secret_file(path) == SECRET


@given(st.binary(max_size=200))
@cases(200)
def test_any_file_is_a_clean_value_or_one_line_without_it(data: bytes) -> None:
    path = Path(os.environ.get("TMPDIR", "/tmp")) / f"failover-secret-{os.getpid()}"
    path.write_bytes(data)
    try:
        value = read_secret_file(path)
    except SecretFileError as exc:
        said = str(exc)
        assert "\n" not in said and "\x1b" not in said
        text = data.decode("utf-8", "replace").strip()
        assert len(text) < 4 or text not in said
    else:
        assert value and value == value.strip()
        assert not any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F for c in value)
        assert len(value.encode()) <= MAX_SECRET_BYTES
    finally:
        path.unlink()


def test_an_env_value_that_is_no_name_or_holds_a_line_break(
        monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(SecretFileError) as info:
        read_secret_env(f"mailto://user:{SECRET}@mail.example")
    assert SECRET not in str(info.value)
    monkeypatch.setenv("T_TOKEN", f"{SECRET}\n{SECRET}")
    with pytest.raises(SecretFileError) as info:
        read_secret_env("T_TOKEN")
    assert SECRET not in str(info.value) and "T_TOKEN" in str(info.value)


BASE = (ROOT / "examples" / "failover.yaml").read_text()


def test_both_readers_are_the_bounded_one(tmp_path: Path) -> None:
    """The channel URL reader and the control plane's secret reader refuse alike."""
    path = tmp_path / "token"
    path.write_text(f"{SECRET}\n{SECRET}\n")
    text = BASE + f"\nnotify:\n  channels: [{{name: ops, url_file: {path}}}]\n"
    config = parse_config(text, str(tmp_path / "failover.yaml"))
    assert config.notify is not None
    with pytest.raises(ConfigError) as info:
        read_url(config, config.notify.channels[0], "notify channel 'ops'")
    assert "control character" in str(info.value) and SECRET not in str(info.value)
    with pytest.raises(SecretMissing) as missing:
        read_secret(config, Trace(5.0), env=None, file="/dev/zero", what="token")
    assert "not a regular file" in str(missing.value)


def test_a_secret_pasted_into_an_env_key_is_not_echoed(tmp_path: Path) -> None:
    text = BASE.replace("secret_env: FAILOVER_TSIG", f"secret_env: 'hmac:{SECRET}=='")
    assert text != BASE
    with pytest.raises(ConfigError) as info:
        parse_config(text, "f.yaml")
    said = str(info.value)
    assert SECRET not in said and "secret_env must name an environment variable" in said
    assert said.startswith("f.yaml:") and "tsig" in said


def _validate(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(SCRIPT), "-c", str(config), "validate", *args],
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, "CI": "true"})


def test_validate_warns_of_a_loose_secret_file_and_strict_refuses_it(tmp_path: Path) -> None:
    token = tmp_path / "url"
    token.write_text("json://127.0.0.1:9/x\n")
    token.chmod(0o644)
    config = tmp_path / "failover.yaml"
    config.write_text(BASE + f"\nnotify:\n  channels: [{{name: ops, url_file: {token}}}]\n")
    loose = _validate(config)
    assert loose.returncode == 1, loose.stderr
    assert f"notify.channels[0].url_file: secret file {token} is open to group and others " \
           f"(mode 0644); chmod 600 {token}" in loose.stdout
    strict = _validate(config, "--strict")
    assert strict.returncode == 3 and "Traceback" not in strict.stderr
    assert f"error: {config}: notify.channels[0].url_file: secret file {token}" in strict.stderr
    token.chmod(0o600)
    tight = _validate(config, "--strict")
    assert "secret file" not in tight.stdout + tight.stderr and tight.returncode in (0, 1)


def test_an_aws_credentials_file_goes_through_the_bounded_reader(tmp_path: Path) -> None:
    from failover.awscreds import load_credentials
    from failover.config import AwsCredentialSettings
    from failover.untrusted import clean

    config = parse_config(BASE, str(tmp_path / "failover.yaml"))
    with pytest.raises(ConfigError) as info:
        load_credentials(AwsCredentialSettings(credentials_file="/dev/zero"), config, key="k")
    assert "/dev/zero is not a regular file" in str(info.value)
    ini = tmp_path / "credentials"
    ini.write_text(f"[default]\naws_access_key_id = AKIAEXAMPLE\n"
                   f"aws_secret_access_key = {SECRET}\n")
    creds = load_credentials(AwsCredentialSettings(credentials_file=str(ini)), config, key="k")
    assert creds.secret_access_key == SECRET
    assert SECRET not in clean(f"SignatureDoesNotMatch for {SECRET}")
