"""The SaaS register: dependencies (sms, auth, support, ...) bought from vendors.

- :mod:`.probe`: per provider, is *our* account alive (the control-plane kinds of
  :mod:`failover.control`) and does its service answer (an optional data probe); a
  provider whose account is refused while its service fails (or has no data probe) is
  TERMINATED, and its vendor is marked so in the journal, as for hostings;
- :mod:`.switch`: which provider each dependency uses now, which it should use (off a
  vendor being evacuated or terminated, or the operator's ``--saas DEP --to PROVIDER``),
  and the switch itself: a TXT or CNAME record planned, written, verified, journaled and
  rolled back with the hosting records, or a webhook to the application;
- :mod:`.report`: a row per dependency for ``check``, the page and the runbook.
"""
