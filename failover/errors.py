"""The exception tree: every error a user can cause or meet, in one place.

Each error carries the exit code the CLI should return (monitoring-plugin
convention: 1 WARNING, 2 CRITICAL, 3 UNKNOWN) and renders as one line that
names the place and, where there is one, the fix. Callers catch at the level
they care about, as httpx's callers do::

    FailoverError
      ConfigError
      ProbeError
      ProviderError               (the message starts with the DNS provider's name)
        ProviderUnreachable
        ProviderOutcomeUnknown
        ProviderAuthError
        ProviderConflict
      NoProviderReachable
      UnsafePlanError
      ChecksumMismatch
      LockHeld                    (a refusal: another move holds the lock)
      CoordinationError           (the coordination store failed us)
        LockLost
        CoordinationUnavailable   (fail-static: no automatic move)
          EtcdUnavailable
        EtcdRequestTooLarge
        EtcdAuthError
          EtcdTlsError
      JournalError
      InventoryError
      DrillRefused
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_WARNING = 1
EXIT_CRITICAL = 2
EXIT_UNKNOWN = 3


class FailoverError(Exception):
    """Base of every error failover raises on purpose."""

    exit_code: int = EXIT_UNKNOWN


class ConfigError(FailoverError):
    """The config file is broken: YAML, an unknown key, a wrong type, a dangling name."""

    def __init__(self, message: str, *, file: str | None = None, line: int | None = None,
                 key: str | None = None, fix: str | None = None) -> None:
        self.file = file
        self.line = line
        self.key = key
        self.problem = message                                  # what is wrong
        self.fix = fix                                          # what to do, when given apart
        self.detail = f"{message}; {fix}" if fix else message   # both, without the place
        where = ""
        if file:
            where = f"{file}:{line}: " if line else f"{file}: "
        if key:
            where += f"{key}: "
        super().__init__(where + self.detail)


class ProbeError(FailoverError):
    """A probe could not be set up (not: a probe that failed; that is a result)."""


class ProviderError(FailoverError):
    """A DNS provider failed; the message starts with the provider's name."""

    exit_code = EXIT_CRITICAL

    def __init__(self, provider: str, message: str) -> None:
        self.provider = provider
        self.detail = message
        super().__init__(f"{provider}: {message}")


class ProviderUnreachable(ProviderError):
    """The provider did not answer (connection refused, timeout, DNS failure)."""


class ProviderOutcomeUnknown(ProviderError):
    """A write was sent but its answer never came: it may have been applied, now or later."""


class ProviderAuthError(ProviderError):
    """The provider refused our credentials (TSIG key, cloud keys)."""


class ProviderConflict(ProviderError):
    """The provider's state is not the one the plan was made against."""


class NoProviderReachable(FailoverError):
    """Not one DNS provider could be read, so nothing is known about what is served."""

    exit_code = EXIT_CRITICAL

    def __init__(self, errors: list[str]) -> None:
        self.errors = errors
        super().__init__("no DNS provider reachable, so what is served is unknown and nothing "
                         "can be planned: " + "; ".join(errors))


class UnsafePlanError(FailoverError):
    """The plan touches more than the policy allows, or needs an operator's --force."""


class ChecksumMismatch(FailoverError):
    """The plan to apply is not the plan that was reviewed."""


class LockHeld(FailoverError):
    """Another move holds the lock."""


class CoordinationError(FailoverError):
    """The coordination store (etcd) failed us: it could not be asked, refused us, or the
    lock or lead this process held was lost. Not a refusal: that is :class:`LockHeld`."""


class LockLost(CoordinationError):
    """The cluster lock or the leader lease was lost during a move: stop writing."""

    exit_code = EXIT_CRITICAL


class CoordinationUnavailable(CoordinationError):
    """The coordination store cannot be asked (no quorum, no member answers): watchers
    stay fail-static, and a person may move with --break-glass."""

    exit_code = EXIT_CRITICAL


class EtcdUnavailable(CoordinationUnavailable):
    """No etcd member answered in time, or the cluster has no quorum."""


class EtcdRequestTooLarge(CoordinationError):
    """etcd refused a request above its size limit; no other member would take it."""

    exit_code = EXIT_CRITICAL


class EtcdAuthError(CoordinationError):
    """etcd refused our user name or password, or our client certificate."""


class EtcdTlsError(EtcdAuthError):
    """No TLS session with any member: its certificate did not verify against our CA, or
    it refused ours (or our lack of one). Settings, not an outage: retrying cannot help."""


class JournalError(FailoverError):
    """The journal cannot be opened or read."""


class InventoryError(FailoverError):
    """Endpoints could not be resolved from a Pulumi stack or export file."""


class DrillRefused(FailoverError):
    """The drill cannot start: its precondition does not hold. Nothing was touched."""
