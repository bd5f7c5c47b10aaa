"""The one function for text that comes from outside: :func:`clean`.

failover reads text from the very vendors that may be cutting it off: HTTP
status lines and headers, control-plane and API error messages, DNS answers,
apprise's errors. Such text is written by someone else, so before it is kept
(journal, events, notices) or shown (terminal, email), it passes :func:`clean`,
which makes it one inert line: no control character (C0, DEL, C1), no ANSI
escape sequence of any kind (CSI, OSC, DCS and the other strings, 7-bit or 8-bit),
no bidirectional override that would make a line read as something it is not,
newlines and tabs folded to single spaces, and a bounded length.

It also masks every secret this process has read (:func:`remember_secret`; the
secret readers call it) in every form a vendor or a library may echo it: as is,
split by whitespace or a line break, escaped as ``repr`` or JSON would, URL-encoded,
and inside base64 (an ``Authorization: Basic`` header of ``user:password``).

What :func:`clean` does not do is escape for a medium: rich markup (``[bold]``),
HTML and Markdown are each escaped by the renderer that writes them.
"""

from __future__ import annotations

import base64
import json
import re
import threading
import urllib.parse

MAX_TEXT = 300
ELLIPSIS = "..."

# Work is bounded too: text far longer than any bound is cut before it is searched.
_READ_FACTOR = 8
_READ_EXTRA = 4096

# ECMA-48 sequences, 7-bit (ESC ...) and 8-bit (C1 introducers):
# - CSI: parameters 0x30-0x3f, intermediates 0x20-0x2f, one final byte 0x40-0x7e;
# - OSC, DCS, SOS, PM, APC: a string up to BEL or ST (ESC \ or 0x9c); an unterminated
#   one is dropped up to the next escape or the end, as a terminal would swallow it;
# - any other ESC sequence: intermediates and one final byte.
_SEQUENCES = re.compile(
    r"(?:\x1b\[|\x9b)[\x30-\x3f]*[\x20-\x2f]*[\x40-\x7e]?"
    r"|(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?"
    r"|\x1b[\x20-\x2f]*[\x30-\x7e]?"
)
# Controls that are not whitespace (str.split folds the others: \t \n \v \f \r,
# 0x1c-0x1f, NEL), and the bidirectional controls (Trojan Source, CVE-2021-42574).
_CONTROLS = re.compile("[\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f"
                       "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


MASK = "***"
# Shorter values would mask ordinary words in every line of the process (a probe's own
# scrub masks its secrets from 4 characters on); a secret split by whitespace is looked
# for from _MIN_SPLIT on (a short one would match words spaced apart).
MIN_SECRET = 6
_MIN_SPLIT = 8
_known: set[str] = set()
_pattern: re.Pattern[str] | None = None
_lock = threading.Lock()


def remember_secret(value: str | None) -> None:
    """Mask ``value`` in everything :func:`clean` returns from now on, in this process."""
    global _pattern
    if not value or len(value) < MIN_SECRET:
        return
    with _lock:
        if value not in _known:
            _known.add(value)
            _pattern = None


def forget_secrets() -> None:
    """Forget every remembered secret (tests: one test's secrets are not another's)."""
    global _pattern
    with _lock:
        _known.clear()
        _pattern = None


def _forms(secret: str) -> set[str]:
    """The texts a secret may show up as, each of at least ``MIN_SECRET`` characters."""
    forms = {secret, json.dumps(secret)[1:-1], repr(secret)[1:-1],
             secret.encode("unicode_escape").decode("ascii"),
             urllib.parse.quote(secret, safe=""), urllib.parse.quote_plus(secret),
             urllib.parse.quote(secret)}
    data = secret.encode("utf-8")
    for offset in range(3):
        # base64 of any text that holds the secret (user:password) holds, at one of three
        # alignments, the characters that only the secret's bytes determine.
        encoded = base64.b64encode(b"\0" * offset + data).decode("ascii").rstrip("=")
        first = -(-8 * offset // 6)                  # the first char wholly of the secret
        last = (8 * (offset + len(data))) // 6       # one past the last such char
        core = encoded[first:last]
        if len(core) >= 6:
            forms |= {core, core.replace("+", "-").replace("/", "_")}
    return {f for f in forms if len(f) >= MIN_SECRET}


def _secrets_pattern() -> re.Pattern[str] | None:
    global _pattern
    with _lock:
        if _pattern is None and _known:
            forms: set[str] = set()
            for secret in _known:
                forms |= _forms(secret)
            parts = [re.escape(f) for f in sorted(forms, key=len, reverse=True)]
            # Split by whitespace (a line break, folded to a space by now).
            parts += [r"\s?".join(re.escape(c) for c in s)
                      for s in sorted(_known, key=len, reverse=True) if len(s) >= _MIN_SPLIT]
            _pattern = re.compile("|".join(parts))
        return _pattern


def redact(text: str) -> str:
    """``text`` with every remembered secret masked, in each of its forms."""
    pattern = _secrets_pattern()
    return text if pattern is None else pattern.sub(MASK, text)


def clean(text: object, limit: int = MAX_TEXT) -> str:
    """``text`` from outside as one inert line of at most ``limit`` characters, with
    every remembered secret masked.

    Accepts anything: bytes are decoded as UTF-8 (invalid bytes become U+FFFD),
    other objects are turned into text with ``str()``. Never raises.
    """
    raw = _as_text(text)
    limit = max(0, int(limit))
    cut = limit * _READ_FACTOR + _READ_EXTRA
    if len(raw) > cut:
        raw = raw[:cut]
    raw = _SEQUENCES.sub("", raw)
    raw = _CONTROLS.sub("", raw)
    # Masked before the line is cut, so that a cut never leaves half a secret behind.
    line = redact(" ".join(raw.split()))
    if len(line) <= limit:
        return line
    if limit <= len(ELLIPSIS):
        return line[:limit]
    return line[: limit - len(ELLIPSIS)] + ELLIPSIS


def _as_text(value: object) -> str:
    if isinstance(value, str):
        text = value
    elif isinstance(value, (bytes, bytearray, memoryview)):
        text = bytes(value).decode("utf-8", "replace")
    else:
        try:
            text = str(value)
        except Exception:   # a hostile __str__ must not take the caller down
            return f"<{type(value).__name__}>"
    # Lone surrogates (from surrogateescape decoding) cannot be written to a UTF-8 stream.
    return text.encode("utf-8", "replace").decode("utf-8")
