"""A DNS provider that hangs (the lab's moto stopped with SIGSTOP: it accepts connections
and never answers): ``status`` and ``plan`` give up on it at its deadline, name it in one
line, and exit 1 (a provider could not be read). moto is continued in teardown.

The subprocess timeout is only the failure bound; no wall-clock assertion here (the
machine is shared): what is asserted is that the command returned and what it said.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.own_lab]  # moto frozen mid-read

DEADLINE = "route53: did not answer within 2 s (its deadline; dns.route53.deadline sets it)"


def failover(config: Path | str, *args: str) -> subprocess.CompletedProcess:
    # Without the deadline a read of a hung moto took two tries of 10 s; 120 s bounds a hang.
    return subprocess.run([sys.executable, "-m", "cli.app", "-c", str(config), *args],
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, "CI": "true"}, stdin=subprocess.DEVNULL)


@pytest.fixture
def hung(lab: dict[str, Any]) -> Iterator[dict[str, Any]]:
    config = Path(lab["config"])
    text = config.read_text()
    assert "kind: route53," in text
    config.write_text(text.replace("kind: route53,", "kind: route53, deadline: 2s,", 1))
    os.kill(lab["moto"]["pid"], signal.SIGSTOP)
    try:
        yield lab
    finally:
        os.kill(lab["moto"]["pid"], signal.SIGCONT)


def test_status_and_plan_give_up_on_a_hung_provider_at_its_deadline(hung: dict[str, Any]
                                                                    ) -> None:
    status = failover(hung["config"], "status")
    assert status.returncode == 2, status.stdout + status.stderr     # not answering: CRITICAL
    assert "Traceback" not in status.stdout + status.stderr
    named = [line for line in status.stdout.splitlines() if DEADLINE in line]
    assert named == [f"unreachable: {DEADLINE}"], status.stdout
    assert "Read 2 DNS providers in" in status.stdout
    # bind is read as usual, and the hung provider's cells say so
    assert "127.0.0.11" in status.stdout and "unreachable" in status.stdout

    plan = failover(hung["config"], "plan")
    assert plan.returncode == 2, plan.stdout + plan.stderr
    assert "Traceback" not in plan.stdout + plan.stderr
    named = [line for line in plan.stdout.splitlines() if DEADLINE in line]
    assert len(named) == 1 and named[0].startswith("route53 (aws)"), plan.stdout


def test_check_gives_up_on_a_hung_provider_at_its_deadline(hung: dict[str, Any]) -> None:
    """check's own DNS checks (serials, answers, the hosted zone's names) are held to the
    same deadline as every other read, and a provider that did not answer is CRITICAL."""
    check = failover(hung["config"], "check")
    out = check.stdout + check.stderr
    assert check.returncode == 2, out
    assert "Traceback" not in out
    assert "route53" in out and "did not answer within 2 s" in out, out
