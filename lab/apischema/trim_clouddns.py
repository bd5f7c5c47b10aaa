"""Write lab/apischema/clouddns_v1.py: Google's Cloud DNS v1 discovery document, trimmed to the
four methods failover's ``clouddns`` provider calls and the schemas they reference.

The document ships in the PyPI package ``google-api-python-client`` (not a dependency of
ours: fetch it only to regenerate)::

    d=$(mktemp -d) && pip download --no-deps -d "$d" google-api-python-client
    unzip -o -d "$d" "$d"/google_api_python_client-*.whl \\
        googleapiclient/discovery_cache/documents/dns.v1.json
    python -m lab.apischema.trim_clouddns \\
        "$d/googleapiclient/discovery_cache/documents/dns.v1.json" --package-version 2.202.0

Descriptions are dropped (they are prose, and a module's lines must stay short); every
validation keyword, ``$ref``, ``readOnly``, ``format`` and ``enum`` is kept as Google wrote
it. The output is a Python module holding the JSON text, so that the wheel carries it
without a package-data entry.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path
from typing import Any

# (resource, method): what failover/dns/clouddns.py calls.
METHODS = (("managedZones", "get"), ("resourceRecordSets", "list"),
           ("changes", "create"), ("changes", "get"))
PROSE = frozenset({"description", "enumDescriptions", "enumDeprecated", "scopes", "icons",
                   "documentationLink", "title", "ownerDomain", "ownerName"})
OUT = Path(__file__).with_name("clouddns_v1.py")


def _refs(node: Any) -> set[str]:
    if isinstance(node, dict):
        found = {node["$ref"]} if isinstance(node.get("$ref"), str) else set()
        for value in node.values():
            found |= _refs(value)
        return found
    if isinstance(node, list):
        return set().union(*(_refs(v) for v in node)) if node else set()
    return set()


def _strip(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _strip(v) for k, v in node.items() if k not in PROSE}
    if isinstance(node, list):
        return [_strip(v) for v in node]
    return node


def trim(doc: dict[str, Any], source: dict[str, Any]) -> dict[str, Any]:
    """The trimmed document: identity fields, global parameters, the methods, their schemas."""
    resources: dict[str, Any] = {}
    for resource, method in METHODS:
        found = doc["resources"][resource]["methods"][method]
        resources.setdefault(resource, {"methods": {}})["methods"][method] = _strip(found)
    wanted: set[str] = _refs(resources)
    done: set[str] = set()
    while wanted - done:
        name = sorted(wanted - done)[0]
        done.add(name)
        wanted |= _refs(doc["schemas"][name])
    out: dict[str, Any] = {"x-source": source}
    for key in ("kind", "discoveryVersion", "id", "name", "version", "revision", "rootUrl",
                "servicePath", "basePath", "protocol"):
        if key in doc:
            out[key] = doc[key]
    out["parameters"] = _strip(doc["parameters"])
    out["resources"] = resources
    out["schemas"] = {name: _strip(doc["schemas"][name]) for name in sorted(done)}
    return out


def module_text(trimmed: dict[str, Any]) -> str:
    text = json.dumps(trimmed, indent=1, sort_keys=True)
    if '"""' in text:
        raise ValueError("the document holds a triple quote; write it some other way")
    return ('"""Cloud DNS v1\'s discovery document, trimmed to what failover calls: written by\n'
            "lab/apischema/trim_clouddns.py (see its docstring to regenerate); do not edit.\n"
            '"""\n\nfrom __future__ import annotations\n\nimport json\nfrom typing import Any\n\n'
            'DOCUMENT: dict[str, Any] = json.loads(r"""\n' + text + '\n""")\n')


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m lab.apischema.trim_clouddns")
    p.add_argument("document", help="googleapiclient/discovery_cache/documents/dns.v1.json")
    p.add_argument("--package-version", required=True,
                   help="the google-api-python-client version the file came from")
    p.add_argument("--out", default=str(OUT))
    args = p.parse_args(argv)
    raw = Path(args.document).read_bytes()
    doc = json.loads(raw)
    source = {"package": "google-api-python-client", "version": args.package_version,
              "file": "googleapiclient/discovery_cache/documents/dns.v1.json",
              "sha256": hashlib.sha256(raw).hexdigest(), "revision": doc.get("revision"),
              "etag": doc.get("etag"),
              "trimmed to": [f"{r}.{m}" for r, m in METHODS]}
    text = module_text(trim(doc, source))
    long = [n for n, line in enumerate(text.splitlines(), 1) if len(line) > 100]
    if long:
        print(f"warning: lines over 100 characters: {long[:5]}", file=sys.stderr)
    Path(args.out).write_text(text, encoding="utf-8")
    print(f"wrote {args.out}: {len(text)} characters")
    return 0


if __name__ == "__main__":
    sys.exit(main())
