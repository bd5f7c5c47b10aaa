"""The AWS control plane: STS GetCallerIdentity, then the service's EC2 instances.

Credentials, first match wins (read by :mod:`failover.awscreds`):
``access_key_id_env``/``secret_access_key_env`` (and ``session_token_env``);
``credentials_file`` (an INI file as ``~/.aws/credentials``, section ``profile``
or ``default``, relative to the config file); ``profile`` in the SDK's own
files; else the SDK's credential chain (environment, files, SSO, instance role).
One that is configured but missing makes the result ``unknown``.

STS answering means the account accepts our keys. EC2 DescribeInstances then
counts the instances (by ``instance_ids``, or those carrying every tag in
``instance_tags``) that are ``running``. An error code in
:data:`TERMINATION_CODES` from either call is termination evidence
(``refused``); every other failure is ``unknown``. All instances stopped while
STS answers is still ``alive`` ("0/2 instances running"): what that means is
the engine's call.

:func:`customize_clients` is the seam for fault injection: tests and drills
register botocore event handlers on the real clients (``before-send`` returning
an ``AWSResponse``), so that an injected ``AccountSuspended`` goes through
botocore's parser and retry logic while every other call still reaches the
server.

The SDK is botocore, boto3's core (boto3 adds nothing a probe needs). Each probe
makes its own session (sessions are not thread-safe), but all share one data
loader, so the EC2 model (megabytes of JSON) is parsed once per process, not
once per probe.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import botocore.config
import botocore.exceptions
import botocore.loaders
import botocore.session

from failover.awscreds import load_credentials
from failover.awsretry import retry_answers_only
from failover.config import AwsControl, Config
from failover.control.base import (
    ALIVE,
    REFUSED,
    UNKNOWN,
    Outcome,
    SecretMissing,
    Trace,
    shorten,
)
from failover.errors import ConfigError

# Error codes that mean AWS refuses our account or our keys: termination evidence.
# Decided conservatively, since a false "refused" can evacuate a vendor for good.
TERMINATION_CODES: tuple[str, ...] = (
    # EC2 API, "Common client error codes" (docs.aws.amazon.com/AWSEC2/latest/APIReference/
    # errors-overview.html): "The provided credentials could not be validated ... Ensure that
    # your account is authorized to use Amazon EC2, that your credit card details are correct".
    "AuthFailure",
    # Same page: "Your account is currently blocked. Contact AWS Support".
    "Blocked",
    # Same page: "Your account is pending verification ... you may not be able to carry out
    # requests with this account". Also "PendingVerification" in IVS's service model.
    "PendingVerification",
    # Same page, and the common errors of every AWS API (e.g. .../emr/latest/APIReference/
    # CommonErrors.html): "The AWS access key ID needs a subscription for the service" (403).
    # An opt-in region never enabled gives it too: a setup mistake we would see from day one.
    "OptInRequired",
    # Common errors of every AWS query API, STS included: "The X.509 certificate or AWS
    # access key ID provided does not exist in our records" (403): keys deleted, or the
    # account closed with them.
    "InvalidClientTokenId",
    # The same for JSON-protocol APIs (CloudWatch Logs, DynamoDB, ...): "The security token
    # included in the request is invalid" / "invalid AWS access key ID or secret key".
    "UnrecognizedClientException",
    # Named by issue 3 and the lab's drills; no STS/EC2 error list documents it.
    # AccountSuspendedException is a real error shape in botocore's models of SES v2,
    # Pinpoint Email and CodeBuild ("access has been suspended for the calling account").
    "AccountSuspended",
    "AccountSuspendedException",
)
# Deliberately not termination evidence (-> "unknown"):
# - SignatureDoesNotMatch, IncompleteSignature: the key id exists but our secret or clock
#   is wrong: our configuration, and a terminated account does not make signatures mismatch.
# - AccessDenied, UnauthorizedOperation, NotAuthorized: IAM permissions, not the account.
# - ExpiredToken, ExpiredTokenException, RequestExpired: our session token or clock expired.
# - MissingAuthenticationToken: we sent no credentials.
# - Throttling, ThrottlingException, RequestLimitExceeded, InternalFailure, Unavailable,
#   ServiceUnavailable, any 5xx, timeouts, connection errors: we could not tell.

ClientHook = Callable[[Any], None]
_hooks: list[ClientHook] = []
_hooks_lock = threading.Lock()
# Shared by every probe's session; its cache only ever holds the SDK's own model files.
_LOADER = botocore.loaders.create_loader(os.environ.get("AWS_DATA_PATH"))


@contextlib.contextmanager
def customize_clients(hook: ClientHook) -> Iterator[None]:
    """Call ``hook(client)`` on every botocore client this probe makes while the block runs.

    For fault injection in tests and drills::

        def refuse(client):
            client.meta.events.register("before-send.sts.GetCallerIdentity", handler)

        with customize_clients(refuse):
            probe_vendor("aws", config)

    The hook sees clients of every thread (``probe_vendors`` runs vendors concurrently).
    """
    with _hooks_lock:
        _hooks.append(hook)
    try:
        yield
    finally:
        with _hooks_lock:
            _hooks.remove(hook)


class _Failure(Exception):
    """One API call failed; ``state`` says whether that is termination evidence."""

    def __init__(self, state: str, code: str, detail: str) -> None:
        super().__init__(f"{code}: {detail}" if detail else code)
        self.state = state
        self.code = code
        self.detail = detail


def probe(name: str, control: AwsControl, config: Config, trace: Trace) -> Outcome:
    """Ask STS whether our keys work, then count the service's running EC2 instances."""
    try:
        clients = _clients(name, control, config, trace)
    except SecretMissing as exc:
        trace.add("credentials", False, "NoCredentials", str(exc))
        return Outcome(UNKNOWN, shorten(str(exc)))
    client_config = botocore.config.Config(
        connect_timeout=control.timeout, read_timeout=control.timeout,
        retries={"max_attempts": 2})

    sts_error: _Failure | None = None
    account = ""
    try:
        identity = _call(trace, "sts:GetCallerIdentity",
                         lambda: clients.make("sts", control, client_config)
                         .get_caller_identity())
        account = str(identity.get("Account", ""))
    except _Failure as exc:
        if exc.state == REFUSED:
            return Outcome(REFUSED, shorten(f"STS: {exc}"))
        sts_error = exc

    if not (control.instance_ids or control.instance_tags):
        if sts_error is not None:
            return Outcome(UNKNOWN, shorten(f"STS: {sts_error}"))
        return Outcome(ALIVE, f"STS: account {account} accepts our keys")

    try:
        running, expected = _count_instances(
            trace, clients.make("ec2", control, client_config), control)
    except _Failure as exc:
        if exc.state == REFUSED:
            return Outcome(REFUSED, shorten(f"EC2: {exc}"))
        if sts_error is not None:
            return Outcome(UNKNOWN, shorten(f"STS: {sts_error}; EC2: {exc}"))
        return Outcome(ALIVE, shorten(f"STS: account {account} accepts our keys; "
                                      f"instances unknown: EC2: {exc}"))
    counted = f"{running}/{expected} instances running"
    if sts_error is not None:
        # EC2 accepted our keys, so the account is alive even though STS did not answer.
        return Outcome(ALIVE, shorten(f"{counted} (STS: {sts_error})"), running, expected)
    return Outcome(ALIVE, f"{counted} (account {account})", running, expected)


