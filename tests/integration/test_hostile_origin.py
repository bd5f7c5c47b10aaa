"""An origin and a control plane that answer with hostile text cannot crash, fool or drive
the terminal of the person running 'failover check'.

The origin (a raw socket server on 127.0.0.1, so that every byte is the test's choice)
answers a redirect whose Location holds rich markup (``[/bold]``, ``[link=...]``), an
OSC 8 link, a window title and a clear-screen sequence, and a fake "all hostings UP";
the vendor's control plane answers 403 with the same in its body; a second path sends
such a status line. The check must end with its verdict's exit code (not 3, "internal
error"), print the markup literally, and put no escape byte on stdout, stderr or in the
journal.
"""

from __future__ import annotations

import email
import email.policy
import json
import os
import socket
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = Path(sys.executable).parent / "failover"

ESC = b"\x1b"
EVIL = (ESC + b"]0;PWNED-TITLE\x07" + ESC + b"[2J" + ESC + b"[H"
        + b"[/bold] [link=https://evil.example/phish]click[/link] "
        + ESC + b"]8;;https://evil.example/phish" + ESC + b"\\here" + ESC + b"]8;;" + ESC + b"\\"
        + b"\x9b31m\x9d0;t\x9c FAKE: all hostings UP")
FORBIDDEN = (b"\x1b", b"\x9b", b"\x9d", "\x9b".encode(), "\x9d".encode())


