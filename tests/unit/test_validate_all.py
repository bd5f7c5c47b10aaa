"""`failover validate` reports every problem in the file at once, up to 20, one line each
naming the place and the fix; the types' problems and the references' alike."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from failover.config import parse_config
from failover.errors import ConfigError, ConfigErrors

SCRIPT = Path(sys.executable).parent / "failover"

THREE_TYPES = """service: s
zone: example.org.
records: [{name: www, type: A}]
fal: 3
vendors:
  aws: {}
hosting:
  a: {vendor: aws, priority: x, endpoints: {A: [192.0.2.1]}}
dns:
  r: {vendor: aws, kind: rfc2136, server: 192.0.2.53, portt: 53}
"""

TWO_REFERENCES = """service: s
zone: example.org.
records: [{name: www, type: A}]
vendors:
  aws: {}
hosting:
  a: {vendor: aws, endpoints: {A: [192.0.2.1]}}
  b: {vendor: nope, endpoints: {A: [192.0.2.2]}}
dns:
  r: {vendor: aws, kind: rfc2136, server: 192.0.2.53}
policy: {min_healthy: 5}
"""


def validate(tmp_path: Path, text: str) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "failover.yaml"
    path.write_text(text)
    env = {k: v for k, v in os.environ.items() if k not in ("FAILOVER_CONFIG", "FAILOVER_DEBUG")}
    return subprocess.run([str(SCRIPT), "-c", str(path), "validate"], capture_output=True,
                          text=True, env=env, timeout=60)


@pytest.mark.parametrize(("text", "places"), [
    (THREE_TYPES, [":4: fal: unknown key 'fal' (did you mean 'fall'?)",
                   ":8: hosting.a.priority: ", ":10: dns.r.portt: unknown key 'portt'"]),
    (TWO_REFERENCES, [":8: hosting.b.vendor: unknown vendor 'nope'",
                      ":11: policy.min_healthy: min_healthy is 5"]),
])
def test_every_problem_is_one_line_in_the_files_order(tmp_path: Path, text: str,
                                                       places: list[str]) -> None:
    result = validate(tmp_path, text)
    assert result.returncode == 3 and result.stdout == "", result
    lines = result.stderr.splitlines()
    assert len(lines) == len(places), lines
    for line, place in zip(lines, places, strict=True):
        assert line.startswith(f"failover: {tmp_path / 'failover.yaml'}{place}"), line


def test_at_most_twenty_and_one_error_reads_as_the_first(tmp_path: Path) -> None:
    text = THREE_TYPES + "".join(f"unknown{i}: 1\n" for i in range(30))
    result = validate(tmp_path, text)
    assert len(result.stderr.splitlines()) == 20, result.stderr
    with pytest.raises(ConfigErrors) as caught:
        parse_config(text, "f.yaml")
    assert len(caught.value.errors) == 20
    assert str(caught.value).startswith("f.yaml:4: fal: unknown key 'fal'")
    assert "(and 19 more problems: 'failover validate' lists them)" in str(caught.value)
    assert isinstance(caught.value, ConfigError)     # callers catching ConfigError still do


def test_a_hostile_key_is_one_inert_line_among_the_others(tmp_path: Path) -> None:
    text = THREE_TYPES + '"\\e[31mred\\e]8;;http://x\\a": 1\n'
    result = validate(tmp_path, text)
    assert "\x1b" not in result.stderr and "\x07" not in result.stderr
    assert len(result.stderr.splitlines()) == 4, result.stderr
