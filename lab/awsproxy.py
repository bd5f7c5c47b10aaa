"""The lab's AWS fault proxy: forwards every request to moto, or refuses it as AWS would.

Run as ``python -m lab.awsproxy --port P --upstream http://127.0.0.1:M --faults DIR/faults``.
While the file ``DIR/faults/aws`` exists, STS and EC2 requests are answered with the AWS
error it names (default ``AccountSuspended``): HTTP 403 (401 for ``AuthFailure``) and the
XML error body of that API (STS's ``ErrorResponse``, EC2's ``Response/Errors``), so
botocore parses the code exactly as it would from AWS. Every other request, Route 53's
included, always reaches moto. The service is read from the request's SigV4 credential
scope. Standard library only, so it starts in tens of milliseconds; SIGTERM stops it.
"""

from __future__ import annotations

import argparse
import http.client
import re
import sys
import uuid
from pathlib import Path
from urllib.parse import urlsplit
from xml.sax.saxutils import escape

from lab import httpbase

DEFAULT_CODE = "AccountSuspended"
HEALTH = "/failover-lab/healthz"  # answered by the proxy itself, never forwarded
FAULTED = ("sts", "ec2")  # the control-plane APIs failover's aws probe calls
# code -> (HTTP status, message), as AWS answers them where documented.
KNOWN: dict[str, tuple[int, str]] = {
    "AccountSuspended": (403, "The AWS account is suspended. Contact AWS Support."),
    "AuthFailure": (401, "AWS was not able to validate the provided access credentials"),
    "Blocked": (403, "The account is currently blocked. Contact AWS Support."),
    "InvalidClientTokenId": (403, "The security token included in the request is invalid."),
    "OptInRequired": (403, "You are not subscribed to this service. Please go to "
                           "http://aws.amazon.com to subscribe."),
    "PendingVerification": (403, "The account is pending verification."),
    "UnrecognizedClientException": (400, "The security token included in the request is "
                                         "invalid."),
    "Throttling": (400, "Rate exceeded"),
    "RequestLimitExceeded": (503, "Request limit exceeded."),
    "ServiceUnavailable": (503, "The service is unavailable. Please try again shortly."),
}
CODE = re.compile(r"^[A-Za-z][A-Za-z0-9.]{0,63}$")
_SCOPE = re.compile(r"Credential=[^/]+/\d{8}/[^/]+/([a-z0-9-]+)/aws4_request")
_HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te",
        "trailer", "transfer-encoding", "upgrade", "content-length"}


def error_body(service: str, code: str, message: str, request_id: str) -> bytes:
    """AWS's XML error body for ``service``: EC2's shape, or the query protocol's (STS)."""
    code, message = escape(code), escape(message)
    if service == "ec2":
        text = (f'<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error>'
                f"<Code>{code}</Code><Message>{message}</Message></Error></Errors>"
                f"<RequestID>{request_id}</RequestID></Response>")
    else:
        text = (f'<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">\n'
                f"  <Error>\n    <Type>Sender</Type>\n    <Code>{code}</Code>\n"
                f"    <Message>{message}</Message>\n  </Error>\n"
                f"  <RequestId>{request_id}</RequestId>\n</ErrorResponse>\n")
    return text.encode()


def fault_code(path: Path) -> str | None:
    """The error code the fault file names, None while there is no fault file."""
    try:
        text = path.read_text(errors="replace")
    except FileNotFoundError:
        return None
    except OSError:
        return DEFAULT_CODE  # there, but unreadable: still a fault
    words = text.split()
    return words[0] if words and CODE.match(words[0]) else DEFAULT_CODE


def service_of(authorization: str) -> str | None:
    """The AWS service a SigV4-signed request is for (``sts``, ``ec2``, ``route53``)."""
    match = _SCOPE.search(authorization or "")
    return match.group(1) if match else None


class Proxy(httpbase.Server):
    upstream: tuple[str, int] = ("127.0.0.1", 0)
    fault_file: Path = Path("faults/aws")


class Handler(httpbase.Handler):
    server: Proxy
    protocol_version = "HTTP/1.1"  # keep-alive, as botocore expects
    server_version = "failover-lab-aws-proxy"
    sys_version = ""

    def _handle(self) -> None:
        body = self.read_body()
        if body is None:
            return
        if self.path == HEALTH:
            self.reply(200, b"ok\n", {"Content-Type": "text/plain"})
            return
        service = service_of(self.headers.get("Authorization", ""))
        code = fault_code(self.server.fault_file) if service in FAULTED else None
        if code is not None and service is not None:
            self._refuse(service, code)
        else:
            self._forward(body)

    def _refuse(self, service: str, code: str) -> None:
        status, message = KNOWN.get(code, (403, f"{code} (injected by the failover lab)"))
        request_id = str(uuid.uuid4())
        print(f"{service} {self.command} {self.path}: refused with {status} {code}", flush=True)
        self.reply(status, error_body(service, code, message, request_id),
                   {"Content-Type": "text/xml", "x-amzn-RequestId": request_id})

    def _forward(self, body: bytes) -> None:
        host, port = self.server.upstream
        conn = http.client.HTTPConnection(host, port, timeout=60)
        try:
            headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP}
            conn.request(self.command, self.path, body=body or None, headers=headers)
            resp = conn.getresponse()
            data = resp.read()
            status, reason, upstream_headers = resp.status, resp.reason, resp.getheaders()
        except (OSError, http.client.HTTPException) as exc:
            data = f"failover lab proxy: moto at {host}:{port} did not answer: {exc}\n".encode()
            status, reason = 502, "Bad Gateway"
            upstream_headers = [("Content-Type", "text/plain")]
        finally:
            conn.close()
        self.reply(status, data, [(key, value) for key, value in upstream_headers
                                  if key.lower() not in _HOP
                                  and key.lower() not in ("server", "date")], reason)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = _handle


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lab.awsproxy", description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--address", default="127.0.0.1")
    parser.add_argument("--upstream", required=True, help="moto's URL: http://127.0.0.1:PORT")
    parser.add_argument("--faults", type=Path, required=True, help="the lab's DIR/faults")
    args = parser.parse_args(argv)
    upstream = urlsplit(args.upstream)
    server = httpbase.listen(Proxy, Handler, args.address, args.port, "aws proxy")
    if server is None:
        return 3
    server.upstream = (upstream.hostname or "127.0.0.1", upstream.port or 80)
    server.fault_file = args.faults / "aws"
    return httpbase.serve(server, f"aws proxy listening on {args.address}:{args.port}, "
                                  f"forwarding to {args.upstream}")


if __name__ == "__main__":
    sys.exit(main())
