"""No import cycle in failover/, cli/ or lab/: imports inside functions and under
TYPE_CHECKING count too (grimp reads every import statement), so a cycle cannot hide
behind a late import. The layers themselves are import-linter's contract (make lint)."""

from __future__ import annotations

import pathlib
import sys
import tempfile

import grimp


def cycles(*packages: str) -> list[list[str]]:
    """The import graph's strongly connected components of more than one module."""
    graph = grimp.build_graph(*packages, cache_dir=None)
    edges = {m: graph.find_modules_directly_imported_by(m) for m in graph.modules}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:  # Tarjan, iterative enough for a few hundred modules
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in edges[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            part = []
            while True:
                w = stack.pop()
                on.discard(w)
                part.append(w)
                if w == v:
                    break
            if len(part) > 1:
                found.append(sorted(part))

    for module in sorted(edges):
        if module not in index:
            visit(module)
    return found


def test_no_import_cycle_in_failover_cli_or_lab() -> None:
    found = cycles("failover", "cli", "lab")
    assert not found, "import cycles (in-function and TYPE_CHECKING imports count):\n" + \
        "\n".join(" -> ".join(c) for c in found)


def test_a_cycle_is_found() -> None:
    """The check can fail: a cycle closed by an in-function import on one side and a
    TYPE_CHECKING import on the other is reported."""
    with tempfile.TemporaryDirectory() as tmp:
        pkg = pathlib.Path(tmp) / "cyc"
        pkg.mkdir()
        (pkg / "__init__.py").write_text("")
        (pkg / "a.py").write_text("def f():\n    from cyc import b\n")
        (pkg / "b.py").write_text("from typing import TYPE_CHECKING\n"
                                  "if TYPE_CHECKING:\n    from cyc import a\n")
        sys.path.insert(0, tmp)
        try:
            assert cycles("cyc") == [["cyc.a", "cyc.b"]]
        finally:
            sys.path.remove(tmp)
