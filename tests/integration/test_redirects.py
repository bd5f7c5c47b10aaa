"""Webhooks never follow a redirect: a SaaS switch, a page target and a notice channel
whose endpoint answers 301, 302, 307 or 308 to another host fail, in one line naming the
place, and the other host (the lab's webhook receiver on 127.0.0.2) gets nothing.

Followed, urllib and requests turn a POST into a GET at the redirect's host, whose 200
was recorded as "switched" or "published" (issue 21).
"""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from failover.config import parse_config
from failover.notify.notices import Notice
from failover.notify.send import Notifier
from failover.reports.publish import publish
from failover.saas.switch import Choice, call_webhook
from lab import webhook

pytestmark = pytest.mark.integration

TOKEN = "hooktok-Q8sW2mZr7"
STATUSES = (301, 302, 307, 308)


class _Redirector(http.server.ThreadingHTTPServer):
    status = 302
    to = ""


class _Handler(http.server.BaseHTTPRequestHandler):
    server: _Redirector

    def _redirect(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        self.send_response(self.server.status)
        self.send_header("Location", self.server.to)
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_GET = do_POST = do_PUT = _redirect

    def log_message(self, format: str, *args: object) -> None:
        return


@pytest.fixture
def hosts(tmp_path: Path) -> Iterator[tuple[_Redirector, webhook.Receiver]]:
    """A redirecting endpoint on 127.0.0.1 and the host it points at, on 127.0.0.2."""
    other = webhook.serve(tmp_path / "other", host="127.0.0.2")
    redirector = _Redirector(("127.0.0.1", 0), _Handler)
    redirector.to = f"http://127.0.0.2:{other.server_port}/stolen"
    threading.Thread(target=redirector.serve_forever, kwargs={"poll_interval": 0.2},
                     daemon=True).start()
    try:
        yield redirector, other
    finally:
        for server in (redirector, other):
            server.shutdown()
            server.server_close()


def _config(tmp_path: Path, extra: str) -> str:
    return f"""
service: s
zone: example.test.
records: [{{name: www, type: A}}]
vendors: {{aws: {{}}, zendesk: {{}}, freshworks: {{}}}}
hosting:
  a: {{vendor: aws, endpoints: {{A: [127.0.0.21]}}}}
dns:
  m: {{vendor: aws, kind: rfc2136, server: 127.0.0.1}}
journal: {tmp_path}/j.sqlite
{extra}"""


@pytest.mark.parametrize("status", STATUSES)
def test_a_saas_switch_webhook_that_redirects_is_not_switched(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        hosts: tuple[_Redirector, webhook.Receiver], status: int) -> None:
    redirector, other = hosts
    redirector.status = status
    monkeypatch.setenv("T_APP", f"http://127.0.0.1:{redirector.server_port}/config/{TOKEN}")
    config = parse_config(_config(tmp_path, """saas:
  support:
    switch: {kind: webhook, url_env: T_APP}
    providers: {zendesk: {vendor: zendesk}, freshdesk: {vendor: freshworks}}
"""), str(tmp_path / "failover.yaml"))
    ok, said = call_webhook(config, Choice("support", "zendesk", "freshdesk", "test", "webhook"))
    assert not ok
    assert said.startswith(f"saas.support.switch: HTTP {status}, a redirect to 127.0.0.2")
    assert "never follows" in said and TOKEN not in said and "\n" not in said
    assert other.hits == []


@pytest.mark.parametrize("status", STATUSES)
def test_a_page_webhook_that_redirects_is_not_published(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        hosts: tuple[_Redirector, webhook.Receiver], status: int) -> None:
    redirector, other = hosts
    redirector.status = status
    monkeypatch.setenv("T_PAGE", f"http://127.0.0.1:{redirector.server_port}/p/{TOKEN}/index.html")
    config = parse_config(_config(tmp_path, """page:
  targets: [{kind: webhook, url_env: T_PAGE, method: POST}]
"""), str(tmp_path / "failover.yaml"))
    (result,) = publish(config, {"public": "<p>page</p>", "internal": "<p>page</p>"})
    assert not result.ok
    assert result.error is not None
    assert result.error.startswith(f"page webhook: HTTP {status}, a redirect to 127.0.0.2")
    assert TOKEN not in result.error
    assert other.hits == []


@pytest.mark.parametrize("status", (302, 307))
def test_a_notice_channel_that_redirects_is_not_delivered(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        hosts: tuple[_Redirector, webhook.Receiver], status: int) -> None:
    redirector, other = hosts
    redirector.status = status
    # Even when the URL asks apprise to follow redirects.
    monkeypatch.setenv("T_HOOK", f"json://127.0.0.1:{redirector.server_port}/{TOKEN}"
                       "?redirect=yes")
    config = parse_config(_config(tmp_path, """notify:
  channels: [{name: hook, url_env: T_HOOK}]
"""), str(tmp_path / "failover.yaml"))
    (delivery,) = Notifier(config).send(Notice("test", "info", "title", "body"))
    assert not delivery.ok
    assert delivery.error and TOKEN not in delivery.error
    assert other.hits == []
