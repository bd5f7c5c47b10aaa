"""The cluster: section: Patroni's timing rule and other checks, one line with file:line."""

from __future__ import annotations

import pytest

from failover.config import parse_config
from failover.errors import ConfigError

BASE = """service: s
zone: example.test.
records: [{name: www, type: A}]
vendors: {aws: {}, gcp: {}}
hosting:
  a: {vendor: aws, priority: 1, endpoints: {A: [127.0.0.21]}}
  g: {vendor: gcp, priority: 2, endpoints: {A: [127.0.0.22]}}
dns:
  bind: {vendor: gcp, kind: rfc2136, server: 127.0.0.1}
cluster:
  endpoints: [http://127.0.0.1:2379]
  node: n1
  vendor: aws
  watchers: [n1, n2, n3]
"""


def test_defaults_follow_patroni() -> None:
    c = parse_config(BASE, "f.yaml").cluster
    assert c is not None and (c.ttl, c.loop_wait, c.retry_timeout) == (30, 10, 10)
    assert c.quorum == "majority"
    assert c.history_keep == 1000


@pytest.mark.parametrize("extra, message", [
    ("  ttl: 5s\n  loop_wait: 1s\n  retry_timeout: 3s\n",
     r"f.yaml:10: cluster: loop_wait \+ 2 \* retry_timeout \(1s \+ 2 \* 3s\) must be at most "
     r"ttl \(5s\)"),
    ("  quorum: 1.5\n", r"f.yaml:\d+: cluster.quorum: quorum is 'majority' or a fraction"),
    ("  quorum: most\n", r"cluster.quorum"),
    ("  endpoints: [127.0.0.1:2379]\n", r"not an etcd client URL"),
    ("  password_env: P\n", r"a password goes with a username"),
    ("  colour: red\n", r"unknown key 'colour'"),
    ("  history_keep: 0\n", r"f.yaml:\d+: cluster.history_keep: .*greater than or equal to 1"),
])
def test_bad_cluster_sections_get_one_line(extra: str, message: str) -> None:
    text = BASE.replace("  endpoints: [http://127.0.0.1:2379]\n", "") if "endpoints" in extra \
        else BASE
    with pytest.raises(ConfigError, match=message) as info:
        parse_config(text + extra, "f.yaml")
    assert "\n" not in str(info.value)


def test_fraction_quorum_like_route53() -> None:
    c = parse_config(BASE + "  quorum: 0.82\n  ttl: 5s\n  loop_wait: 1s\n  retry_timeout: 2s\n",
                     "f.yaml").cluster
    assert c is not None and c.quorum == 0.82 and c.ttl == 5
