"""AWS credentials as the config names them, for Route 53, S3 backups and the AWS probe.

:func:`load_credentials` reads :class:`~failover.config.AwsCredentialSettings`,
first match wins:

1. ``access_key_id_env`` and ``secret_access_key_env`` (and ``session_token_env``):
   environment variables;
2. ``credentials_file``: an INI file written as ``~/.aws/credentials`` (relative to
   the config file), section ``[profile]`` or ``[profile profile]``, else ``[default]``;
3. neither: no keys, and the caller's AWS SDK session finds them itself (its
   environment variables, ``~/.aws`` files, SSO, instance role), with ``profile``
   when set.

Naming both 1 and 2 is refused rather than one silently winning. A variable,
file, section or key that is not there is a :class:`ConfigError` naming the
config file, the key (``dns.route53.credentials_file``) and the fix; each caller
reports it its own way. Keys never appear in a repr or an error.

Only the environment and files are read here: the SDK is imported by the
callers, which make their own sessions.
"""

from __future__ import annotations

import configparser
from dataclasses import dataclass
from typing import Any

from failover.config import AwsCredentialSettings, Config
from failover.config.secretfile import SecretFileError, read_secret_env, read_secret_file
from failover.errors import ConfigError
from failover.untrusted import remember_secret


@dataclass(frozen=True, repr=False)
class Credentials:
    """Where the AWS keys come from, and the keys when the config names them.

    Without keys (not ``explicit``) the SDK's own chain applies, with ``profile``
    when set. The repr names the source, never a key.
    """

    source: str
    access_key_id: str | None = None
    secret_access_key: str | None = None
    session_token: str | None = None
    profile: str | None = None  # for the SDK's chain; a credentials file's section is in source

    def __repr__(self) -> str:
        return f"Credentials(from {self.source})"

    @property
    def explicit(self) -> bool:
        return self.access_key_id is not None


def load_credentials(settings: AwsCredentialSettings, config: Config, *, key: str) -> Credentials:
    """The credentials ``settings`` (found at ``key`` in the config) name.

    A missing variable, file, section or key is a :class:`ConfigError`.
    """
    by_env = settings.access_key_id_env or settings.secret_access_key_env
    if settings.credentials_file and by_env:
        raise ConfigError("give either credentials_file or access_key_id_env/"
                          "secret_access_key_env, not both", file=config.source, key=key)
    if by_env:
        return _from_environment(settings, config, key)
    if settings.credentials_file:
        return _from_file(settings.credentials_file, settings.profile or "default", config,
                          f"{key}.credentials_file")
    chain = "the AWS SDK's default chain" + (f" (profile {settings.profile})"
                                             if settings.profile else "")
    return Credentials(chain, profile=settings.profile)


def _from_environment(settings: AwsCredentialSettings, config: Config,
                      key: str) -> Credentials:
    if not (settings.access_key_id_env and settings.secret_access_key_env):
        raise ConfigError("give access_key_id_env and secret_access_key_env together",
                          file=config.source, key=key)
    wanted = (("access_key_id_env", settings.access_key_id_env, "AWS access key id"),
              ("secret_access_key_env", settings.secret_access_key_env, "AWS secret access key"),
              ("session_token_env", settings.session_token_env, "AWS session token"))
    values: dict[str, str] = {}
    for field, name, what in wanted:
        if not name:
            continue
        try:
            value = read_secret_env(name)       # a control character inside is refused
        except SecretFileError as exc:
            raise ConfigError(f"{what}: {exc}", file=config.source,
                              key=f"{key}.{field}") from None
        if not value:
            raise ConfigError(f"{what}: environment variable {name} is not set",
                              fix="export it", file=config.source, key=f"{key}.{field}")
        values[field] = value
    names = [f"${name}" for _, name, _ in wanted if name]
    return Credentials(", ".join(names[:-1]) + " and " + names[-1],
                       values["access_key_id_env"], values["secret_access_key_env"],
                       values.get("session_token_env"))


def _from_file(file: str, profile: str, config: Config, key: str) -> Credentials:
    path = config.resolve_path(file)
    parser = configparser.ConfigParser(interpolation=None)
    if not path.exists():
        raise ConfigError(f"AWS credentials file {path} does not exist",
                          fix=f"write it (INI, section [{profile}] with aws_access_key_id and "
                              f"aws_secret_access_key) or fix the path",
                          file=config.source, key=key)
    try:
        # The bounded reader: /dev/zero, a FIFO or a huge file is one line, not a hang.
        parser.read_string(read_secret_file(path, one_line=False))
    except SecretFileError as exc:
        raise ConfigError(f"AWS credentials file: {exc}", file=config.source,
                          key=key) from None
    except configparser.Error:
        # The parser's message quotes the offending line, which may hold a key: not shown.
        raise ConfigError(f"AWS credentials file {path} is not an INI file",
                          fix=f"write it as ~/.aws/credentials is written: a [{profile}] line, "
                              f"then aws_access_key_id = ... and aws_secret_access_key = ...",
                          file=config.source, key=key) from None
    section = next((s for s in (profile, f"profile {profile}") if parser.has_section(s)), None)
    if section is None:
        raise ConfigError(f"AWS credentials file {path} has no [{profile}] section",
                          fix="add it or set profile", file=config.source, key=key)
    found = parser[section]
    key_id = found.get("aws_access_key_id", "").strip()
    secret = found.get("aws_secret_access_key", "").strip()
    if not key_id or not secret:
        raise ConfigError(f"section [{section}] of {path} needs aws_access_key_id and "
                          f"aws_secret_access_key", fix="add both", file=config.source, key=key)
    token = found.get("aws_session_token", "").strip() or None
    for value in (secret, token):
        remember_secret(value)      # masked in all text from outside from now on
    return Credentials(f"{path} [{section}]", key_id, secret, token)


def s3_client(target: Any, config: Config, *, key: str, timeout: float,
              attempts: int) -> Any:
    """An S3 client for a target (the page's, a certificate's) with its credentials
    (:func:`load_credentials`), region and endpoint, bounded by ``timeout`` per call."""
    import boto3
    import botocore.config

    creds = load_credentials(target, config, key=key)
    kwargs: dict[str, Any] = {}
    if creds.explicit:
        kwargs = {"aws_access_key_id": creds.access_key_id,
                  "aws_secret_access_key": creds.secret_access_key}
        if creds.session_token:
            kwargs["aws_session_token"] = creds.session_token
    session = boto3.Session(profile_name=creds.profile)
    return session.client("s3", region_name=target.region, endpoint_url=target.endpoint_url,
                          config=botocore.config.Config(
                              connect_timeout=timeout, read_timeout=timeout,
                              retries={"max_attempts": attempts, "mode": "standard"}),
                          **kwargs)
