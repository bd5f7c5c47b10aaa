"""Text from outside, made safe to put in Markdown (the runbook, the drill report).

A vendor's error text or a probe's reason may hold ``[click](javascript:...)``,
``![](https://tracker)``, backticks, ``<script>``, ``|`` that would end a table
cell, or escapes. :func:`md` makes it one inert line (:func:`failover.untrusted.clean`:
no controls, secrets masked, bounded), then escapes what Markdown and the HTML it
may carry would act on, so that it reads as the words it is.
"""

from __future__ import annotations

import re

from failover.untrusted import clean

_CONTROLS = re.compile("[\\x00-\\x1f\\x7f-\\x9f]")

# Markdown's inline syntax (emphasis, code, links and images, tables, strikethrough,
# escapes); HTML's three as entities, which Markdown passes through as text.
_MARKDOWN = str.maketrans({c: "\\" + c for c in "\\`*_[]|~"}
                          | {"<": "&lt;", ">": "&gt;", "&": "&amp;"})


def md(text: object, limit: int = 500) -> str:
    """``text`` from outside as inert Markdown inline text (table cells too)."""
    return clean(text, limit).translate(_MARKDOWN)


def fence_safe(line: str) -> str:
    """A line for inside a fenced code block (its columns kept): no control character,
    and no fence to close the block."""
    return _CONTROLS.sub("", line).replace("```", "` ` `")
