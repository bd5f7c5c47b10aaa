"""The fence's value and name (failover.dns.fence): what is written reads back, and
anything else in the zone's ``_failover-fence`` TXT (written by whoever can write
there) is no epoch at all, never a traceback."""

from __future__ import annotations

import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from failover.dns.fence import (
    MAX_EPOCH,
    Fence,
    check_deadline,
    epoch_of,
    fence_name,
    is_fence,
    moved,
    parse_fence,
    refuse_newer,
    shown,
)
from failover.errors import FenceLost, LeaseWindowClosed, ProviderConflict
from failover.records import RRSet
from tests.hypo import cases

ZONE = "example.com."


def test_the_name_is_absolute_and_lower_case() -> None:
    assert fence_name("Example.COM") == "_failover-fence.example.com."
    assert fence_name(ZONE) == "_failover-fence.example.com."
    assert is_fence("_failover-fence.example.com.") and is_fence("_FAILOVER-FENCE")
    assert not is_fence("www.example.com.") and not is_fence("x._failover-fence.example.com.")


def test_the_value_written_is_the_one_shown_in_the_brief() -> None:
    assert Fence(123).txt() == "failover-fence epoch=123"
    assert Fence(123).rrset(ZONE).values == ('"failover-fence epoch=123"',)


@pytest.mark.parametrize("epoch", [-1, MAX_EPOCH + 1])
def test_an_epoch_outside_an_etcd_revision_is_refused(epoch: int) -> None:
    with pytest.raises(ValueError, match="etcd revision"):
        Fence(epoch)


@cases(200)
@given(st.integers(min_value=0, max_value=MAX_EPOCH))
def test_what_is_written_reads_back_quoted_or_not(epoch: int) -> None:
    fence = Fence(epoch)
    assert parse_fence([fence.txt()]) == epoch
    assert parse_fence(fence.rrset(ZONE).values) == epoch
    # Split into two <character-string>s, as a server may present it.
    assert parse_fence(['"failover-fence " "epoch=' + str(epoch) + '"']) == epoch


HOSTILE = [
    "",
    '""',
    "x" * 1_000_000,
    '"failover-fence epoch=' + "9" * 100_000 + '"',
    "failover-fence epoch=9223372036854775808",        # 2**63: not an etcd revision
    "failover-fence epoch=99999999999999999999",
    "failover-fence epoch=007",                         # not as we write it
    "failover-fence epoch=-1",
    "failover-fence epoch=1e9",
    "failover-fence epoch= 5",
    "failover-fence  epoch=5",
    "FAILOVER-FENCE EPOCH=5",
    "failover-fence epoch=٣",                           # a digit, but not ASCII
    "failover-fence epoch=5\x1b[31m",
    "\x1b]0;owned\x07failover-fence epoch=5",
    "failover-fence epoch=5\x00",
    '"failover-fence epoch=5',                          # unterminated
    '"failover-fence epoch=5" trailing',
    '"failover-fence \\"epoch=5"',
    "\u202efailover-fence epoch=5",
    "<script>alert(1)</script>",
]


@pytest.mark.parametrize("text", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_values_are_no_epoch(text: str) -> None:
    assert parse_fence([text]) is None


def test_blanks_around_a_value_are_a_presentation_detail() -> None:
    assert parse_fence(["failover-fence epoch=5 ", " failover-fence epoch=5\n"]) == 5


def test_several_records_read_as_the_highest_of_ours() -> None:
    assert parse_fence(["failover-fence epoch=3", '"failover-fence epoch=9"', "junk",
                        "x" * 10_000]) == 9
    assert parse_fence(["junk", "more junk"]) is None
    assert parse_fence([]) is None


def test_values_that_are_not_text_are_no_epoch() -> None:
    assert epoch_of(b"failover-fence epoch=5") is None
    assert epoch_of(5) is None
    assert epoch_of(None) is None


@cases(300)
@given(st.lists(st.text(max_size=300), max_size=5))
def test_any_text_parses_to_none_or_an_epoch_and_never_raises(texts: list[str]) -> None:
    got = parse_fence(texts)
    assert got is None or 0 <= got <= MAX_EPOCH


def test_a_hostile_fence_is_shown_as_one_inert_line() -> None:
    held = RRSet.of(fence_name(ZONE), "TXT", 60, ["\x1b[31mred\nline" + "x" * 500])
    text = shown(held)
    assert text.startswith("unreadable fence") and "\x1b" not in text and "\n" not in text
    assert len(text) < 120
    lost = moved("bind", Fence(4).rrset(ZONE), held, Fence(4))
    assert "\x1b" not in str(lost) and "\n" not in str(lost)


def test_fence_lost_says_who_holds_what() -> None:
    with pytest.raises(FenceLost) as lost:
        refuse_newer("bind", Fence(812).rrset(ZONE), Fence(790))
    assert str(lost.value) == ("bind: fenced by a newer leader (epoch 812 > our 790): this "
                               "node writes nothing more")
    assert isinstance(lost.value, ProviderConflict)
    assert (lost.value.held, lost.value.ours) == (812, 790)
    refuse_newer("bind", Fence(790).rrset(ZONE), Fence(790))   # equal: ours to write
    refuse_newer("bind", None, Fence(790))                      # absent: ours to set


def test_no_batch_starts_after_the_deadline() -> None:
    check_deadline("bind", None, 0, 1, "UPDATE")
    check_deadline("bind", Fence(1), 0, 1, "UPDATE")
    check_deadline("bind", Fence(1, deadline=time.monotonic() + 60), 0, 1, "UPDATE")
    with pytest.raises(LeaseWindowClosed, match=r"^bind: .* before UPDATE 2 of 3 could start"):
        check_deadline("bind", Fence(1, deadline=time.monotonic()), 1, 3, "UPDATE")


def test_a_config_cannot_manage_the_fence_name() -> None:
    from failover.config import parse_config
    from failover.errors import ConfigError

    with pytest.raises(ConfigError, match=r"^f\.yaml:3: records\.1\.name: '_failover-fence' is "
                                          r"where failover keeps its fencing token"):
        parse_config("""\
service: s
zone: example.test.
records: [{name: www}, {name: _failover-fence, type: CNAME}]
vendors: {v: {}}
hosting: {h: {vendor: v, endpoints: {A: [192.0.2.1]}}}
dns:
  r: {vendor: v, kind: rfc2136, server: 127.0.0.1}
""", "f.yaml")
