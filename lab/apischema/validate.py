"""Check the requests the lab's stand-ins receive, and the answers they give, against the
vendors' published API descriptions (:mod:`lab.apischema.cloudflare_v4`,
:mod:`lab.apischema.clouddns_v1`).

A request is checked for its method and path (one of the described operations' path
templates, with its path parameters), its query parameters (known names, values of the
declared type) and its JSON body; an answer for its body against the operation's
description of a success or an error. Both descriptions are turned into JSON Schema
(draft 2020-12) once per process and compiled with :mod:`jsonschema`.

What the conversion adds to the vendors' text, and why:

- OpenAPI 3.0 semantics: ``nullable`` allows ``null``; a ``readOnly`` property named in
  ``required`` is required in answers only (OpenAPI 3.0.3, Schema Object, ``readOnly``).
- Request bodies are closed: a property that the description does not declare is a
  violation. Google refuses unknown names itself ("Invalid JSON payload received. Unknown
  name"); Cloudflare's description leaves its objects open and Cloudflare ignores names it
  does not know, so a misspelt field there would change nothing, silently. Answers stay as
  open as the vendor wrote them (Cloudflare's answer schemas are partial), except Google's,
  whose discovery schemas list every field.
- :class:`Relaxation`: a named exception for a behaviour the vendor documents in prose
  against its own schema (or a lab assumption that contradicts it). A body that fails the
  schema and passes only with a relaxation is *tolerated*, not accepted silently: it is
  recorded apart from violations, with the relaxation's name.
"""

from __future__ import annotations

import copy
import json
import re
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError, best_match

Schema = dict[str, Any]
# Keywords that describe and do not constrain: dropped before compiling (and comparing).
ANNOTATIONS = frozenset({"description", "example", "examples", "title", "default",
                         "externalDocs", "deprecated", "discriminator", "xml"})
_FORMATS = FormatChecker()
_MESSAGE_CAP = 400


@dataclass(frozen=True)
class Relaxation:
    """A narrow, named exception to a vendor's schema; see the module docstring."""

    name: str
    reason: str
    operations: frozenset[str]            # operation ids; empty: every operation
    direction: str                        # "request" or "answer"
    apply: Callable[[Schema], None]       # edits a copy of the compiled schema in place


@dataclass
class Verdict:
    """What one request or answer came to: violations fail a test, tolerated ones are noted."""

    operation: str | None = None
    violations: list[str] = field(default_factory=list)
    tolerated: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return not self.violations


class _Checker:
    """One compiled schema, and the same schema under each relaxation that applies to it."""

    def __init__(self, schema: Schema, relaxations: list[Relaxation]) -> None:
        self.schema = schema
        self.strict = Draft202012Validator(schema, format_checker=_FORMATS)
        self.relaxed: list[tuple[str, Draft202012Validator]] = []
        for r in relaxations:
            edited = copy.deepcopy(schema)
            r.apply(edited)
            if edited != schema:
                self.relaxed.append((r.name, Draft202012Validator(edited,
                                                                  format_checker=_FORMATS)))

    def check(self, instance: Any, where: str, verdict: Verdict) -> None:
        errors = list(self.strict.iter_errors(instance))
        if not errors:
            return
        text = _describe(errors, where)
        for name, validator in self.relaxed:
            if validator.is_valid(instance):
                verdict.tolerated.append(f"{name}: {text}")
                return
        if self.relaxed:
            # What is wrong besides what a relaxation would tolerate: the sharper message.
            errors = list(self.relaxed[0][1].iter_errors(instance))
            text = _describe(errors, where)
        verdict.violations.append(text)


def _variant_cost(errors: list[ValidationError]) -> int:
    """How far a oneOf/anyOf variant is from the instance: a record of another ``type``
    (the discriminating enum fails) is much further than one with a wrong field."""
    return sum(100 if e.validator in ("enum", "const") and list(e.relative_path)[-1:] == ["type"]
               else 1 for e in errors)


