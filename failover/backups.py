"""Backup freshness: does a standby vendor have recent enough data to serve?

For each entry under ``backups:`` in the config, find the newest backup (the
newest object under a prefix in S3-compatible storage, or the newest file
matching a pattern under a local or mounted path) and compare its age with
the entry's recovery-point objective (RPO):

- within the RPO: OK;
- older: WARNING ("newest backup is 3h old, over the 1h RPO");
- nothing there, no such bucket or path, access refused: CRITICAL;
- the store did not answer, or the entry cannot be checked as configured
  (a credential variable not set): UNKNOWN.

``timeout`` bounds each request to the store; a request that fails on the
network is tried once more, so a silent store costs about twice the timeout.

Entries are checked concurrently, one thread each. Credentials are read as
the S3 entry says (:mod:`failover.awscreds`: ``*_env`` variables, else
``credentials_file`` with ``profile`` (default ``default``), else ``profile``
in the usual AWS files, else boto3's own chain) and never appear in a finding.
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Any

from failover.awscreds import load_credentials
from failover.clock import Clock, SystemClock
from failover.config import Config, PathBackup, S3Backup
from failover.errors import EXIT_CRITICAL, EXIT_OK, EXIT_UNKNOWN, EXIT_WARNING, ConfigError
from failover.probes.base import describe_error, shorten
from failover.report import STATUSES, Finding

MAX_KEYS = 1000          # objects per ListObjectsV2 page (S3's own maximum)
MAX_THREADS = 16

# S3 error codes that say "try again later" rather than "you cannot have this".
_TRANSIENT_CODES = frozenset({
    "SlowDown", "Throttling", "ThrottlingException", "RequestTimeout", "RequestTimeTooSkewed",
    "InternalError", "ServiceUnavailable", "503", "500", "502", "504"})


@dataclass(frozen=True)
class Newest:
    """The newest backup found in one place."""

    location: str          # s3://bucket/prefix or a folder
    name: str | None       # the newest object's key or file's path; None when nothing was found
    modified: float        # its modification time, seconds since the epoch (0 when none)
    seen: int              # objects or files looked at


class BackupProblem(Exception):
    """A backup could not be checked; carries the severity to report."""

    def __init__(self, severity: int, reason: str) -> None:
        super().__init__(reason)
        self.severity = severity
        self.reason = reason


def check_backups(config: Config, *, clock: Clock | None = None) -> list[Finding]:
    """One ``backup`` finding per entry in ``config.backups``, in the config's order."""
    clock = clock or SystemClock()
    names = list(config.backups)
    if not names:
        return []
    with ThreadPoolExecutor(max_workers=min(MAX_THREADS, len(names)),
                            thread_name_prefix="backup") as pool:
        return list(pool.map(lambda n: check_backup(config, n, clock=clock), names))


def check_backup(config: Config, name: str, *, clock: Clock | None = None) -> Finding:
    """The finding for one entry of ``config.backups``; never raises."""
    clock = clock or SystemClock()
    spec = config.backups[name]
    where = _location(config, spec)
    t0 = clock.monotonic()
    try:
        newest = (newest_s3(config, spec, key=f"backups.{name}") if isinstance(spec, S3Backup)
                  else newest_path(config, spec))
    except BackupProblem as exc:
        return _finding(name, spec, exc.severity, exc.reason, clock.monotonic() - t0,
                        [{"location": where}], {})
    except Exception as exc:  # an SDK error not mapped above: still one finding, not a crash
        return _finding(name, spec, EXIT_UNKNOWN, f"cannot check {where}: "
                        f"{type(exc).__name__}: {shorten(str(exc))}", clock.monotonic() - t0,
                        [{"location": where}], {})
    seconds = clock.monotonic() - t0
    metrics: dict[str, float] = {"objects_seen": newest.seen, "rpo_seconds": spec.rpo}
    if newest.name is None:
        return _finding(name, spec, EXIT_CRITICAL, f"no backup under {where}", seconds,
                        [{"location": where, "objects_seen": newest.seen}], metrics)
    # A file stamped in the future (clock skew) counts as brand new, not as negative age.
    age = max(0.0, clock.now() - newest.modified)
    metrics["age_seconds"] = age
    evidence = [{"location": where, "newest": newest.name, "modified": newest.modified,
                 "objects_seen": newest.seen}]
    if age <= spec.rpo:
        reason = (f"newest backup is {human_duration(age)} old, within the "
                  f"{human_duration(spec.rpo)} RPO")
        return _finding(name, spec, EXIT_OK, reason, seconds, evidence, metrics)
    reason = (f"newest backup is {human_duration(age)} old, over the "
              f"{human_duration(spec.rpo)} RPO")
    return _finding(name, spec, EXIT_WARNING, reason, seconds, evidence, metrics)


