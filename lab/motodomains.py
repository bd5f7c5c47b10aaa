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
    domain object; the auth code is made once per domain and kept by the server."""
    import json
    import secrets
    import uuid

    from moto.route53domains.responses import Route53DomainsResponse

    codes: dict[str, str] = {}

    def domain(self: Any) -> Any:
        return self.route53domains_backend.get_domain(
            domain_name=self._get_param("DomainName"))

    def retrieve_domain_auth_code(self: Any) -> str:
        name = domain(self).domain_name
        codes.setdefault(name, secrets.token_urlsafe(12))
        return json.dumps({"AuthCode": codes[name]})

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
             "disable_domain_auto_renew": set_renew(False)}
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
