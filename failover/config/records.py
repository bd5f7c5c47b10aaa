"""Managed records: the names and types whose answers failover owns."""

from typing import Annotated, Any, Literal, NamedTuple

from pydantic import AfterValidator, BeforeValidator, Field

from failover.config.base import dns_name

# DNS TTLs are 32-bit with the top bit clear (RFC 2181 section 8).
MAX_TTL = 2**31 - 1
# The fencing token's owner name (failover.dns.fence, a layer above): failover writes a
# TXT there on every move, which a managed record of that name would collide with.
FENCE_LABEL = "_failover-fence"


def _not_the_fence(name: str) -> str:
    if name.split(".", 1)[0].lower() == FENCE_LABEL:
        raise ValueError(f"'{name}' is where failover keeps its fencing token (a TXT it "
                         f"writes on every move); manage another name")
    return name


class ManagedRecord(NamedTuple):
    """A managed record. A tuple, not a model: a config may list 10,000 of them, and
    a model cost 470 bytes each (issue 13). Pydantic validates it from a mapping all
    the same, unknown keys refused; a list in its place is refused by
    :func:`_record_mapping`, so no positional form creeps in."""

    # Relative to the zone (www, @) or absolute under it; IDN labels are kept in
    # their xn-- form, the form providers store and servers answer with.
    name: Annotated[str, AfterValidator(dns_name), AfterValidator(_not_the_fence)]
    type: Literal["A", "AAAA", "CNAME"] = "A"
    ttl: Annotated[int | None, Field(ge=0, le=MAX_TTL)] = None


def _record_mapping(value: Any) -> Any:
    if not isinstance(value, dict):
        raise ValueError("a record is a mapping such as {name: www, type: A}")
    return value


# One entry of ``records:``; the mapping check runs before the tuple is built.
RecordEntry = Annotated[ManagedRecord, BeforeValidator(_record_mapping)]

# A plan holds every managed record's before and after at every DNS provider: 370,000
# records took 978 MB to plan (issue 21). Far above one service's names.
MAX_RECORDS = 50_000


def _not_too_many(value: Any) -> Any:
    """Counted before any record is validated, so a huge list costs no time either."""
    if isinstance(value, list) and len(value) > MAX_RECORDS:
        raise ValueError(f"{len(value):,} managed records; at most {MAX_RECORDS:,} (a plan "
                         "holds each at every DNS provider): split the service into "
                         "several configs")
    return value


RecordList = Annotated[list[RecordEntry], BeforeValidator(_not_too_many)]
