"""Reading a config file: its text (bounded, UTF-8), the YAML, the model, and each
pydantic error turned into one :class:`ConfigError` with the file, line and key: up to
:data:`MAX_ERRORS` of them at once (:class:`ConfigErrors`), so a file with three
mistakes takes one edit, not three runs."""

import os
import stat
import types
from pathlib import Path
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError

from failover.config.model import Config
from failover.config.references import check_references
from failover.configpath import CONFIG_ENV
from failover.errors import ConfigError, ConfigErrors
from failover.suggest import did_you_mean
from failover.yamlsrc import Located, load_yaml

# A config names vendors, hostings and records: 370,000 records are 10 MB.
MAX_CONFIG_BYTES = 32 * 1024 * 1024
# Problems reported at once: enough for a file's mistakes, not a screen of one repeated.
MAX_ERRORS = 20


def load_config(path: str | Path) -> Config:
    """Read and validate a config file; every problem is a :class:`ConfigError`."""
    return parse_config(read_config_text(Path(path)), str(path))


def read_config_text(path: Path) -> str:
    """The file's text: a regular file of at most ``MAX_CONFIG_BYTES``, in UTF-8.

    Opened without blocking and checked before reading, so a FIFO does not
    hang and /dev/zero does not fill the memory.
    """
    shown = str(path)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise ConfigError(f"no such file; pass -c FILE or set {CONFIG_ENV}", file=shown) from None
    except OSError as exc:
        raise ConfigError(f"cannot read: {exc.strerror or exc}", file=shown) from None
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_CONFIG_BYTES:
        os.close(fd)
        if info.st_size > MAX_CONFIG_BYTES and stat.S_ISREG(info.st_mode):
            raise ConfigError(f"larger than {MAX_CONFIG_BYTES // (1024 * 1024)} MB; "
                              "is this the config file?", file=shown)
        what = "a folder" if stat.S_ISDIR(info.st_mode) else "not a regular file"
        raise ConfigError(f"{what}; pass -c with the config file itself", file=shown)
    with os.fdopen(fd, "rb") as f:
        data = f.read(MAX_CONFIG_BYTES + 1)
    if len(data) > MAX_CONFIG_BYTES:
        raise ConfigError(f"larger than {MAX_CONFIG_BYTES // (1024 * 1024)} MB; "
                          "is this the config file?", file=shown)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise ConfigError("not UTF-8 text; save the file as UTF-8", file=shown,
                          line=line) from None


def parse_config(text: str, file: str = "<memory>") -> Config:
    located = load_yaml(text, file)
    if not isinstance(located.data, dict):
        raise ConfigError("the file must be a mapping with service, zone, records, vendors, "
                          "hosting and dns", file=file, line=1)
    try:
        config = Config.model_validate({**located.data, "source": file})
    except ValidationError as exc:
        raise ConfigErrors.of(_errors(exc, located)) from None
    located.data = None   # the models hold it all now; a large file need not be kept twice
    check_references(config, located)
    return config


def _errors(exc: ValidationError, located: Located) -> list[ConfigError]:
    """Every problem pydantic found, one line each, in the file's order, up to MAX_ERRORS.

    A value that fits no branch of a union is one problem, not one per branch."""
    pending = exc.errors(include_url=False)[:10 * MAX_ERRORS]
    out: list[ConfigError] = []
    seen: set[str] = set()
    while pending and len(out) < MAX_ERRORS:
        loc = tuple(pending[0]["loc"])
        one = _first_error(pending, located)
        if _union_error(pending, located) is not None:
            pending = [e for e in pending[1:] if not (
                len(e["loc"]) == len(loc) and tuple(e["loc"][:-1]) == loc[:-1])]
        else:
            pending = pending[1:]
        if str(one) not in seen:
            seen.add(str(one))
            out.append(one)
    return sorted(out, key=lambda e: e.line or 0)


def _first_error(errors: list[Any], located: Located) -> ConfigError:
    # A union whose branches all fail reports once per branch; the discriminated
    # unions of the sections avoid most of that, and the first error is the most precise.
    err = errors[0]
    union = _union_error(errors, located)
    if union is not None:
        return union
    loc = _data_path(err["loc"], located.data)
    key = ".".join(str(p) for p in loc) or None
    line = located.line_of(loc)
    kind = err["type"]
    if kind == "extra_forbidden":
        parent = _model_at(loc[:-1], located.data)
        keys = sorted(set(_fields_of(parent)) - {'source'}) if parent else []
        allowed = ", ".join(keys)
        msg = f"unknown key '{loc[-1]}'{did_you_mean(str(loc[-1]), keys)}"
        if allowed:
            msg += f"; allowed here: {allowed}"
    elif kind == "missing":
        msg = f"missing required key '{loc[-1]}'"
    elif kind == "union_tag_invalid":
        ctx = err.get("ctx", {})
        msg = f"unknown kind {ctx.get('tag')!r}; use one of {ctx.get('expected_tags')}"
    elif kind == "union_tag_not_found":
        msg = f"missing 'kind'; use one of {err.get('ctx', {}).get('expected_tags')}"
    else:
        text = err["msg"]
        if text.startswith("Value error, "):
            text = text[len("Value error, "):]
        got = err.get("input")
        if kind.endswith("_type") or kind.endswith("_parsing"):
            text = f"{text} (got {_shown(got)})"
        msg = text
    return ConfigError(msg, file=located.file, line=line, key=key)


