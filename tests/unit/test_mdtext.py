"""Text from outside in Markdown (failover.reports.mdtext.md): the runbook and the drill
report quote a vendor's words; none of them may become a link, an image, code, a table
cell boundary, HTML or an escape sequence (issue 21)."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from failover.drill import DrillReport
from failover.reports.drillreport import markdown
from failover.reports.mdtext import fence_safe, md
from tests.hypo import cases

PIECES = ["[click](javascript:alert(1))", "![x](https://evil.example/t.png)", "`rm -rf /`",
          "```", "| a | b |", "<script>alert(1)</script>", "<img src=x onerror=alert(1)>",
          "**bold**", "~~gone~~", "\\", "&lt;", "\x1b[2J", "\x1b]0;PWNED\x07", "\n", "\x00"]
hostile = st.lists(st.one_of(st.sampled_from(PIECES), st.text(max_size=10)),
                   max_size=12).map("".join)
# An unescaped character Markdown acts on: one not preceded by a backslash.
_ACTIVE = re.compile(r"(?<!\\)(?:\\\\)*[`*_\[\]|~]")


def _inert_markdown(text: str) -> None:
    assert "<" not in text and ">" not in text
    assert not any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F for c in text)
    unescaped = re.sub(r"\\.", "", text)          # drop every backslash escape
    assert not re.search(r"[`*_\[\]|~]", unescaped), text
    assert re.sub(r"&(amp|lt|gt);", "", text).count("&") == 0


@given(hostile)
@cases(500)
def test_any_text_is_inert_markdown(text: str) -> None:
    _inert_markdown(md(text))


@given(hostile)
@cases(200)
def test_a_fenced_line_cannot_close_its_fence(text: str) -> None:
    line = fence_safe(text)
    assert "```" not in line
    assert not any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F for c in line)


@given(hostile, hostile, hostile)
@cases(100)
def test_a_drill_report_quoting_a_vendor_stays_inert(sentence: str, error: str,
                                                     detail: str) -> None:
    report = DrillReport("s", "example.test.", "aws", "simulate", False, "f.yaml", 10.0, 3, 2,
                         5.0, ["a"], 1000.0, finished=1010.0, errors=[error],
                         restored={"detail": detail}, sentence=sentence)
    text = markdown(report)
    active = re.sub(r"\\.", "", text)            # what is left once escapes are read
    for marker in ("](javascript:", "](https://evil", "<script", "<img", "\x1b"):
        assert marker not in active
    for line in text.splitlines():
        if line.startswith(("- Problem: ", "- Left as found: ")):
            _inert_markdown(line.split(": ", 1)[1].split("; vendor")[0])
