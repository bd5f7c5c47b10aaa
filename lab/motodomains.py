"""Route 53 Domains in the lab's moto: the lab's domain, example.test, can be registered.

Route 53 Domains sells no .test domain (RFC 2606 reserves .test for testing) and moto
checks its list of supported TLDs, so the lab adds ``test`` to moto's list before moto
serves. moto 5.2 also refuses a second UpdateDomainNameservers for a domain forever
(DuplicateRequest), because it counts finished operations as in progress; Route 53
Domains refuses only while one is in progress, so the lab counts only those. Everything
else (contacts, glue for in-domain name servers, operations) is
moto's own validation. ``register`` registers the domain with the name servers the
parent lists, glue included, for ``failover delegation``'s route53domains registrar.
"""

from __future__ import annotations

from typing import Any

CONTACT = {"FirstName": "Lab", "LastName": "Operator", "ContactType": "PERSON",
           "OrganizationName": "failover lab", "AddressLine1": "1 Loopback Road",
           "City": "Localhost", "State": "WA", "CountryCode": "US", "ZipCode": "98101",
           "PhoneNumber": "+1.5555550100", "Email": "lab@example.test"}


FINISHED = ("SUCCESSFUL", "FAILED", "ERROR")


def allow_lab_tld() -> None:
    """Both fixes above, applied to moto's modules before it serves."""
    import moto.route53domains.models as models
    import moto.route53domains.validators as validators
    from moto.route53domains.exceptions import DuplicateRequestException

    if "test" not in validators.AWS_SUPPORTED_TLDS:
        validators.AWS_SUPPORTED_TLDS = (  # type: ignore[assignment]
            *validators.AWS_SUPPORTED_TLDS, "test")

    def only_running(self: Any, requested: Any) -> None:
        for operation in self._Route53DomainsBackend__operations.values():
            if (operation.domain_name == requested.domain_name
                    and operation.type == requested.type and operation.status not in FINISHED):
                raise DuplicateRequestException()

    # The name moto's private method has once Python mangles it.
    models.Route53DomainsBackend._Route53DomainsBackend__validate_duplicate_operations = (  # type: ignore[attr-defined]
        only_running)
    _registration_calls()


LOCK = "clientTransferProhibited"  # the EPP status a transfer lock sets (RFC 5731)


def _registration_calls() -> None:
    """Route 53 Domains calls moto 5.2 lacks, as AWS documents them: RetrieveDomainAuthCode,
    Enable/DisableDomainTransferLock (the EPP status clientTransferProhibited in
    GetDomainDetail's StatusList) and Enable/DisableDomainAutoRenew. State is moto's own
    domain object (the auth code too, made on the first call: a domain deleted and
    registered again is a new registration, with a new code and nothing refused).

    And one call no registrar has, ``LabSetRegistration`` (see :func:`set_registration`),
    for what a test needs the registry to say that no Route 53 Domains call can make it
    say: an expiry under a year away (RegisterDomain takes whole years, at least one), a
    StatusList of its choosing (hostile text included), and RetrieveDomainAuthCode
    refused with an error of its choosing."""
    import json
    import secrets
    import uuid
    from datetime import UTC, datetime

    from moto.core.exceptions import JsonRESTError
    from moto.route53domains.responses import Route53DomainsResponse

    def domain(self: Any) -> Any:
        return self.route53domains_backend.get_domain(
            domain_name=self._get_param("DomainName"))

    def retrieve_domain_auth_code(self: Any) -> str:
        d = domain(self)
        if getattr(d, "lab_refusal", None):
            raise JsonRESTError(*d.lab_refusal)
        if not getattr(d, "lab_auth_code", None):
            d.lab_auth_code = secrets.token_urlsafe(12)
        return json.dumps({"AuthCode": d.lab_auth_code})

    def lab_set_registration(self: Any) -> str:
        d = domain(self)
        expires = self._get_param("ExpirationDate")
        if expires is not None:
            d.expiration_date = datetime.fromtimestamp(float(expires), UTC)
        status = self._get_param("StatusList")
        if status is not None:
            d.status_list = list(status)
        refuse = self._get_param("RefuseAuthCode")
        if refuse is not None:
            d.lab_refusal = (str(refuse["Code"]), str(refuse["Message"])) if refuse else None
        return "{}"

    def set_lock(on: bool) -> Any:
        def call(self: Any) -> str:
            d = domain(self)
            d.status_list = [s for s in d.status_list if s != LOCK] + ([LOCK] if on else [])
            return json.dumps({"OperationId": str(uuid.uuid4())})
        return call

    def set_renew(on: bool) -> Any:
        def call(self: Any) -> str:
            domain(self).auto_renew = on
            return "{}"
        return call

    calls = {"retrieve_domain_auth_code": retrieve_domain_auth_code,
             "enable_domain_transfer_lock": set_lock(True),
             "disable_domain_transfer_lock": set_lock(False),
             "enable_domain_auto_renew": set_renew(True),
             "disable_domain_auto_renew": set_renew(False),
             "lab_set_registration": lab_set_registration}
    for name, call in calls.items():
        if not hasattr(Route53DomainsResponse, name):
            setattr(Route53DomainsResponse, name, call)