# Clients made with explicit keys, kept across probes: a watcher asks every second, and
# under load making a botocore client (its config files, its methods, an SSL context)
# costs more than the call. Keyed by everything a client is made from, keys included,
# so a rotated key makes a new client. botocore clients are thread-safe; sessions not.
_kept: dict[tuple[Any, ...], Any] = {}
_kept_lock = threading.Lock()
_KEEP_AT_MOST = 32


@dataclass
class _Clients:
    """Makes the probe's botocore clients: one session, the configured keys, the hooks."""

    session: botocore.session.Session | None    # None: explicit keys, made when needed
    key: str | None = None         # None: the session's own credentials
    secret: str | None = None
    token: str | None = None

    def make(self, service: str, control: AwsControl,
             client_config: botocore.config.Config) -> Any:
        with _hooks_lock:
            hooks = list(_hooks)
        # Never keep a client a hook changed (a fault injected for one block), nor one
        # whose credentials its session looks up (a profile, an instance role).
        keep = not hooks and self.key is not None
        kept = (service, control.region, control.endpoint_url, control.timeout, self.key,
                self.secret, self.token)
        if keep:
            with _kept_lock:
                if kept in _kept:
                    return _kept[kept]
        session = self.session or _session()
        client = session.create_client(service, region_name=control.region,
                                       endpoint_url=control.endpoint_url,
                                       config=client_config,
                                       aws_access_key_id=self.key,
                                       aws_secret_access_key=self.secret,
                                       aws_session_token=self.token)
        retry_answers_only(client)     # a dead endpoint must not cost a cycle seconds
        for hook in hooks:
            hook(client)
        if keep:
            with _kept_lock:
                if len(_kept) >= _KEEP_AT_MOST:
                    _kept.clear()
                client = _kept.setdefault(kept, client)
        return client


