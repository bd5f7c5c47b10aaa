"""Every test gets a fresh Pulumi runtime under mocks; nothing leaks into the next."""

from __future__ import annotations

import warnings
from collections.abc import Iterator

import pytest

from tests.infra.harness import Harness


@pytest.fixture
def pulumi_mocks() -> Iterator[Harness]:
    harness = Harness()
    yield harness
    Harness.configure({}, [])


@pytest.fixture(autouse=True)
def _quiet_sdk_deprecations() -> Iterator[None]:
    # The SDKs warn about resources we never use when their modules load.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"pulumi_")
        yield
