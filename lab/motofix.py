"""Five fixes to moto, so that the lab's Route 53 behaves like the real one.

moto 5.2 refuses a CREATE that is identical to any CREATE in its change
journal, even when the same batch first DELETEs that record set: the check
reads the journal, not the zone, and ignores the batch's own DELETEs. Real
Route 53 applies a batch atomically, and DELETE-then-CREATE in one batch is
its documented way to replace a record set (failover relies on it: the
DELETE must match exactly, which makes it a prerequisite). Unfixed, the third
move between the same two answers fails in the lab and never in production.

Every CREATE gets a mark unique to its batch (moto journals the marked change,
so a constant mark would match the next time), so that moto's journal lookup
does not match it; moto still validates, applies and journals it as usual.

moto 5.2 also appends a CREATE of a record set that exists (with no identical
CREATE journaled) as a second record set of that name and type, where real
Route 53 answers InvalidChangeBatch "... but it already exists". Unfixed, the
fencing token's CREATE (issue 19: a writer that found no fence) would never be
refused in the lab. A CREATE of a record set that exists and that no DELETE
before it in the batch removes is now refused.

moto 5.2 also accepts a DELETE whose values were ever CREATEd (it checks the
journal), where real Route 53 answers InvalidChangeBatch unless the DELETE
matches the record set as it is now, TTL and values included. Unfixed, a
retried batch whose first try was applied, or a write racing another, would
silently succeed in the lab and fail in production. A DELETE is now checked
against the zone's current record sets first (weight included).

moto 5.2 deletes a weighted record set by its SetIdentifier alone, so that
deleting ``www``'s member ``aws`` also deletes ``api``'s member ``aws``.
failover names weighted members after their hostings, so every managed name
shares them. A DELETE with a SetIdentifier now removes only the record set of
that name and type.

moto 5.2 applies a batch change by change and checks some changes (a name
outside the zone, an unknown action) only when it reaches them, so a refused
batch leaves the changes before the bad one applied: a batch with an
out-of-zone name left ``@`` and ``www`` with no record at all. Real Route 53
applies a batch entirely or not at all. The zone's record sets and change
journal are now restored when moto refuses a batch part way.
"""

from __future__ import annotations

import itertools
from typing import Any

_batches = itertools.count(1)


def _key(rrset: dict[str, Any]) -> tuple[str, str, str | None]:
    """A requested record set's identity: name, type and set identifier."""
    return rrset["Name"].rstrip(".").lower(), rrset["Type"], rrset.get("SetIdentifier")


def _held_key(held: Any) -> tuple[str, str, str | None]:
    """The same identity for one of moto's stored RecordSets."""
    return held.name.rstrip(".").lower(), held.type, held.set_identifier


def apply() -> None:
    """Patch moto's Route 53 backend in this process (idempotent)."""
    from moto.route53.models import Route53Backend

    original = Route53Backend.change_resource_record_sets
    if getattr(original, "failover_fixed", False):
        return

    def change_resource_record_sets(self: Any, zoneid: str,
                                    change_list: list[dict[str, Any]]) -> None:
        zone = self.get_hosted_zone(zoneid)
        deletes = [c["ResourceRecordSet"] for c in change_list if c["Action"] == "DELETE"]
        for rrset in deletes:
            _check_delete(zone, rrset)
        weighted = [_key(rrset) for rrset in deletes if "SetIdentifier" in rrset]

        def delete_rrset_by_id(set_identifier: str) -> None:
            # moto calls this once per weighted DELETE, in the batch's order.
            key = weighted.pop(0)
            assert key[2] == set_identifier
            zone.rrsets = [rs for rs in zone.rrsets if _held_key(rs) != key]

        deleted = {_key(rrset) for rrset in deletes}
        held = {_held_key(rs) for rs in zone.rrsets}
        for c in change_list:
            if c["Action"] == "CREATE":
                _check_create(_key(c["ResourceRecordSet"]), held, deleted)
        batch = next(_batches)
        marked = [{**c, "PairedWithDelete": batch} if c["Action"] == "CREATE" else c
                  for c in change_list]
        zone.delete_rrset_by_id = delete_rrset_by_id  # this batch only
        # Record sets are replaced, never changed in place, so shallow copies restore them.
        rrsets, journal = list(zone.rrsets), list(zone.rr_changes)
        try:
            original(self, zoneid, marked)
        except BaseException:
            zone.rrsets = rrsets
            list.__init__(zone.rr_changes, journal)   # moto's ChangeList, emptied and refilled
            raise
        finally:
            del zone.delete_rrset_by_id

    change_resource_record_sets.failover_fixed = True  # type: ignore[attr-defined]
    Route53Backend.change_resource_record_sets = change_resource_record_sets  # type: ignore[method-assign]


def _check_create(key: tuple[str, str, str | None], held: set[tuple[str, str, str | None]],
                  deleted: set[tuple[str, str, str | None]]) -> None:
    """Refuse, as Route 53 does, a CREATE of a record set that exists and stays."""
    from moto.route53.exceptions import Route53ClientError

    if key in held and key not in deleted:
        shown = f"[name='{key[0]}.', type='{key[1]}'" + (
            f", set-identifier='{key[2]}']" if key[2] is not None else "]")
        raise Route53ClientError(
            "InvalidChangeBatch", f"[Tried to create resource record set {shown} but it "
                                  f"already exists]")


def _check_delete(zone: Any, rrset: dict[str, Any]) -> None:
    """Refuse, as Route 53 does, a DELETE that does not match the current record set."""
    from moto.route53.exceptions import Route53ClientError

    key = _key(rrset)
    shown = f"[name='{key[0]}.', type='{key[1]}'" + (
        f", set-identifier='{key[2]}']" if key[2] is not None else "]")
    for held in zone.rrsets:
        if _held_key(held) == key:
            values = sorted(r["Value"] if isinstance(r, dict) else r
                            for r in rrset.get("ResourceRecords", []))
            if (str(held.ttl) == str(rrset.get("TTL")) and sorted(held.records) == values
                    and str(held.weight) == str(rrset.get("Weight"))):
                return
            raise Route53ClientError(
                "InvalidChangeBatch", f"[Tried to delete resource record set {shown} but the "
                                      f"values provided do not match the current values]")
    raise Route53ClientError(
        "InvalidChangeBatch", f"[Tried to delete resource record set {shown} but it was "
                              f"not found]")
