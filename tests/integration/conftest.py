"""Fixtures shared by the cluster tests (etcd, watchers, BIND): see clusterworld.py."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from lab import etcd as lab_etcd
from tests.integration.clusterworld import World


@pytest.fixture
def world(tmp_path: Path, etcd_cluster: lab_etcd.Cluster) -> Iterator[World]:
    """Watchers and a BIND over the three-member etcd cluster; closed after the test."""
    w = World(tmp_path, etcd_cluster)
    try:
        yield w
    finally:
        w.close()