def register(client: Any, domain: str, name_servers: list[str], glue: dict[str, str]) -> None:
    """Register ``domain`` and point it at ``name_servers`` (``glue``: in-domain name ->
    address)."""
    # Two years: moto 5.2 refuses one (its own expiry lands a moment short of a year).
    client.register_domain(DomainName=domain, DurationInYears=2, AdminContact=CONTACT,
                           RegistrantContact=CONTACT, TechContact=CONTACT)
    servers = []
    for name in name_servers:
        entry: dict[str, Any] = {"Name": name.rstrip(".")}
        if name in glue:
            entry["GlueIps"] = [glue[name]]
        servers.append(entry)
    client.update_domain_nameservers(DomainName=domain, Nameservers=servers)
    # Locked, as a registrar leaves a new domain (and as it should stay).
    client.enable_domain_transfer_lock(DomainName=domain)


def set_registration(endpoint: str, domain: str, *, expires: float | None = None,
                     status: list[str] | None = None,
                     refuse_auth_code: tuple[str, str] | None = None,
                     allow_auth_code: bool = False) -> None:
    """Make the lab's registry say, of ``domain``: ``expires`` (POSIX seconds), ``status``
    (GetDomainDetail's StatusList), ``refuse_auth_code`` ((code, message) RetrieveDomainAuthCode
    answers with, HTTP 400) until ``allow_auth_code``. A signed JSON request, as botocore
    sends one, to moto's Route 53 Domains, for the call :func:`allow_lab_tld` adds."""
    import json
    import urllib.request

    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    from lab.aws import KEY, REGION

    body: dict[str, Any] = {"DomainName": domain}
    if expires is not None:
        body["ExpirationDate"] = expires
    if status is not None:
        body["StatusList"] = status
    if refuse_auth_code is not None:
        body["RefuseAuthCode"] = {"Code": refuse_auth_code[0], "Message": refuse_auth_code[1]}
    elif allow_auth_code:
        body["RefuseAuthCode"] = {}
    payload = json.dumps(body).encode()
    request = AWSRequest("POST", endpoint.rstrip("/") + "/", data=payload, headers={
        "X-Amz-Target": "Route53Domains_v20140515.LabSetRegistration",
        "Content-Type": "application/x-amz-json-1.1"})
    SigV4Auth(Credentials(KEY, KEY), "route53domains", REGION).add_auth(request)
    prepared = request.prepare()
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(urllib.request.Request(prepared.url, data=payload,
                                            headers=dict(prepared.headers),
                                            method="POST"), timeout=10) as answer:
        answer.read()