def _sharpest(error: ValidationError) -> ValidationError:
    """Inside a failed oneOf/anyOf, the error of the variant the instance was meant to be."""
    while error.validator in ("oneOf", "anyOf") and error.context:
        variants: dict[Any, list[ValidationError]] = {}
        for sub in error.context:
            variants.setdefault(sub.relative_schema_path[0], []).append(sub)
        chosen = min(variants, key=lambda k: (_variant_cost(variants[k]), str(k)))
        found = best_match(variants[chosen])
        if found is None:
            break
        error = found
    return error


def _describe(errors: list[ValidationError], where: str) -> str:
    """The most relevant error, and the next one: an undeclared property at a composed
    object often hides the missing required one inside it, or the other way round."""
    first = best_match(errors)
    assert first is not None
    parts = [_sharpest(first)]
    second = best_match(e for e in errors if e is not first)
    if second is not None:
        parts.append(_sharpest(second))
    # "Unevaluated properties" at a composed object follows from any failure inside it: the
    # other error, if there is one, is the cause and goes first.
    parts.sort(key=lambda e: e.validator == "unevaluatedProperties")
    said = []
    for error in parts:
        at = "/".join(str(p) for p in error.absolute_path)
        said.append(f"{' at /' + at if at else ''}: {error.message}")
    text = where + "; and".join(said)
    return text if len(text) <= _MESSAGE_CAP else text[:_MESSAGE_CAP] + "..."


@dataclass
class Operation:
    """One described operation, compiled."""

    id: str
    method: str
    template: str
    regex: re.Pattern[str]
    literal: int                                   # literal characters: the more specific
    path_params: dict[str, _Checker]
    query: dict[str, tuple[str, bool, _Checker]]   # name -> (type, repeated, checker)
    required_query: frozenset[str]
    body: _Checker | None                          # None: the operation takes no body
    body_required: bool
    answers: dict[str, _Checker]                   # "200", and "error" for 4xx/5xx

    def where(self) -> str:
        return f"{self.method} {self.template} ({self.id})"


def _path_regex(template: str) -> tuple[re.Pattern[str], int]:
    parts = re.split(r"(\{[^}]+\})", template)
    pattern = "".join(f"(?P<{p[1:-1].replace('.', '_')}>[^/]+)" if p.startswith("{")
                      else re.escape(p) for p in parts)
    literal = sum(len(p) for p in parts if not p.startswith("{"))
    return re.compile(f"^{pattern}$"), literal


