"""The Google Cloud control plane, through Google's REST APIs with the standard library.

Three calls, each bounded by what is left of the probe's timeout and reading
at most 1 MiB:

- Cloud Resource Manager v3 ``GET /v3/projects/{project}``: ``state`` must be
  ``ACTIVE`` (``DELETE_REQUESTED`` means the owner or Google marked it for
  deletion);
- Cloud Billing v1 ``GET /v1/projects/{project}/billingInfo``:
  ``billingEnabled`` must be true (proto3 JSON leaves a false one out);
- Compute Engine v1 ``GET /compute/v1/projects/{project}/zones/{zone}/instances``
  (when a zone is configured): ``items[].status == "RUNNING"``, counted over the
  named ``instances`` or over every instance in the zone.

The token is an OAuth2 access token (``gcloud auth print-access-token``) from
``token_env`` or ``token_file``, sent as ``Authorization: Bearer``. Access
tokens live about an hour: a token file must be refreshed more often than that,
since Compute's answer to an expired token (401 ``authError``, "Invalid
Credentials") cannot be told from a revoked one and reads as a refusal.

Errors follow Google's shape ``{"error": {"code", "message", "status",
"details": [{"@type": ".../google.rpc.ErrorInfo", "reason": ...}], "errors":
[{"reason": ...}]}}`` (``errors`` in the older APIs such as Compute v1).
"""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Callable
from typing import Any, TypeVar

from failover.config import Config, GcpControl
from failover.control import web
from failover.control.base import (
    ALIVE,
    REFUSED,
    UNKNOWN,
    Outcome,
    SecretMissing,
    Trace,
    read_secret,
    shorten,
)

# ErrorInfo reasons (and legacy errors[].reason values) that mean Google refuses our
# project, its billing or our credential: termination evidence.
TERMINATION_REASONS: tuple[str, ...] = (
    # google/api/error_reason.proto (googleapis/googleapis): "the consumer is suspended due
    # to Terms of Service (ToS) violations" (see the project suspension guidelines).
    "CONSUMER_SUSPENDED",
    # Same file: "the associated consumer is invalid. It may be in a bad format, cannot be
    # found, or have been deleted."
    "CONSUMER_INVALID",
    # Same file: "the billing account associated [with the consumer] is disabled".
    "BILLING_DISABLED",
    # Same file: "the account associated with the provided access token is in an invalid
    # state, such as disabled or deleted".
    "ACCOUNT_STATE_INVALID",
    # The older APIs' errors[].reason, e.g. "Error 403: The project to be billed is associated
    # with an absent billing account., accountDisabled" (hashicorp/terraform-provider-google
    # issue 6742).
    "accountDisabled",
)
# Deliberately not termination evidence (-> "unknown"):
# - USER_PROJECT_DENIED: no permission on, or an invalid, *user project* (the quota project
#   named by x-goog-user-project), which this probe never sends: not our service's project.
# - SERVICE_DISABLED: an API not enabled on the project: setup, not the account.
# - ACCESS_TOKEN_EXPIRED, CREDENTIALS_MISSING, ACCESS_TOKEN_TYPE_UNSUPPORTED (even on a 401):
#   our token is stale or wrong; refresh it.
# - RATE_LIMIT_EXCEEDED, RESOURCE_QUOTA_EXCEEDED, a bare 403 PERMISSION_DENIED (IAM, or a
#   project id that never existed), 404, 429, 5xx, timeouts: we could not tell.
NOT_REVOKED_401: tuple[str, ...] = (
    "ACCESS_TOKEN_EXPIRED", "CREDENTIALS_MISSING", "ACCESS_TOKEN_TYPE_UNSUPPORTED")
MAX_PAGES = 20
T = TypeVar("T")
_API = {"crm": "Resource Manager", "billing": "Billing", "compute": "Compute"}


