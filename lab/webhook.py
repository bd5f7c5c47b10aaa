"""A webhook receiver and static file server for the lab: notices in, status pages in and out.

- ``POST`` to any path: the body is one received notice, appended (with its path) to
  ``ROOT/received.jsonl``; answers 200;
- ``PUT`` to a path: the body is stored as ``ROOT/<path>`` (a status page published to a
  webhook target); answers 201;
- ``GET`` a path: serves ``ROOT/<path>`` (``index.html`` for a folder), so a browser can
  open what was published to the webhook target and to a local folder under ROOT.

Run as ``python -m lab.webhook --port P --root DIR``, or in a thread with
:func:`serve` (tests). Standard library only; paths cannot leave ROOT.
"""

from __future__ import annotations

import argparse
import json
import mimetypes
import os
import sys
import threading
import time
import urllib.parse
from pathlib import Path

from lab import httpbase

HOST = "127.0.0.1"


class Receiver(httpbase.Server):
    root: Path = Path(".")

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.hits: list[str] = []     # "METHOD /path" of every request, for tests


class Handler(httpbase.Handler):
    server: Receiver
    server_version = "failover-lab-webhook"
    sys_version = ""
    _lock = threading.Lock()

    def parse_request(self) -> bool:
        ok = super().parse_request()
        if ok:
            self.server.hits.append(f"{self.command} {urllib.parse.urlsplit(self.path).path}")
        return ok

    def _file(self) -> Path | None:
        path = urllib.parse.unquote(urllib.parse.urlsplit(self.path).path).lstrip("/")
        root = self.server.root.resolve()
        target = (root / path).resolve()
        if target != root and root not in target.parents:
            return None
        return target / "index.html" if target.is_dir() or not path else target

    def _send(self, status: int, body: bytes, ctype: str = "text/plain; charset=utf-8") -> None:
        self.reply(status, body, {"Content-Type": ctype})

    def do_POST(self) -> None:
        body = self.read_body()
        if body is None:
            return
        row = {"at": time.time(), "path": urllib.parse.urlsplit(self.path).path,
               "content_type": self.headers.get("Content-Type", ""),
               "body": body.decode("utf-8", "replace")}
        with self._lock, open(self.server.root / "received.jsonl", "a") as f:
            f.write(json.dumps(row) + "\n")
        self._send(200, b"ok\n")

    def do_PUT(self) -> None:
        body = self.read_body()
        target = self._file()
        if body is None:
            return
        if target is None:
            self._send(403, b"outside the root\n")
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.{threading.get_ident()}.tmp")
        tmp.write_bytes(body)
        os.replace(tmp, target)
        self._send(201, b"stored\n")

    def do_GET(self) -> None:
        target = self._file()
        if target is None or not target.is_file():
            self._send(404, b"not found\n")
            return
        ctype = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        if ctype.startswith("text/"):
            ctype += "; charset=utf-8"
        self._send(200, target.read_bytes(), ctype)


def received(root: Path) -> list[dict[str, object]]:
    """Every notice POSTed so far, oldest first."""
    try:
        lines = (Path(root) / "received.jsonl").read_text().splitlines()
    except FileNotFoundError:
        return []
    return [json.loads(line) for line in lines if line.strip()]


def serve(root: Path, port: int = 0, host: str = HOST) -> Receiver:
    """Start a receiver in a daemon thread; stop it with ``shutdown()`` + ``server_close()``."""
    Path(root).mkdir(parents=True, exist_ok=True)
    server = Receiver((host, port), Handler)
    server.root = Path(root)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2},
                     daemon=True, name="lab-webhook").start()
    return server


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lab.webhook", description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--root", type=Path, required=True)
    parser.add_argument("--host", default=HOST)
    args = parser.parse_args(argv)
    args.root.mkdir(parents=True, exist_ok=True)
    server = httpbase.listen(Receiver, Handler, args.host, args.port, "webhook")
    if server is None:
        return 3
    server.root = args.root
    return httpbase.serve(server, f"webhook listening on {args.host}:{args.port}")


if __name__ == "__main__":
    sys.exit(main())
