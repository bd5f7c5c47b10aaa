"""The property counts that are promises hold in every profile (tests/hypo.py)."""

from __future__ import annotations

from tests.unit import test_never_empty


def test_never_empty_runs_ten_thousand_cases_in_any_profile() -> None:
    test = test_never_empty.test_no_plan_of_any_kind_leaves_a_record_without_an_answer
    assert test._hypothesis_internal_use_settings.max_examples >= 10_000  # type: ignore[attr-defined]
