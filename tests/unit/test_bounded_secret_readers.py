"""Every secret file a DNS provider or the etcd client reads goes through the one
bounded reader (issue 21): /dev/zero, a FIFO or a folder is one ConfigError naming
the setting, at once, never a hang or gigabytes read."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from failover.config import parse_config
from failover.dns import make_provider
from failover.errors import ConfigError

BASE = """\
service: s
zone: example.test.
records: [{name: www}]
vendors: {metal: {}}
hosting: {h: {vendor: metal, endpoints: {A: [192.0.2.1]}}}
"""

KINDS = {
    "rfc2136": "dns:\n  p: {vendor: metal, kind: rfc2136, server: 127.0.0.1, "
               "tsig: {name: k., secret_file: SECRET}}\n",
    "powerdns": "dns:\n  p: {vendor: metal, kind: powerdns, url: 'http://127.0.0.1:1', "
                "api_key_file: SECRET}\n",
    "octodns": "dns:\n  p: {vendor: metal, kind: octodns, class: octodns_bind.Rfc2136Provider, "
               "settings: {host: 127.0.0.1, key_name: k., key_secret: file/SECRET}}\n",
}


def hostile(tmp_path: Path, what: str) -> str:
    if what == "zero":
        return "/dev/zero"
    if what == "fifo":
        fifo = tmp_path / "fifo"
        os.mkfifo(fifo)
        return str(fifo)
    return str(tmp_path)      # a folder


@pytest.mark.parametrize("what", ["zero", "fifo", "folder"])
@pytest.mark.parametrize("kind", sorted(KINDS))
def test_a_provider_secret_file_that_is_no_file_is_one_line(tmp_path: Path, kind: str,
                                                            what: str) -> None:
    config = parse_config(BASE + KINDS[kind].replace("SECRET", hostile(tmp_path, what)),
                          str(tmp_path / "failover.yaml"))
    started = time.monotonic()
    with pytest.raises(ConfigError) as info:
        provider = make_provider("p", config)
        provider.read([("www.example.test.", "A")])
    assert time.monotonic() - started < 10
    said = str(info.value)
    assert "\n" not in said and len(said) < 400, said


@pytest.mark.parametrize("what", ["zero", "fifo"])
def test_the_etcd_password_file_is_read_bounded(tmp_path: Path, what: str) -> None:
    from failover.engine import Engine

    text = BASE + ("dns:\n  p: {vendor: metal, kind: rfc2136, server: 127.0.0.1}\n"
                   "cluster: {endpoints: ['https://127.0.0.1:1'], node: n, vendor: metal, "
                   "watchers: [n], tls: {ca_file: ca.crt}, username: u, "
                   f"password_file: {hostile(tmp_path, what)}}}\n")
    config = parse_config(text, str(tmp_path / "failover.yaml"))
    started = time.monotonic()
    with pytest.raises(ConfigError, match=r"cluster\.password_file") as info:
        Engine(config).coord.pin()
    assert time.monotonic() - started < 10
    assert "\n" not in str(info.value)
