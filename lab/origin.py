"""One hosting's HTTP origin for the lab: ``GET /healthz`` -> ``ok NAME``, ``GET /`` -> hello.

Run as ``python -m lab.origin --address 127.0.0.11 --port P --name aws-use1``. Standard
library only, so it starts in tens of milliseconds; SIGTERM stops it at once.
"""

from __future__ import annotations

import argparse
import sys

from lab import httpbase


class Origin(httpbase.Server):
    name = "origin"


class Handler(httpbase.Handler):
    server: Origin
    server_version = "failover-lab-origin"
    sys_version = ""

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        if path == "/healthz":
            status, body = 200, f"ok {self.server.name}\n"
        elif path == "/":
            status, body = 200, f"hello from {self.server.name}\n"
        else:
            status, body = 404, f"not found on {self.server.name}\n"
        self.reply(status, body.encode(), {"Content-Type": "text/plain; charset=utf-8",
                                           "X-Hosting": self.server.name})

    do_HEAD = do_GET  # reply() leaves the body out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lab.origin", description=__doc__)
    parser.add_argument("--address", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--name", required=True)
    args = parser.parse_args(argv)
    server = httpbase.listen(Origin, Handler, args.address, args.port, f"origin {args.name}")
    if server is None:
        return 3
    server.name = args.name
    return httpbase.serve(server, f"origin {args.name} listening on {args.address}:{args.port}")


if __name__ == "__main__":
    sys.exit(main())