class _Failure(Exception):
    """One call failed; ``state`` says whether that is termination evidence."""

    def __init__(self, state: str, code: str, detail: str, probe: str = "") -> None:
        # The evidence keeps Google's whole message; the reason its first sentence.
        brief = detail.split(". ", 1)[0]
        text = f"{code}: {brief}" if brief else code
        api = _API.get(probe.split(":")[0], probe)
        super().__init__(f"{api}: {text}" if api else text)
        self.state = state
        self.code = code
        self.detail = detail

    def said_by(self, probe: str) -> _Failure:
        """The same failure, its message naming the API that answered."""
        return _Failure(self.state, self.code, self.detail, probe)


def probe(name: str, control: GcpControl, config: Config, trace: Trace) -> Outcome:
    """Project state, billing, then the instances; the first refusal ends the probe."""
    try:
        token = read_secret(config, trace, env=control.token_env, file=control.token_file,
                            what="GCP access token")
    except SecretMissing as exc:
        trace.add("token", False, "NoCredentials", str(exc))
        return Outcome(UNKNOWN, shorten(str(exc)))
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json",
               "User-Agent": "failover-control"}
    project = urllib.parse.quote(control.project, safe="")
    said: list[str] = []           # what went well, for the reason
    failures: list[str] = []       # what could not be told, for the reason
    account_alive = False

    def ask(what: str, call: Callable[[], T]) -> T | None:
        """``call()``; a failure that is not a refusal is noted and gives None."""
        try:
            return call()
        except _Failure as exc:
            if exc.state == REFUSED:
                raise
            failures.append(f"{what} unknown: {exc}")
            return None

    try:
        state = ask("project", lambda: _project_state(trace, control, project, headers))
        if state is not None:
            said.append("project ACTIVE")
            account_alive = True
        billing = ask("billing", lambda: _billing_enabled(trace, control, project, headers))
        if billing is not None:
            said.append("billing enabled")
        counts: tuple[int, int] | None = None
        if control.zone:
            counts = ask("instances", lambda: _count_instances(trace, control, project, headers))
            if counts is not None:
                account_alive = True
    except _Failure as exc:
        return Outcome(REFUSED, shorten(str(exc)))
    running, expected = counts if counts is not None else (None, None)
    if counts is not None:
        said.append(f"{running}/{expected} instances running")
    text = "; ".join(said + failures)
    return Outcome(ALIVE if account_alive else UNKNOWN, shorten(text), running, expected)


def _get(trace: Trace, probe: str, url: str, headers: dict[str, str]) -> dict[str, Any]:
    """GET one JSON document; an error answer or no answer becomes :class:`_Failure`."""
    remaining = trace.remaining()
    try:
        resp = web.request(url, headers=headers, timeout=remaining)
    except web.WebError as exc:
        detail = str(exc)
        code = "Timeout" if detail == "timeout" else "Unreachable"
        if detail == "timeout":
            detail = f"no answer within {trace.timeout}s"
        trace.add(probe, False, code, detail)
        raise _Failure(UNKNOWN, code, detail).said_by(probe) from None
    if resp.truncated:
        trace.add(probe, False, "TooLarge", "answer larger than 1 MiB")
        raise _Failure(UNKNOWN, "TooLarge", "answer larger than 1 MiB").said_by(probe)
    if resp.status != 200:
        failure = _google_error(resp.status, resp.body)
        trace.add(probe, False, failure.code, failure.detail)
        raise failure.said_by(probe)
    try:
        data = json.loads(resp.body)
    except ValueError:
        data = None
    if not isinstance(data, dict):
        trace.add(probe, False, "NotJson", "HTTP 200 but not a JSON object")
        raise _Failure(UNKNOWN, "NotJson", "HTTP 200 but not a JSON object").said_by(probe)
    return data


