"""The one function for text that comes from outside: :func:`clean`.

failover reads text from the very vendors that may be cutting it off: HTTP
status lines and headers, control-plane and API error messages, DNS answers,
apprise's errors. Such text is written by someone else, so before it is kept
(journal, events, notices) or shown (terminal, email), it passes :func:`clean`,
which makes it one inert line: no control character (C0, DEL, C1), no ANSI
escape sequence of any kind (CSI, OSC, DCS and the other strings, 7-bit or 8-bit),
no bidirectional override that would make a line read as something it is not,
newlines and tabs folded to single spaces, and a bounded length.

What :func:`clean` does not do is escape for a medium: rich markup (``[bold]``),
HTML and Markdown are each escaped by the renderer that writes them.
"""

from __future__ import annotations

import re

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


def clean(text: object, limit: int = MAX_TEXT) -> str:
    """``text`` from outside as one inert line of at most ``limit`` characters.

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
    line = " ".join(raw.split())
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