# What a union's branch wants, in words (pydantic's are "Input should be a valid number").
_WANTS = {"float_type": "a number", "float_parsing": "a number", "int_type": "a whole number",
          "int_parsing": "a whole number", "string_type": "text", "bool_type": "true or false",
          "finite_number": "a finite number"}


def _union_error(errors: list[Any], located: Located) -> ConfigError | None:
    """One line for a value that fits no branch of a union (``quorum: 'majority' | float``):
    what each branch wants, not the first branch's words under its tag
    (``cluster.quorum.literal['majority']: Input should be 'majority'``)."""
    loc = tuple(errors[0]["loc"])
    head = loc[:-1]
    if errors[0]["type"] in ("missing", "extra_forbidden"):
        return None        # keys of a mapping, not branches of a union
    value: Any = located.data
    for part in head:
        found = (isinstance(value, dict) and part in value) or (
            isinstance(value, list) and isinstance(part, int) and part < len(value))
        if not found:
            return None
        value = value[part]
    last = loc[-1]
    if (isinstance(value, dict) and last in value) or (
            isinstance(value, list) and isinstance(last, int)):
        return None        # the last part is a key or an index, not a branch's tag
    branches = [e for e in errors if len(e["loc"]) == len(loc) and tuple(e["loc"][:-1]) == head
                and e["type"] not in ("missing", "extra_forbidden")]
    if len(branches) < 2:
        return None
    wants: list[str] = []
    for e in branches:
        want = (str(e.get("ctx", {}).get("expected", "")) if e["type"] == "literal_error"
                else _WANTS.get(e["type"], str(e["msg"]).removeprefix("Input should be ")))
        if want and want not in wants:
            wants.append(want)
    return ConfigError(f"should be {' or '.join(wants)} (got {_shown(value)})",
                       file=located.file, line=located.line_of(head),
                       key=".".join(str(p) for p in head) or None)


def _shown(value: Any) -> str:
    """A value from the file, quoted short: a 400-digit number or a 10 MB string is not
    worth printing whole."""
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 10 ** 30:
        return f"a number of {len(str(abs(value)))} digits"
    text = repr(value)
    return text if len(text) <= 60 else f"{text[:57]}..."


def _data_path(loc: tuple[Any, ...], data: Any) -> tuple[Any, ...]:
    """Drop the union tags pydantic puts in an error's location, keeping only real keys."""
    out: list[Any] = []
    for part in loc:
        in_dict = isinstance(data, dict) and part in data
        in_list = isinstance(data, list) and isinstance(part, int) and part < len(data)
        if in_dict or in_list:
            data = data[part]
            out.append(part)
        elif isinstance(data, dict) and (part == data.get("kind") or part in ("static", "stack")):
            continue  # a union tag that pydantic adds: 'rfc2136', 'static', ...
        else:
            out.append(part)
            data = None
    return tuple(out)


def _fields_of(model: type[BaseModel] | type[tuple[Any, ...]]) -> tuple[str, ...]:
    """A model's keys, or a NamedTuple's (ManagedRecord)."""
    if issubclass(model, BaseModel):
        return tuple(model.model_fields)
    return tuple(getattr(model, "_fields", ()))


def _model_at(loc: tuple[Any, ...],
              data: Any) -> type[BaseModel] | type[tuple[Any, ...]] | None:
    """The model class that validates the mapping at ``loc`` (for 'allowed keys' hints)."""
    annotation: Any = Config
    for part in loc:
        model = _pick(annotation, data)
        if model is not None:
            field = model.model_fields.get(str(part))
            if field is None:
                return None
            annotation = field.annotation
        else:
            origin = get_origin(_strip(annotation))
            if origin not in (list, dict):
                return None
            annotation = get_args(_strip(annotation))[-1]
        data = data[part] if isinstance(data, (dict, list)) else None
    tail = _strip(annotation)
    if isinstance(tail, type) and issubclass(tail, tuple):
        return tail   # a NamedTuple validated as a mapping: ManagedRecord
    return _pick(annotation, data)


def _strip(annotation: Any) -> Any:
    while get_origin(annotation) is Annotated:
        annotation = get_args(annotation)[0]
    return annotation


def _pick(annotation: Any, data: Any) -> type[BaseModel] | None:
    """The model among ``annotation`` (a model or a union of models) that fits ``data``."""
    annotation = _strip(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if get_origin(annotation) not in (Union, types.UnionType):
        return None
    models: list[type[BaseModel]] = []
    pending = [_strip(a) for a in get_args(annotation)]
    while pending:
        member = pending.pop(0)
        if get_origin(member) in (Union, types.UnionType):
            pending.extend(_strip(a) for a in get_args(member))
        elif isinstance(member, type) and issubclass(member, BaseModel):
            models.append(member)
    if not models or not isinstance(data, dict):
        return None
    for model in models:
        kind = model.model_fields.get("kind")
        if kind is not None and data.get("kind") in get_args(kind.annotation):
            return model
        if "from_stack" in model.model_fields and "from_stack" in data:
            return model
    return next((m for m in models if "kind" not in m.model_fields
                 and "from_stack" not in m.model_fields), None)
