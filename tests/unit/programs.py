"""Which external programs does the project's own code run? Read from the code itself.

``programs_run(paths)`` walks the Python files under ``paths`` and returns each program
named as the first word of a command (``subprocess.run([...])``, ``Popen``, ``spawn``,
``check_output``...) or looked up with ``shutil.which("...")``, with the places it is
named. A command whose first word is a variable is followed to the variable's assignment
in the same function or module (``named = shutil.which("named") or "/usr/sbin/named"``).
Commands built from ``sys.executable`` or from a path (the venv's ``failover``) run
Python programs that the venv installs, not Debian's, and are left out.
"""

from __future__ import annotations

import ast
import functools
from collections import defaultdict
from collections.abc import Iterable, Iterator
from pathlib import Path

# Functions whose first argument is an argv (the lab's and the bench's spawn helpers too).
RUNNERS = {"run", "Popen", "check_output", "check_call", "call", "spawn", "_spawn_proc",
           "execv", "execvp", "execvpe", "create_subprocess_exec"}
WHICH = {"which", "program"}  # shutil.which("x"), bench.peers.which / program("x")


def _name(func: ast.expr) -> str:
    if isinstance(func, ast.Attribute):
        return func.attr
    return func.id if isinstance(func, ast.Name) else ""


def _words(node: ast.expr | None) -> Iterator[str]:
    """Program names a value can hold: string constants, ``which("x")``, ``a or b``."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        yield node.value
    elif isinstance(node, ast.BoolOp):
        for value in node.values:
            yield from _words(value)
    elif isinstance(node, ast.Call) and _name(node.func) in (*WHICH, "str") and node.args:
        yield from _words(node.args[0])


class _Scan(ast.NodeVisitor):
    def __init__(self, where: str) -> None:
        self.where = where
        self.found: dict[str, set[str]] = defaultdict(set)
        self.scopes: list[dict[str, list[ast.expr]]] = [{}]

    def _assigns(self, body: Iterable[ast.AST]) -> dict[str, list[ast.expr]]:
        table: dict[str, list[ast.expr]] = defaultdict(list)
        for node in body:
            for sub in ast.walk(node):
                if isinstance(sub, ast.Assign):
                    for target in sub.targets:
                        if isinstance(target, ast.Name):
                            table[target.id].append(sub.value)
                elif isinstance(sub, ast.AnnAssign | ast.AugAssign) and sub.value is not None \
                        and isinstance(sub.target, ast.Name):
                    table[sub.target.id].append(sub.value)
                elif isinstance(sub, ast.For | ast.comprehension):
                    target = sub.target
                    if isinstance(target, ast.Tuple) and target.elts:
                        target = target.elts[0]  # for name, args in d.items()
                    if isinstance(target, ast.Name):
                        table[target.id].extend(self._items(sub.iter, table))
        return table

    def _items(self, node: ast.expr, table: dict[str, list[ast.expr]]) -> list[ast.expr]:
        """What a loop over ``node`` takes: a literal's items, or a dict's keys."""
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and node.func.attr in ("items", "keys"):
            node = node.func.value
        if isinstance(node, ast.Name):
            values = table.get(node.id) or self._lookup(node.id)
            node = values[-1] if values else node
        if isinstance(node, ast.List | ast.Tuple | ast.Set):
            return list(node.elts)
        if isinstance(node, ast.Dict):
            return [k for k in node.keys if k is not None]
        return []

    def _lookup(self, name: str) -> list[ast.expr]:
        for scope in reversed(self.scopes):
            if name in scope:
                return scope[name]
        return []

    def visit_Module(self, node: ast.Module) -> None:
        self.scopes = [self._assigns(n for n in node.body
                                     if not isinstance(n, ast.FunctionDef | ast.ClassDef))]
        self.generic_visit(node)

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self.scopes.append(self._assigns(node.body))
        self.generic_visit(node)
        self.scopes.pop()

    visit_AsyncFunctionDef = visit_FunctionDef

    def _add(self, word: str, line: int) -> None:
        program = word.rsplit("/", 1)[-1]
        if program and " " not in program and not program.startswith("-"):
            self.found[program].add(f"{self.where}:{line}")

    def _first(self, node: ast.expr, line: int) -> None:
        if isinstance(node, ast.List | ast.Tuple) and node.elts:
            head = node.elts[0]
            if isinstance(head, ast.Starred):
                return
            self._value(head, line)

    def _value(self, node: ast.expr, line: int) -> None:
        """Every program name ``node`` can hold, following a variable to its assignments."""
        if isinstance(node, ast.Name):
            for value in self._lookup(node.id):
                if not (isinstance(value, ast.Name) and value.id == node.id):
                    self._value(value, line)
            return
        if isinstance(node, ast.Call) and _name(node.func) in WHICH and node.args:
            self._value(node.args[0], line)
            return
        if isinstance(node, ast.BoolOp):
            for value in node.values:
                self._value(value, line)
            return
        for word in _words(node):
            self._add(word, line)

    def visit_Call(self, node: ast.Call) -> None:
        name = _name(node.func)
        if name in RUNNERS and node.args:
            self._first(node.args[0], node.lineno)
        if name in WHICH and node.args:
            self._value(node.args[0], node.lineno)
        self.generic_visit(node)


@functools.cache
def programs_run(root: Path, folders: tuple[str, ...]) -> dict[str, set[str]]:
    """Program name -> the places (``file:line``) that run or look it up."""
    found: dict[str, set[str]] = defaultdict(set)
    for folder in folders:
        for path in sorted((root / folder).rglob("*.py")):
            if ".venv" in path.parts or ".peers-venv" in path.parts:
                continue
            scan = _Scan(str(path.relative_to(root)))
            scan.visit(ast.parse(path.read_text(), str(path)))
            for program, places in scan.found.items():
                found[program] |= places
    return dict(found)
