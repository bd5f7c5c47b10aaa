"""YAML loading with limits, that can say where any key or value came from.

Values are built straight from libyaml's event stream, without PyYAML's node
tree: the tree (two marks per node) made a 10 MB file cost 1 GB, and the
cyclic garbage collector, run again and again over millions of live nodes,
made it quadratic (24 s). Lines are not kept on the happy path: when
validation fails, :meth:`Located.line_of` parses the text once more and
stops at the path it was asked for.

Hostile input is refused with one line: aliases that expand beyond
``MAX_ALIAS_VALUES`` values in all (a "billion laughs"), a value that contains
itself (``x: &a [*a]``), nesting deeper than ``MAX_DEPTH``, merge keys (``<<``),
duplicate keys (PyYAML silently keeps the last), tags other than YAML's own.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import yaml

from failover.errors import ConfigError

Path = tuple[str | int, ...]

# Values that aliases may add in all. Configs share small blocks; a "billion
# laughs" needs billions.
MAX_ALIAS_VALUES = 10_000
# Deeper than any config needs, shallow enough for every recursive consumer.
MAX_DEPTH = 64

_STR = "tag:yaml.org,2002:str"
_MAP = ("tag:yaml.org,2002:map",)
_SEQ = ("tag:yaml.org,2002:seq",)
_MERGE = "tag:yaml.org,2002:merge"

# libyaml's parser, when PyYAML was built with it, is about ten times faster.
_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass
class Located:
    """A loaded document, and its text for finding the line of a path (1-based)."""

    data: Any
    file: str
    text: str = field(default="", repr=False)

    def line_of(self, path: Path) -> int | None:
        """The line of ``path``, or of its nearest ancestor that has one."""
        if not self.text:
            return None
        builder = _Builder(self.file, want=path)
        with contextlib.suppress(ConfigError, yaml.YAMLError):  # the first error has its line
            builder.run(self.text)
        return builder.found


def load_yaml(text: str, file: str) -> Located:
    """Parse ``text``; raise :class:`ConfigError` with the line on broken or hostile YAML."""
    builder = _Builder(file)
    # The values built here hold no cycles; collecting while millions are
    # created only rescans them (that was most of the old 24 s).
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        data = builder.run(text)
    finally:
        if was_enabled:
            gc.enable()
    return Located(data, file, text)


class _Frame:
    """A mapping or sequence being built."""

    __slots__ = ("anchor", "key", "key_line", "line", "path", "size", "value")

    def __init__(self, value: dict[str, Any] | list[Any], anchor: str | None, path: Path,
                 line: int) -> None:
        self.value = value
        self.anchor = anchor
        self.path = path
        self.line = line
        self.size = 1          # values inside, aliases expanded: what a consumer will walk
        self.key: Any = _NO_KEY
        self.key_line = 0


_NO_KEY = object()


class _Builder:
    """Plain Python values from the event stream; with ``want``, the line of that path."""

    def __init__(self, file: str, want: Path | None = None) -> None:
        self.file = file
        self.want = want
        self.found: int | None = None
        self._found_len = -1
        self.anchors: dict[str, tuple[Any, int]] = {}
        self.open_anchors: set[str] = set()
        self.alias_values = 0
        # One constructor (and resolver) for every scalar of the document.
        self.constructor = yaml.SafeLoader("")
        # Plain scalars by their text: every YAML-core scalar value is immutable, and
        # configs repeat the same few ('A', 'rfc2136', 60) thousands of times; one
        # object each also keeps the memory down.
        self.plain: dict[str, Any] = {}

    def fail(self, message: str, mark: Any) -> ConfigError:
        return ConfigError(message, file=self.file, line=mark.line + 1 if mark else None)

    def run(self, text: str) -> Any:
        try:
            return self._run(text)
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            problem = exc.problem or exc.context or "invalid YAML"
            raise ConfigError(f"broken YAML: {problem}", file=self.file,
                              line=mark.line + 1 if mark else None) from None
        except yaml.reader.ReaderError as exc:
            # A NUL or another control character: PyYAML names a position, not a line.
            code = exc.character if isinstance(exc.character, int) else ord(exc.character)
            raise ConfigError(f"a control character (U+{code:04X}) that YAML does not allow; "
                              "remove it (is this a binary file?)", file=self.file,
                              line=text.count("\n", 0, exc.position) + 1) from None
        except yaml.YAMLError as exc:
            raise ConfigError(f"broken YAML: {exc}", file=self.file) from None
        finally:
            self.constructor.dispose()

    def _events(self, text: str) -> Iterator[Any]:  # events are told apart by class
        loader = _LOADER(text)
        try:
            while loader.check_event():
                yield loader.get_event()
        finally:
            loader.dispose()

    def _note(self, path: Path, line: int) -> None:
        """Remember ``line`` when ``path`` leads to the wanted path (only when asked)."""
        want = self.want
        if want is not None and path == want[:len(path)] and len(path) > self._found_len:
            self.found, self._found_len = line, len(path)

    def _run(self, text: str) -> Any:
        stack: list[_Frame] = []
        root: Any = None
        documents = 0
        for event in self._events(text):
            kind = type(event)
            if kind is yaml.ScalarEvent or kind is yaml.AliasEvent:
                if kind is yaml.AliasEvent:
                    value, size = self._alias(event)
                else:
                    value, size = self._scalar(event, stack), 1
                    if event.anchor:
                        self.anchors[event.anchor] = (value, 1)
                if not stack:
                    root = value
                    self._note((), event.start_mark.line + 1)
                else:
                    self._add(stack[-1], value, size, event)
            elif kind is yaml.MappingStartEvent or kind is yaml.SequenceStartEvent:
                is_map = kind is yaml.MappingStartEvent
                if event.tag not in (None, "!", *(_MAP if is_map else _SEQ)):
                    raise self.fail(f"tag {event.tag} is not supported; remove it",
                                    event.start_mark)
                if len(stack) >= MAX_DEPTH:
                    raise self.fail(f"nested deeper than {MAX_DEPTH} levels", event.start_mark)
                line = event.start_mark.line + 1
                if stack:
                    parent = stack[-1]
                    if isinstance(parent.value, dict) and parent.key is _NO_KEY:
                        raise self.fail("a mapping key must be a plain value", event.start_mark)
                    path = self._child_path(parent)
                else:
                    path = ()
                self._note(path, line)
                if event.anchor:
                    self.open_anchors.add(event.anchor)
                stack.append(_Frame({} if is_map else [], event.anchor, path, line))
            elif kind is yaml.MappingEndEvent or kind is yaml.SequenceEndEvent:
                frame = stack.pop()
                if frame.anchor:
                    self.open_anchors.discard(frame.anchor)
                    self.anchors[frame.anchor] = (frame.value, frame.size)
                if stack:
                    self._add(stack[-1], frame.value, frame.size, event)
                else:
                    root = frame.value
            elif kind is yaml.DocumentStartEvent:
                documents += 1
                if documents > 1:
                    raise self.fail("one YAML document per file; remove the second '---'",
                                    event.start_mark)
        return root

    def _child_path(self, parent: _Frame) -> Path:
        if isinstance(parent.value, dict):
            return (*parent.path, parent.key)
        return (*parent.path, len(parent.value))

    def _add(self, parent: _Frame, value: Any, size: int, event: Any) -> None:
        parent.size += size
        container = parent.value
        if isinstance(container, list):
            self._note((*parent.path, len(container)), event.start_mark.line + 1)
            container.append(value)
            return
        if parent.key is _NO_KEY:   # this value is a key
            if isinstance(value, (dict, list)):
                raise self.fail("a mapping key must be a plain value", event.start_mark)
            if value is None or isinstance(value, bool):
                # YAML 1.1 reads no, off, yes, on, ~ as false, true or null: a vendor
                # named 'no' would become 'False' and be blamed under that name.
                raise self.fail(f"the key {event.value!r} is read by YAML as "
                                f"{str(value).lower()}, not as a name; quote it: "
                                f"'{event.value}':", event.start_mark)
            key = value if isinstance(value, str) else str(value)
            if key in container:
                raise self.fail(f"duplicate key '{key}'", event.start_mark)
            parent.key, parent.key_line = key, event.start_mark.line + 1
            self._note((*parent.path, key), parent.key_line)
            return
        container[parent.key] = value
        parent.key = _NO_KEY

    def _scalar(self, event: Any, stack: list[_Frame]) -> Any:
        tag = event.tag
        plain = tag is None and event.implicit[0]
        if plain and event.value in self.plain:
            return self.plain[event.value]
        if tag is None or tag == "!":
            tag = self.constructor.resolve(yaml.ScalarNode, event.value, event.implicit)
        if tag == _MERGE and stack and isinstance(stack[-1].value, dict) \
                and stack[-1].key is _NO_KEY:
            raise self.fail("YAML merge keys (<<) are not supported; write the keys out",
                            event.start_mark)
        if tag == _STR:
            value: Any = event.value
        else:
            node = yaml.ScalarNode(tag, event.value, None, None, event.style)
            try:
                value = self.constructor.construct_object(node, deep=True)
            except yaml.constructor.ConstructorError as exc:
                raise self.fail(f"bad value: {exc.problem}", event.start_mark) from None
        if plain:
            self.plain[event.value] = value
        return value

    def _alias(self, event: Any) -> tuple[Any, int]:
        name = event.anchor
        if name in self.open_anchors:
            raise self.fail(f"the value of &{name} contains itself (*{name}); "
                            "a config cannot be recursive", event.start_mark)
        if name not in self.anchors:
            raise self.fail(f"unknown alias *{name}; define &{name} before using it",
                            event.start_mark)
        value, size = self.anchors[name]
        self.alias_values += size
        if self.alias_values > MAX_ALIAS_VALUES:
            raise self.fail(f"aliases expand to more than {MAX_ALIAS_VALUES} values "
                            "(a 'billion laughs'?); write the values out", event.start_mark)
        return value, size
