"""How the HTTP-API DNS providers call their vendor: their secret, and one call with backoff.

PowerDNS, Cloudflare and Cloud DNS are each a handful of JSON calls, so they use a
small standard-library client (:mod:`failover.dns.http`) rather than a vendor SDK
or httpx: one connection, our own bounded retries, our own errors.

:func:`load_api_secret` reads an API key or token from an environment variable
or a file named in the config; :class:`Secret` remembers where it came from and
never shows the value. :meth:`RestApi.call` retries 429 and 5xx answers with
jittered exponential backoff (honouring ``Retry-After``; one longer than the
backoff's cap fails at once, saying how long the vendor asks to wait),
maps a refused credential to :class:`ProviderAuthError` naming the secret's
source, and a dead endpoint to :class:`ProviderUnreachable`. The providers' common
base is :mod:`failover.dns.restprovider`.
"""

from __future__ import annotations

import os
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from failover.clock import Clock, SystemClock
from failover.config import Config
from failover.config.secretfile import SecretFileError, read_secret_file
from failover.dns.fence import Fence, check_deadline
from failover.dns.http import Client, Response, Timeout, TransportError
from failover.dns.retry import Backoff
from failover.errors import ConfigError, ProviderAuthError, ProviderError, ProviderUnreachable
from failover.untrusted import clean


@dataclass(frozen=True)
class Secret:
    """An API key or token and where it came from; its repr shows only the source."""

    value: str = field(repr=False)
    source: str  # "$VARIABLE" or a path

    def __str__(self) -> str:
        return f"secret from {self.source}"


def load_api_secret(provider: str, config: Config, *, env: str | None, file: str | None,
                    what: str) -> Secret:
    """The secret named by ``env`` or ``file``; a missing or empty one is a ConfigError."""
    key = f"dns.{provider}"
    if env:
        value = os.environ.get(env, "").strip()
        if not value:
            raise ConfigError(f"environment variable {env} is not set; export the {what} in it",
                              file=config.source, key=f"{key}.{_field(what, 'env')}")
        return Secret(value, f"${env}")
    assert file
    path = config.resolve_path(file)
    try:   # bounded, one line: it goes into an HTTP header
        value = read_secret_file(path)
    except SecretFileError as exc:
        raise ConfigError(f"the {what}: {exc}", file=config.source,
                          key=f"{key}.{_field(what, 'file')}") from None
    return Secret(value, str(path))


def _field(what: str, suffix: str) -> str:
    return ("api_key_" if "key" in what else "token_") + suffix


# Answers worth another try: rate limits and the server's own trouble.
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


class RestApi:
    """One vendor's JSON API over one connection, with backoff and error mapping.

    ``describe(response)`` turns a vendor's error body into one phrase; ``vendor`` names
    the service in messages ("PowerDNS", "Cloudflare", "Cloud DNS").
    """

    def __init__(self, provider: str, vendor: str, base_url: str, headers: Mapping[str, str],
                 secret: Secret, timeout: float, *, describe: Callable[[Response], str],
                 clock: Clock | None = None, rng: random.Random | None = None,
                 backoff: Backoff | None = None) -> None:
        self.provider = provider
        self.vendor = vendor
        self.base_url = base_url.rstrip("/")
        self.secret = secret
        self.describe = describe
        self.clock: Clock = clock or SystemClock()
        self.rng = rng or random.Random()
        self.backoff = backoff or Backoff()
        self.calls = 0       # requests sent, retries included (for tests and the bench)
        self.retries = 0     # of which were retries after 429 or 5xx
        try:
            self._client = Client(self.base_url, headers, timeout)
        except ValueError as exc:
            raise ConfigError(f"url: {exc}", key=f"dns.{provider}.url") from None

    def call(self, what: str, method: str, path: str, *, params: Mapping[str, Any] | None = None,
             json: Any = None, fence: Fence | None = None) -> Response:
        """The answer to one request, after retrying 429 and 5xx; raises on 401/403.

        Other statuses are returned for the provider to judge (404, 409, 412, 422...).
        ``fence``: a fenced write, none of whose tries (a retry included) may start after
        the lease's deadline (LeaseWindowClosed instead).
        """
        for attempt in range(self.backoff.tries):
            check_deadline(self.provider, fence, attempt, self.backoff.tries,
                           f"{what} try")
            self.calls += 1
            try:
                resp = self._client.request(method, path, params=params, json=json)
            except Timeout:
                raise ProviderUnreachable(self.provider, f"{what}: no answer from "
                                                         f"{self.vendor} at {self.base_url} "
                                                         f"in time") from None
            except TransportError as exc:
                raise ProviderUnreachable(self.provider, f"{what}: cannot reach {self.vendor} "
                                                         f"at {self.base_url}: "
                                                         f"{clean(exc)}") from None
            if resp.status_code in (401, 403):
                raise ProviderAuthError(self.provider, f"{what}: {self.vendor} refused the "
                                                       f"credential from {self.secret.source} "
                                                       f"({resp.status_code}: "
                                                       f"{self._said(resp)}); check it")
            if resp.status_code not in RETRY_STATUSES:
                return resp
            told = _retry_after(resp)
            if told is not None and told > self.backoff.cap:
                # Cloudflare blocks for up to five minutes: say so now rather than
                # spend the tries on a wait that cannot end in time.
                raise ProviderError(self.provider, f"{what}: {self.vendor} rate-limited us "
                                                   f"({resp.status_code}) and asks to wait "
                                                   f"{told:g}s (Retry-After), longer than "
                                                   f"failover waits ({self.backoff.cap:g}s); "
                                                   f"run the move again after that")
            if attempt + 1 < self.backoff.tries:
                self.retries += 1
                self.clock.sleep(told if told is not None
                                 else self.backoff.delay(attempt, self.rng))
                continue
            kind = ProviderError if resp.status_code == 429 else ProviderUnreachable
            raise kind(self.provider, f"{what}: {self.vendor} still answered "
                                      f"{resp.status_code} after {attempt + 1} tries "
                                      f"({self._said(resp)})")
        raise AssertionError("unreachable: the last try raises")

    def _said(self, resp: Response) -> str:
        try:
            text = self.describe(resp)
        except Exception:  # a body that is not what the vendor documents
            text = ""
        # The vendor's own words: one inert line (no escapes, no newlines), bounded.
        return clean(text or resp.reason_phrase or str(resp.status_code))

    def fail(self, what: str, resp: Response) -> ProviderError:
        """The error for an answer the provider did not expect."""
        return ProviderError(self.provider, f"{what}: {self.vendor} answered "
                                            f"{resp.status_code} ({self._said(resp)})")

    def close(self) -> None:
        self._client.close()


def _retry_after(resp: Response) -> float | None:
    """Seconds from a Retry-After header given in seconds (dates are not used by these APIs)."""
    try:
        return max(0.0, float(resp.headers.get("Retry-After", "")))
    except ValueError:
        return None


def json_of(provider: str, what: str, resp: Response) -> Any:
    """The JSON body of an answer; a body that is not JSON is a ProviderError."""
    try:
        return resp.json()
    except ValueError:
        raise ProviderError(provider, f"{what}: the answer ({resp.status_code}) is not "
                                      f"JSON") from None