class ApiSchema:
    """A vendor's described operations; :meth:`check_request` and :meth:`check_answer`."""

    def __init__(self, name: str, operations: list[Operation], prefix: str = "") -> None:
        self.name = name
        self.prefix = prefix
        # The most specific template first: a concrete path wins over a templated one
        # (OpenAPI 3.0, Paths Object), so .../dns_records/batch is not a record id.
        self.operations = sorted(operations, key=lambda o: -o.literal)

    def find(self, method: str, path: str) -> tuple[Operation | None, str | None]:
        """The operation for a request, or None and why not."""
        if not path.startswith(self.prefix):
            return None, f"{method} {path}: not under {self.prefix}"
        rest = path[len(self.prefix):]
        matched = [o for o in self.operations if o.regex.match(rest)]
        if not matched:
            return None, f"{method} {rest}: no operation in the {self.name} schema has this path"
        best = [o for o in matched if o.template == matched[0].template]
        for op in best:
            if op.method == method:
                return op, None
        allowed = ", ".join(sorted(o.method for o in best))
        return None, (f"{method} {matched[0].template}: the {self.name} schema describes only "
                      f"{allowed} there")

    def check_request(self, method: str, path: str, query: Mapping[str, list[str]],
                      body: Any, *, has_body: bool) -> Verdict:
        """Method, path, query and body of one request (``body`` already decoded from JSON;
        ``has_body``: whether the request carried one at all)."""
        op, why = self.find(method, path)
        verdict = Verdict(op.id if op else None)
        if op is None:
            verdict.violations.append(why or "no operation")
            return verdict
        match = op.regex.match(path[len(self.prefix):])
        assert match is not None
        for name, checker in op.path_params.items():
            checker.check(match[name.replace(".", "_")], f"{op.where()} path parameter {name}",
                          verdict)
        for name, values in query.items():
            known = op.query.get(name)
            if known is None:
                verdict.violations.append(
                    f"{op.where()}: unknown query parameter {name!r} (known: "
                    f"{', '.join(sorted(op.query)) or 'none'})")
                continue
            kind, repeated, checker = known
            if len(values) > 1 and not repeated:
                verdict.violations.append(f"{op.where()}: query parameter {name!r} given "
                                          f"{len(values)} times")
            for value in values:
                coerced, ok = _coerce(value, kind)
                if not ok:
                    verdict.violations.append(f"{op.where()}: query parameter {name}={value!r} "
                                              f"is not a{'n' if kind[0] in 'aeiou' else ''} "
                                              f"{kind}")
                    continue
                checker.check(coerced, f"{op.where()} query parameter {name}", verdict)
        for name in sorted(op.required_query - set(query)):
            verdict.violations.append(f"{op.where()}: required query parameter {name!r} missing")
        if op.body is None:
            if has_body:
                verdict.violations.append(f"{op.where()}: the operation takes no request body")
        elif not has_body:
            if op.body_required:
                verdict.violations.append(f"{op.where()}: request body required")
        elif body is _NOT_JSON:
            verdict.violations.append(f"{op.where()}: request body is not JSON")
        else:
            op.body.check(body, f"{op.where()} request body", verdict)
        return verdict

    def check_answer(self, operation: str, status: int, body: Any) -> Verdict:
        """One answer of ``operation`` (an id from :meth:`check_request`)."""
        verdict = Verdict(operation)
        op = next(o for o in self.operations if o.id == operation)
        key = str(status) if str(status) in op.answers else "error" if status >= 400 else None
        checker = op.answers.get(key) if key else None
        if checker is None:
            if 200 <= status < 300 or key is None:
                verdict.violations.append(f"{op.where()}: the schema describes no {status} answer")
            return verdict
        checker.check(body, f"{op.where()} answer {status}", verdict)
        return verdict


_NOT_JSON = object()


def not_json() -> Any:
    """The body value to pass when a request's body did not parse as JSON."""
    return _NOT_JSON


def _coerce(value: str, kind: str) -> tuple[Any, bool]:
    """A query string value as the declared type (a query carries text only)."""
    try:
        if kind == "integer":
            return int(value), True
        if kind == "number":
            number = float(value)
            return (int(number) if number.is_integer() else number), True
    except ValueError:
        return value, False
    if kind == "boolean":
        return value == "true", value in ("true", "false")
    return value, True


# -- schema conversion -------------------------------------------------------------


def _walk(node: Any) -> Iterator[Schema]:
    """Every schema object under ``node``, ``node`` included."""
    if isinstance(node, dict):
        yield node
        for key, value in node.items():
            if key in ("properties", "$defs"):
                for sub in value.values():
                    yield from _walk(sub)
            elif key in ("items", "additionalProperties", "not") and isinstance(value, dict):
                yield from _walk(value)
            elif key in ("allOf", "oneOf", "anyOf"):
                for sub in value:
                    yield from _walk(sub)


def _inline(node: Any, resolve: Callable[[str], tuple[str, Any]], stack: tuple[str, ...] = ()
            ) -> Any:
    """``node`` with every ``$ref`` replaced by what it names (these schemas hold no cycles)."""
    if isinstance(node, list):
        return [_inline(v, resolve, stack) for v in node]
    if not isinstance(node, dict):
        return node
    if isinstance(node.get("$ref"), str):
        name, target = resolve(node["$ref"])
        if name in stack:
            raise ValueError(f"$ref cycle through {' -> '.join((*stack, name))}")
        return _inline(target, resolve, (*stack, name))
    return {k: (_inline(v, resolve, stack) if k not in ("enum", "required") else v)
            for k, v in node.items()}


