"""failover.untrusted.clean: whatever a vendor sends, what comes out is one inert, bounded line.

Hostile content: ANSI/OSC/CSI escapes (7-bit and 8-bit), rich markup, NUL, invalid
UTF-8, bytes, objects whose ``str()`` raises, huge strings.
"""

from __future__ import annotations

import base64
import json
import time
import urllib.parse

from hypothesis import given
from hypothesis import strategies as st

from failover.untrusted import ELLIPSIS, MASK, clean, forget_secrets, remember_secret
from tests.hypo import cases

ESC = "\x1b"
HOSTILE = [
    f"{ESC}]0;PWNED-TITLE\x07",              # set the window title (OSC, BEL)
    f"{ESC}]0;PWNED-TITLE{ESC}\\",            # ... ended by ST
    f"{ESC}[2J{ESC}[H",                        # clear the screen, cursor home (CSI)
    f"{ESC}]8;;https://evil.example/phish{ESC}\\click{ESC}]8;;{ESC}\\",   # OSC 8 link
    "\x9b31m", "\x9d0;title\x9c", "\x9b", "\x9d", "\x90dcs\x9c",          # 8-bit C1
    f"{ESC}P1$r{ESC}\\", f"{ESC}_apc{ESC}\\", f"{ESC}c", f"{ESC}(B", ESC,
    f"{ESC}[38;5;196", f"{ESC}]52;c;ZXZpbA==",   # unterminated: cut at the end of text
    "[/bold]", "[link=https://evil.example/phish]x[/link]", "\x00", "\x7f", "\r", "\n\t\v\f",
    "\u202e", "\u2066", "\ud800",
]


def inert(text: str) -> bool:
    """No control character (C0, DEL, C1): nothing a terminal would act on."""
    return not any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F for c in text)


hostile_text = st.lists(st.one_of(st.text(), st.sampled_from(HOSTILE)), max_size=30).map("".join)


@given(hostile_text, st.integers(min_value=0, max_value=400))
def test_any_text_comes_out_inert_and_bounded(text: str, limit: int) -> None:
    out = clean(text, limit)
    assert inert(out), repr(out)
    assert ESC not in out and "\x9b" not in out and "\x9d" not in out
    assert len(out) <= limit
    out.encode("utf-8")   # writable to any UTF-8 stream: no lone surrogate (else raises)


@given(st.binary(max_size=2000))
def test_any_bytes_come_out_inert(raw: bytes) -> None:
    out = clean(raw)
    assert inert(out) and len(out) <= 300


words = st.text(alphabet=st.characters(categories=["L", "N", "P", "S"]), min_size=1,
                max_size=20)


@given(st.lists(words, min_size=1, max_size=30).map(" ".join),
       st.integers(min_value=4, max_value=400))
def test_printable_text_passes_unchanged_up_to_the_bound(text: str, limit: int) -> None:
    out = clean(text, limit)
    if len(text) <= limit:
        assert out == text
    else:
        assert out == text[: limit - len(ELLIPSIS)] + ELLIPSIS


def test_markup_is_left_to_the_renderer() -> None:
    # clean makes text inert for terminals; rich markup is escaped where it is rendered.
    assert clean("[/bold] [link=https://evil.example]x[/link]") == \
        "[/bold] [link=https://evil.example]x[/link]"


def test_an_origin_header_is_reduced_to_its_words() -> None:
    said = (f"{ESC}]0;PWNED-TITLE\x07{ESC}[2J\r\nFAKE: all\x9b31m hostings{ESC}[0m UP"
            f" {ESC}]8;;https://evil.example/phish{ESC}\\here{ESC}]8;;{ESC}\\")
    assert clean(said) == "FAKE: all hostings UP here"


def test_newlines_and_tabs_fold_to_one_space() -> None:
    assert clean("a\r\n\tb  \n c\x00d") == "a b cd"


def test_bytes_invalid_utf8_and_objects() -> None:
    assert clean(b"ok \xff\xfe") == "ok \ufffd\ufffd"
    assert clean(ValueError(f"bad{ESC}[31m thing")) == "bad thing"
    assert clean(None) == "None"

    class Hostile:
        def __str__(self) -> str:
            raise RuntimeError("no")

    assert clean(Hostile()) == "<Hostile>"


def test_huge_text_is_cut_quickly() -> None:
    huge = (f"{ESC}[2J" + "x" * 1000 + "\n") * 20_000   # about 20 MB
    started = time.monotonic()
    out = clean(huge)
    assert time.monotonic() - started < 1.0
    assert len(out) == 300 and out.endswith(ELLIPSIS) and inert(out)


def test_small_limits() -> None:
    assert clean("abcdef", 0) == ""
    assert clean("abcdef", 2) == "ab"
    assert clean("abcdef", 5) == "ab..."


# -- secrets, in every form a vendor or a library echoes them ---------------------------

secrets = st.text(alphabet=st.characters(codec="ascii", categories=["L", "N", "P", "S"]),
                  min_size=8, max_size=40).filter(lambda s: MASK[0] not in s)


def _forms(secret: str, cut: int) -> list[str]:
    """How a vendor or a library may quote ``secret``: as is, split by a line break (a
    token file with a newline inside, a wrapped log line), repr- and JSON-escaped,
    URL-encoded, in an Authorization: Basic header."""
    cut = 1 + cut % (len(secret) - 1)
    return [secret, f"{secret[:cut]}\n{secret[cut:]}", f"{secret[:cut]}\r\n{secret[cut:]}",
            repr(secret), repr(secret.encode()), json.dumps(secret),
            urllib.parse.quote(secret, safe=""), urllib.parse.quote_plus(secret),
            "Basic " + base64.b64encode(f"admin:{secret}".encode()).decode(),
            base64.b64encode(f"ab:{secret}".encode()).decode(),
            base64.urlsafe_b64encode(f"{secret}".encode()).decode()]


@given(secrets, st.integers(min_value=0), hostile_text, hostile_text)
@cases(300)
def test_a_remembered_secret_never_comes_out_in_any_form(
        secret: str, cut: int, before: str, after: str) -> None:
    forget_secrets()
    remember_secret(secret)
    try:
        for form in _forms(secret, cut):
            out = clean(f"{before} Invalid header value b'Bearer {form}' {after}", 10_000)
            for shown in (secret, json.dumps(secret)[1:-1], urllib.parse.quote(secret, safe="")):
                assert shown not in out, (form, out)
            assert " ".join(secret.split()) not in out.replace(MASK, "")
    finally:
        forget_secrets()


def test_a_secret_is_masked_before_the_line_is_cut() -> None:
    remember_secret("SEKRET-0123456789")
    try:
        out = clean("x" * 290 + "SEKRET-0123456789", 300)
        assert "SEKRET" not in out and out.endswith(MASK)
        # Ordinary text and short values are left alone.
        remember_secret("pass")
        assert clean("tests passed") == "tests passed"
    finally:
        forget_secrets()
