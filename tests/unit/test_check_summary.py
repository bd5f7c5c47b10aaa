"""check's last line gives the whole check's wall time and names what held it up.

A DNS provider that takes UDP and TCP but never answers (a hung server) costs
the check its timeout; the summary used to say "3 probes in 1 ms" all the same.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = Path(sys.executable).parent / "failover"


@pytest.fixture
def silent_dns() -> Iterator[int]:
    """A port where UDP datagrams are read by nobody and TCP connects but is never answered."""
    for _ in range(100):  # the kernel's free UDP port may be taken for TCP: try another
        udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        udp.bind(("127.0.0.1", 0))
        port = udp.getsockname()[1]
        tcp = socket.socket()
        try:
            tcp.bind(("127.0.0.1", port))
        except OSError:
            udp.close()
            tcp.close()
            continue
        break
    else:
        pytest.fail("no port free for both UDP and TCP on 127.0.0.1")
    tcp.listen()
    try:
        yield port
    finally:
        udp.close()
        tcp.close()


def test_summary_has_wall_time_and_names_the_slow_provider(tmp_path: Path,
                                                            silent_dns: int) -> None:
    with socket.socket() as web:
        web.bind(("127.0.0.1", 0))
        web.listen()
        config = tmp_path / "failover.yaml"
        config.write_text(f"""service: demo
zone: example.test.
records: [{{name: www, type: A}}]
vendors: {{a: {{}}, b: {{}}}}
hosting:
  one: {{vendor: a, endpoints: {{A: [127.0.0.1]}}}}
  two: {{vendor: b, endpoints: {{A: [127.0.0.1]}}}}
dns:
  hung: {{vendor: a, kind: rfc2136, server: 127.0.0.1, port: {silent_dns}, timeout: 2s}}
checks: [{{kind: tcp, port: {web.getsockname()[1]}, timeout: 1s}}]
""")
        env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "200"}
        result = subprocess.run([str(SCRIPT), "-c", str(config), "check"], capture_output=True,
                                text=True, env=env, timeout=120, cwd=tmp_path)
    last = result.stdout.strip().splitlines()[-1]
    match = re.search(r"2 probes; took (\d+\.\d\d) s; slowest: dns hung (\d+\.\d\d) s$", last)
    assert match, result.stdout + result.stderr
    took, slowest = float(match.group(1)), float(match.group(2))
    assert slowest >= 2.0            # the provider's timeout, not the probes' milliseconds
    assert took >= slowest           # wall time covers it
