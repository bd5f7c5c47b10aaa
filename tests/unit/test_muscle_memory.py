"""What a tired operator types, and the line that answers it: the command that works.

`failover move aws` (a vendor where --off was meant) and `--off AWS` (the case of a
name) are answered with the exact option; `delegation move --checksum` names the plan
command whose checksum it takes. Run as users run it: the installed script.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from failover.suggest import closest, did_you_mean
from tests.hypo import cases

SCRIPT = Path(sys.executable).parent / "failover"
ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "failover.yaml"     # vendors aws, gcp, colo-fra


def run(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("FAILOVER_CONFIG", "FAILOVER_DEBUG")}
    return subprocess.run([str(SCRIPT), "-c", str(EXAMPLE), *args], capture_output=True,
                          text=True, env={**env, "COLUMNS": "200"}, timeout=60)


@pytest.mark.parametrize(("args", "meant"), [
    (["move", "aws"], "failover move --off aws"),
    (["move", "AWS"], "failover move --off aws"),
    (["plan", "aws", "gcp"], "failover plan --off aws --off gcp"),
    (["move", "gcp-euw1"], "failover move --to gcp-euw1"),
    (["drill", "aws"], "failover drill --vendor aws"),
])
def test_a_bare_word_gets_the_option_it_was_meant_for(args: list[str], meant: str) -> None:
    result = run(*args)
    assert result.returncode == 64, result
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and f"did you mean '{meant}'?" in lines[0], result.stderr


def test_the_case_of_a_name_and_a_near_miss_are_suggested() -> None:
    from failover.config import load_config
    from failover.errors import ConfigError
    from failover.policy import decide

    config = load_config(EXAMPLE)

    with pytest.raises(ConfigError, match=r"--off AWS: no such vendor \(did you mean "
                                          r"'--off aws'\?\); vendors: aws, colo-fra, gcp"):
        decide(config, {}, off=["AWS"])
    with pytest.raises(ConfigError, match=r"did you mean '--to gcp-euw1'\?"):
        decide(config, {}, to="gcp-euw")
    with pytest.raises(ConfigError, match=r"no such vendor; vendors"):   # nothing close
        decide(config, {}, off=["azure"])


def test_delegation_checksum_names_the_delegation_plan() -> None:
    for command, plan in (("move", "'failover delegation plan'"),
                          ("rollback", "'failover delegation rollback --dry-run'")):
        result = run("delegation", command, "--help")
        flat = " ".join(result.stdout.split())
        at = flat.index("--checksum SUM")
        assert plan in flat[at:at + 300], flat[at:at + 300]


@cases(500)
@given(st.lists(st.from_regex(r"[a-z][a-z0-9-]{0,10}", fullmatch=True), min_size=1,
                max_size=6, unique=True), st.data())
def test_a_name_in_any_case_is_found_as_written(names: list[str], data: st.DataObject) -> None:
    name = data.draw(st.sampled_from(names))
    typed = "".join(c.upper() if data.draw(st.booleans()) else c for c in name)
    assert closest(typed, names) in {n for n in names if n.casefold() == typed.casefold()}
    assert closest(name, names) == name
    assert did_you_mean("\x1b[31m", names) == ""               # nothing close: no suggestion
