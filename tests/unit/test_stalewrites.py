"""The partition trials' judge (bench.stalewrites): a stale leader's write that lands after
the new leader's first is found in BIND's journal and in sampled answers; one that landed
before is not; hostile journal text is skipped, never a traceback."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bench.stalewrites import Sample, journal_updates, journal_violations, sample_violations
from tests.hypo import cases

NAME = "www.example.test."
STALE = ("127.0.0.12",)


def _update(serial: int, epoch: int | None = None, answer: str | None = None) -> str:
    soa = "example.test.\t\t300\tIN\tSOA\tns1.example.test. hostmaster.example.test. {} 3600 " \
          "600 86400 60"
    lines = [f"del {soa.format(serial - 1)}", f"add {soa.format(serial)}"]
    if epoch is not None:
        lines.append(f'add _failover-fence.example.test. 60 IN\tTXT\t"failover-fence '
                     f'epoch={epoch}"')
    if answer is not None:
        lines.append(f"add {NAME}\t5\tIN\tA\t{answer}")
    return "\n".join(lines)


def _judge(*updates: str, since: int = 10) -> list[str]:
    return journal_violations(journal_updates("\n".join(updates)), since, 100, NAME, STALE,
                              False)


def test_journal_orders_a_stale_write_after_the_new_fence() -> None:
    # the old leader (epoch 100) wrote before the new leader's fence (epoch 120): allowed
    assert _judge(_update(11, 100, "127.0.0.12"), _update(12, 120),
                  _update(13, 120, "127.0.0.13")) == []
    # the same write landing after the fence: a violation, twice over
    found = _judge(_update(11, 120), _update(12, 100, "127.0.0.12"))
    assert found == ["bind journal: serial 12 set the fence back from epoch 120 to 100",
                     "bind journal: serial 12 wrote the stale leader's answer 127.0.0.12 "
                     "after serial 11 set the new fence"]
    # updates before the trial's serial are not the trial's
    assert _judge(_update(9, 120), _update(10, 100, "127.0.0.12")) == []
    # the new leader wrote the stale answer itself: only the fence can tell
    assert journal_violations(journal_updates("\n".join([_update(11, 120),
                              _update(12, 120, "127.0.0.12")])), 10, 100, NAME, STALE,
                              True) == []


def test_samples_flag_a_fence_going_back_or_the_answer_turning_stale() -> None:
    def s(at: float, answer: str | None, epoch: int | None) -> Sample:
        return Sample(at, (answer,) if answer else None, epoch)

    # landed before the new fence, so still served when it arrives: allowed
    before = [s(1, "127.0.0.11", 100), s(2, "127.0.0.12", 100), s(3, "127.0.0.12", 120),
              s(4, "127.0.0.13", 120)]
    assert sample_violations("pdns", before, 100, STALE, False) == []
    back = [s(1, "127.0.0.11", 100), s(2, "127.0.0.11", 120), s(3, "127.0.0.12", 100)]
    assert sample_violations("pdns", back, 100, STALE, False) == [
        "pdns: fence went back from epoch 120 to 100 at 3.000"]
    turned = [s(1, "127.0.0.11", 120), s(2, None, None), s(3, "127.0.0.12", 120)]
    assert sample_violations("route53", turned, 100, STALE, False) == [
        "route53: changed to the stale leader's answer 127.0.0.12 at 3.000, after the new "
        "fence held (since 1.000)"]
    assert sample_violations("route53", turned, 100, STALE, True) == []


@given(st.text(max_size=400))
@cases(100)
def test_hostile_journal_text_never_raises(text: str) -> None:
    for u in journal_updates(text):
        u.epoch()
        u.answer(NAME)
    journal_violations(journal_updates(text), 0, None, NAME, STALE, False)


def test_foreign_fence_text_is_no_epoch() -> None:
    text = "\n".join([_update(11), 'add _failover-fence.example.test. 60 IN TXT "\x1b[31m epoch=9"',
                      "add garbage", "del x 5 IN SOA a b c"])
    updates = journal_updates(text)
    assert [u.epoch() for u in updates] == [None, None]
