"""The aws control plane against moto in server mode, with AWS's refusals injected in front of it.

moto answers STS and EC2 for real (over HTTP on loopback). Termination, throttling
and server errors are injected with botocore's ``before-send`` event on the probe's own
clients (through :func:`failover.control.aws.customize_clients`): the injected answer is
AWS's real XML error body, parsed by botocore and retried by its retry logic, and every
call not injected still reaches moto.
"""

from __future__ import annotations

import contextlib
import json
import socket
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from botocore.compat import HTTPHeaders

from failover.config import Config
from failover.control import ControlResult, probe_vendor, probe_vendors
from failover.control import aws as aws_probe
from failover.control.aws import TERMINATION_CODES, customize_clients

pytestmark = pytest.mark.integration

KEY_ID = "AKIAFAILOVERTEST0001"
SECRET = "failover-test-secret-7c1f0e9a"
REGION = "us-east-1"
IMAGE = "ami-12c6146b"   # one of the AMIs moto ships

STS_ERROR = """<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <Error>
    <Type>Sender</Type>
    <Code>{code}</Code>
    <Message>{message}</Message>
  </Error>
  <RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId>
</ErrorResponse>"""
EC2_ERROR = """<?xml version="1.0" encoding="UTF-8"?>
<Response><Errors><Error><Code>{code}</Code><Message>{message}</Message></Error></Errors>
<RequestID>ea966190-f9aa-478e-9ede-cb5432daacc0</RequestID></Response>"""


# -- moto in server mode -----------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _answers(url: str) -> bool:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(url, timeout=0.5):
            return True
    except OSError:
        return False