def _oas30(node: Any) -> Any:
    """An OpenAPI 3.0 schema (refs inlined) as JSON Schema 2020-12."""
    if isinstance(node, list):
        return [_oas30(v) for v in node]
    if not isinstance(node, dict):
        return node
    out: Schema = {}
    for key, value in node.items():
        if key in ANNOTATIONS or key.startswith("x-") or key == "nullable":
            continue
        if key == "properties":
            out[key] = {name: _oas30(sub) for name, sub in value.items()}
        elif key in ("items", "additionalProperties", "not", "allOf", "oneOf", "anyOf"):
            out[key] = _oas30(value)
        else:
            out[key] = value
    if node.get("nullable") is True:
        if isinstance(out.get("type"), str):
            out["type"] = [out["type"], "null"]
        if "enum" in out and None not in out["enum"]:
            out["enum"] = [*out["enum"], None]
    return out


def _request_view(schema: Schema) -> Schema:
    """Required ``readOnly`` properties are not required of a request (OpenAPI 3.0.3);
    undeclared properties are refused (see the module docstring)."""
    schema = copy.deepcopy(schema)
    read_only = {name for node in _walk(schema)
                 for name, sub in (node.get("properties") or {}).items()
                 if isinstance(sub, dict) and sub.get("readOnly") is True}
    for node in _walk(schema):
        if "required" in node:
            node["required"] = [r for r in node["required"] if r not in read_only]
            if not node["required"]:
                del node["required"]
    _close(schema, branch=False)
    return schema


def _declares(node: Schema) -> bool:
    return "properties" in node or any(_declares(b) for k in ("allOf", "oneOf", "anyOf")
                                       for b in node.get(k, []) if isinstance(b, dict))


def _close(node: Any, *, branch: bool) -> None:
    """``unevaluatedProperties: false`` where an object is described, but not on the branches
    of a composition (a branch would refuse its siblings' properties)."""
    if not isinstance(node, dict):
        return
    for sub in (node.get("properties") or {}).values():
        _close(sub, branch=False)
    for key in ("items", "additionalProperties"):
        if isinstance(node.get(key), dict):
            _close(node[key], branch=False)
    for key in ("allOf", "oneOf", "anyOf"):
        for sub in node.get(key, []):
            _close(sub, branch=True)
    if (not branch and "additionalProperties" not in node
            and "unevaluatedProperties" not in node and _declares(node)):
        node["unevaluatedProperties"] = False


# -- Cloudflare (OpenAPI 3.0, transcribed) ----------------------------------------------------

CF_BATCH = "dns-records-for-a-zone-batch-dns-records"
CF_CREATE = "dns-records-for-a-zone-create-dns-record"
CF_PATCH = "dns-records-for-a-zone-patch-dns-record"


def _drop_required(names: set[str]) -> Callable[[Schema], None]:
    def apply(schema: Schema) -> None:
        for node in _walk(schema):
            if "required" in node:
                node["required"] = [r for r in node["required"] if r not in names]
    return apply


def _partial_patches(schema: Schema) -> None:
    items = schema.get("properties", {}).get("patches", {}).get("items")
    if not isinstance(items, dict) or "oneOf" not in items:
        return
    items["anyOf"] = items.pop("oneOf")  # without a type, every variant would match
    _drop_required({"name", "ttl", "type"})(items)


def _any_error_code(schema: Schema) -> None:
    for node in _walk(schema):
        code = (node.get("properties") or {}).get("code")
        if isinstance(code, dict):
            code.pop("minimum", None)


