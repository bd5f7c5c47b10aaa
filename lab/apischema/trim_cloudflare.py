"""Extract from Cloudflare's ``openapi.json`` the operations that lab/apischema/cloudflare_v4.py
transcribes, and compare the two.

Both sides are reduced to one comparable view per operation: method, path, operationId,
parameters, request body and answers, with every ``$ref`` inlined, descriptions and
examples dropped, ``allOf`` merged into one object, ``required`` sorted, and the ``oneOf``
of record types cut to the ones the transcription keeps. Operations transcribed from the
document are compared whole; the batch operation, transcribed from Cloudflare's SDK, is
compared on what the SDK shows (field names, types, required lists, enums,
``additionalProperties``), and only if the document has it.

    python -m lab.apischema.trim_cloudflare openapi.json            # differences, exit 1 if any
    python -m lab.apischema.trim_cloudflare openapi.json --extract  # the document's view, JSON

To read a version of the document: fetch the public repository cloudflare/api-schemas and
``git show <commit>:openapi.json`` (x-source in cloudflare_v4.py names the commit read).
"""

from __future__ import annotations

import argparse
import difflib
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lab.apischema.cloudflare_v4 import DOCUMENT
from lab.apischema.validate import ANNOTATIONS

KEPT_TYPES = frozenset(DOCUMENT["x-source"]["record types kept"])
# What the SDK shows, and so what the batch operation is compared on.
BASIC = frozenset({"type", "properties", "required", "enum", "additionalProperties", "items",
                   "oneOf", "anyOf"})

View = dict[str, Any]
Resolve = Callable[[str], Any]


def _resolver(doc: dict[str, Any]) -> Resolve:
    def resolve(ref: str) -> Any:
        node: Any = doc
        for part in ref.removeprefix("#/").split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
        return node
    return resolve


def _inline(node: Any, resolve: Resolve, stack: tuple[str, ...] = ()) -> Any:
    if isinstance(node, list):
        return [_inline(v, resolve, stack) for v in node]
    if not isinstance(node, dict):
        return node
    if isinstance(node.get("$ref"), str):
        ref = node["$ref"]
        if ref in stack:
            return {"x-cycle": ref}
        return _inline(resolve(ref), resolve, (*stack, ref))
    return {k: v if k in ("enum", "required") else _inline(v, resolve, stack)
            for k, v in node.items() if k not in ANNOTATIONS and not k.startswith("x-")}


def _combine(out: dict[str, Any], node: dict[str, Any]) -> None:
    for key, value in node.items():
        if key == "properties":
            props = out.setdefault("properties", {})
            for name, sub in value.items():
                if name in props and isinstance(sub, dict) and isinstance(props[name], dict):
                    merged = dict(props[name])
                    _combine(merged, sub)
                    props[name] = merged
                else:
                    props[name] = sub
        elif key == "required":
            out["required"] = sorted(set(out.get("required", [])) | set(value))
        elif key not in out:
            out[key] = value


def _kept(variant: Any) -> bool:
    kind = (variant.get("properties", {}).get("type", {}) if isinstance(variant, dict) else {})
    enum = kind.get("enum") if isinstance(kind, dict) else None
    return not (isinstance(enum, list) and len(enum) == 1 and enum[0] not in KEPT_TYPES)


