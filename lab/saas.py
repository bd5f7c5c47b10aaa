"""Stand-ins for SaaS vendors' account APIs, for the lab: an SMS API and an identity provider
at aws, and their fallbacks at other vendors. No local server exists for these, so this
follows the shape of each vendor's documented answers (noted per route below); only what
failover's account probe reads is modelled.

Routes (``Authorization: Bearer TOKEN``; the token is in DIR/saas/<provider>.token):

- ``GET /twilio/2010-04-01/Accounts/AClab.json``: Twilio's Account resource:
  200 ``{"sid", "status": "active"}``; while the vendor is suspended 200 with
  ``"status": "suspended"`` (as Twilio reports a suspended account); a wrong token 401
  ``{"code": 20003, "message": "Authenticate"}``;
- ``GET /vonage/account/get-balance``: Vonage's balance: 200 ``{"value", "autoReload"}``;
  suspended 401 ``{"error-code": "401", "error-code-label": "authentication failed"}``;
- ``GET /okta/api/v1/org``: Okta's Org: 200 ``{"status": "ACTIVE"}``; suspended 401
  ``{"errorCode": "E0000011", "errorSummary": "Invalid token provided"}``;
- ``GET /auth0/api/v2/tenants/settings``: Auth0's tenant settings: 200; suspended 403
  ``{"statusCode": 403, "error": "Forbidden"}``.

A provider's vendor is suspended while DIR/faults/<vendor> exists: the file the lab's
``suspend`` writes for the AWS fault proxy, so one ``suspend aws`` refuses our account at
AWS and at every SaaS provider hosted there.

Run as ``python -m lab.saas --port P --dir DIR --provider twilio=aws ...``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from lab import httpbase

HOST = "127.0.0.1"
# provider -> (account path, alive answer, suspended (status, answer), default vendor)
ROUTES: dict[str, tuple[str, dict[str, Any], tuple[int, dict[str, Any]], str]] = {
    "twilio": ("/twilio/2010-04-01/Accounts/AClab.json",
               {"sid": "AClab", "status": "active"},
               (200, {"sid": "AClab", "status": "suspended"}), "aws"),
    "vonage": ("/vonage/account/get-balance", {"value": 10.5, "autoReload": False},
               (401, {"error-code": "401", "error-code-label": "authentication failed"}),
               "gcp"),
    "okta": ("/okta/api/v1/org", {"id": "00olab", "status": "ACTIVE"},
             (401, {"errorCode": "E0000011", "errorSummary": "Invalid token provided"}),
             "aws"),
    "auth0": ("/auth0/api/v2/tenants/settings", {"friendly_name": "lab"},
              (403, {"statusCode": 403, "error": "Forbidden"}), "metal"),
}
UNAUTHENTICATED = (401, {"code": 20003, "message": "Authenticate"})


class Server(httpbase.Server):
    root = Path(".")
    vendors: dict[str, str]


class Handler(httpbase.Handler):
    server: Server
    server_version = "failover-lab-saas"
    sys_version = ""

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        route = next(((p, r) for p, r in ROUTES.items() if r[0] == path), None)
        if route is None:
            self.reply_json(404, {"message": "not found"})
            return
        provider, (_path, alive, suspended, _vendor) = route
        token_file = self.server.root / "saas" / f"{provider}.token"
        try:
            token = token_file.read_text().strip()
        except OSError:
            token = None
        if not token or self.headers.get("Authorization", "") != f"Bearer {token}":
            self.reply_json(*UNAUTHENTICATED)
            return
        vendor = self.server.vendors.get(provider, ROUTES[provider][3])
        if (self.server.root / "faults" / vendor).exists():
            self.reply_json(*suspended)
            return
        self.reply_json(200, alive)


def marker(port: int) -> str:
    return f"lab.saas --port {port}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lab.saas", description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--dir", type=Path, required=True)
    parser.add_argument("--provider", action="append", default=[],
                        help="PROVIDER=VENDOR (default: each route's own vendor)")
    args = parser.parse_args(argv)
    server = httpbase.listen(Server, Handler, HOST, args.port, "saas")
    if server is None:
        return 3
    server.root = args.dir
    server.vendors = dict(p.split("=", 1) for p in args.provider)
    return httpbase.serve(server, f"saas stand-ins listening on {HOST}:{args.port}")


if __name__ == "__main__":
    sys.exit(main())
