"""A small client for etcd's v3 JSON gateway (``/v3/kv/...``, ``/v3/lease/...``,
``/v3/watch``), as Patroni has.

Standard library only (urllib), so no grpc and no extra package: keys and values
are base64 in the JSON, revisions are strings. Every request tries the
endpoints in turn, starting with the last one that answered, and gives up
after ``retry_timeout`` seconds in all: a member that is down or cut off costs
one connection attempt, not the whole cycle. A cluster without quorum answers
linearizable reads and writes with an error or not at all; both raise
:class:`EtcdUnavailable`, which callers treat as fail-static.

Two ways a member fails us, kept apart: the request was **not sent** (refused, no
route, TLS handshake), so nothing happened there; or it was sent and **the answer was
lost** (the member died or the connection dropped after the request went out), so it
may have been applied. Both move on to the next member, as a client must to stay
available; so every transaction a caller sends must recognise its own effect when it
is retried after an unknown outcome (the lock and leader keys by token or lease, a
move record by its token), and an error after an unknown outcome says so.

A request etcd finds too large (its ``--max-request-bytes``, 1.5 MiB by default, or
gRPC's 2 MiB message limit, which the gateway answers with HTTP 429) raises
:class:`EtcdRequestTooLarge`, never :class:`EtcdUnavailable`: no other member would
take it, and it is not lost quorum. :data:`MAX_REQUEST` is the size callers keep
under (:func:`payload_size`).

Secrets (the password, the auth token) are sent and never put in an error.
"""

from __future__ import annotations

import base64
import contextlib
import http.client
import json
import ssl
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

# Its errors live in the one tree; callers may still import them from here.
from failover import nofollow
from failover.errors import EtcdAuthError, EtcdRequestTooLarge, EtcdTlsError, EtcdUnavailable

# etcd's default --max-request-bytes (1.5 MiB), counted on the raw keys and values.
ETCD_REQUEST_LIMIT = 1536 * 1024
# What one request of ours may carry in keys and values: the limit less room for the
# request's own framing (compares, ops, lease ids); see payload_size.
MAX_REQUEST = ETCD_REQUEST_LIMIT - 64 * 1024
# The answers etcd and its gateway give to a request above a size limit.
_TOO_LARGE = ("request is too large", "larger than max", "message too large",
              "exceeds the maximum", "too many operations in txn")


def _b64(text: str | bytes) -> str:
    raw = text.encode() if isinstance(text, str) else text
    return base64.b64encode(raw).decode()


def _unb64(text: str) -> str:
    return base64.b64decode(text).decode()


def prefix_end(prefix: str) -> str:
    """The range end that covers every key starting with ``prefix``."""
    raw = bytearray(prefix.encode())
    raw[-1] += 1
    return raw.decode()


def _prefix_range(prefix: str) -> dict[str, Any]:
    return {"key": _b64(prefix), "range_end": _b64(prefix_end(prefix)),
            "sort_order": "ASCEND", "sort_target": "KEY"}


@dataclass(frozen=True)
class KV:
    key: str
    value: str
    create_revision: int
    mod_revision: int
    lease: int

    def json(self) -> Any:
        return json.loads(self.value)


def parse_kv(d: dict[str, Any]) -> KV:
    return KV(_unb64(d["key"]), _unb64(d.get("value", "")), int(d.get("create_revision", 0)),
              int(d.get("mod_revision", 0)), int(d.get("lease", 0)))


@dataclass(frozen=True)
class Event:
    """One change a watch saw: ``PUT`` or ``DELETE`` of ``key`` at ``revision``."""

    type: str
    key: str
    revision: int


class Compare:
    """Builders for txn compares (etcd's ``Compare`` message in JSON)."""

    @staticmethod
    def create_revision(key: str, revision: int) -> dict[str, Any]:
        """The key exists with this create revision (0: the key does not exist)."""
        return {"key": _b64(key), "target": "CREATE", "result": "EQUAL",
                "create_revision": str(revision)}

    @staticmethod
    def mod_revision(key: str, revision: int) -> dict[str, Any]:
        return {"key": _b64(key), "target": "MOD", "result": "EQUAL",
                "mod_revision": str(revision)}


class Op:
    """Builders for txn operations."""

    @staticmethod
    def put(key: str, value: str, lease: int = 0) -> dict[str, Any]:
        body: dict[str, Any] = {"key": _b64(key), "value": _b64(value)}
        if lease:
            body["lease"] = str(lease)
        return {"request_put": body}

    @staticmethod
    def delete(key: str, range_end: str | None = None) -> dict[str, Any]:
        """Delete ``key``, or every key from ``key`` up to (not including) ``range_end``."""
        body = {"key": _b64(key)}
        if range_end is not None:
            body["range_end"] = _b64(range_end)
        return {"request_delete_range": body}

    @staticmethod
    def get(key: str) -> dict[str, Any]:
        return {"request_range": {"key": _b64(key)}}

    @staticmethod
    def get_prefix(prefix: str) -> dict[str, Any]:
        """Every key starting with ``prefix``, in key order (as :meth:`EtcdClient.get_prefix`)."""
        return {"request_range": _prefix_range(prefix)}


