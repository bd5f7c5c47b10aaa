"""One hosting's HTTP origin for the lab: ``GET /healthz`` -> ``ok NAME``, ``GET /`` -> hello.

Run as ``python -m lab.origin --address 127.0.0.11 --port P --name aws-use1``. Standard
library only, so it starts in tens of milliseconds; SIGTERM stops it at once.
"""

from __future__ import annotations

import argparse
import socketserver
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Origin(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True  # revive on the same port while old sockets sit in TIME_WAIT
    name = "origin"

    def server_bind(self) -> None:
        # HTTPServer.server_bind asks reverse DNS for the address: slow with no resolver.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name, self.server_port = str(host), int(port)


class Handler(BaseHTTPRequestHandler):
    server: Origin
    server_version = "failover-lab-origin"
    sys_version = ""

    def _reply(self, head_only: bool) -> None:
        path = self.path.split("?", 1)[0]
        if path == "/healthz":
            status, body = 200, f"ok {self.server.name}\n"
        elif path == "/":
            status, body = 200, f"hello from {self.server.name}\n"
        else:
            status, body = 404, f"not found on {self.server.name}\n"
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("X-Hosting", self.server.name)
        self.end_headers()
        if not head_only:
            self.wfile.write(data)

    def do_GET(self) -> None:
        self._reply(head_only=False)

    def do_HEAD(self) -> None:
        self._reply(head_only=True)

    def log_message(self, format: str, *args: object) -> None:
        pass  # quiet: probes hit this every second


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lab.origin", description=__doc__)
    parser.add_argument("--address", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--name", required=True)
    args = parser.parse_args(argv)
    try:
        server = Origin((args.address, args.port), Handler)
    except OSError as exc:
        print(f"origin {args.name}: cannot listen on {args.address}:{args.port}: "
              f"{exc.strerror or exc}", file=sys.stderr)
        return 3
    server.name = args.name
    print(f"origin {args.name} listening on {args.address}:{args.port}", flush=True)
    try:
        server.serve_forever(poll_interval=0.5)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
