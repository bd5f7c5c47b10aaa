"""The etcd client never follows a redirect (issue 21): an endpoint answering 307 to
another host is a failed endpoint, said in one line naming the redirect's host, and the
other host gets nothing (a real HTTP server on loopback for each)."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator

import pytest

from failover.coord.etcdclient import EtcdClient
from failover.errors import EtcdUnavailable


class Server:
    def __init__(self, status: int, location: str = "") -> None:
        self.hits = 0
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                outer.hits += 1
                self.send_response(status)
                if location:
                    self.send_header("Location", location)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args: object) -> None:
                return None

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def servers() -> Iterator[tuple[Server, Server]]:
    elsewhere = Server(200)
    redirecting = Server(307, f"http://localhost:{elsewhere.url.rsplit(':', 1)[1]}/v3/kv/range")
    try:
        yield redirecting, elsewhere
    finally:
        redirecting.close()
        elsewhere.close()


def test_a_redirect_is_a_failed_endpoint_and_never_followed(
        servers: tuple[Server, Server]) -> None:
    redirecting, elsewhere = servers
    client = EtcdClient([redirecting.url], timeout=2)
    with pytest.raises(EtcdUnavailable) as info:
        client.get("/failover/x")
    said = str(info.value)
    assert "a redirect to localhost, which failover never follows" in said, said
    assert "\n" not in said
    assert redirecting.hits >= 1 and elsewhere.hits == 0
