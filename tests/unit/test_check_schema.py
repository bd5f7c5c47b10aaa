"""check's JSON report against the JSON Schema shipped in the package.

The report is real: the installed `failover` script checks hostings on
loopback (one listening, one not) and a DNS provider nobody serves.
"""

from __future__ import annotations

import copy
import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = Path(sys.executable).parent / "failover"


def schema() -> dict[str, Any]:
    text = resources.files("failover").joinpath("schemas/check-report.schema.json").read_text()
    data = json.loads(text)
    jsonschema.Draft202012Validator.check_schema(data)
    return data


@pytest.fixture(scope="module")
def real(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """One real report, made once for the module's tests."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        yield report(tmp_path_factory.mktemp("check"), s.getsockname()[1])


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def report(tmp_path: Path, port: int) -> dict[str, Any]:
    config = tmp_path / "failover.yaml"
    config.write_text(f"""service: demo
zone: example.test.
records: [{{name: www, type: A}}]
vendors: {{a: {{}}, b: {{}}}}
hosting:
  one: {{vendor: a, endpoints: {{A: [127.0.0.1]}}}}
  two: {{vendor: b, endpoints: {{A: [127.0.0.2]}}}}
dns:
  bind: {{vendor: a, kind: rfc2136, server: 127.0.0.1, port: {closed_port()}, timeout: 1s}}
checks: [{{kind: tcp, port: {port}, timeout: 1s}}]
""")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run([str(SCRIPT), "-c", str(config), "check", "--format", "json"],
                            capture_output=True, text=True, env=env, timeout=120, cwd=tmp_path)
    assert result.returncode in (0, 1, 2, 3), result.stderr
    data: dict[str, Any] = json.loads(result.stdout)
    assert data["exit_code"] == result.returncode
    return data


def test_real_report_matches_the_shipped_schema(real: dict[str, Any]) -> None:
    data = copy.deepcopy(real)
    jsonschema.validate(data, schema(), cls=jsonschema.Draft202012Validator)
    kinds = {f["kind"] for f in data["findings"]}
    assert {"hosting", "dns"} <= kinds
    assert any(e["ok"] for f in data["findings"] if f["kind"] == "hosting"
               for e in f["evidence"])


@pytest.mark.parametrize("break_it", [
    lambda d: d.pop("status"),
    lambda d: d.update(exit_code=4),
    lambda d: d["findings"][0].pop("severity"),
    lambda d: d["findings"][0].update(status="FINE"),
    lambda d: d["findings"][0]["evidence"][0].update(ok="yes"),
])
def test_the_schema_catches_a_broken_report(real: dict[str, Any], break_it: Any) -> None:
    data = copy.deepcopy(real)
    break_it(data)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, schema(), cls=jsonschema.Draft202012Validator)
