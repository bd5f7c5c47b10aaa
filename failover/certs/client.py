"""One ACME CA through the ``acme`` package: the account (its key kept 0600 beside the
journal), an order's DNS-01 challenges, and finalization.

The ``acme`` package signs every request (JWS) and speaks RFC 8555; this module only
chooses what to ask. Errors from the CA (problem documents, TLS, timeouts) come back as
one clean line (:class:`CertError`), never the CA's raw text.
"""

from __future__ import annotations

import datetime
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from failover.config import Config
from failover.config.certs import CertAuthority, ExternalAccountBinding
from failover.config.secretfile import SecretFileError, read_secret_env, read_secret_file
from failover.errors import CertError, ConfigError
from failover.untrusted import clean

if TYPE_CHECKING:
    from acme import client as acme_client
    from acme import messages

# A secret file is a line of base64 or a key id: anything much longer is not one.
MAX_SECRET_BYTES = 4096
USER_AGENT = "failover-certs"


@dataclass(frozen=True)
class Challenge:
    """One name's DNS-01 challenge: the TXT record to serve, and what to answer the CA."""

    name: str          # the identifier, e.g. www.example.org
    record: str        # _acme-challenge.www.example.org. (absolute)
    value: str         # the TXT value (base64url of the key authorization's digest)
    body: Any          # the acme ChallengeBody, to answer


def _secret(config: Config, env: str | None, file: str | None, what: str) -> str:
    """A secret from its environment variable or file, through the one bounded reader
    (failover.config.secretfile); never shown."""
    try:
        if env:
            value = read_secret_env(env)
            if not value:
                raise ConfigError(f"{what}: environment variable {env} is not set")
            return value
        assert file is not None
        return read_secret_file(config.resolve_path(file), limit=MAX_SECRET_BYTES)
    except SecretFileError as exc:
        raise ConfigError(f"{what}: {exc}") from None


def eab_credentials(config: Config, ca: str, eab: ExternalAccountBinding) -> tuple[str, str]:
    """(key id, HMAC key) of a CA's External Account Binding."""
    kid = _secret(config, eab.kid_env, eab.kid_file, f"certs.cas.{ca}.eab key id")
    hmac = _secret(config, eab.hmac_env, eab.hmac_file, f"certs.cas.{ca}.eab HMAC key")
    return kid, hmac


def account_key_path(config: Config, ca: str) -> Path:
    """Where the account key for ``ca`` is kept: beside the journal, mode 0600."""
    return config.journal_path().parent / "acme" / f"{ca}.key.pem"


