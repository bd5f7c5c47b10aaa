"""The "Examples" block at the end of every command's --help, as kubectl has.

One place for all of them, so that they read alike and a test can check that
no command lacks one. Each is a few lines a user can paste; ``#`` says what
the line does. Every command ends with its exit codes: those that write DNS in
full (below), the others with their line of failover/exitcodes.py's table.
"""

from __future__ import annotations

EXAMPLES: dict[str, list[str]] = {
    "failover": [
        "failover validate -c failover.yaml   # is the config sound?",
        "failover check                       # probe every hosting",
        "failover plan --off aws              # what moving off aws would change",
        "failover move --off aws --yes        # do it: write, verify, journal",
        "failover rollback --yes              # undo the last move",
    ],
    "validate": [
        "failover validate",
        "failover validate -c prod.yaml --format json",
    ],
    "check": [
        "failover check",
        "failover check --format json > report.json",
        "failover check --format prometheus > /var/lib/node_exporter/failover.prom",
    ],
    "plan": [
        "failover plan                        # what the policy would serve now",
        "failover plan --off aws              # every hosting at vendor aws out",
        "failover plan --to gcp-euw1          # exactly this hosting",
    ],
    "move": [
        "failover move --off aws              # shows the plan, asks, writes",
        "failover move --off aws --dry-run    # the plan only",
        "failover plan --off aws              # review it; then apply exactly it:",
        "failover move --off aws --yes --checksum 3f9a0c2d1b7e",
    ],
    "rollback": [
        "failover history                     # find the move's ID",
        "failover rollback --dry-run          # what undoing the newest move writes",
        "failover rollback 12 --dry-run       # review it; then apply exactly it:",
        "failover rollback 12 --yes --checksum 9b1e4f0a7c2d",
    ],
    "status": [
        "failover status",
        "failover status --format json",
    ],
    "history": [
        "failover history --limit 5",
        "failover history 12                  # one move: its steps, verifications",
    ],
    "reconcile": [
        "failover reconcile                   # check, decide; move if auto_move",
        "failover reconcile --no-auto-move    # say what it would do, move nothing",
    ],
    "watch": [
        "failover watch                       # every 'interval' until Ctrl-C",
        "failover watch --interval 30s --format json",
    ],
    "reinstate": [
        "failover reinstate aws               # trust vendor aws again",
    ],
    "inventory": [
        "failover inventory",
        "failover inventory --output failover.resolved.yaml",
    ],
    "drill": [
        "failover drill --vendor aws --simulate               # touches nothing",
        "failover drill --vendor aws --simulate --apply --yes # move, roll back",
        "failover drill --vendor aws --lab /tmp/lab           # really stop aws",
        "failover drill --ca pebble-a --refuse --lab /tmp/lab # a CA refuses",
    ],
    "runbook": [
        "failover runbook --output RUNBOOK.md",
        "failover runbook --vendor aws",
    ],
    "pause": [
        "failover pause --reason 'DB migration until 14:00'",
    ],
    "resume": [
        "failover resume",
    ],
    "cluster": [
        "failover cluster",
        "failover cluster --format json",
    ],
    "cluster fence": [
        "failover cluster fence",
        "failover cluster fence --reset --yes   # only after etcd was rebuilt",
    ],
    "cluster replace-member": [
        "failover cluster replace-member gcp --dry-run --peer-url https://gcp:2380",
        "failover cluster replace-member gcp --peer-url https://gcp:2380",
    ],
    "audit": [
        "failover audit",
        "failover audit --stacks infra/ --format json",
    ],
    "page": [
        "failover page --out /var/www/status            # public: no addresses",
        "failover page --out site --audience internal   # all, with the drill",
        "failover page --publish                        # to the page: targets too",
    ],
    "delegation": [
        "failover delegation plan --off aws",
        "failover delegation move --off aws",
        "failover delegation rollback --dry-run",
    ],
    "delegation plan": [
        "failover delegation plan --off aws   # NS sets without aws's servers",
    ],
    "delegation move": [
        "failover delegation move --off aws --dry-run",
        "failover delegation move --off aws --yes --checksum 5d2c8e1f0a9b",
    ],
    "delegation rollback": [
        "failover delegation rollback --dry-run",
        "failover delegation rollback --yes",
    ],
    "certs": [
        "failover certs issue --ca pebble-b",
        "failover certs renew",
        "failover certs status",
    ],
    "certs issue": [
        "failover certs issue                      # standby CA, every managed name",
        "failover certs issue --ca zerossl --name www --dry-run",
    ],
    "certs renew": [
        "failover certs renew   # whatever is under certs.min_days, from its own CA",
    ],
    "certs status": [
        "failover certs status --format json",
    ],
    "notify": [
        "failover notify test",
    ],
    "notify test": [
        "failover notify test",
    ],
}

# Exit codes of the commands that write DNS, in full, for the end of their help; every
# other command ends with its line of the one table (failover/exitcodes.py).
EXIT_CODES: dict[str, list[str]] = {
    "move": [
        "0  written and verified at every DNS provider; a dry run; nothing to change",
        "1  written, but a provider failed or was unreachable and was tolerated",
        "2  partly written, not verified or failed (see 'failover status'); no DNS",
        "   provider reachable; or nowhere healthy to move to",
        "3  nothing done: a broken config, nothing could be read",
        "4  refused, nothing written: declined at the prompt; no terminal and no",
        "   --yes; --checksum does not match; the plan changes too much, or --to",
        "   names a DOWN or TERMINATED hosting, without --force",
        "5  another move holds the zone's lock (its holder is named): run it later",
        "64 usage: a mistyped command, option or value (one line says which)",
        "130 Ctrl-C before anything was written (after a write: the outcome's code)",
    ],
    "rollback": [
        "0  the before-images are served again at every DNS provider; or a dry run",
        "1  restored, but a provider failed or was unreachable and was tolerated",
        "2  partly restored, not verified or failed (see 'failover status'); no DNS",
        "   provider reachable",
        "3  nothing done: a broken config, nothing to roll back",
        "4  refused, nothing written: declined at the prompt; --checksum does not",
        "   match; without --force, a DOWN or TERMINATED hosting or changed records",
        "5  another move holds the zone's lock (its holder is named): run it later",
        "64 usage: a mistyped command, option or value (one line says which)",
        "130 Ctrl-C before anything was written (after a write: the outcome's code)",
    ],
}


def _exit_line(command: str) -> list[str]:
    """The command's line of the one exit-code table, wrapped for an 80-column help."""
    import textwrap

    from failover.exitcodes import ACTING_COMMANDS, REPORTING_COMMANDS, help_line

    if command not in (*REPORTING_COMMANDS, *ACTING_COMMANDS):
        return []
    return textwrap.wrap(help_line(command).removeprefix("Exit codes: "), 74)


def epilog(command: str) -> str | None:
    """The help's closing block for ``command``: its examples, and its exit codes if any.

    Each block starts with click's no-rewrap marker (a line holding only \\b), so the
    lines stay as written.
    """
    blocks = []
    if command in EXAMPLES:
        blocks.append("\b\nExamples:\n" + "\n".join(f"  {line}" for line in EXAMPLES[command]))
    codes = EXIT_CODES.get(command) or _exit_line(command)
    if codes:
        blocks.append("\b\nExit codes:\n" + "\n".join(f"  {line}" for line in codes))
    return "\n\n".join(blocks) or None