@pytest.fixture(scope="session")
def moto_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A moto server of our own on 127.0.0.1; fails (never skips) if it cannot start."""
    log = tmp_path_factory.mktemp("moto") / "moto.log"
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1",
                                 "-p", str(port)], stdin=subprocess.DEVNULL, stdout=out,
                                stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while not _answers(f"{url}/moto-api/"):
            if proc.poll() is not None or time.monotonic() > deadline:
                tail = log.read_text(errors="replace")[-2000:]
                pytest.fail(f"moto server did not start on {url} (exit {proc.poll()}); "
                            f"install moto[server] with 'bash scripts/setup.sh'. Log:\n{tail}",
                            pytrace=False)
            time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture
def moto(moto_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """moto with our test keys in the environment (moto accepts any keys).

    Not reset between tests (a reset makes moto rebuild EC2 at the next call, a second
    or more): each test asks for its own instances, by id or by a tag of its own.
    """
    monkeypatch.setenv("FO_TEST_AWS_KEY", KEY_ID)
    monkeypatch.setenv("FO_TEST_AWS_SECRET", SECRET)
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "AWS_PROFILE"):
        monkeypatch.delenv(var, raising=False)
    return moto_url


def ec2(moto_url: str) -> Any:
    return boto3.client("ec2", region_name=REGION, endpoint_url=moto_url,
                        aws_access_key_id=KEY_ID, aws_secret_access_key=SECRET)


def launch(moto_url: str, count: int, tags: dict[str, str]) -> list[str]:
    """Start ``count`` instances in moto carrying ``tags``; their ids."""
    answer = ec2(moto_url).run_instances(
        ImageId=IMAGE, MinCount=count, MaxCount=count,
        TagSpecifications=[{"ResourceType": "instance",
                            "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}])
    return [i["InstanceId"] for i in answer["Instances"]]


# -- config and checks ---------------------------------------------------------------

def make_config(tmp_path: Path, **control: Any) -> Config:
    aws = {"kind": "aws", "region": REGION, "access_key_id_env": "FO_TEST_AWS_KEY",
           "secret_access_key_env": "FO_TEST_AWS_SECRET", "timeout": 5, **control}
    return Config.model_validate({
        "service": "social", "zone": "example.test.", "records": [{"name": "www"}],
        "vendors": {"aws": {"control": aws}, "colo": {}},
        "hosting": {"aws-use1": {"vendor": "aws", "endpoints": {"A": ["192.0.2.10"]}}},
        "dns": {"knot": {"kind": "rfc2136", "vendor": "colo", "server": "127.0.0.1"}},
        "source": str(tmp_path / "failover.yaml")})


def probe(config: Config) -> ControlResult:
    result = probe_vendor("aws", config)
    assert result is not None
    assert_no_secrets(result)
    return result


def assert_no_secrets(result: ControlResult) -> None:
    text = json.dumps(result.to_json())
    assert SECRET not in text and KEY_ID not in text


# -- injection through botocore's event hooks -------------------------------------------

class _Body:
    """What AWSResponse reads its body from (urllib3's response offers the same)."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    def stream(self, **kwargs: Any) -> Iterator[bytes]:
        yield self.data


def answer(event: str, status: int, body: str,
           calls: list[str] | None = None) -> Callable[[Any], None]:
    """A client hook: ``event`` (e.g. before-send.sts.GetCallerIdentity) gets this answer."""
    def handler(request: Any, **kwargs: Any) -> AWSResponse:
        if calls is not None:
            calls.append(event)
        headers = HTTPHeaders()
        headers["Content-Type"] = "text/xml"
        return AWSResponse(request.url, status, headers, _Body(body.encode()))

    def hook(client: Any) -> None:
        client.meta.events.register(event, handler)

    return hook


def sts_error(code: str, message: str, status: int = 403,
              calls: list[str] | None = None) -> Callable[[Any], None]:
    return answer("before-send.sts.GetCallerIdentity", status,
                  STS_ERROR.format(code=code, message=message), calls)


def ec2_error(code: str, message: str, status: int = 403,
              calls: list[str] | None = None) -> Callable[[Any], None]:
    return answer("before-send.ec2.DescribeInstances", status,
                  EC2_ERROR.format(code=code, message=message), calls)


@contextlib.contextmanager
def injected(*hooks: Callable[[Any], None]) -> Iterator[None]:
    with contextlib.ExitStack() as stack:
        for hook in hooks:
            stack.enter_context(customize_clients(hook))
        yield


# -- alive -----------------------------------------------------------------------------

def test_sts_alone_alive(moto: str, tmp_path: Path) -> None:
    result = probe(make_config(tmp_path, endpoint_url=moto))
    assert (result.state, result.kind, result.vendor) == ("alive", "aws", "aws")
    assert "123456789012" in result.reason
    assert result.instances_running is None and result.instances_expected is None
    assert [e["probe"] for e in result.evidence] == ["sts:GetCallerIdentity"]
    assert result.evidence[0]["ok"] is True


def test_instances_by_tag_running_then_one_stopped(moto: str, tmp_path: Path) -> None:
    tag = uuid.uuid4().hex
    ids = launch(moto, 2, {"service": tag})
    launch(moto, 1, {"service": "someone-else"})
    config = make_config(tmp_path, endpoint_url=moto, instance_tags={"service": tag})
    result = probe(config)
    assert result.state == "alive"
    assert (result.instances_running, result.instances_expected) == (2, 2)
    assert "2/2 instances running" in result.reason

    ec2(moto).stop_instances(InstanceIds=ids[:1])
    result = probe(config)
    assert result.state == "alive"
    assert (result.instances_running, result.instances_expected) == (1, 2)
    assert "1/2 instances running" in result.reason
    ec2_entry = result.evidence[-1]
    assert ec2_entry["probe"] == "ec2:DescribeInstances" and f"{ids[0]} stopped" in \
        ec2_entry["detail"]


def test_all_stopped_is_still_alive_with_zero_running(moto: str, tmp_path: Path) -> None:
    ids = launch(moto, 2, {"service": "social"})
    ec2(moto).stop_instances(InstanceIds=ids)
    result = probe(make_config(tmp_path, endpoint_url=moto, instance_ids=ids))
    assert result.state == "alive"
    assert "0/2 instances running" in result.reason
    assert (result.instances_running, result.instances_expected) == (0, 2)


def test_instance_ids_that_are_gone_count_as_expected_not_running(moto: str,
                                                                  tmp_path: Path) -> None:
    ids = launch(moto, 2, {"service": "social"})
    gone = "i-0123456789abcdef0"
    result = probe(make_config(tmp_path, endpoint_url=moto, instance_ids=[*ids, gone]))
    assert (result.state, result.instances_running, result.instances_expected) == \
        ("alive", 2, 3)
    assert f"{gone} not found" in result.evidence[-1]["detail"]


def test_credentials_file_with_profile(moto: str, tmp_path: Path) -> None:
    (tmp_path / "aws.ini").write_text(
        f"[default]\naws_access_key_id = wrong\naws_secret_access_key = wrong\n\n"
        f"[failover]\naws_access_key_id = {KEY_ID}\naws_secret_access_key = {SECRET}\n")
    config = make_config(tmp_path, endpoint_url=moto, access_key_id_env=None,
                         secret_access_key_env=None, credentials_file="aws.ini",
                         profile="failover")
    calls: list[str] = []

    def check_key(request: Any, **kwargs: Any) -> None:
        calls.append(str(request.headers.get("Authorization", b"")))

    def hook(client: Any) -> None:
        client.meta.events.register("before-send.sts.GetCallerIdentity", check_key)

    with customize_clients(hook):
        result = probe(config)
    assert result.state == "alive"
    assert calls and f"Credential={KEY_ID}/" in calls[0]


# -- refused: termination evidence ---------------------------------------------------------

@pytest.mark.parametrize(("code", "message"), [
    ("AccountSuspended", "Your account is suspended"),
    ("InvalidClientTokenId", "The security token included in the request is invalid."),
    ("OptInRequired", "The AWS Access Key Id needs a subscription for the service"),
])
def test_sts_refusal_is_termination_evidence(moto: str, tmp_path: Path, code: str,
                                             message: str) -> None:
    ids = launch(moto, 1, {"service": "social"})
    result = None
    with injected(sts_error(code, message)):
        result = probe(make_config(tmp_path, endpoint_url=moto, instance_ids=ids))
    assert result.state == "refused"
    assert result.reason == f"STS: {code}: {message}"
    # Refused at STS: EC2 is not asked.
    assert result.evidence == [{"probe": "sts:GetCallerIdentity", "ok": False, "code": code,
                                "detail": message}]


def test_ec2_blocked_while_sts_answers_is_refused(moto: str, tmp_path: Path) -> None:
    ids = launch(moto, 1, {"service": "social"})
    with injected(ec2_error("Blocked", "Your account is currently blocked.")):
        result = probe(make_config(tmp_path, endpoint_url=moto, instance_ids=ids))
    assert result.state == "refused"
    assert result.reason == "EC2: Blocked: Your account is currently blocked."
    assert [(e["probe"], e["ok"]) for e in result.evidence] == \
        [("sts:GetCallerIdentity", True), ("ec2:DescribeInstances", False)]


def test_the_documented_codes_are_listed() -> None:
    for code in ("AuthFailure", "Blocked", "PendingVerification", "OptInRequired",
                 "InvalidClientTokenId", "UnrecognizedClientException", "AccountSuspended"):
        assert code in TERMINATION_CODES
    for code in ("SignatureDoesNotMatch", "AccessDenied", "UnauthorizedOperation",
                 "ExpiredToken", "Throttling", "RequestLimitExceeded"):
        assert code not in TERMINATION_CODES


# -- unknown: never termination evidence ------------------------------------------------------

def test_throttling_is_unknown_and_retried(moto: str, tmp_path: Path) -> None:
    calls: list[str] = []
    with injected(sts_error("Throttling", "Rate exceeded", 400, calls)):
        result = probe(make_config(tmp_path, endpoint_url=moto))
    assert result.state == "unknown"
    assert result.reason == "STS: Throttling: Rate exceeded"
    assert len(calls) == 3      # retries={"max_attempts": 2}: the first try and two more


def test_sts_unknown_with_ec2_answering_is_alive(moto: str, tmp_path: Path) -> None:
    # (Not retried by botocore, unlike throttling: keeps the test fast; same path.)
    ids = launch(moto, 2, {"service": "social"})
    with injected(sts_error("AccessDenied", "Explicit deny")):
        result = probe(make_config(tmp_path, endpoint_url=moto, instance_ids=ids))
    assert result.state == "alive"
    assert result.reason == "2/2 instances running (STS: AccessDenied: Explicit deny)"


def test_ec2_unknown_leaves_account_alive_and_instances_unknown(moto: str,
                                                                tmp_path: Path) -> None:
    ids = launch(moto, 1, {"service": "social"})
    with injected(ec2_error("UnauthorizedOperation", "You are not authorized.")):
        result = probe(make_config(tmp_path, endpoint_url=moto, instance_ids=ids))
    assert result.state == "alive"
    assert result.instances_running is None
    assert result.reason == ("STS: account 123456789012 accepts our keys; instances unknown: "
                             "EC2: UnauthorizedOperation: You are not authorized.")


@pytest.mark.parametrize(("code", "status"), [
    ("InternalFailure", 500),          # retried like throttling, then unknown
    ("SignatureDoesNotMatch", 403),    # our secret or clock, not the account
    ("ExpiredToken", 403),             # our session token expired
    ("AccessDenied", 403),             # IAM permissions
])
def test_other_errors_are_unknown(moto: str, tmp_path: Path, code: str, status: int) -> None:
    with injected(sts_error(code, "no", status)):
        result = probe(make_config(tmp_path, endpoint_url=moto))
    assert result.state == "unknown"
    assert result.reason.startswith(f"STS: {code}")


def test_connection_refused_is_unknown(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FO_TEST_AWS_KEY", KEY_ID)
    monkeypatch.setenv("FO_TEST_AWS_SECRET", SECRET)
    url = f"http://127.0.0.1:{_free_port()}"
    result = probe(make_config(tmp_path, endpoint_url=url, instance_tags={"service": "x"}))
    assert result.state == "unknown"
    assert "Could not connect" in result.reason
    assert all(not e["ok"] for e in result.evidence)


def test_a_refused_connection_is_tried_once(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    # botocore would try a refused connection three times (retries={"max_attempts": 2}),
    # sleeping between tries: seconds of a watcher's cycle spent on a dead vendor.
    monkeypatch.setenv("FO_TEST_AWS_KEY", KEY_ID)
    monkeypatch.setenv("FO_TEST_AWS_SECRET", SECRET)
    sent: list[str] = []

    def count(client: Any) -> None:
        client.meta.events.register("before-send", lambda **kw: sent.append(
            kw["request"].url) and None)

    url = f"http://127.0.0.1:{_free_port()}"
    with injected(count):
        result = probe(make_config(tmp_path, endpoint_url=url, instance_tags={"service": "x"}))
    assert result.state == "unknown"
    assert len(sent) == 2       # STS once, EC2 once


def test_a_silent_endpoint_is_unknown_within_the_timeout(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FO_TEST_AWS_KEY", KEY_ID)
    monkeypatch.setenv("FO_TEST_AWS_SECRET", SECRET)
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)     # accepts connections (the kernel does) and never answers
        url = f"http://127.0.0.1:{listener.getsockname()[1]}"
        started = time.monotonic()
        result = probe(make_config(tmp_path, endpoint_url=url, timeout=1))
        took = time.monotonic() - started
    assert result.state == "unknown"
    assert took < 2.5
    assert "timeout" in result.reason.lower()


def test_missing_key_variable_is_unknown(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FO_TEST_AWS_KEY", raising=False)
    monkeypatch.setenv("FO_TEST_AWS_SECRET", SECRET)
    result = probe(make_config(tmp_path, endpoint_url="http://127.0.0.1:9"))
    assert result.state == "unknown"
    assert result.reason == "AWS access key id: environment variable FO_TEST_AWS_KEY is not set"


def test_probe_vendors_with_an_injection_on_another_thread(moto: str, tmp_path: Path) -> None:
    with injected(sts_error("AccountSuspended", "Your account is suspended")):
        results = probe_vendors(make_config(tmp_path, endpoint_url=moto))
    assert list(results) == ["aws"]
    assert results["aws"].state == "refused"


def test_hooks_are_gone_after_the_block(moto: str, tmp_path: Path) -> None:
    with injected(sts_error("AccountSuspended", "Your account is suspended")):
        pass
    assert probe(make_config(tmp_path, endpoint_url=moto)).state == "alive"


def test_concurrent_probes_share_one_moto(moto: str, tmp_path: Path) -> None:
    config = make_config(tmp_path, endpoint_url=moto)
    results: list[ControlResult] = []
    threads = [threading.Thread(target=lambda: results.append(probe(config))) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [r.state for r in results] == ["alive"] * 4


def test_clients_are_kept_across_probes_but_not_under_a_hook(moto: str, tmp_path: Path) -> None:
    # A watcher probes every second: making the clients each time cost more than the calls.
    config = make_config(tmp_path, endpoint_url=moto)
    seen: list[int] = []

    def note(client: Any) -> None:
        client.meta.events.register("before-send", lambda **kw: seen.append(id(client)) and None)

    assert probe(config).state == "alive"
    with injected(note):              # a hooked client is made anew, and not kept
        assert probe(config).state == "alive"
        assert probe(config).state == "alive"
    assert len(set(seen)) == 2
    kept = dict(aws_probe._kept)
    assert probe(config).state == "alive"   # the kept client, which the hook never saw
    assert len(seen) == 2
    assert kept and all(aws_probe._kept[k] is c for k, c in kept.items())