def _answer(path: bytes) -> bytes:
    if path.startswith(b"/status-line"):
        return b"HTTP/1.1 200 " + EVIL + b"\r\n" + ESC + b"[2J\r\nContent-Length: 0\r\n\r\n"
    if path.startswith(b"/control"):
        body = b"account suspended " + EVIL
        return (b"HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\n"
                b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
    if path.startswith(b"/bad-status"):
        return EVIL + b"\r\n\r\n"
    body = b"<html>" + EVIL + b"</html>"
    return (b"HTTP/1.1 302 Found " + EVIL + b"\r\nLocation: " + EVIL + b"\r\nX-Evil: " + EVIL
            + b"\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)


@pytest.fixture
def hostile_origin() -> Iterator[int]:
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    server.settimeout(0.2)
    stop = threading.Event()

    def serve(conn: socket.socket) -> None:
        with conn:
            conn.settimeout(5)
            data = b""
            try:
                while b"\r\n\r\n" not in data:
                    piece = conn.recv(4096)
                    if not piece:
                        return
                    data += piece
                path = data.split(b" ", 2)[1]
                conn.sendall(_answer(path))
            except OSError:
                return

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except (TimeoutError, OSError):
                continue
            threading.Thread(target=serve, args=(conn,), daemon=True).start()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield server.getsockname()[1]
    finally:
        stop.set()
        thread.join(5)
        server.close()


@pytest.fixture
def closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _config(tmp_path: Path, port: int, dns_port: int) -> Path:
    config = tmp_path / "failover.yaml"
    config.write_text(f"""service: demo
zone: example.test.
records: [{{name: www, type: A}}]
journal: {tmp_path}/journal.sqlite
vendors:
  evil: {{control: {{kind: http, url: "http://127.0.0.1:{port}/control", timeout: 5s}}}}
  good: {{}}
hosting:
  one: {{vendor: evil, endpoints: {{A: [127.0.0.1]}}, priority: 1}}
  two: {{vendor: good, endpoints: {{A: [127.0.0.1]}}, priority: 2}}
dns:
  gone: {{vendor: good, kind: rfc2136, server: 127.0.0.1, port: {dns_port}, timeout: 1s}}
checks:
  - {{kind: http, port: {port}, path: /redirect, timeout: 5s}}
  - {{kind: http, port: {port}, path: /status-line, timeout: 5s}}
  - {{kind: http, port: {port}, path: /bad-status, timeout: 5s}}
""")
    return config


def _run(config: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "400",
           # A terminal as rich would see it, so that nothing is left out for a pipe.
           "FORCE_COLOR": "1", "TERM": "xterm-256color"}
    env.pop("NO_COLOR", None)
    return subprocess.run([str(SCRIPT), "-c", str(config), "check", *args],
                          capture_output=True, env=env, timeout=120, cwd=config.parent)


def _no_escape(where: str, data: bytes) -> None:
    for bad in FORBIDDEN:
        at = data.find(bad)
        assert at < 0, f"{where} holds {bad!r}: {data[max(0, at - 200):at + 200]!r}"


def test_check_shows_hostile_text_inert(tmp_path: Path, hostile_origin: int,
                                        closed_port: int) -> None:
    config = _config(tmp_path, hostile_origin, closed_port)

    as_json = _run(config, "--format", "json")
    assert as_json.returncode != 3, as_json.stderr.decode(errors="replace")
    _no_escape("json stdout", as_json.stdout)
    _no_escape("json stderr", as_json.stderr)
    data = json.loads(as_json.stdout)
    reasons = json.dumps(data)
    assert "[/bold]" in reasons and "FAKE: all hostings UP" in reasons

    table = _run(config)
    stdout, stderr = table.stdout.decode("utf-8", "replace"), table.stderr.decode(
        "utf-8", "replace")
    assert table.returncode == as_json.returncode, stdout + stderr
    assert "internal error" not in stderr and "MarkupError" not in stderr
    # Rich's own colours are escapes: strip the SGR sequences it writes, then none may remain.
    assert "PWNED" not in stdout and "PWNED" not in stderr
    plain = subprocess.run([str(SCRIPT), "-c", str(config), "check"], capture_output=True,
                           env={**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "400",
                                "NO_COLOR": "1", "TERM": "dumb"},
                           timeout=120, cwd=config.parent)
    _no_escape("table stdout", plain.stdout)
    _no_escape("table stderr", plain.stderr)
    shown = plain.stdout.decode()
    assert "[/bold]" in shown                                   # printed as itself
    assert "[link=https://evil.example/phish]click[/link]" in shown
    assert "\x1b]8;" not in stdout                              # no hyperlink was made

    # The file's own pages hold such bytes (page numbers, record headers): read every value.
    db = sqlite3.connect(tmp_path / "journal.sqlite")
    try:
        tables = [t for (t,) in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        kept = 0
        for table_name in tables:
            for row in db.execute(f'SELECT * FROM "{table_name}"'):
                for value in row:
                    if isinstance(value, (str, bytes)):
                        raw = value.encode() if isinstance(value, str) else value
                        _no_escape(f"journal table {table_name}", raw)
                        kept += b"FAKE: all hostings UP" in raw
        assert kept, "the journal should hold the hostile evidence, made inert"
    finally:
        db.close()


def test_a_notice_quoting_a_vendor_is_mailed_as_text(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """A vendor's error text in a notice reaches the on-call's mail as text, never as HTML
    (apprise is told the body is plain text, so the HTML part escapes it)."""
    from failover.config import parse_config
    from failover.notify import Notifier
    from failover.notify.notices import Notice
    from lab import smtp

    mail = smtp.serve(tmp_path / "mail", "failover", "pw-hostile-1")
    try:
        monkeypatch.setenv("T_MAIL", f"mailto://failover:pw-hostile-1@127.0.0.1:{mail.port}"
                                     "?from=failover@lab.test&to=oncall@lab.test")
        config = parse_config(f"""
service: lab
zone: example.test.
records: [{{name: www, type: A}}]
vendors: {{aws: {{}}}}
hosting: {{a: {{vendor: aws, endpoints: {{A: [127.0.0.21]}}}}}}
dns: {{bind: {{vendor: aws, kind: rfc2136, server: 127.0.0.1}}}}
journal: {tmp_path}/j.sqlite
notify:
  deadline: 10s
  channels: [{{name: mail, url_env: T_MAIL}}]
""", str(tmp_path / "failover.yaml"))
        said = ('aws: HTTP 403: <script>alert("pwned")</script>'
                '<img src=x onerror=alert(1)> <a href="https://evil.example/phish">log in</a>')
        deliveries = Notifier(config).send(Notice("terminated", "failure", "[lab] aws", said))
        assert all(d.ok for d in deliveries), deliveries
        mails = smtp.messages(tmp_path / "mail")
    finally:
        mail.stop()
    assert mails
    parts = [part for m in mails
             for part in email.message_from_string(m["text"], policy=email.policy.default).walk()
             if not part.is_multipart()]
    assert parts
    for part in parts:
        content = str(part.get_content())
        assert "alert" in content          # the words are there, as text
        if part.get_content_type() != "text/plain":   # markup is read: none of the vendor's
            assert "<script" not in content and "<img" not in content, content
            assert "<a href" not in content, content