def human_duration(seconds: float) -> str:
    """``45s``, ``12m``, ``1h``, ``3h 5m``, ``2d 4h``: the largest unit and the next one."""
    total = int(seconds)
    units = (("d", 86400), ("h", 3600), ("m", 60), ("s", 1))
    for (unit, size), (next_unit, next_size) in pairwise(units):
        if total >= size:
            rest = total % size // next_size
            return f"{total // size}{unit}" + (f" {rest}{next_unit}" if rest else "")
    return f"{total}s"


def _finding(name: str, spec: S3Backup | PathBackup, severity: int, reason: str, seconds: float,
             evidence: list[dict[str, Any]], metrics: dict[str, float]) -> Finding:
    return Finding("backup", name, STATUSES[severity], severity, reason, vendor=spec.vendor,
                   seconds=seconds, evidence=evidence, metrics=metrics)


def _location(config: Config, spec: S3Backup | PathBackup) -> str:
    if isinstance(spec, S3Backup):
        return f"s3://{spec.bucket}/{spec.prefix}"
    return str(config.resolve_path(spec.path))


# -- S3-compatible storage ------------------------------------------------------------------

def newest_s3(config: Config, spec: S3Backup, *, key: str) -> Newest:
    """The newest object under ``spec.prefix`` (folder markers ending in ``/`` do not count).

    ``key`` is the entry's place in the config (``backups.db``), for credential errors.
    """
    import botocore.exceptions

    where = _location(config, spec)
    client = _s3_client(config, spec, key)
    newest_key: str | None = None
    newest_at = 0.0
    seen = 0
    try:
        pages = client.get_paginator("list_objects_v2").paginate(
            Bucket=spec.bucket, Prefix=spec.prefix, PaginationConfig={"PageSize": MAX_KEYS})
        for page in pages:
            for obj in page.get("Contents", []):
                key = obj["Key"]
                if key.endswith("/"):
                    continue
                seen += 1
                at = obj["LastModified"].timestamp()
                if newest_key is None or at > newest_at:
                    newest_key, newest_at = key, at
    except botocore.exceptions.ClientError as exc:
        raise _client_problem(exc, where) from None
    except botocore.exceptions.NoCredentialsError:
        raise BackupProblem(EXIT_UNKNOWN, f"no AWS credentials for {where}: set "
                            "access_key_id_env/secret_access_key_env, credentials_file or "
                            "profile") from None
    except (botocore.exceptions.ConnectTimeoutError, botocore.exceptions.ReadTimeoutError) as exc:
        phase = "connecting" if isinstance(exc, botocore.exceptions.ConnectTimeoutError) \
            else "waiting for an answer"
        raise BackupProblem(EXIT_UNKNOWN, f"cannot reach the storage for {where} at "
                            f"{_endpoint(spec)}: timeout after {spec.timeout}s ({phase})") \
            from None
    except (botocore.exceptions.EndpointConnectionError,
            botocore.exceptions.ConnectionClosedError) as exc:
        raise BackupProblem(EXIT_UNKNOWN, f"cannot reach the storage for {where} at "
                            f"{_endpoint(spec)}: {_network_cause(exc)}") from None
    except botocore.exceptions.BotoCoreError as exc:
        raise BackupProblem(EXIT_UNKNOWN, f"cannot list {where}: {shorten(str(exc))}") from None
    return Newest(where, newest_key, newest_at, seen)


