"""Notify without a network: URL secrecy, apprise bounds, the config section, warnings."""

from __future__ import annotations

import urllib.parse
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from failover.config import fragility_warnings, parse_config
from failover.errors import ConfigError
from failover.notify.send import bounded
from failover.secreturls import MASK, read_url, scrub, secret_parts, shown

BASE = """
service: s
zone: example.test.
records: [{name: www}]
vendors: {aws: {}, gcp: {}}
hosting:
  a: {vendor: aws, endpoints: {A: [127.0.0.1]}}
  g: {vendor: gcp, endpoints: {A: [127.0.0.2]}}
dns:
  b: {vendor: gcp, kind: rfc2136, server: 127.0.0.1}
  r: {vendor: aws, kind: route53, hosted_zone_id: Z}
checks: [{kind: tcp, port: 80}]
"""

token = st.text(alphabet="abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789-_",
                min_size=8, max_size=40)


@given(user=token, password=token, path=token, value=token)
def test_shown_and_scrub_never_reveal_a_secret_part(user: str, password: str, path: str,
                                                    value: str) -> None:
    url = (f"mailto://{user}:{urllib.parse.quote(password)}@smtp.example.org:2525/{path}"
           f"?token={value}")
    assert shown(url) == "mailto://smtp.example.org:2525"
    text = f"failed sending to {url}: user {user} pass {password} path /{path} q={value}"
    clean = scrub(text, [url])
    for secret in (user, password, path, value):
        assert secret not in clean
    assert MASK in clean


@pytest.mark.parametrize("url", ["", "::::", "json://", "http://[::1", "x" * 5000,
                                 "json://h/%zz", "mailto://a:b@/?=&=&"])
def test_hostile_urls_are_shown_without_raising(url: str) -> None:
    out = shown(url)
    assert "b@" not in out and len(out) < 200
    secret_parts(url)


def test_bounded_adds_cto_and_rto_unless_the_url_sets_them() -> None:
    q = urllib.parse.parse_qs(urllib.parse.urlsplit(bounded("json://h:1/p?x=1", 3)).query)
    assert q == {"x": ["1"], "cto": ["3"], "rto": ["3"]}
    mine = bounded("json://h/p?rto=30", 2)
    q = urllib.parse.parse_qs(urllib.parse.urlsplit(mine).query)
    assert q["rto"] == ["30"] and q["cto"] == ["2"]


def test_a_channel_needs_exactly_one_url_source() -> None:
    for bad in ("{name: m}", "{name: m, url_env: A, url_file: f}"):
        with pytest.raises(ConfigError) as exc:
            parse_config(BASE + f"notify: {{channels: [{bad}]}}\n", "f.yaml")
        assert "exactly one of url_env or url_file" in str(exc.value)
        assert str(exc.value).startswith("f.yaml:")


def test_a_url_in_the_config_itself_is_refused() -> None:
    with pytest.raises(ConfigError) as exc:
        parse_config(BASE + "notify: {channels: [{name: m, url: 'json://x/secret'}]}\n", "f")
    assert "unknown key 'url'" in str(exc.value) and "secret" not in str(exc.value)


def test_channel_vendor_and_names_are_checked() -> None:
    with pytest.raises(ConfigError, match="unknown vendor 'azure'"):
        parse_config(BASE + "notify: {channels: [{name: m, url_env: A, vendor: azure}]}\n")
    with pytest.raises(ConfigError, match="'m' is used twice"):
        parse_config(BASE + "notify: {channels: [{name: m, url_env: A}], "
                            "heartbeat: [{name: m, url_env: B}]}\n")


def test_channels_that_one_vendor_can_silence_are_a_warning() -> None:
    one = parse_config(BASE + "notify: {channels: [{name: m, url_env: A, vendor: aws}]}\n")
    assert any("only one notify channel" in w for w in fragility_warnings(one))
    same = parse_config(BASE + "notify: {channels: [{name: m, url_env: A, vendor: aws}, "
                               "{name: n, url_env: B, vendor: aws}]}\n")
    assert any("every notify channel is at vendor 'aws'" in w for w in fragility_warnings(same))
    two = parse_config(BASE + "notify: {channels: [{name: m, url_env: A, vendor: aws}, "
                              "{name: n, url_env: B, vendor: gcp}]}\n")
    assert not any("notify" in w for w in fragility_warnings(two))


@pytest.mark.parametrize(("url", "expect"), [
    ("opsgenie://KEYSECRET123456", "opsgenie://K...6"),
    ("pbul://TOKENABCDEF12345", "pbul://T...5"),
    ("pagerduty://ROUTINGKEY123@INTEGRATIONKEY123", "pagerduty://****@****"),
    ("nosuchscheme://SECRETKEY99", "nosuchscheme://***"),
])
def test_a_key_in_the_host_place_is_shown_in_apprise_privacy_form(url: str,
                                                                   expect: str) -> None:
    assert shown(url) == expect
    key = url.split("://")[1].split("@")[-1]
    assert key in secret_parts(url) and key not in scrub(f"apprise: {url} failed: {key}", [url])


def test_a_channel_url_read_once_is_masked_in_all_text_from_outside(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from failover.untrusted import clean

    monkeypatch.setenv("T_MAIL", "mailto://ops:Pa55w0rd%2FXy@smtp.example.org")
    config = parse_config(BASE + "notify:\n  channels: [{name: mail, url_env: T_MAIL}]\n",
                          str(tmp_path / "failover.yaml"))
    assert config.notify is not None
    read_url(config, config.notify.channels[0], "notify channel 'mail'")
    said = clean("535 authentication failed for ops / Pa55w0rd/Xy (Pa55w0rd%2FXy)")
    assert "Pa55w0rd" not in said
