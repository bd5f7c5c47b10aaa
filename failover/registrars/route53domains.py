"""Amazon Route 53 Domains as a registrar: ``UpdateDomainNameservers``.

Route 53 Domains has no conditional update, so the name servers are read
(``GetDomainDetail``) immediately before the update and compared with the plan's
``before``; a difference refuses the write. The update is an asynchronous
operation at the registry: it is polled (``GetOperationDetail``) until
``SUCCESSFUL`` and then read back. Route 53 Domains answers in us-east-1 only.
Credentials as for the ``route53`` DNS provider (:mod:`failover.awscreds`).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from failover.awscreds import load_credentials
from failover.config import Config, Route53DomainsRegistrar
from failover.errors import (
    ConfigError,
    ProviderAuthError,
    ProviderConflict,
    ProviderError,
    ProviderUnreachable,
)
from failover.registrars.base import MAX_STATUS, Readiness, Registrar, ns_name
from failover.untrusted import clean, remember_secret

OPERATION_TIMEOUT = 120.0
# The EPP status a transfer lock sets (RFC 5731), in GetDomainDetail's StatusList.
TRANSFER_LOCK = "clientTransferProhibited"
AUTH_CODES = frozenset({"AccessDenied", "AccessDeniedException", "InvalidClientTokenId",
                        "UnrecognizedClientException", "SignatureDoesNotMatch",
                        "ExpiredToken", "ExpiredTokenException"})


class Route53Domains(Registrar):
    kind = "route53domains"

    def __init__(self, name: str, settings: Route53DomainsRegistrar, config: Config) -> None:
        super().__init__(name, config.zone)
        self.settings = settings
        self.domain = (settings.domain or config.zone).rstrip(".")
        self.credentials = load_credentials(settings, config,
                                            key=f"delegation.registrars.{name}")
        self._client: Any = None

    @property
    def label(self) -> str:
        return f"{self.name} (Route 53 Domains, {self.domain})"

    @property
    def client(self) -> Any:
        if self._client is None:
            import botocore.config
            import botocore.exceptions
            import botocore.session

            creds = self.credentials
            try:
                session = (botocore.session.Session(
                    session_vars={"profile": (None, None, None, None)}) if creds.explicit
                    else botocore.session.Session(profile=creds.profile))
                self._client = session.create_client(
                    "route53domains", region_name=self.settings.region,
                    endpoint_url=self.settings.endpoint_url,
                    config=botocore.config.Config(connect_timeout=self.settings.timeout,
                                                  read_timeout=self.settings.timeout,
                                                  retries={"mode": "standard",
                                                           "max_attempts": 3}),
                    aws_access_key_id=creds.access_key_id,
                    aws_secret_access_key=creds.secret_access_key,
                    aws_session_token=creds.session_token)
            except botocore.exceptions.ProfileNotFound:
                raise ConfigError(f"AWS profile '{creds.profile}' not found",
                                  key=f"delegation.registrars.{self.name}.profile") from None
        return self._client

    def _call(self, what: str, **kwargs: Any) -> Any:
        import botocore.exceptions

        try:
            return getattr(self.client, what)(**kwargs)
        except botocore.exceptions.ClientError as exc:
            error = exc.response.get("Error", {})
            code, message = str(error.get("Code", "?")), str(error.get("Message", ""))
            if code in AUTH_CODES:
                raise ProviderAuthError(self.name, f"{what}: Route 53 Domains refused our "
                                                   f"credentials ({code}); check "
                                                   f"{self.credentials.source}") from None
            raise ProviderError(self.name, f"{what}: {clean(code)}: {clean(message)}") from None
        except botocore.exceptions.NoCredentialsError:
            raise ProviderAuthError(self.name, f"{what}: no AWS credentials found in "
                                               f"{self.credentials.source}") from None
        except botocore.exceptions.BotoCoreError as exc:
            raise ProviderUnreachable(self.name, f"{what}: {clean(exc)}") from None

    def read(self) -> list[str]:
        return sorted(self._read_glue())

    def _read_glue(self) -> dict[str, list[str]]:
        """Each name server with its glue addresses (in-domain names need them)."""
        detail = self._call("get_domain_detail", DomainName=self.domain)
        return {ns_name(n["Name"]): list(n.get("GlueIps") or [])
                for n in detail.get("Nameservers") or []}

    def write(self, before: Sequence[str], after: Sequence[str]) -> None:
        glue = self._read_glue()
        held = sorted(glue)
        if held != sorted(before):
            raise ProviderConflict(self.name, f"the name servers of {self.domain} changed "
                                              f"since the plan: now {', '.join(held)} "
                                              f"(nothing was sent)")
        servers: list[dict[str, Any]] = []
        for n in after:
            entry: dict[str, Any] = {"Name": n.rstrip(".")}
            if glue.get(n):
                entry["GlueIps"] = glue[n]  # kept as the registry had them
            servers.append(entry)
        answer = self._call("update_domain_nameservers", DomainName=self.domain,
                            Nameservers=servers)
        operation = answer.get("OperationId")
        deadline = time.monotonic() + OPERATION_TIMEOUT
        delay = 0.2
        while operation:
            status = str(self._call("get_operation_detail",
                                    OperationId=operation).get("Status", ""))
            if status == "SUCCESSFUL":
                return
            if status in ("ERROR", "FAILED"):
                raise ProviderError(self.name, f"UpdateDomainNameservers operation "
                                               f"{operation} ended {status}")
            if time.monotonic() > deadline:
                raise ProviderError(self.name, f"UpdateDomainNameservers operation {operation} "
                                               f"still {status} after "
                                               f"{OPERATION_TIMEOUT:g}s; it may still finish")
            time.sleep(delay)
            delay = min(2.0, delay * 2)

    def readiness(self) -> Readiness:
        """GetDomainDetail (its StatusList, expiry, auto-renew, privacy) and
        RetrieveDomainAuthCode (only whether it answers: the code is dropped at once)."""
        detail = self._call("get_domain_detail", DomainName=self.domain)
        # The registry's own words: bounded in number and length, cleaned (untrusted).
        status = tuple(clean(s, 60) for s in list(detail.get("StatusList") or [])[:MAX_STATUS])
        expires = detail.get("ExpirationDate")
        if hasattr(expires, "timestamp"):
            expires = expires.timestamp()
        privacy = [detail.get(k) for k in ("AdminPrivacy", "RegistrantPrivacy", "TechPrivacy")]
        auth, auth_error = True, None
        try:
            code = self._call("retrieve_domain_auth_code", DomainName=self.domain)
            # Never kept, but masked from here on should any library echo it in a log.
            remember_secret(str(code.get("AuthCode") or ""))
        except ProviderError as exc:
            auth, auth_error = False, str(exc)
        return Readiness(self.domain, transfer_lock=TRANSFER_LOCK in status,
                         expires=float(expires) if expires is not None else None,
                         auto_renew=detail.get("AutoRenew") is True, auth_code=auth,
                         auth_code_error=auth_error,
                         privacy=all(p is True for p in privacy), status=status)

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None