def _network_cause(exc: Exception) -> str:
    """The socket error under botocore's and urllib3's wrappers: ``connection refused``."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, OSError) and seen.errno is not None:
            return describe_error(seen)
        seen = getattr(seen, "kwargs", {}).get("error") or seen.__cause__ or seen.__context__
    return "connection closed" if "closed" in type(exc).__name__.lower() else "connection failed"


def _endpoint(spec: S3Backup) -> str:
    return spec.endpoint_url or f"AWS S3 in {spec.region}"


def _client_problem(exc: Any, where: str) -> BackupProblem:
    """An S3 error answer: refusals and missing buckets are CRITICAL, overload is UNKNOWN."""
    error = exc.response.get("Error", {})
    code = str(error.get("Code") or "unknown error")
    message = shorten(str(error.get("Message") or ""))
    status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
    text = f"{code}: {message}" if message else code
    if code in _TRANSIENT_CODES or status >= 500:
        return BackupProblem(EXIT_UNKNOWN, f"the storage did not answer for {where}: {text}")
    return BackupProblem(EXIT_CRITICAL, f"cannot list {where}: {text}")


def _s3_client(config: Config, spec: S3Backup, key: str) -> Any:
    """An S3 client with the entry's credentials, endpoint and timeouts."""
    import boto3
    import botocore.config
    import botocore.exceptions

    try:
        creds = load_credentials(spec, config, key=key)
    except ConfigError as exc:
        raise BackupProblem(EXIT_UNKNOWN, exc.detail) from None
    try:
        session = boto3.Session(profile_name=creds.profile)
        kwargs: dict[str, Any] = {}
        if creds.explicit:
            kwargs["aws_access_key_id"] = creds.access_key_id
            kwargs["aws_secret_access_key"] = creds.secret_access_key
            if creds.session_token:
                kwargs["aws_session_token"] = creds.session_token
        return session.client(
            "s3", region_name=spec.region, endpoint_url=spec.endpoint_url,
            config=botocore.config.Config(connect_timeout=spec.timeout,
                                          read_timeout=spec.timeout,
                                          retries={"max_attempts": 2, "mode": "standard"}),
            **kwargs)
    except botocore.exceptions.ProfileNotFound:
        raise BackupProblem(EXIT_UNKNOWN, f"no AWS profile '{spec.profile}' in the AWS "
                            "config files; fix 'profile' or set credentials_file") from None
    except (botocore.exceptions.BotoCoreError, ValueError) as exc:
        raise BackupProblem(EXIT_UNKNOWN, f"cannot make an S3 client: {shorten(str(exc))}") \
            from None


# -- local or mounted paths -------------------------------------------------------------------

def newest_path(config: Config, spec: PathBackup) -> Newest:
    """The newest file matching ``spec.pattern`` anywhere under ``spec.path``."""
    root = config.resolve_path(spec.path)
    where = str(root)
    if not root.exists():
        raise BackupProblem(EXIT_CRITICAL, f"no backup under {where}: no such file or folder")
    newest: str | None = None
    newest_at = 0.0
    seen = 0
    try:
        for path in _matching_files(root, spec.pattern):
            try:
                at = path.stat().st_mtime
            except FileNotFoundError:   # rotated away while we looked
                continue
            seen += 1
            if newest is None or at > newest_at:
                newest, newest_at = str(path), at
    except PermissionError as exc:
        raise BackupProblem(EXIT_CRITICAL, f"cannot read {exc.filename or where}: "
                            "permission denied") from None
    return Newest(where, newest, newest_at, seen)


def _matching_files(root: Path, pattern: str) -> Iterator[Path]:
    """Regular files under ``root`` (or ``root`` itself) whose name, or path relative to
    ``root``, matches ``pattern``."""
    if root.is_file():
        if fnmatch.fnmatch(root.name, pattern):
            yield root
        return

    def fail(exc: OSError) -> None:
        if isinstance(exc, PermissionError):
            raise exc

    for folder, _dirs, files in os.walk(root, onerror=fail):
        for name in files:
            path = Path(folder, name)
            relative = path.relative_to(root).as_posix()
            if (fnmatch.fnmatch(name, pattern) or fnmatch.fnmatch(relative, pattern)) \
                    and path.is_file():
                yield path
