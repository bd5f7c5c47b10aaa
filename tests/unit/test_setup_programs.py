"""Every program the project's code runs is installed by ``scripts/setup.sh``.

The programs are read from the code (tests/unit/programs.py: the first word of every
``subprocess.run``/``Popen``/``spawn`` argv, every ``shutil.which`` look-up), not from a
list kept by hand; the packages from setup.sh's own table, the one that installs them. A
fresh machine has only what that table installs, so a program missing from it is a test
that passes here, on a machine where someone once installed it by hand, and fails there.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections import defaultdict
from pathlib import Path

import pytest

from tests.unit.programs import programs_run

ROOT = Path(__file__).resolve().parents[2]
SETUP = ROOT / "scripts" / "setup.sh"
FOLDERS = ("lab", "tests", "bench", "scripts", "failover", "cli")

# Programs of the operator's own machine, run by failover itself or named in a runbook,
# that no test needs installed: each with why.
OPERATORS = {
    "pulumi": "read from stack outputs on the operator's machine (failover/inventory.py); "
              "the tests run tests/fakes/pulumi in its place",
    "aws": "the AWS CLI in a drill's runbook lines; where it is not installed the test "
           "runs the same call through boto3 (tests/integration/test_drill_lab.py)",
}
SBIN = ("/usr/sbin", "/sbin")


def table(text: str) -> dict[str, dict[str, str]]:
    """setup.sh's ``NAME=( "program:package" ... )`` arrays: array name -> program -> package."""
    found: dict[str, dict[str, str]] = {}
    for name, body in re.findall(r"^(\w+_NEEDS)=\(\n(.*?)^\)", text, re.M | re.S):
        rows = re.findall(r'^\s*"([^"#:]+):([^"]+)"', body, re.M)
        found[name] = dict(rows)
    return found


def places(folders: tuple[str, ...] = FOLDERS) -> dict[str, set[str]]:
    """``file:line`` -> the programs named there (a look-up may try several names)."""
    by_place: dict[str, set[str]] = defaultdict(set)
    for program, where in programs_run(ROOT, folders).items():
        for place in where:
            by_place[place].add(program)
    return by_place


def missing(needs: dict[str, str], folders: tuple[str, ...] = FOLDERS) -> list[str]:
    """``file:line: prog`` for each place none of whose programs the table installs."""
    return sorted(f"{place}: {' or '.join(sorted(progs))}"
                  for place, progs in places(folders).items()
                  if not progs & (needs.keys() | OPERATORS.keys()))


def test_the_code_names_the_programs_it_runs() -> None:
    """The reader finds what it is meant to find (a reader that finds nothing passes all)."""
    found = programs_run(ROOT, FOLDERS)
    for program in ("named", "knotd", "etcd", "etcdctl", "unbound", "pdns_server", "openssl",
                    "chromium", "nginx", "pulumi"):
        assert program in found, f"{program} no longer found in the code: the reader broke"


def test_every_program_the_code_runs_is_in_setup_sh() -> None:
    tables = table(SETUP.read_text())
    assert "DEB_NEEDS" in tables and len(tables["DEB_NEEDS"]) > 5, "setup.sh's table not read"
    needs = {k: v for rows in tables.values() for k, v in rows.items()}
    gaps = missing(needs)
    assert not gaps, ("programs the code runs that scripts/setup.sh does not install "
                      "(add 'program:debian-package' to its DEB_NEEDS):\n" + "\n".join(gaps))


def test_make_test_needs_no_bench_only_program() -> None:
    """What lab/, tests/, scripts/ and the engine run is in DEB_NEEDS, which ``make test``
    installs; BENCH_NEEDS is installed by ``make bench`` alone."""
    tables = table(SETUP.read_text())
    gaps = missing(tables["DEB_NEEDS"], ("lab", "tests", "scripts", "failover", "cli"))
    assert not gaps, "run by make test, but only in setup.sh's BENCH_NEEDS:\n" + "\n".join(gaps)


def test_a_program_left_out_of_setup_sh_is_found() -> None:
    """The check can fail: take etcdctl (the one a fresh machine lacked) out of the table."""
    needs = dict(table(SETUP.read_text())["DEB_NEEDS"])
    needs.pop("etcdctl", None)
    gaps = missing(needs)
    assert any(g.endswith(": etcdctl") and g.startswith("tests/integration/test_etcd_client.py")
               for g in gaps), gaps


def _path(program: str) -> str | None:
    if program.startswith("/"):
        return program if os.path.exists(program) else None
    found = shutil.which(program)
    if found:
        return found
    return next((f"{d}/{program}" for d in SBIN if os.access(f"{d}/{program}", os.X_OK)), None)


def _owners(path: str) -> str:
    """What dpkg says owns ``path`` (tried as given, resolved, and under /bin and /sbin,
    since a merged /usr leaves dpkg knowing the older name)."""
    real = os.path.realpath(path)
    name = os.path.basename(path)
    tries = dict.fromkeys([path, real, f"/bin/{name}", f"/sbin/{name}", f"/usr/bin/{name}",
                           f"/usr/sbin/{name}"])
    out = []
    for candidate in tries:
        done = subprocess.run(["dpkg-query", "-S", candidate], capture_output=True, text=True,
                              check=False)
        out.append(done.stdout)
    return "".join(out)


@pytest.mark.skipif(shutil.which("dpkg-query") is None, reason="not a Debian machine")
def test_each_program_is_installed_from_the_package_setup_sh_names() -> None:
    """After ``make setup`` (``make test`` runs it first) each program of DEB_NEEDS is on
    this machine, and Debian says it came from the package the table names: a wrong
    package name would install nothing on a fresh machine."""
    wrong = []
    for program, package in table(SETUP.read_text())["DEB_NEEDS"].items():
        path = _path(program)
        if path is None:
            wrong.append(f"{program}: not installed (run 'make setup')")
            continue
        owners = {line.split(":", 1)[0].strip() for line in _owners(path).splitlines()}
        owners = {o.split(",")[0].strip() for o in owners} | {
            p.strip() for o in owners for p in o.split(",")}
        if package not in owners:
            wrong.append(f"{program} ({path}): from {sorted(owners) or 'no package'}, "
                         f"not {package}")
    assert not wrong, "scripts/setup.sh's table is not what this machine shows:\n" + \
        "\n".join(wrong)
