"""The exception tree: every error a user can cause or meet, in one place.

Each error carries the exit code the CLI should return (monitoring-plugin
convention: 1 WARNING, 2 CRITICAL, 3 UNKNOWN; 4 a refusal, 5 a held lock: the
table is failover/exitcodes.py) and renders as one line that
names the place and, where there is one, the fix. Callers catch at the level
they care about, as httpx's callers do::

    FailoverError
      ConfigError
        ConfigErrors              (several at once, each a ConfigError)
      ProbeError
      ProviderError               (the message starts with the DNS provider's name)
        ProviderUnreachable
        ProviderOutcomeUnknown
        ProviderAuthError
        ProviderConflict
          FenceLost               (a newer leader holds the DNS fence: write nothing more)
        LeaseWindowClosed         (our lease's deadline passed before a write could start)
      NoProviderReachable
      Refused                     (nothing written: a safety rule or a person said no)
        UnsafePlanError
        ChecksumMismatch
      LockHeld                    (busy: another move holds the lock)
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
      CertError                   (a CA refused or failed, or a challenge was not served)
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_WARNING = 1
EXIT_CRITICAL = 2
EXIT_UNKNOWN = 3
EXIT_REFUSED = 4
EXIT_BUSY = 5
EXIT_USAGE = 64
EXIT_INTERRUPTED = 130


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


class ConfigErrors(ConfigError):
    """Several problems in one config file, each a :class:`ConfigError` in ``errors``
    (the file's order). Read as one error it is the first, saying how many more there
    are; the CLI prints every one on its own line."""

    def __init__(self, errors: list[ConfigError]) -> None:
        first = errors[0]
        super().__init__(first.problem, file=first.file, line=first.line, key=first.key,
                         fix=first.fix)
        self.errors = errors
        more = len(errors) - 1
        if more:
            self.args = (f"{first} (and {more} more problem{'s' if more > 1 else ''}: "
                         "'failover validate' lists them)",)

    @classmethod
    def of(cls, errors: list[ConfigError]) -> ConfigError:
        """One error as itself, several as :class:`ConfigErrors`."""
        return errors[0] if len(errors) == 1 else cls(errors)


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


class FenceLost(ProviderConflict):
    """The zone's fence (``_failover-fence`` TXT) holds a newer leader's epoch, or changed
    under our write: this node is no longer the one that may write DNS, and writes
    nothing more. ``held`` and ``ours`` are the epochs (``held`` None: not readable)."""

    def __init__(self, provider: str, message: str, *, held: int | None = None,
                 ours: int | None = None) -> None:
        super().__init__(provider, message)
        self.held = held
        self.ours = ours


class LeaseWindowClosed(ProviderError):
    """The deadline our lease leaves for writing passed before a batch could start: the
    batch was not sent (those before it were). Not a newer leader: our own time ran out."""


class NoProviderReachable(FailoverError):
    """Not one DNS provider could be read, so nothing is known about what is served."""

    exit_code = EXIT_CRITICAL

    def __init__(self, errors: list[str]) -> None:
        self.errors = errors
        super().__init__("no DNS provider reachable, so what is served is unknown and nothing "
                         "can be planned: " + "; ".join(errors))


class Refused(FailoverError):
    """Nothing was written because a safety rule or a person said no: a declined prompt,
    no terminal to ask on, a rule that needs --force. Not a failure: exit 4."""

    exit_code = EXIT_REFUSED


class UnsafePlanError(Refused):
    """The plan touches more than the policy allows, or needs an operator's --force."""


class ChecksumMismatch(Refused):
    """The plan to apply is not the plan that was reviewed."""


class LockHeld(FailoverError):
    """Another move holds the lock: busy, try again later (exit 5)."""

    exit_code = EXIT_BUSY


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


class CertError(FailoverError):
    """A standby certificate could not be had: the CA refused or did not validate, or the
    ``_acme-challenge`` records were not served at every authority (the CA was not asked)."""

    exit_code = EXIT_CRITICAL
