"""Control-plane probes for gcp, ssh and http against real servers on loopback.

GCP against the stand-in in lab/gcpapi.py; ssh against TCP listeners that
send a banner, garbage or nothing; http against a small HTTP server. (AWS is in
tests/integration/test_control_aws.py, against moto.)
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from failover.clock import FakeClock
from failover.config import Config
from failover.control import _MODULES as control_modules
from failover.control import GRACE, ControlResult, probe_vendor, probe_vendors, web
from failover.control.base import Trace
from lab.gcpapi import FakeGcp

TOKEN = "ya29.a0-test-token-5e1b9c"


def make_config(tmp_path: Path, vendors: dict[str, dict[str, Any] | None]) -> Config:
    """A config whose vendors have these control planes (None: no control block)."""
    first = next(iter(vendors))
    return Config.model_validate({
        "service": "social", "zone": "example.test.", "records": [{"name": "www"}],
        "vendors": {n: ({"control": c} if c else {}) for n, c in vendors.items()},
        "hosting": {"h": {"vendor": first, "endpoints": {"A": ["192.0.2.10"]}}},
        "dns": {"d": {"kind": "rfc2136", "vendor": first, "server": "127.0.0.1"}},
        "source": str(tmp_path / "failover.yaml")})


def run(tmp_path: Path, control: dict[str, Any], name: str = "v") -> ControlResult:
    result = probe_vendor(name, make_config(tmp_path, {name: control}))
    assert result is not None
    assert TOKEN not in json.dumps(result.to_json())
    return result


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.delenv(var, raising=False)


# -- gcp -----------------------------------------------------------------------------------

@pytest.fixture
def gcp(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGcp]:
    monkeypatch.setenv("FO_TEST_GCP_TOKEN", TOKEN)
    with FakeGcp(token=TOKEN) as fake:
        fake.instances = {"web-1": "RUNNING", "web-2": "RUNNING", "web-3": "TERMINATED"}
        yield fake


def gcp_control(fake: FakeGcp, **extra: Any) -> dict[str, Any]:
    return {"kind": "gcp", "project": fake.project, "zone": fake.zone,
            "token_env": "FO_TEST_GCP_TOKEN", "resource_manager_url": fake.url,
            "billing_url": fake.url, "compute_url": fake.url, "timeout": 2, **extra}


def test_gcp_alive_with_named_instances(gcp: FakeGcp, tmp_path: Path) -> None:
    result = run(tmp_path, gcp_control(gcp, instances=["web-1", "web-2", "web-3"]))
    assert (result.state, result.kind) == ("alive", "gcp")
    assert result.reason == "project ACTIVE; billing enabled; 2/3 instances running"
    assert (result.instances_running, result.instances_expected) == (2, 3)
    assert [(e["probe"], e["ok"]) for e in result.evidence] == [
        ("crm:projects.get", True), ("billing:projects.getBillingInfo", True),
        ("compute:instances.list", True)]
    assert "web-3 TERMINATED" in result.evidence[-1]["detail"]
    assert gcp.requests == ["/v3/projects/social-prod", "/v1/projects/social-prod/billingInfo",
                            "/compute/v1/projects/social-prod/zones/europe-west1-b/instances"]


def test_gcp_counts_every_instance_of_the_zone_across_pages(gcp: FakeGcp,
                                                            tmp_path: Path) -> None:
    gcp.instances = {f"web-{i}": "RUNNING" if i % 2 else "STOPPING" for i in range(7)}
    gcp.page_size = 2
    result = run(tmp_path, gcp_control(gcp))
    assert (result.state, result.instances_running, result.instances_expected) == \
        ("alive", 3, 7)
    assert len([p for p in gcp.requests if p.endswith("/instances")]) == 4


def test_gcp_without_zone_checks_the_account_only(gcp: FakeGcp, tmp_path: Path) -> None:
    result = run(tmp_path, gcp_control(gcp, zone=None))
    assert result.state == "alive"
    assert result.instances_running is None
    assert not any(p.endswith("/instances") for p in gcp.requests)


def test_gcp_project_marked_for_deletion_is_refused(gcp: FakeGcp, tmp_path: Path) -> None:
    gcp.project_state = "DELETE_REQUESTED"
    result = run(tmp_path, gcp_control(gcp))
    assert result.state == "refused"
    assert result.reason == ("Resource Manager: DELETE_REQUESTED: project social-prod "
                             "is not ACTIVE")
    assert result.evidence[0]["code"] == "DELETE_REQUESTED"
    assert len(gcp.requests) == 1     # the first refusal ends the probe


def test_gcp_billing_disabled_is_refused(gcp: FakeGcp, tmp_path: Path) -> None:
    gcp.billing_enabled = False
    result = run(tmp_path, gcp_control(gcp))
    assert result.state == "refused"
    assert result.reason.startswith("Billing: BILLING_DISABLED")


def test_gcp_revoked_token_is_refused(gcp: FakeGcp, tmp_path: Path) -> None:
    gcp.token = "ya29.the-one-google-knows-now"
    result = run(tmp_path, gcp_control(gcp))
    assert result.state == "refused"
    assert result.reason.startswith("Resource Manager: UNAUTHENTICATED: HTTP 401: Request had "
                                    "invalid authentication credentials")


def test_gcp_revoked_token_on_compute_in_the_older_shape_is_refused(
        gcp: FakeGcp, tmp_path: Path) -> None:
    gcp.fail(401, "authError", "Invalid Credentials", apis=("compute",), legacy=True)
    result = run(tmp_path, gcp_control(gcp))
    assert result.state == "refused"
    assert result.reason == "Compute: authError: HTTP 401: Invalid Credentials"


@pytest.mark.parametrize(("status", "reason", "legacy", "message"), [
    (403, "CONSUMER_SUSPENDED", False, "Permission denied: Consumer 'project:x' has been "
                                       "suspended."),
    (403, "BILLING_DISABLED", False, "This API method requires billing to be enabled."),
    (403, "ACCOUNT_STATE_INVALID", False, "The account is disabled."),
    (403, "CONSUMER_INVALID", False, "Consumer invalid."),
    (403, "accountDisabled", True, "The project to be billed is associated with an absent "
                                   "billing account."),
    (403, "forbidden", True, "Project social-prod (#1) has billing disabled. Please enable it."),
])
def test_gcp_refusals(gcp: FakeGcp, tmp_path: Path, status: int, reason: str, legacy: bool,
                      message: str) -> None:
    gcp.fail(status, reason, message, legacy=legacy)
    result = run(tmp_path, gcp_control(gcp))
    assert result.state == "refused"
    assert result.evidence[0]["code"] == reason
    assert message[:40] in result.reason


@pytest.mark.parametrize(("status", "reason"), [
    (401, "ACCESS_TOKEN_EXPIRED"),     # our token is stale: refresh it
    (401, "CREDENTIALS_MISSING"),
    (403, "USER_PROJECT_DENIED"),      # the quota project, which we never name
    (403, "SERVICE_DISABLED"),
    (429, "RATE_LIMIT_EXCEEDED"),
    (500, None),
    (503, None),
])
def test_gcp_errors_that_are_not_termination(gcp: FakeGcp, tmp_path: Path, status: int,
                                             reason: str | None) -> None:
    gcp.fail(status, reason, "no")
    result = run(tmp_path, gcp_control(gcp))
    assert result.state == "unknown"
    assert "project unknown" in result.reason


def test_gcp_no_permission_on_the_project_but_compute_answers_is_alive(
        gcp: FakeGcp, tmp_path: Path) -> None:
    gcp.fail(403, None, "The caller does not have permission", apis=("project",))
    result = run(tmp_path, gcp_control(gcp))
    assert result.state == "alive"
    assert result.reason == ("billing enabled; 2/3 instances running; project unknown: "
                             "Resource Manager: PERMISSION_DENIED: HTTP 403: The caller does "
                             "not have permission")


def test_gcp_hang_is_unknown_within_the_timeout(gcp: FakeGcp, tmp_path: Path) -> None:
    gcp.hang(apis=("billing",))
    started = time.monotonic()
    result = run(tmp_path, gcp_control(gcp, timeout=0.5))
    took = time.monotonic() - started
    assert took < 0.5 + GRACE + 0.3
    assert result.state == "alive"      # the project answered: ACTIVE
    assert result.reason == ("project ACTIVE; billing unknown: Billing: Timeout: no answer "
                             "within 0.5s; instances unknown: Compute: Timeout: no answer "
                             "within 0.5s")


def test_gcp_hang_everywhere_is_unknown(gcp: FakeGcp, tmp_path: Path) -> None:
    gcp.hang()
    started = time.monotonic()
    result = run(tmp_path, gcp_control(gcp, timeout=0.5))
    assert time.monotonic() - started < 0.5 + GRACE + 0.3
    assert result.state == "unknown"
    assert result.reason.startswith("project unknown: Resource Manager: Timeout: no answer "
                                    "within 0.5s")


def test_gcp_nothing_listening_is_unknown(gcp: FakeGcp, tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    result = run(tmp_path, gcp_control(gcp, resource_manager_url=url, billing_url=url,
                                       compute_url=url))
    assert result.state == "unknown"
    assert "connection refused" in result.reason


def test_gcp_token_file(gcp: FakeGcp, tmp_path: Path) -> None:
    (tmp_path / "gcp.token").write_text(TOKEN + "\n")
    result = run(tmp_path, gcp_control(gcp, token_env=None, token_file="gcp.token"))
    assert result.state == "alive"


def test_gcp_missing_token_is_unknown(gcp: FakeGcp, tmp_path: Path,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FO_TEST_GCP_TOKEN")
    result = run(tmp_path, gcp_control(gcp))
    assert result.state == "unknown"
    assert result.reason == "GCP access token: environment variable FO_TEST_GCP_TOKEN is not set"
    assert gcp.requests == []


def test_gcp_token_echoed_by_the_api_is_scrubbed(gcp: FakeGcp, tmp_path: Path) -> None:
    gcp.fail(500, None, f"internal error handling Bearer {TOKEN}")
    result = run(tmp_path, gcp_control(gcp))     # run() asserts the token is absent
    assert "Bearer ***" in result.reason


# -- ssh -------------------------------------------------------------------------------------

@contextlib.contextmanager
def tcp_listener(send: bytes | None, *, close: bool = True) -> Iterator[int]:
    """A TCP server on 127.0.0.1 that sends ``send`` to each client, then closes or waits."""
    stop = threading.Event()
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    server.settimeout(0.1)
    held: list[socket.socket] = []

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            if send:
                conn.sendall(send)
            if close:
                conn.close()
            else:
                held.append(conn)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield int(server.getsockname()[1])
    finally:
        stop.set()
        thread.join()
        for conn in held:
            conn.close()
        server.close()


def ssh_control(port: int, timeout: float = 1) -> dict[str, Any]:
    return {"kind": "ssh", "host": "127.0.0.1", "port": port, "timeout": timeout}


def test_ssh_banner_is_alive(tmp_path: Path) -> None:
    with tcp_listener(b"SSH-2.0-OpenSSH_9.2\r\n", close=False) as port:
        result = run(tmp_path, ssh_control(port))
    assert (result.state, result.kind) == ("alive", "ssh")
    assert result.reason == f"SSH-2.0-OpenSSH_9.2 at 127.0.0.1:{port}"
    assert result.evidence == [{"probe": "ssh:banner", "ok": True, "code": None,
                                "detail": f"127.0.0.1:{port}: SSH-2.0-OpenSSH_9.2"}]


def test_ssh_banner_after_other_lines_is_alive(tmp_path: Path) -> None:
    with tcp_listener(b"Welcome to rack 12\r\nAuthorized use only\r\nSSH-2.0-dropbear\r\n") \
            as port:
        assert run(tmp_path, ssh_control(port)).state == "alive"


def test_ssh_garbage_is_unknown(tmp_path: Path) -> None:
    with tcp_listener(b"HTTP/1.1 400 Bad Request\r\n\r\n") as port:
        result = run(tmp_path, ssh_control(port))
    assert result.state == "unknown"
    assert result.reason.startswith(f"not an SSH banner from 127.0.0.1:{port}")


def test_ssh_binary_garbage_is_unknown(tmp_path: Path) -> None:
    with tcp_listener(bytes(range(256)) * 4, close=False) as port:
        result = run(tmp_path, ssh_control(port, timeout=5))  # decided on content, not time
    assert result.state == "unknown"
    assert result.reason.startswith("not an SSH banner")


def test_ssh_silence_is_unknown_within_the_timeout(tmp_path: Path) -> None:
    with tcp_listener(None, close=False) as port:
        started = time.monotonic()
        result = run(tmp_path, ssh_control(port, timeout=0.5))
        took = time.monotonic() - started
    assert result.state == "unknown"
    assert result.reason == f"no SSH banner from 127.0.0.1:{port}: timeout after 0.5s"
    assert took < 0.5 + GRACE + 2  # bounded: the listener never speaks or closes


def test_ssh_closed_at_once_is_unknown(tmp_path: Path) -> None:
    with tcp_listener(None) as port:
        result = run(tmp_path, ssh_control(port))
    assert result.state == "unknown"
    assert "closed without" in result.reason


def test_ssh_nothing_listening_is_unknown_not_refused(tmp_path: Path) -> None:
    port = free_port()
    result = run(tmp_path, ssh_control(port))
    assert result.state == "unknown"
    assert result.reason == f"no SSH banner from 127.0.0.1:{port}: connection refused"


# -- http ------------------------------------------------------------------------------------

class ApiServer:
    """An HTTP server answering every request with ``status`` and ``body``."""

    def __init__(self) -> None:
        self.status = 200
        self.body = b'{"servers": []}'
        self.headers: dict[str, str] = {}
        self.seen: list[tuple[str, str, dict[str, str]]] = []   # method, path, headers
        api = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                api.seen.append((self.command, self.path, dict(self.headers)))
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                self.send_response(api.status)
                for key, value in api.headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(api.body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(api.body)

            do_GET = do_POST = do_HEAD = _answer

            def log_message(self, format: str, *args: Any) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def api(monkeypatch: pytest.MonkeyPatch) -> Iterator[ApiServer]:
    monkeypatch.setenv("FO_TEST_API_TOKEN", TOKEN)
    server = ApiServer()
    yield server
    server.close()


def http_control(api: ApiServer, **extra: Any) -> dict[str, Any]:
    return {"kind": "http", "url": f"{api.url}/v1/servers", "token_env": "FO_TEST_API_TOKEN",
            "timeout": 2, **extra}


def test_http_alive_on_status_and_body(api: ApiServer, tmp_path: Path) -> None:
    api.body = b'{"servers": [], "status": "ok"}'
    result = run(tmp_path, http_control(api, alive_body='"status": "ok"'))
    assert (result.state, result.reason, result.kind) == ("alive", "HTTP 200", "http")
    method, path, headers = api.seen[0]
    assert (method, path) == ("GET", "/v1/servers")
    assert headers["Authorization"] == f"Bearer {TOKEN}"
    assert result.evidence[0]["probe"] == f"http:GET {api.url}/v1/servers"


def test_http_alive_status_without_alive_body_is_unknown(api: ApiServer, tmp_path: Path) -> None:
    api.body = b"maintenance"
    result = run(tmp_path, http_control(api, alive_body="servers"))
    assert result.state == "unknown"
    assert result.reason == "HTTP 200 without 'servers' in the body"


def test_http_403_is_refused(api: ApiServer, tmp_path: Path) -> None:
    api.status, api.body = 403, b'{"error": {"code": "forbidden"}}'
    result = run(tmp_path, http_control(api))
    assert result.state == "refused"
    assert result.reason.startswith("HTTP 403")


def test_http_402_with_suspended_body_is_refused(api: ApiServer, tmp_path: Path) -> None:
    api.status, api.body = 402, b'{"error": "Your account has been Suspended for non-payment"}'
    result = run(tmp_path, http_control(api, terminated_body=["suspended"]))
    assert result.state == "refused"
    assert result.reason.startswith("HTTP 402, body says 'suspended'")


def test_http_terminated_body_wins_over_an_alive_status(api: ApiServer, tmp_path: Path) -> None:
    api.body = b'{"account": {"state": "locked"}}'
    result = run(tmp_path, http_control(api, terminated_body=['"state": "locked"']))
    assert result.state == "refused"


def test_http_503_is_unknown(api: ApiServer, tmp_path: Path) -> None:
    api.status, api.body = 503, b"upstream unavailable"
    result = run(tmp_path, http_control(api, terminated_body=["suspended"]))
    assert result.state == "unknown"
    assert result.reason == "HTTP 503: upstream unavailable"


def test_http_redirect_is_not_followed(api: ApiServer, tmp_path: Path) -> None:
    with tcp_listener(None, close=False) as other:
        api.status, api.body = 302, b""
        api.headers = {"Location": f"http://127.0.0.1:{other}/steal"}
        result = run(tmp_path, http_control(api))
    assert result.state == "unknown"
    assert result.reason == "HTTP 302"
    assert len(api.seen) == 1


def test_http_custom_header_without_scheme_and_post(api: ApiServer, tmp_path: Path) -> None:
    result = run(tmp_path, http_control(api, header="X-Api-Key", scheme="", method="POST"))
    method, _, headers = api.seen[0]
    assert (result.state, method) == ("alive", "POST")
    assert headers["X-Api-Key"] == TOKEN and "Authorization" not in headers


def test_http_head_without_token(api: ApiServer, tmp_path: Path) -> None:
    result = run(tmp_path, http_control(api, token_env=None, method="HEAD"))
    _, _, headers = api.seen[0]
    assert result.state == "alive" and "Authorization" not in headers


def test_http_query_string_never_shown(api: ApiServer, tmp_path: Path) -> None:
    api.status = 500
    result = run(tmp_path, http_control(api, url=f"{api.url}/v1/servers?api_key=k3y-in-url"))
    assert "k3y-in-url" not in json.dumps(result.to_json())
    assert api.seen[0][1] == "/v1/servers?api_key=k3y-in-url"


def test_http_nothing_listening_is_unknown(tmp_path: Path) -> None:
    result = run(tmp_path, {"kind": "http", "url": f"http://127.0.0.1:{free_port()}/"})
    assert result.state == "unknown"
    assert result.reason.endswith(": connection refused")


def test_http_silence_is_unknown_within_the_timeout(tmp_path: Path) -> None:
    with tcp_listener(None, close=False) as port:
        started = time.monotonic()
        result = run(tmp_path, {"kind": "http", "url": f"http://127.0.0.1:{port}/",
                                "timeout": 0.5})
        assert time.monotonic() - started < 0.5 + GRACE + 2  # bounded: never answers
    assert result.state == "unknown"
    assert "timeout after 0.5s" in result.reason


def test_http_body_beyond_64_kib_is_not_read(api: ApiServer, tmp_path: Path) -> None:
    api.body = b"x" * (70 * 1024) + b"suspended"
    result = run(tmp_path, http_control(api, terminated_body=["suspended"]))
    assert result.state == "alive"


def test_web_request_reads_at_most_max_body(api: ApiServer) -> None:
    api.body = b"y" * (3 * 1024 * 1024)
    resp = web.request(api.url, timeout=2)
    assert resp.status == 200 and resp.truncated and len(resp.body) == web.MAX_BODY


# -- running probes ----------------------------------------------------------------------------

def test_vendor_without_control_or_unknown_is_none(tmp_path: Path) -> None:
    config = make_config(tmp_path, {"colo": None})
    assert probe_vendor("colo", config) is None
    assert probe_vendor("nobody", config) is None
    assert probe_vendors(config) == {}


def test_probe_vendors_runs_concurrently(tmp_path: Path) -> None:
    with tcp_listener(None, close=False) as silent:
        vendors: dict[str, dict[str, Any] | None] = {
            f"colo-{i}": ssh_control(silent, timeout=0.8) for i in range(4)}
        vendors["none"] = None
        config = make_config(tmp_path, vendors)
        started = time.monotonic()
        results = probe_vendors(config)
        took = time.monotonic() - started
    assert sorted(results) == ["colo-0", "colo-1", "colo-2", "colo-3"]
    assert all(r.state == "unknown" for r in results.values())
    assert took < 0.8 + GRACE + 0.5      # not 4 x 0.8


def test_probe_vendors_only_those_named(tmp_path: Path) -> None:
    with tcp_listener(b"SSH-2.0-x\r\n") as port:
        config = make_config(tmp_path, {"a": ssh_control(port), "b": ssh_control(port)})
        results = probe_vendors(config, vendors=["b", "nobody"])
    assert list(results) == ["b"]


def test_clock_gives_at_and_latency(tmp_path: Path) -> None:
    clock = FakeClock(start=1_800_000_000.0)
    with tcp_listener(b"SSH-2.0-x\r\n") as port:
        result = probe_vendor("v", make_config(tmp_path, {"v": ssh_control(port)}), clock=clock)
    assert result is not None
    assert (result.at, result.latency) == (1_800_000_000.0, 0.0)


def test_to_json_shape(tmp_path: Path) -> None:
    with tcp_listener(b"SSH-2.0-x\r\n") as port:
        result = run(tmp_path, ssh_control(port))
    data = result.to_json()
    assert list(data) == ["vendor", "kind", "state", "reason", "latency_ms", "at", "evidence",
                          "instances_running", "instances_expected"]
    assert json.loads(json.dumps(data)) == data


def test_a_probe_that_raises_is_unknown_and_scrubbed(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FO_TEST_API_TOKEN", TOKEN)

    def explode(url: str, **kwargs: Any) -> web.Response:
        raise RuntimeError(f"bug with {kwargs['headers']['Authorization']}")

    monkeypatch.setattr(web, "request", explode)
    result = run(tmp_path, {"kind": "http", "url": "http://127.0.0.1:9/",
                            "token_env": "FO_TEST_API_TOKEN"})
    assert result.state == "unknown"
    assert result.reason == "probe failed: RuntimeError: bug with Bearer ***"


def test_a_probe_that_cannot_load_is_unknown(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(control_modules, "ssh", "failover.control.no_such_module")
    config = make_config(tmp_path, {"v": ssh_control(free_port())})
    results = probe_vendors(config)
    assert results["v"].state == "unknown"
    assert results["v"].reason == "cannot load the ssh probe: ModuleNotFoundError"


def test_trace_scrubs_longest_secret_first() -> None:
    trace = Trace(1.0)
    trace.secret("abcd")
    trace.secret("abcdefgh")
    trace.secret("xy")            # too short to scrub
    trace.add("p", False, "abcd", "key abcdefgh and abcd and xy")
    assert trace.evidence() == [{"probe": "p", "ok": False, "code": "***",
                                 "detail": "key *** and *** and xy"}]


def test_probe_vendors_names_a_hung_control_plane_while_it_waits(tmp_path: Path) -> None:
    with tcp_listener(b"SSH-2.0-x\r\n") as answers, tcp_listener(None, close=False) as silent:
        config = make_config(tmp_path, {"hung": ssh_control(silent, timeout=2.5),
                                        "quick": ssh_control(answers)})
        seen: list[tuple[list[str], float]] = []
        results = probe_vendors(config, on_waiting=lambda names, s: seen.append((names, s)))
    assert results["quick"].state == "alive" and results["hung"].state == "unknown"
    # Named from a second on, about once a second, until its own timeout cut it.
    assert seen and all(names == ["hung"] for names, _s in seen)
    assert all(s >= 1.0 for _names, s in seen)


def test_check_names_a_hung_control_plane_in_the_live_line(tmp_path: Path) -> None:
    from cli.common import waiting_line
    from failover.clock import FakeClock
    from failover.engine import Engine

    with tcp_listener(None, close=False) as silent:
        config = make_config(tmp_path, {"aws": ssh_control(silent, timeout=2.5)})
        engine = Engine(config, clock=FakeClock())
        events: list[dict[str, Any]] = []
        engine.on_event = lambda kind, data: events.append(data) if kind == "waiting" else None
        try:
            # What check() asks beside its probes (the hosting here is not on loopback).
            controls = engine.control_planes(["aws"])
        finally:
            engine.close()
    assert controls["aws"].state == "unknown"
    assert events and all(e["providers"] == ["aws control plane"] for e in events)
    line = waiting_line("probing 1 hostings and every DNS provider...", events[0])
    assert line.startswith("probing 1 hostings and every DNS provider... waiting for aws "
                           "control plane (")
