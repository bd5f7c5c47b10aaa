"""The exit-code table: what every code of every command means, in one place.

README's "Exit codes" section and each command's ``--help`` are drawn from
these rows (a test compares README with :func:`markdown`), so the promise and
the code cannot drift apart.

Reporting commands follow the monitoring-plugin convention, so cron, Nagios
and CI read them alike: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN, where 3 means
only that nothing could be judged. Acting commands use the same 0-3 for
their outcome and add two codes of their own, so a script can tell "the
tool said no, nothing was written" (4) and "someone else is moving, try
again" (5) from a failure. A mistyped command line is 64 (sysexits'
EX_USAGE), never a number a check could also return. ``plan
--detailed-exitcode`` answers Terraform's question instead.
"""

from __future__ import annotations

from typing import NamedTuple

from failover.errors import (
    EXIT_BUSY,
    EXIT_CRITICAL,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_REFUSED,
    EXIT_UNKNOWN,
    EXIT_USAGE,
    EXIT_WARNING,
)

__all__ = ["EXIT_BUSY", "EXIT_CRITICAL", "EXIT_INTERRUPTED", "EXIT_OK", "EXIT_REFUSED",
           "EXIT_UNKNOWN", "EXIT_USAGE", "EXIT_WARNING", "ROWS", "help_line", "markdown"]

# Terraform's `plan -detailed-exitcode`: 2 is "there is something to apply".
PLAN_NO_CHANGES = 0
PLAN_ERROR = 1
PLAN_CHANGES = 2

REPORTING_COMMANDS = ("check", "status", "plan", "reconcile", "watch", "history", "cluster",
                      "audit", "validate", "inventory", "runbook", "drill", "notify test",
                      "page", "delegation plan", "certs status")
ACTING_COMMANDS = ("move", "rollback", "pause", "resume", "reinstate", "delegation move",
                   "delegation rollback", "cluster replace-member", "cluster fence",
                   "certs issue", "certs renew")


class ExitRow(NamedTuple):
    """One code: its name, and what it means for each kind of command."""

    code: int
    name: str
    reporting: str
    acting: str


ROWS: tuple[ExitRow, ...] = (
    ExitRow(EXIT_OK, "OK", "all well", "done and verified"),
    ExitRow(EXIT_WARNING, "WARNING",
            "a warning: a standby served, a DEGRADED hosting, DNS providers that disagree, "
            "a stale backup",
            "done, with a warning: an evacuated vendor's DNS provider failed, a write "
            "not verified in time"),
    ExitRow(EXIT_CRITICAL, "CRITICAL",
            "users are exposed: a DOWN or TERMINATED hosting served, a DNS provider not "
            "answering (to any command), a pinned target DOWN, nothing healthy, a move "
            "needed and not made",
            "failed or partial: DNS may be split (`failover status` says where)"),
    ExitRow(EXIT_UNKNOWN, "UNKNOWN",
            "nothing could be judged: a broken config, no probe or provider answered",
            "nothing done: a broken config, nothing could be read"),
    ExitRow(EXIT_REFUSED, "REFUSED", "-",
            "refused, nothing written: a declined prompt, no terminal and no `--yes`, a "
            "checksum mismatch, an unsafe plan, a DOWN target or a refused rollback "
            "without `--force`"),
    ExitRow(EXIT_BUSY, "BUSY", "-",
            "another move holds the zone's lock (its holder is named): run it again later"),
    ExitRow(EXIT_USAGE, "USAGE", "a mistyped command, option or value (one line says which)",
            "the same"),
    ExitRow(EXIT_INTERRUPTED, "INTERRUPTED", "Ctrl-C",
            "Ctrl-C before anything was written (after a write: the outcome's code)"),
)

PLAN_ROWS: tuple[tuple[int, str], ...] = (
    (PLAN_NO_CHANGES, "no changes: every DNS provider serves the plan already"),
    (PLAN_ERROR, "an error: nothing could be planned"),
    (PLAN_CHANGES, "changes present: `failover move` would write them"),
)

# What a command's --help ends with: short, one line per code.
_HELP_REPORTING = "0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN (nothing judged), 64 usage, 130 Ctrl-C"
_HELP_ACTING = ("0 done, 1 done with a warning, 2 failed or partial, 3 nothing done, "
                "4 refused (nothing written), 5 busy (lock held), 64 usage, 130 Ctrl-C")


def help_line(command: str) -> str:
    """The one-line exit-code summary for a command's --help."""
    body = _HELP_ACTING if command in ACTING_COMMANDS else _HELP_REPORTING
    return f"Exit codes: {body}."


def markdown() -> str:
    """README's exit-code tables, exactly as README holds them."""
    lines = [
        "| code | | reporting: " + ", ".join(f"`{c}`" for c in REPORTING_COMMANDS)
        + " | acting: " + ", ".join(f"`{c}`" for c in ACTING_COMMANDS) + " |",
        "| --- | --- | --- | --- |",
    ]
    lines += [f"| {r.code} | {r.name} | {r.reporting} | {r.acting} |" for r in ROWS]
    lines += ["", "`failover plan --detailed-exitcode`, as Terraform's:", "",
              "| code | meaning |", "| --- | --- |"]
    lines += [f"| {code} | {meaning} |" for code, meaning in PLAN_ROWS]
    return "\n".join(lines) + "\n"
