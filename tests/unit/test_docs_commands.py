"""Every `failover` and `python -m lab` command in README.md and docs/*.md parses as written.

Each command line in a code block (fenced or indented) and each inline code span
that starts with `failover ` is given to the real command tree's parser (click
for failover, argparse for the lab) without running it: a renamed option, a
command that no longer exists or a missing argument fails here, naming the
document and the line. Synopses (`[--off VENDOR]`, `a|b`, `...`) are read as
their first alternative with the optional parts in. The tour itself is run
end to end by its own integration test.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FAILOVER = re.compile(r"^(?:\S*/)?failover$")


def _code_lines(text: str) -> list[tuple[int, str, bool]]:
    """(line number, text, inline) of every line in a code block and inline `failover` span."""
    out: list[tuple[int, str, bool]] = []
    fence = False
    for number, line in enumerate(text.splitlines(), 1):
        if line.lstrip().startswith("```"):
            fence = not fence
            continue
        if fence or (line.startswith("    ") and not line.lstrip().startswith(("-", "|"))):
            out.append((number, line.strip(), False))
        else:
            out += [(number, span, True) for span in re.findall(r"`(failover [^`]+)`", line)]
    return out


def _commands(line: str) -> list[list[str]]:
    """The failover or lab commands on one line, as argv lists without the program."""
    line = re.sub(r"\s#\s.*$", "", line).strip()
    if line.startswith("$ "):
        line = line[2:]
    found: list[list[str]] = []
    for part in re.split(r";|&&|\|\||\s\|\s|\$\(", line):
        part = re.split(r"\s\d?>>?\s?", part)[0]  # a redirection is the shell's, not ours
        try:
            words = shlex.split(part, comments=False)
        except ValueError:
            continue
        while words and re.match(r"^[A-Z_]+=", words[0]):
            words = words[1:]
        if not words:
            continue
        if FAILOVER.match(words[0]):
            found.append(["failover", *_synopsis(words[1:])])
        elif words[:3] in (["python", "-m", "lab"], [".venv/bin/python", "-m", "lab"]):
            found.append(["lab", *_synopsis(words[3:])])
    return found


def _synopsis(words: list[str]) -> list[str]:
    """A synopsis as one concrete command line: brackets dropped, the first alternative."""
    out: list[str] = []
    for word in words:
        word = word.replace("[", "").replace("]", "").replace("...", "")
        if "|" in word:
            word = word.split("|")[0]
        word = word.rstrip("\\")
        if word:
            out.append(word)
    return out


def _parse_failover(argv: list[str]) -> None:
    """Parse argv with failover's own command tree, down to the command, running nothing."""
    import typer

    from cli.app import app

    command: Any = typer.main.get_command(app)
    ctx = command.make_context("failover", list(argv))
    while hasattr(command, "resolve_command"):
        # click 8.2 keeps the command's name and what follows apart, as _protected_args
        rest = [*getattr(ctx, "_protected_args", getattr(ctx, "protected_args", [])), *ctx.args]
        if not rest:
            return
        name, command, rest = command.resolve_command(ctx, rest)
        ctx = command.make_context(name, rest, parent=ctx)


def _cases() -> list[Any]:
    cases = []
    for doc in DOCS:
        for number, line, inline in _code_lines(doc.read_text(encoding="utf-8")):
            for argv in _commands(line):
                where = f"{doc.relative_to(ROOT)}:{number}"
                label = f"{where} {' '.join(argv)}"[:120]
                cases.append(pytest.param(argv, where, inline, id=label))
    return cases


CASES = _cases()


def test_readmes_config_example_is_valid() -> None:
    """The config a reader copies from "Writing your own config" loads as written."""
    from failover.config import parse_config

    text = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```yaml\n(.*?)```", text, re.S)
    assert blocks
    for block in blocks:
        assert parse_config(block, "README.md").hosting


def test_every_document_is_linked_from_the_readme() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    missing = [d.name for d in DOCS[1:] if f"](docs/{d.name})" not in readme]
    assert not missing, f"link these from README's 'More documents': {missing}"


def test_the_documents_hold_commands() -> None:
    docs_with = {str(c.values[1]).split(":")[0] for c in CASES}
    assert {"README.md", "docs/lab.md", "docs/deploy.md"} <= docs_with


# Prose names a command without its arguments ("`failover delegation` writes the NS set"):
# inline, a missing argument is fine; a command or option that does not exist is not.
PROSE_MAY_OMIT = ("Missing ", "requires an argument", "Usage: ")


@pytest.mark.parametrize(("argv", "where", "inline"), CASES)
def test_command_parses_as_written(argv: list[str], where: str, inline: bool) -> None:
    if argv[0] == "failover":
        if {"-h", "--help", "--version", "--install-completion", "--show-completion"} & set(argv):
            return
        try:
            _parse_failover(argv[1:])
        except Exception as exc:  # click's UsageError, from whichever click typer carries
            if inline and any(words in str(exc) for words in PROSE_MAY_OMIT):
                return
            pytest.fail(f"{where}: {' '.join(argv)}: {exc}")
    else:
        from lab.__main__ import _parser

        try:
            _parser().parse_intermixed_args(argv[1:])
        except SystemExit as exc:
            pytest.fail(f"{where}: python -m {' '.join(argv)}: exits {exc.code}")
