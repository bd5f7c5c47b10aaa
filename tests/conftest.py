"""Shared fixtures: ``lab`` starts real servers on loopback (BIND 9 and its parent zone, Knot
DNS, moto behind the AWS fault proxy, HTTP origins); ``etcd_cluster`` starts three etcd
members.

Integration tests never skip: if a server program is missing or fails to start, the test
fails with the lab's one-line reason (install with ``bash scripts/setup.sh``).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import Any

import pytest

from lab import core as lab_core
from lab import etcd as lab_etcd
from lab import reset as lab_reset
from tests import hypo  # noqa: F401 (loads the hypothesis profile: full, or dev)


@pytest.fixture(autouse=True)
def _no_remembered_secrets() -> Iterator[None]:
    """Secrets read in one test are not masked in the next one's output (the untrusted-text
    boundary remembers them for the process)."""
    yield
    from failover.untrusted import forget_secrets

    forget_secrets()


@pytest.fixture(autouse=True)
def _own_lock_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test its own zone-lock directory: tests (and the other engineers' test runs on
    this machine) use the same zone names, and the lock is per zone per machine."""
    monkeypatch.setenv("FAILOVER_LOCK_DIR", str(tmp_path / "zone-locks"))


@pytest.fixture(scope="session")
def _shared_lab_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The folder of the one lab the ``lab`` fixture hands out, reset between tests."""
    root = tmp_path_factory.mktemp("shared-lab") / "lab"
    try:
        yield root
    finally:
        lab_core.down(root)


@pytest.fixture
def lab(request: pytest.FixtureRequest, tmp_path: Path,
        _shared_lab_dir: Path) -> Iterator[dict[str, Any]]:
    """A lab as ``up`` leaves it: the lab.json dict plus ``dir`` (a Path).

    One lab serves the session: before each test it is put back as it was right after
    ``up`` (lab.reset: zones, Route 53, S3, files; killed origins revived, suspensions
    lifted) and checked against that snapshot. A lab that cannot be put back (a server a
    test killed, froze or left changed) is stopped and a fresh one started, so every test
    gets a lab that is as new, whatever the test before it did. A test marked
    ``@pytest.mark.own_lab`` (it freezes or kills a server mid-move) gets one of its own.
    Read DNS with ``lab.core.bind_answers(lab, "www")`` and ``route53_answers(lab, "www")``.
    """
    if request.node.get_closest_marker("own_lab") is not None:
        yield from _own_lab(tmp_path / "lab")
        return
    root = _shared_lab_dir
    data: dict[str, Any] | None = None
    if (root / "lab.json").exists():
        try:
            data = lab_reset.reset(root)
        except lab_core.LabError as exc:
            print(f"\n(lab: a fresh one: {exc})")  # shown with -s or on failure
            lab_core.down(root)
    if data is None:
        shutil.rmtree(root, ignore_errors=True)
        try:
            data = lab_core.up(root)
            lab_reset.snapshot(root)
        except lab_core.LabError as exc:
            lab_core.down(root)
            pytest.fail(f"the lab did not start: {exc}", pytrace=False)
    yield {**data, "dir": root.resolve()}


def _own_lab(root: Path) -> Iterator[dict[str, Any]]:
    """A lab of the test's own, stopped afterwards: for a test that freezes or kills a
    server mid-move (``@pytest.mark.own_lab``), so nothing it does reaches another test."""
    try:
        data = lab_core.up(root)
    except lab_core.LabError as exc:
        pytest.fail(f"the lab did not start: {exc}", pytrace=False)
    try:
        yield {**data, "dir": root.resolve()}
    finally:
        lab_core.down(root)


@pytest.fixture
def cluster_lab(tmp_path: Path) -> Iterator[dict[str, Any]]:
    """A fresh clustered lab (``python -m lab up --cluster --no-watchers``): the default lab
    plus five vendors' etcd members and their configs; lab.json dict plus ``dir``.

    Watchers are left to the test (``lab.vendors.start_watchers``) so it controls timing.
    """
    from lab import vendors

    root = tmp_path / "lab"
    try:
        lab_core.up(root)
        data = vendors.start(root, watchers=False)
    except lab_core.LabError as exc:
        lab_core.down(root)
        pytest.fail(f"the clustered lab did not start: {exc}", pytrace=False)
    try:
        yield {**data, "dir": root.resolve()}
    finally:
        lab_core.down(root)


@pytest.fixture
def etcd_cluster(tmp_path: Path) -> Iterator[lab_etcd.Cluster]:
    """A fresh three-member etcd cluster (members aws, gcp, metal) in ``tmp_path/etcd``.

    ``.endpoints`` are the client URLs; ``.kill(name)``, ``.stop(name)``/``.cont(name)``
    and ``.restart(name)`` break and mend it. Function scope, since tests break it;
    stopped afterwards even if the test fails.
    """
    try:
        cluster = lab_etcd.start_cluster(tmp_path / "etcd", ["aws", "gcp", "metal"])
    except lab_core.LabError as exc:
        pytest.fail(f"etcd did not start: {exc}", pytrace=False)
    try:
        yield cluster
    finally:
        cluster.down()


@pytest.fixture
def etcd_tls_cluster(tmp_path: Path) -> Iterator[lab_etcd.Cluster]:
    """``etcd_cluster`` with mutual TLS on the client URLs (https, ``--client-cert-auth``):
    ``.tls`` names the throwaway CA and the client certificate and key made for it."""
    try:
        cluster = lab_etcd.start_cluster(tmp_path / "etcd", ["aws", "gcp", "metal"], tls=True)
    except lab_core.LabError as exc:
        pytest.fail(f"etcd with TLS did not start: {exc}", pytrace=False)
    try:
        yield cluster
    finally:
        cluster.down()


@pytest.fixture
def lab_all(tmp_path: Path) -> Iterator[dict[str, Any]]:
    """``lab`` with every DNS provider (``up --providers all``): also PowerDNS and the
    Cloudflare and Cloud DNS stand-ins, the parent delegating to all five, and example.test
    registered at moto's Route 53 Domains. About a second slower to start than ``lab``."""
    root = tmp_path / "lab"
    try:
        data = lab_core.up(root, providers="all")
    except lab_core.LabError as exc:
        pytest.fail(f"the lab did not start: {exc}", pytrace=False)
    try:
        yield {**data, "dir": root.resolve()}
    finally:
        lab_core.down(root)
    # The Cloudflare and Cloud DNS stand-ins record every request or answer their vendor's
    # published API description does not allow (lab/apischema): any is a failure.
    found = [line for path in sorted(root.glob("*.violations.jsonl"))
             for line in path.read_text().splitlines() if line.strip()]
    if found:
        pytest.fail(f"{len(found)} schema violation(s) at the API stand-ins:\n"
                    + "\n".join(found[:10]), pytrace=False)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]
                              ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """In CI (``CI`` set), a skipped integration test is a failure: a missing server must show."""
    report = yield
    ci = os.environ.get("CI", "").lower() not in ("", "0", "false", "no")
    if ci and report.skipped and item.get_closest_marker("integration") is not None \
            and not hasattr(report, "wasxfail"):
        reason = report.longrepr[-1] if isinstance(report.longrepr, tuple) else report.longrepr
        report.outcome = "failed"
        report.longrepr = f"integration tests must not skip in CI; it skipped: {reason}"
    return report


# The longest tests (a clustered lab each, a minute or more) start first, so that make
# test's two workers finish together instead of one waiting on them at the end.
LONGEST_FIRST = ("test_member_replace.py", "test_matrix_lab.py", "test_partition_trials.py",
                 "test_hostile_property.py", "test_fence_lab.py", "test_tour.py",
                 "test_split_brain.py", "test_lab_partition.py", "test_lab_cluster.py",
                 "test_etcd_rejoin.py", "test_lab_resolver.py")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=lambda item: item.path.name not in LONGEST_FIRST)
