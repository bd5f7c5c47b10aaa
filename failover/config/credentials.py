"""Where a secret comes from, in settings that several sections share.

AWS keys (the control probe, Route 53, Route 53 Domains, S3 backups and S3
page targets) and secret URLs (notify channels, heartbeats, webhook page
targets and SaaS webhook switches). The secrets themselves are never in the
file.
"""

from typing import Self

from pydantic import model_validator

from failover.config.base import Strict


class AwsCredentialSettings(Strict):
    """Where the AWS keys come from; :mod:`failover.awscreds` reads them, first match wins:
    the ``*_env`` variables, then ``credentials_file`` (section ``profile`` or ``default``),
    then ``profile`` alone or the AWS SDK's own chain."""

    profile: str | None = None
    credentials_file: str | None = None
    access_key_id_env: str | None = None
    secret_access_key_env: str | None = None
    # For temporary keys (STS sessions).
    session_token_env: str | None = None

    @model_validator(mode="after")
    def _key_pair(self) -> Self:
        if self.access_key_id_env and (self.credentials_file or self.profile):
            raise ValueError("give the keys one way: access_key_id_env and "
                             "secret_access_key_env, or credentials_file/profile, not both")
        if bool(self.access_key_id_env) != bool(self.secret_access_key_env):
            raise ValueError("give access_key_id_env and secret_access_key_env together")
        if self.session_token_env and not self.access_key_id_env:
            raise ValueError("session_token_env goes with access_key_id_env and "
                             "secret_access_key_env")
        return self


class SecretUrl(Strict):
    """A URL that holds a secret (an apprise URL, a heartbeat or webhook URL): read from an
    environment variable or a file, never written in the config, never shown whole."""

    url_env: str | None = None
    url_file: str | None = None

    @model_validator(mode="after")
    def _one_source(self) -> Self:
        if bool(self.url_env) == bool(self.url_file):
            raise ValueError("give exactly one of url_env or url_file (the URL holds a "
                             "secret, so it is not written in the config)")
        return self