def normalize(node: Any, keys: frozenset[str] | None = None) -> Any:
    """An inlined schema as one comparable object (``keys``: the keywords kept; None: all)."""
    if isinstance(node, list):
        return [normalize(v, keys) for v in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    _combine(out, {k: v for k, v in node.items() if k != "allOf"})
    for branch in node.get("allOf", []):
        flat = normalize(branch, None)
        if isinstance(flat, dict):
            _combine(out, flat)
    result: dict[str, Any] = {}
    for key, value in out.items():
        if keys is not None and key not in keys:
            continue
        if key == "properties":
            result[key] = {n: normalize(s, keys) for n, s in sorted(value.items())}
        elif key in ("items", "additionalProperties") and isinstance(value, dict):
            result[key] = normalize(value, keys)
        elif key in ("oneOf", "anyOf"):
            variants = [normalize(v, keys) for v in value]
            result[key] = sorted((v for v in variants if _kept(v)),
                                 key=lambda v: json.dumps(v, sort_keys=True))
        elif key == "required":
            result[key] = sorted(value)
        else:
            result[key] = value
    return result


def _view(op_id: str, method: str, path: str, parameters: list[dict[str, Any]],
          body: dict[str, Any] | None, responses: dict[str, Any], resolve: Resolve,
          keys: frozenset[str] | None) -> View:
    params = {}
    for p in parameters:
        p = _inline(p, resolve)
        params[f"{p['in']}:{p['name']}"] = {"required": bool(p.get("required")),
                                            "schema": normalize(p.get("schema", {}), keys)}
    return {
        "operationId": op_id, "method": method.upper(), "path": path,
        "parameters": dict(sorted(params.items())),
        "requestBody": None if body is None else {
            "required": bool(body.get("required")),
            "schema": normalize(_inline(body.get("schema", {}), resolve), keys)},
        "responses": {status: normalize(_inline(schema, resolve), keys)
                      for status, schema in sorted(responses.items())},
    }


def _keys(op: dict[str, Any]) -> frozenset[str] | None:
    return None if op["from"] == "document" else BASIC


def transcribed() -> dict[str, View]:
    """The transcription's view of each operation."""
    resolve = _resolver(DOCUMENT)
    return {op_id: _view(op_id, op["method"], op["path"], op.get("parameters", []),
                         op.get("requestBody"), op["responses"], resolve, _keys(op))
            for op_id, op in DOCUMENT["operations"].items()}


def extract(doc: dict[str, Any]) -> dict[str, View | None]:
    """The document's view of each transcribed operation (None: the document lacks it)."""
    resolve = _resolver(doc)
    found: dict[str, tuple[str, str, dict[str, Any], list[dict[str, Any]]]] = {}
    for path, item in doc.get("paths", {}).items():
        for method, op in item.items():
            if isinstance(op, dict) and "operationId" in op:
                found[op["operationId"]] = (method, path, op, item.get("parameters", []))
    out: dict[str, View | None] = {}
    for op_id, mine in DOCUMENT["operations"].items():
        if op_id not in found:
            out[op_id] = None
            continue
        method, path, op, shared = found[op_id]
        body = op.get("requestBody")
        if body is not None:
            body = _inline(body, resolve)
            schema = body.get("content", {}).get("application/json", {}).get("schema", {})
            body = {"required": body.get("required"), "schema": schema}
        responses = {}
        for status, answer in op.get("responses", {}).items():
            answer = _inline(answer, resolve)
            schema = answer.get("content", {}).get("application/json", {}).get("schema")
            if schema is not None and (mine["from"] == "document"
                                       or status in mine["responses"]):
                responses[status] = schema
        names = {(p.get("in"), p.get("name")) for p in op.get("parameters", [])}
        params = [*op.get("parameters", []),
                  *(p for p in shared if (p.get("in"), p.get("name")) not in names)]
        out[op_id] = _view(op_id, method, path, params, body, responses, resolve, _keys(mine))
    return out


def compare(doc: dict[str, Any]) -> tuple[list[str], list[str]]:
    """(differences, notes) between the transcription and ``doc``."""
    mine, theirs = transcribed(), extract(doc)
    differences: list[str] = []
    notes: list[str] = []
    for op_id, view in mine.items():
        other = theirs[op_id]
        source = DOCUMENT["operations"][op_id]["from"]
        if other is None:
            (differences if source == "document" else notes).append(
                f"{op_id}: not in this document")
            continue
        if view != other:
            a = json.dumps(view, indent=1, sort_keys=True).splitlines()
            b = json.dumps(other, indent=1, sort_keys=True).splitlines()
            diff = "\n".join(difflib.unified_diff(a, b, "transcription", "document",
                                                  lineterm="", n=2))
            differences.append(f"{op_id} (transcribed from the {source}):\n{diff}")
    return differences, notes


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m lab.apischema.trim_cloudflare")
    p.add_argument("openapi", help="Cloudflare's openapi.json")
    p.add_argument("--extract", action="store_true", help="print the document's view as JSON")
    args = p.parse_args(argv)
    doc = json.loads(Path(args.openapi).read_text(encoding="utf-8"))
    if args.extract:
        print(json.dumps(extract(doc), indent=1, sort_keys=True))
        return 0
    differences, notes = compare(doc)
    for line in notes:
        print(f"note: {line}")
    for text in differences:
        print(text)
    print(f"{len(differences)} operation(s) differ")
    return 1 if differences else 0


if __name__ == "__main__":
    sys.exit(main())
