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