def _account_key(path: Path) -> Any:
    """The account's private key (EC P-256), made and kept 0600 on first use."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    try:
        return serialization.load_pem_private_key(path.read_bytes(), None)
    except FileNotFoundError:
        pass
    except (OSError, ValueError) as exc:
        raise CertError(f"the ACME account key {path} is unreadable ({type(exc).__name__}); "
                        "move it away to make a new account") from None
    key = ec.generate_private_key(ec.SECP256R1())
    path.parent.mkdir(parents=True, exist_ok=True)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(pem)
    return key


def problem(ca: str, exc: BaseException) -> CertError:
    """A foreign error from talking to a CA as one clean line naming the CA."""
    from acme import errors as acme_errors
    from acme import messages

    if isinstance(exc, messages.Error):
        said = exc.detail or exc.description or exc.code or "error"
        return CertError(f"CA {ca} refused: {clean(exc.code or '')}: {clean(said)}")
    if isinstance(exc, acme_errors.ValidationError):
        reasons = []
        for authzr in exc.failed_authzrs:
            for chall in authzr.body.challenges:
                if chall.error is not None:
                    reasons.append(f"{authzr.body.identifier.value}: "
                                   f"{chall.error.detail or chall.error.code}")
        return CertError(f"CA {ca} did not validate: {clean('; '.join(reasons) or exc)}")
    if isinstance(exc, acme_errors.TimeoutError):
        return CertError(f"CA {ca} did not finish within its deadline "
                         f"(certs.cas.{ca}.deadline)")
    import requests

    if isinstance(exc, requests.exceptions.SSLError):
        return CertError(f"CA {ca}: its HTTPS certificate is not trusted (certs.cas.{ca}."
                         "ca_bundle names the roots to trust)")
    if isinstance(exc, requests.exceptions.ConnectionError):
        refused = "refused" in str(exc).lower()
        return CertError(f"CA {ca}: cannot connect to its directory"
                         + (" (connection refused)" if refused else ""))
    if isinstance(exc, requests.exceptions.Timeout):
        return CertError(f"CA {ca}: no answer within certs.cas.{ca}.timeout")
    return CertError(f"CA {ca}: {type(exc).__name__}: {clean(exc)}")


class Account:
    """Our account at one CA, ready to order."""

    def __init__(self, config: Config, ca: str) -> None:
        self.config = config
        self.ca = ca
        self.spec: CertAuthority = config.certs.cas[ca] if config.certs else _no_ca(ca)
        self._client: acme_client.ClientV2 | None = None
        self._key: Any = None

    def connect(self) -> acme_client.ClientV2:
        """Fetch the directory and register (or find) our account."""
        import josepy as jose
        from acme import client as acme_client
        from acme import errors as acme_errors
        from acme import messages

        key = _account_key(account_key_path(self.config, self.ca))
        self._key = jose.JWKEC(key=key)
        # requests takes a CA bundle's path where acme's type says bool.
        verify = cast(bool, str(self.config.resolve_path(self.spec.ca_bundle))
                      if self.spec.ca_bundle else True)
        net = acme_client.ClientNetwork(self._key, alg=jose.ES256, verify_ssl=verify,
                                        user_agent=USER_AGENT,
                                        timeout=max(1, int(self.spec.timeout)))
        try:
            directory = acme_client.ClientV2.get_directory(self.spec.directory, net)
            client = acme_client.ClientV2(directory, net)
            eab = None
            if self.spec.eab is not None:
                kid, hmac = eab_credentials(self.config, self.ca, self.spec.eab)
                eab = messages.ExternalAccountBinding.from_data(
                    account_public_key=self._key.public_key(), kid=kid, hmac_key=hmac,
                    directory=directory)
            contact = (self.spec.contact,) if self.spec.contact else ()
            reg = messages.NewRegistration(contact=contact, terms_of_service_agreed=True,
                                           external_account_binding=eab)
            try:
                client.new_account(reg)
            except acme_errors.ConflictError as exc:  # the key already has an account
                net.account = messages.RegistrationResource(uri=exc.location,
                                                            body=messages.Registration())
        except (ConfigError, CertError):
            raise
        except Exception as exc:
            raise problem(self.ca, exc) from None
        self._client = client
        return client

    def order(self, names: list[str]) -> tuple[Any, bytes, list[Challenge]]:
        """A new order for ``names`` with a fresh key: (order, key PEM, pending challenges)."""
        from acme import challenges, crypto_util, messages
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import ec

        client = self._client or self.connect()
        key = ec.generate_private_key(ec.SECP256R1())
        key_pem = key.private_bytes(serialization.Encoding.PEM,
                                    serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption())
        csr = crypto_util.make_csr(key_pem, names)
        try:
            order = client.new_order(csr)
        except Exception as exc:
            raise problem(self.ca, exc) from None
        pending: list[Challenge] = []
        for authz in order.authorizations:
            if authz.body.status == messages.STATUS_VALID:
                continue  # the CA remembers a recent validation of this name
            dns01 = [c for c in authz.body.challenges if isinstance(c.chall, challenges.DNS01)]
            if not dns01:
                raise CertError(f"CA {self.ca} offers no DNS-01 challenge for "
                                f"{clean(authz.body.identifier.value)}")
            body = dns01[0]
            ident = str(authz.body.identifier.value)
            pending.append(Challenge(ident, body.chall.validation_domain_name(ident).lower()
                                     + ".", body.chall.validation(self._key), body))
        return order, key_pem, pending

    def answer(self, pending: list[Challenge]) -> None:
        """Tell the CA to validate: only once every authority serves every token."""
        client = self._client or self.connect()
        try:
            for c in pending:
                client.answer_challenge(c.body, c.body.chall.response(self._key))
        except Exception as exc:
            raise problem(self.ca, exc) from None

    def finalize(self, order: messages.OrderResource) -> str:
        """Wait for validation and issuance; the full chain (PEM)."""
        client = self._client or self.connect()
        deadline = (datetime.datetime.now()
                    + datetime.timedelta(seconds=self.spec.deadline))
        try:
            done = client.poll_and_finalize(order, deadline)
        except Exception as exc:
            raise problem(self.ca, exc) from None
        return str(done.fullchain_pem)

    def close(self) -> None:
        if self._client is not None:
            self._client.net.session.close()


def _no_ca(ca: str) -> CertAuthority:
    raise ConfigError(f"--ca {ca}: the config has no certs: section; add certs.cas")