CLOUDFLARE_RELAXATIONS = (
    Relaxation(
        "cloudflare-partial-batch-patch",
        "Cloudflare's guide to batch record changes says of patches: 'aside from each record "
        "id, you should specify the fields you want to update. All unspecified fields will "
        "remain as they are', while the schema (BatchPatchParam in the SDK generated from it) "
        "requires name, ttl and type in each patch. failover's batch patches send the id "
        "with ttl and/or content only, so that a record's other fields stay as they are.",
        frozenset({CF_BATCH}), "request", _partial_patches),
    Relaxation(
        "cloudflare-create-without-id",
        "The 2024-08 document uses the record's answer schema as the create and patch body, "
        "so its required list names the id Cloudflare assigns (the readOnly fields there "
        "are exempt by OpenAPI's rule; id is not marked readOnly). The later document (the "
        "SDK's ARecordParam) has no id in a create; a create cannot know it and a patch "
        "names it in the path.",
        frozenset({CF_CREATE, CF_PATCH}), "request", _drop_required({"id"})),
    Relaxation(
        "cloudflare-rate-limit-code-971",
        "lab/cfapi.py answers 429 with error code 971, as users report Cloudflare does (an "
        "assumption in its docstring); the document says error codes are at least 1000.",
        frozenset(), "answer", _any_error_code),
)


def _cloudflare_ops(doc: dict[str, Any], relaxations: tuple[Relaxation, ...]
                    ) -> list[Operation]:
    components = doc["components"]["schemas"]

    def resolve(ref: str) -> tuple[str, Any]:
        name = ref.rsplit("/", 1)[-1]
        return name, components[name]

    def compiled(schema: Any, op_id: str, direction: str, request: bool) -> _Checker:
        converted = _oas30(_inline(schema, resolve))
        if request:
            converted = _request_view(converted)
        return _Checker(converted, [r for r in relaxations if r.direction == direction
                                    and (not r.operations or op_id in r.operations)])

    out = []
    for op_id, op in doc["operations"].items():
        regex, literal = _path_regex(op["path"])
        params = op.get("parameters", [])
        query = {}
        for p in params:
            if p["in"] != "query":
                continue
            schema = _oas30(_inline(p["schema"], resolve))
            kind = schema.get("type", "string")
            query[p["name"]] = (kind if isinstance(kind, str) else kind[0],
                                kind == "array", compiled(p["schema"], op_id, "request", False))
        body = op.get("requestBody")
        answers = {status: compiled(schema, op_id, "answer", False)
                   for status, schema in op["responses"].items() if status.isdigit()}
        if op.get("x-error-envelope"):
            answers["error"] = compiled({"$ref": "#/components/schemas/"
                                                 + op["x-error-envelope"]},
                                        op_id, "answer", False)
        out.append(Operation(
            id=op_id, method=op["method"], template=op["path"], regex=regex, literal=literal,
            path_params={p["name"]: compiled(p["schema"], op_id, "request", False)
                         for p in params if p["in"] == "path"},
            query=query,
            required_query=frozenset(p["name"] for p in params
                                     if p["in"] == "query" and p.get("required")),
            body=compiled(body["schema"], op_id, "request", True) if body else None,
            body_required=bool(body and body.get("required")),
            answers=answers))
    return out


@cache
def cloudflare() -> ApiSchema:
    """Cloudflare v4 as the stand-in serves it under ``/client/v4``; compiled once."""
    from lab.apischema.cloudflare_v4 import DOCUMENT

    return ApiSchema("Cloudflare v4", _cloudflare_ops(DOCUMENT, CLOUDFLARE_RELAXATIONS),
                     prefix="/client/v4")


# -- Cloud DNS (Google discovery, trimmed) ---------------------------------------------

_INT_RANGES = {"int32": (-(2**31), 2**31 - 1), "uint32": (0, 2**32 - 1)}


