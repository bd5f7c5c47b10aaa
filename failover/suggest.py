"""Did you mean: the name a person probably meant, from the names that exist.

A tired operator types `--off AWS` or `--to gcp-euw`; the error should name the
one they meant, so the fix is to retype one word. Case first (names are
compared as written), then the closest spelling.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def closest(word: str, names: Iterable[str]) -> str | None:
    """The name ``word`` most likely meant, or None when none is close."""
    names = sorted(names)
    folded = [n for n in names if n.casefold() == word.casefold()]
    if folded:
        return folded[0]
    found = difflib.get_close_matches(word.casefold(), [n.casefold() for n in names], n=1,
                                      cutoff=0.6)
    return next((n for n in names if found and n.casefold() == found[0]), None)


def did_you_mean(word: str, names: Iterable[str], template: str = "{}") -> str:
    """' (did you mean 'X'?)' with X put into ``template``, or '' when nothing is close."""
    name = closest(word, names)
    return f" (did you mean '{template.format(name)}'?)" if name is not None else ""