def _session(profile: str | None = None) -> botocore.session.Session:
    session = botocore.session.Session(profile=profile)
    session.register_component("data_loader", _LOADER)
    return session


def _clients(name: str, control: AwsControl, config: Config, trace: Trace) -> _Clients:
    """The configured credentials (each probe its own session: sessions are not thread-safe)."""
    try:
        creds = load_credentials(control, config, key=f"vendors.{name}.control")
    except ConfigError as exc:
        raise SecretMissing(exc.problem) from None
    for value in (creds.access_key_id, creds.secret_access_key, creds.session_token):
        trace.secret(value)
    if creds.explicit:
        return _Clients(None, creds.access_key_id, creds.secret_access_key,
                        creds.session_token)
    session = _session(creds.profile)
    try:
        credentials = session.get_credentials()
    except botocore.exceptions.ProfileNotFound:
        raise SecretMissing(f"AWS profile '{creds.profile}' not found") from None
    except botocore.exceptions.BotoCoreError as exc:
        raise SecretMissing(f"AWS credentials: {type(exc).__name__}") from None
    if credentials is None:
        raise SecretMissing("AWS credentials: none found in the environment, "
                            "~/.aws or an instance role")
    frozen = credentials.get_frozen_credentials()
    for value in (frozen.access_key, frozen.secret_key, frozen.token):
        trace.secret(value)
    return _Clients(session)


def _call(trace: Trace, probe: str, call: Callable[[], Any]) -> Any:
    """Run one API call; record it; a failure becomes :class:`_Failure`."""
    try:
        result = call()
    except Exception as exc:
        failure = _classify(exc)
        trace.add(probe, False, failure.code, failure.detail)
        raise failure from None
    detail = f"account {result.get('Account', '?')}" if probe.startswith("sts:") else ""
    trace.add(probe, True, None, detail)
    return result


def _classify(exc: Exception) -> _Failure:
    """Termination evidence or not, with the vendor's code and a short detail."""
    if isinstance(exc, botocore.exceptions.ClientError):
        error = exc.response.get("Error", {})
        code = str(error.get("Code") or "Unknown")
        message = str(error.get("Message") or "")
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        if status and not message:
            message = f"HTTP {status}"
        return _Failure(REFUSED if code in TERMINATION_CODES else UNKNOWN, code, message)
    if isinstance(exc, (botocore.exceptions.ConnectTimeoutError,
                        botocore.exceptions.ReadTimeoutError)):
        return _Failure(UNKNOWN, "Timeout", str(exc))
    if isinstance(exc, botocore.exceptions.EndpointConnectionError):
        return _Failure(UNKNOWN, "ConnectionError", str(exc))
    if isinstance(exc, botocore.exceptions.NoCredentialsError):
        return _Failure(UNKNOWN, "NoCredentials", "no AWS credentials found")
    return _Failure(UNKNOWN, type(exc).__name__, str(exc))


def _count_instances(trace: Trace, ec2: Any, control: AwsControl) -> tuple[int, int]:
    """(running, expected): expected is the number of ids asked for, or of instances found."""
    ids = sorted(set(control.instance_ids))
    filters = [{"Name": f"tag:{key}", "Values": [value]}
               for key, value in sorted(control.instance_tags.items())]
    if ids:
        # A filter, not InstanceIds: an id that no longer exists is just not found,
        # where InstanceIds would fail the whole call with InvalidInstanceID.NotFound.
        filters.append({"Name": "instance-id", "Values": ids})
    states: dict[str, str] = {}

    def describe() -> None:
        for page in ec2.get_paginator("describe_instances").paginate(Filters=filters):
            for reservation in page.get("Reservations", []):
                for instance in reservation.get("Instances", []):
                    states[instance["InstanceId"]] = instance.get("State", {}).get("Name", "?")

    try:
        describe()
    except Exception as exc:
        failure = _classify(exc)
        trace.add("ec2:DescribeInstances", False, failure.code, failure.detail)
        raise failure from None
    running = sum(1 for s in states.values() if s == "running")
    expected = len(ids) if ids else len(states)
    others = [f"{i} {s}" for i, s in sorted(states.items()) if s != "running"]
    others += [f"{i} not found" for i in ids if i not in states]
    detail = f"{running}/{expected} running" + (f"; {', '.join(others)}" if others else "")
    trace.add("ec2:DescribeInstances", True, None, detail)
    return running, expected