def _discovery(node: Any, schemas: dict[str, Any], stack: tuple[str, ...] = ()) -> Schema:
    """A discovery-document schema as JSON Schema; objects are closed (module docstring)."""
    ref = node.get("$ref")
    if isinstance(ref, str):
        if ref in stack:
            raise ValueError(f"$ref cycle through {' -> '.join((*stack, ref))}")
        return _discovery(schemas[ref], schemas, (*stack, ref))
    out: Schema = {}
    kind = node.get("type")
    if kind and kind != "any":
        out["type"] = kind
    fmt = node.get("format")
    if kind == "integer" and fmt in _INT_RANGES:
        out["minimum"], out["maximum"] = _INT_RANGES[fmt]
    if kind == "string" and fmt in ("int64", "uint64"):
        out["pattern"] = r"^-?[0-9]+$" if fmt == "int64" else r"^[0-9]+$"
    if "enum" in node:
        out["enum"] = list(node["enum"])
    if "properties" in node:
        out["properties"] = {k: _discovery(v, schemas, stack)
                             for k, v in node["properties"].items()}
    if isinstance(node.get("additionalProperties"), dict):
        out["additionalProperties"] = _discovery(node["additionalProperties"], schemas, stack)
    elif kind == "object" or "properties" in node:
        out["additionalProperties"] = False
    if isinstance(node.get("items"), dict):
        out["items"] = _discovery(node["items"], schemas, stack)
    return out


def _clouddns_ops(doc: dict[str, Any]) -> list[Operation]:
    schemas = doc["schemas"]
    out = []
    for resource in doc["resources"].values():
        for method in resource["methods"].values():
            template = "/" + method["path"]
            regex, literal = _path_regex(template)
            params = {**doc["parameters"], **method.get("parameters", {})}
            query = {}
            for name, p in params.items():
                if p.get("location") == "query":
                    query[name] = (p.get("type", "string"), bool(p.get("repeated")),
                                   _Checker(_discovery(p, schemas), []))
            request = method.get("request")
            out.append(Operation(
                id=method["id"], method=method["httpMethod"], template=template, regex=regex,
                literal=literal,
                path_params={name: _Checker(_discovery(p, schemas), [])
                             for name, p in params.items() if p.get("location") == "path"},
                query=query,
                required_query=frozenset(n for n, p in params.items()
                                         if p.get("location") == "query" and p.get("required")),
                body=_Checker(_discovery(request, schemas), []) if request else None,
                body_required=request is not None,
                answers={"200": _Checker(_discovery(method["response"], schemas), [])}
                if method.get("response") else {}))
    return out


@cache
def clouddns() -> ApiSchema:
    """Cloud DNS v1 as the stand-in serves it under ``/dns/v1``; compiled once. Error answers
    are not described by the discovery document, so only successes are checked."""
    from lab.apischema.clouddns_v1 import DOCUMENT

    return ApiSchema("Cloud DNS v1", _clouddns_ops(DOCUMENT))


# -- recording ------------------------------------------------------------------------


class Violations:
    """What a stand-in found: violations (each fails a test) and tolerated deviations.

    Kept in memory for in-process tests and, when ``path`` is given, appended to that file
    as JSON lines (the lab's stand-ins run as processes; the file is in the lab's folder).
    """

    CAP = 1000  # tolerated deviations kept (the same one recurs on every batch)

    def __init__(self, api: str, path: str | Path | None = None) -> None:
        self.api = api
        self.path = Path(path) if path else None
        self.found: list[str] = []
        self.tolerated: list[str] = []
        self._lock = threading.Lock()

    def record(self, verdict: Verdict) -> None:
        if not verdict.violations and not verdict.tolerated:
            return
        with self._lock:
            self.found += verdict.violations
            room = self.CAP - len(self.tolerated)
            self.tolerated += verdict.tolerated[:max(0, room)]
            if self.path and verdict.violations:
                with self.path.open("a", encoding="utf-8") as f:
                    for text in verdict.violations:
                        f.write(json.dumps({"api": self.api, "violation": text}) + "\n")

    def assert_none(self) -> None:
        """Raise AssertionError listing the violations, if any (a test's last check)."""
        with self._lock:
            found = list(self.found)
        if found:
            raise AssertionError(f"{len(found)} schema violation(s) at the {self.api} "
                                 "stand-in:\n" + "\n".join(f"  {v}" for v in found))

    def clear(self) -> None:
        with self._lock:
            self.found.clear()
            self.tolerated.clear()

    def snapshot(self) -> dict[str, list[str]]:
        with self._lock:
            return {"violations": list(self.found), "tolerated": list(self.tolerated)}