def _google_error(status: int, body: bytes) -> _Failure:
    """Termination evidence or not, from Google's error shape."""
    try:
        payload = json.loads(body)
    except ValueError:
        payload = None
    error = payload.get("error") if isinstance(payload, dict) else None
    message, gstatus, reasons = "", "", []
    if isinstance(error, dict):
        message = str(error.get("message") or "")
        gstatus = str(error.get("status") or "")
        for key in ("details", "errors"):
            entries = error.get(key)
            if isinstance(entries, list):
                reasons += [str(e["reason"]) for e in entries
                            if isinstance(e, dict) and e.get("reason")]
    elif isinstance(error, str):     # OAuth endpoints: {"error": "invalid_token", ...}
        reasons.append(error)
        message = str(payload.get("error_description") or "") if isinstance(payload, dict) else ""
    termination = next((r for r in reasons if r in TERMINATION_REASONS), None)
    code = termination or (reasons[0] if reasons else gstatus or f"HTTP{status}")
    detail = f"HTTP {status}" + (f": {message}" if message else "")
    lowered = message.lower()
    if termination:
        state = REFUSED
    elif status == 401:
        state = UNKNOWN if any(r in NOT_REVOKED_401 for r in reasons) else REFUSED
    elif status == 403 and "billing" in lowered and (
            "disabled" in lowered or "to be enabled" in lowered):
        # The older APIs: "Project ... has billing disabled. Please enable it." with a bare
        # reason "forbidden" (GoogleCloudPlatform/java-docs-samples issue 276).
        state = REFUSED
    else:
        state = UNKNOWN
    return _Failure(state, code, detail)


def _project_state(trace: Trace, control: GcpControl, project: str,
                   headers: dict[str, str]) -> str:
    probe = "crm:projects.get"
    data = _get(trace, probe, f"{control.resource_manager_url.rstrip('/')}/v3/projects/{project}",
                headers)
    state = str(data.get("state") or data.get("lifecycleState") or "STATE_UNSPECIFIED")
    if state != "ACTIVE":
        trace.add(probe, False, state, f"project {control.project} is {state}")
        raise _Failure(REFUSED, state, f"project {control.project} is not ACTIVE").said_by(probe)
    trace.add(probe, True, None, f"project {control.project} is ACTIVE")
    return state


def _billing_enabled(trace: Trace, control: GcpControl, project: str,
                     headers: dict[str, str]) -> bool:
    probe = "billing:projects.getBillingInfo"
    data = _get(trace, probe,
                f"{control.billing_url.rstrip('/')}/v1/projects/{project}/billingInfo", headers)
    if not data.get("billingEnabled", False):
        trace.add(probe, False, "BILLING_DISABLED", f"billing is disabled for {control.project}")
        raise _Failure(REFUSED, "BILLING_DISABLED",
                       f"billingEnabled is false for {control.project}").said_by(probe)
    trace.add(probe, True, None, "billing enabled")
    return True


def _count_instances(trace: Trace, control: GcpControl, project: str,
                     headers: dict[str, str]) -> tuple[int, int]:
    probe = "compute:instances.list"
    zone = urllib.parse.quote(control.zone or "", safe="")
    base = (f"{control.compute_url.rstrip('/')}/compute/v1/projects/{project}"
            f"/zones/{zone}/instances")
    statuses: dict[str, str] = {}
    page_token = ""
    for _ in range(MAX_PAGES):
        url = base + (f"?pageToken={urllib.parse.quote(page_token)}" if page_token else "")
        data = _get(trace, probe, url, headers)
        for item in data.get("items") or []:
            if isinstance(item, dict) and item.get("name"):
                statuses[str(item["name"])] = str(item.get("status") or "?")
        page_token = str(data.get("nextPageToken") or "")
        if not page_token:
            break
    names = sorted(set(control.instances))
    if names:
        running = sum(1 for n in names if statuses.get(n) == "RUNNING")
        expected = len(names)
        others = [f"{n} {statuses[n]}" if n in statuses else f"{n} not found"
                  for n in names if statuses.get(n) != "RUNNING"]
    else:
        running = sum(1 for s in statuses.values() if s == "RUNNING")
        expected = len(statuses)
        others = [f"{n} {s}" for n, s in sorted(statuses.items()) if s != "RUNNING"]
    detail = f"{running}/{expected} running" + (f"; {', '.join(others)}" if others else "")
    trace.add(probe, True, None, detail)
    return running, expected