class EtcdClient:
    def __init__(self, endpoints: Sequence[str], *, timeout: float, ca_file: str | None = None,
                 cert_file: str | None = None, key_file: str | None = None,
                 username: str | None = None, password: str | None = None) -> None:
        self.endpoints = [e.rstrip("/") for e in endpoints]
        self.timeout = timeout
        self._first = 0
        self._token: str | None = None
        self._user = username
        self._password = password
        self._lock = threading.Lock()
        self._ssl: ssl.SSLContext | None = None
        self._has_cert = bool(cert_file)
        plain = [e for e in self.endpoints if not e.startswith("https://")]
        if ca_file and plain:
            raise EtcdTlsError(f"cluster.tls is set but endpoint {plain[0]} is not https: "
                               "write https://, or TLS would not be used")
        if any(e.startswith("https://") for e in self.endpoints):
            self._ssl = _context(ca_file, cert_file, key_file)

    # -- transport ---------------------------------------------------------------

    def call(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        """POST ``body`` to ``/v3/<path>`` at the first member that answers."""
        deadline = time.monotonic() + self.timeout
        errors: list[_Retry] = []
        n = len(self.endpoints)
        for i in range(n):
            index = (self._first + i) % n
            left = deadline - time.monotonic()
            if left <= 0:
                break
            # Each member gets its share of what is left, so one hung member cannot eat it all.
            share = max(0.2, left / (n - i))
            try:
                result = self._post(self.endpoints[index], path, body, share)
            except _Retry as exc:
                errors.append(exc)
                continue
            self._first = index
            return result
        _raise_if_tls(errors)
        said = "; ".join(map(str, errors[-3:])) or "timed out"
        unknown = ("; a member may have applied it before its answer was lost"
                   if any(e.sent for e in errors) and path == "kv/txn" else "")
        raise EtcdUnavailable(f"etcd did not answer ({said}{unknown}"
                              + "): no quorum, or every member is unreachable; to move "
                              "anyway, without the cluster lock: 'failover move --break-glass'")

    def _post(self, endpoint: str, path: str, body: dict[str, Any],
              timeout: float) -> dict[str, Any]:
        with self._open(endpoint, path, body, timeout) as resp:
            try:
                answer: dict[str, Any] = json.loads(resp.read() or b"{}")
            except (OSError, ValueError) as exc:
                raise _Retry(endpoint, f"answer lost: {exc}", sent=True) from None
        if "error" in answer and "result" not in answer and "header" not in answer:
            raise _Retry(endpoint, _message(json.dumps(answer)))
        return answer

    def _open(self, endpoint: str, path: str, body: dict[str, Any], timeout: float) -> Any:
        """The HTTP response to POST ``body``, unread (a watch streams it)."""
        data = json.dumps(body).encode()
        for attempt in (1, 2):
            headers = {"Content-Type": "application/json"}
            if self._user and path != "auth/authenticate":
                headers["Authorization"] = self._auth_token(endpoint, timeout)
            req = urllib.request.Request(f"{endpoint}/v3/{path}", data=data, headers=headers)
            try:
                # A redirect is never followed: it would send our request (and its auth
                # token) wherever the answer says.
                return nofollow.urlopen(req, timeout=timeout, context=self._ssl)
            except urllib.error.HTTPError as exc:
                if nofollow.is_redirect(exc.code):
                    raise _Retry(endpoint, nofollow.refused(exc.code, exc.headers,
                                                            "this endpoint"),
                                 sent=False) from None
                text = exc.read().decode(errors="replace")
                if "invalid auth token" in text and attempt == 1:
                    self._token = None
                    continue
                if exc.code == 413 or any(t in text for t in _TOO_LARGE):
                    raise EtcdRequestTooLarge(
                        f"etcd refused a request of {len(data)} bytes as too large "
                        f"({_message(text)}; its --max-request-bytes is 1.5 MiB by "
                        "default): raise the limit on every member, or 'failover move "
                        "--break-glass'") from None
                if "user name is empty" in text:
                    raise EtcdAuthError("etcd requires a user: set cluster.username and "
                                        "password_env or password_file") from None
                if "authentication failed" in text or "permission denied" in text:
                    raise EtcdAuthError(f"etcd refused us: {_message(text)}; check "
                                        "cluster.username and its password") from None
                # etcd proposed it, then gave up waiting: it may still be applied.
                proposed = any(t in text for t in ("request timed out", "leader changed"))
                raise _Retry(endpoint, f"HTTP {exc.code}: {_message(text)}",
                             sent=proposed) from None
            except (OSError, ValueError) as exc:
                # urlopen wraps a failed handshake in URLError; an alert that comes with
                # the response (TLS 1.3 checks our certificate after the handshake) is raw.
                reason = exc if isinstance(exc, ssl.SSLError) else getattr(exc, "reason", exc)
                if isinstance(reason, ssl.SSLError):
                    raise _TlsRefused(endpoint, self._tls_message(endpoint, reason)) from None
                # urlopen wraps what fails before the request is out (connect, send) in
                # URLError; what fails after (reading the answer) comes raw: the member
                # may have applied the request.
                sent = not isinstance(exc, urllib.error.URLError)
                if isinstance(exc, http.client.RemoteDisconnected) and \
                        endpoint.startswith("http://"):
                    # What etcd does to plain http on a TLS client port, and what a member
                    # that dies mid-request does.
                    raise _Retry(endpoint, "closed the connection without an answer (if it "
                                 "serves TLS: write https:// and set cluster.tls)",
                                 sent=True) from None
                raise _Retry(endpoint, f"answer lost: {reason}" if sent else str(reason),
                             sent=sent) from None
        raise _Retry(endpoint, "auth token refused twice")

    def _tls_message(self, endpoint: str, exc: ssl.SSLError) -> str:
        if isinstance(exc, ssl.SSLCertVerificationError):
            return (f"etcd at {endpoint}: its certificate did not verify "
                    f"({exc.verify_message}); set cluster.tls.ca_file to the CA that signed "
                    "the members' certificates, whose subjectAltName must hold the "
                    "endpoint's host")
        # A member with --client-cert-auth ends the handshake with an alert (bad or
        # required certificate) or, as TLS 1.3 allows, just closes it.
        why = exc.reason or str(exc)
        if not self._has_cert:
            return (f"etcd at {endpoint} refused our TLS handshake ({why}): it may require "
                    "a client certificate; set cluster.tls.cert_file and key_file")
        return (f"etcd at {endpoint} refused our TLS handshake ({why}): check that "
                "cluster.tls.cert_file is signed by a CA the members trust "
                "(their --trusted-ca-file)")

    def _auth_token(self, endpoint: str, timeout: float) -> str:
        with self._lock:
            if self._token is None:
                answer = self._post(endpoint, "auth/authenticate",
                                    {"name": self._user, "password": self._password or ""},
                                    timeout)
                self._token = str(answer.get("token", ""))
            return self._token

    # -- kv --------------------------------------------------------------------

    def get(self, key: str) -> KV | None:
        kvs = self.call("kv/range", {"key": _b64(key)}).get("kvs", [])
        return parse_kv(kvs[0]) if kvs else None

    def get_prefix(self, prefix: str) -> list[KV]:
        answer = self.call("kv/range", _prefix_range(prefix))
        return [parse_kv(d) for d in answer.get("kvs", [])]

    def put(self, key: str, value: str, lease: int = 0) -> int:
        body: dict[str, Any] = {"key": _b64(key), "value": _b64(value)}
        if lease:
            body["lease"] = str(lease)
        return int(self.call("kv/put", body)["header"]["revision"])

    def delete(self, key: str) -> int:
        return int(self.call("kv/deleterange", {"key": _b64(key)}).get("deleted", 0))

    def txn(self, compare: list[dict[str, Any]], success: list[dict[str, Any]],
            failure: list[dict[str, Any]] | None = None) -> tuple[bool, dict[str, Any]]:
        """Whether ``compare`` held, and etcd's answer. A txn whose answer was lost is sent
        again to the next member, where it may find its own earlier effect: the caller's
        compares and ``failure`` reads must let it recognise that (see the module's
        docstring)."""
        answer = self.call("kv/txn", {"compare": compare, "success": success,
                                      "failure": failure or []})
        return bool(answer.get("succeeded", False)), answer

    # -- watch -------------------------------------------------------------------

    def watch(self, key: str, *, start_revision: int, seconds: float,
              deletes_only: bool = False) -> Iterator[Event]:
        """The changes of ``key`` from ``start_revision`` on, as etcd streams them, for up
        to ``seconds``; then the iterator ends. Raises EtcdUnavailable when no member
        opens the stream. A member that dies or freezes mid-stream ends it early or at
        the time limit: callers look again with a plain read, so a lost stream costs
        time, never a change."""
        body: dict[str, Any] = {"create_request": {"key": _b64(key),
                                                   "start_revision": str(start_revision)}}
        if deletes_only:
            body["create_request"]["filters"] = ["NOPUT"]
        deadline = time.monotonic() + seconds
        resp, errors = None, list[_Retry]()
        for i in range(len(self.endpoints)):
            index = (self._first + i) % len(self.endpoints)
            left = deadline - time.monotonic()
            if left <= 0:
                break
            try:
                # The socket's timeout bounds every read, so the stream ends by the deadline
                # even when etcd sends nothing.
                resp = self._open(self.endpoints[index], "watch", body, left)
                break
            except _Retry as exc:
                errors.append(exc)
        if resp is None:
            if not errors:
                return
            _raise_if_tls(errors)
            raise EtcdUnavailable("etcd did not open a watch (" + "; ".join(map(str, errors[-3:]))
                                  + "): no quorum, or every member is unreachable")
        with resp:
            while time.monotonic() < deadline:
                try:
                    line = resp.readline()
                except (OSError, ValueError):   # the time limit, or the member went away
                    return
                if not line:
                    return
                try:
                    message = json.loads(line)
                except ValueError:
                    return
                result = message.get("result") if isinstance(message, dict) else None
                if not isinstance(result, dict) or result.get("canceled"):
                    return   # compacted past start_revision, or refused: read instead
                for e in result.get("events", []):
                    kv = e.get("kv", {})
                    yield Event(e.get("type", "PUT"), _unb64(kv.get("key", "")),
                                int(kv.get("mod_revision", 0)))

    # -- leases ------------------------------------------------------------------

    def grant(self, ttl: int) -> int:
        return int(self.call("lease/grant", {"TTL": str(ttl)})["ID"])

    def keepalive(self, lease: int) -> int:
        """Refresh the lease; its remaining TTL, 0 when it has already expired."""
        answer = self.call("lease/keepalive", {"ID": str(lease)})
        return int(answer.get("result", {}).get("TTL", 0))

    def revoke(self, lease: int) -> None:
        with contextlib.suppress(EtcdUnavailable):   # it expires on its own after ttl
            self.call("lease/revoke", {"ID": str(lease)})


class _Retry(Exception):
    """This member did not serve the request; try the next one. ``sent``: the request
    went out and its answer was lost, so the member may have applied it (an unknown
    outcome); otherwise it was not sent, or refused, and nothing happened there."""

    def __init__(self, endpoint: str, why: str, *, sent: bool = False) -> None:
        super().__init__(why)
        self.endpoint = endpoint
        self.sent = sent

    def __str__(self) -> str:
        return f"{self.endpoint}: {self.args[0]}"


class _TlsRefused(_Retry):
    """No TLS session with this member; the message is the whole sentence."""

    def __str__(self) -> str:
        return str(self.args[0])


def payload_size(ops: Sequence[dict[str, Any]]) -> int:
    """The raw bytes of the keys and values in txn ``ops`` or compares (what etcd's
    request limit counts, near enough)."""
    total = 0
    for op in ops:
        inner = next(iter(op.values()), None) if len(op) == 1 else None
        body = inner if isinstance(inner, dict) else op
        for part in ("key", "value", "range_end"):
            text = body.get(part)
            if isinstance(text, str):
                total += len(text) * 3 // 4   # base64
    return total


def _raise_if_tls(errors: list[_Retry]) -> None:
    """Every member that we reached failed the TLS handshake: a settings error, said
    plainly, not an outage (one odd member among answering ones stays a retry)."""
    if errors and all(isinstance(e, _TlsRefused) for e in errors):
        raise EtcdTlsError(str(errors[0]))


def _context(ca_file: str | None, cert_file: str | None,
             key_file: str | None) -> ssl.SSLContext:
    """The client TLS context; an unreadable file is one line naming it."""
    try:
        context = ssl.create_default_context(cafile=ca_file)
    except (OSError, ssl.SSLError) as exc:
        raise EtcdTlsError(f"cannot read cluster.tls.ca_file {ca_file}: "
                           f"{getattr(exc, 'strerror', None) or exc}") from None
    if cert_file:
        try:
            context.load_cert_chain(cert_file, key_file)
        except (OSError, ssl.SSLError) as exc:
            raise EtcdTlsError(f"cannot load cluster.tls.cert_file {cert_file} with key_file "
                               f"{key_file}: {getattr(exc, 'strerror', None) or exc}") from None
    return context


def _message(text: str) -> str:
    try:
        data = json.loads(text)
    except ValueError:
        return text.strip()[:200]
    return str(data.get("message") or data.get("error") or text)[:200]
