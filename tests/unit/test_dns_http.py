"""failover.dns.http against a raw socket server on loopback: a keep-alive connection the
server closed while idle is reopened once; a server that answers nothing is a Timeout; a
dead port a TransportError; a body that is not JSON is a ValueError for the caller."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from failover.dns.http import Client, Timeout, TransportError

OK = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{\"ok\": 1.0}"


@pytest.fixture
def server() -> Iterator[tuple[socket.socket, list[str], dict[str, Any]]]:
    listener = socket.create_server(("127.0.0.1", 0))
    seen: list[str] = []
    mode: dict[str, Any] = {"silent": False, "body": OK}

    def serve() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            with conn:
                request = conn.recv(65536).decode()
                seen.append(request.split("\r\n", 1)[0])
                if mode["silent"]:
                    threading.Event().wait(2)
                    continue
                conn.sendall(mode["body"])
                # then close: the client believes the connection is alive (HTTP/1.1)

    threading.Thread(target=serve, daemon=True).start()
    yield listener, seen, mode
    listener.close()


def client(listener: socket.socket, timeout: float = 2.0) -> Client:
    port = listener.getsockname()[1]
    return Client(f"http://127.0.0.1:{port}/api/v1", {"X-API-Key": "k"}, timeout)


def test_an_idle_connection_closed_by_the_server_is_reopened(
        server: tuple[socket.socket, list[str], dict[str, Any]]) -> None:
    listener, seen, _ = server
    c = client(listener)
    assert c.request("GET", "/zones", params={"name": "www.example.test."}).json() == {"ok": 1.0}
    assert c.request("PATCH", "/zones/x", json={"a": 1}).status_code == 200
    assert seen == ["GET /api/v1/zones?name=www.example.test. HTTP/1.1",
                    "PATCH /api/v1/zones/x HTTP/1.1"]


def test_a_silent_server_is_a_timeout(
        server: tuple[socket.socket, list[str], dict[str, Any]]) -> None:
    listener, _, mode = server
    mode["silent"] = True
    with pytest.raises(Timeout, match=r"no answer within 0\.3s"):
        client(listener, timeout=0.3).request("GET", "/zones")


def test_a_dead_port_is_a_transport_error() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(TransportError):
        Client(f"http://127.0.0.1:{port}", {}, 1.0).request("GET", "/")


def test_hostile_bodies_and_urls(
        server: tuple[socket.socket, list[str], dict[str, Any]]) -> None:
    listener, _, mode = server
    mode["body"] = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n<html"
    with pytest.raises(ValueError):
        client(listener).request("GET", "/").json()
    with pytest.raises(ValueError, match="not an http"):
        Client("ftp://example.test", {}, 1.0)
