"""YAML loading that remembers where every key and value came from.

PyYAML's composer gives nodes with marks; we build plain Python values from
them and keep a map from each value's path (a tuple of keys and indexes) to
its line, so that validation errors can name ``file:line``. Duplicate keys,
which PyYAML silently merges, are errors here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

from failover.errors import ConfigError

Path = tuple[str | int, ...]

# libyaml's composer, when PyYAML was built with it, is about ten times faster and
# gives the same nodes and marks.
_COMPOSER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass
class Located:
    """A loaded document and the line of each path in it (1-based)."""

    data: Any
    file: str
    lines: dict[Path, int] = field(default_factory=dict)

    def line_of(self, path: Path) -> int | None:
        """The line of ``path``, or of its nearest ancestor that has one."""
        while True:
            if path in self.lines:
                return self.lines[path]
            if not path:
                return None
            path = path[:-1]


def load_yaml(text: str, file: str) -> Located:
    """Parse ``text``; raise :class:`ConfigError` with the line on broken YAML."""
    try:
        node = yaml.compose(text, Loader=_COMPOSER)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        problem = exc.problem or exc.context or "invalid YAML"
        raise ConfigError(f"broken YAML: {problem}", file=file, line=line) from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"broken YAML: {exc}", file=file) from None
    located = Located(None, file)
    if node is None:
        return located
    loader = yaml.SafeLoader("")   # one constructor for every scalar of the document
    try:
        located.data = _build(node, (), located, loader)
    finally:
        loader.dispose()
    return located


def _build(node: yaml.Node, path: Path, located: Located, loader: yaml.SafeLoader) -> Any:
    located.lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise ConfigError("YAML merge keys (<<) are not supported; write the keys out",
                                  file=located.file, line=key_node.start_mark.line + 1)
            key = _scalar(key_node, located, loader)
            if isinstance(key, (dict, list)):
                raise ConfigError("a mapping key must be a plain value", file=located.file,
                                  line=key_node.start_mark.line + 1)
            key = str(key) if not isinstance(key, str) else key
            if key in out:
                raise ConfigError(f"duplicate key '{key}'", file=located.file,
                                  line=key_node.start_mark.line + 1)
            child = (*path, key)
            located.lines[child] = key_node.start_mark.line + 1
            out[key] = _build(value_node, child, located, loader)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_build(item, (*path, i), located, loader) for i, item in enumerate(node.value)]
    return _scalar(node, located, loader)


def _scalar(node: yaml.Node, located: Located, loader: yaml.SafeLoader) -> Any:
    if not isinstance(node, yaml.ScalarNode):
        return _build(node, (), Located(None, located.file), loader)
    try:
        return loader.construct_object(node, deep=True)
    except yaml.constructor.ConstructorError as exc:
        raise ConfigError(f"bad value: {exc.problem}", file=located.file,
                          line=node.start_mark.line + 1) from None
