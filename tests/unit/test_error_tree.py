"""failover/errors.py draws its exception tree in its docstring: the drawing is true."""

from __future__ import annotations

import inspect
import re

from failover import errors


def _drawn() -> dict[str, str | None]:
    """Class name -> the parent the drawing nests it under (None for the root)."""
    doc = errors.__doc__ or ""
    lines = [line for line in doc.split("::", 1)[1].splitlines() if line.strip()]
    parents: dict[str, str | None] = {}
    stack: list[tuple[int, str]] = []
    for line in lines:
        indent = len(line) - len(line.lstrip())
        name = re.match(r"\s*(\w+)", line).group(1)  # type: ignore[union-attr]
        while stack and stack[-1][0] >= indent:
            stack.pop()
        parents[name] = stack[-1][1] if stack else None
        stack.append((indent, name))
    return parents


def test_the_drawn_tree_is_the_class_tree() -> None:
    real = {name: cls.__mro__[1].__name__ if cls is not errors.FailoverError else None
            for name, cls in inspect.getmembers(errors, inspect.isclass)
            if issubclass(cls, errors.FailoverError) and cls.__module__ == errors.__name__}
    assert _drawn() == real
