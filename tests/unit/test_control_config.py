"""The control-plane blocks of the config: the combinations that would make a probe lie."""

from __future__ import annotations

import pytest

from failover.config import AwsControl, GcpControl, HttpControl, SshControl, parse_config
from failover.errors import ConfigError

TEMPLATE = """\
service: social
zone: example.org.
records: [{{name: www, type: A}}]
vendors:
  cloud:
    control: {control}
  colo: {{}}
hosting:
  h: {{vendor: cloud, endpoints: {{A: [192.0.2.10]}}}}
dns:
  d: {{vendor: colo, kind: rfc2136, server: 192.0.2.53}}
"""


def load(control: str) -> object:
    config = parse_config(TEMPLATE.format(control=control), "f.yaml")
    return config.vendors["cloud"].control


def error(control: str) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        load(control)
    return info.value


def test_each_kind_loads() -> None:
    assert isinstance(load("{kind: aws, instance_tags: {service: social}, timeout: 3s}"),
                      AwsControl)
    gcp = load("{kind: gcp, project: social-prod, token_file: gcp.token, zone: europe-west1-b,"
               " instances: [web-1]}")
    assert isinstance(gcp, GcpControl) and gcp.instances == ["web-1"]
    assert isinstance(load("{kind: ssh, host: 192.0.2.20}"), SshControl)
    http = load("{kind: http, url: 'https://api.example.net/v1/servers', token_env: T,"
                " terminated_body: [suspended]}")
    assert isinstance(http, HttpControl) and http.terminated_status == [401, 403]


def test_aws_key_variables_go_in_pairs() -> None:
    e = error("{kind: aws, access_key_id_env: AWS_KEY}")
    assert e.line == 6 and e.key == "vendors.cloud.control"
    assert "give access_key_id_env and secret_access_key_env together" in str(e)
    assert load("{kind: aws, access_key_id_env: K, secret_access_key_env: S,"
                " session_token_env: T}") is not None
    assert "session_token_env goes with" in str(error("{kind: aws, session_token_env: T}"))


def test_gcp_needs_exactly_one_token_source() -> None:
    assert "exactly one of token_env or token_file" in str(error("{kind: gcp, project: p}"))
    assert "exactly one of" in str(error("{kind: gcp, project: p, token_env: A,"
                                         " token_file: b}"))


def test_gcp_instances_need_a_zone() -> None:
    assert "give zone as well" in str(error("{kind: gcp, project: p, token_env: T,"
                                            " instances: [web-1]}"))


def test_http_url_and_token() -> None:
    assert "is not an http:// or https:// URL" in str(error("{kind: http, url: ftp://x}"))
    assert "at most one of token_env or token_file" in str(
        error("{kind: http, url: 'https://x', token_env: A, token_file: b}"))


def test_unknown_kind_lists_the_kinds() -> None:
    assert "use one of 'aws', 'gcp', 'ssh', 'http'" in str(error("{kind: azure}"))
