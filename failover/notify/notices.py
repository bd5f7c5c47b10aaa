"""The notices failover sends, as plain data: a kind, a severity, a title and a body.

Each builder takes what an event carries (a plan and its move result, a verdict,
a cycle's sentence, a drill's end) and says it in a few lines that read well in a
mail, a chat message or a phone notification. Nothing here holds a secret.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from failover.events import DrillEnded
    from failover.move import MoveResult
    from failover.plan import Plan

Severity = Literal["info", "success", "warning", "failure"]


@dataclass(frozen=True)
class Notice:
    kind: str                 # move | rollback | terminated | blocked | coordination | drill | test
    severity: Severity
    title: str
    body: str
    move_id: int | None = None


def move_notice(service: str, plan: Plan, result: MoveResult) -> Notice:
    """A move or rollback: what was decided, what changed where, and how it ended."""
    ok = result.state == "done" and result.exit_code == 0
    severity: Severity = "success" if ok else "warning" if result.state == "done" else "failure"
    serve = ", ".join(plan.decision.serve) or "the before-images"
    title = (f"[{service}] {result.kind} {result.move_id} {result.state}: now serving {serve}"
             if result.kind == "move" else
             f"[{service}] {result.kind} {result.move_id} {result.state}")
    counts = plan.counts()
    lines = [f"Why: {plan.decision.reason}",
             f"Plan {plan.checksum}: {counts['update']} to update, {counts['create']} to "
             f"create, {counts['delete']} to delete at {len(plan.providers)} DNS providers",
             f"Outcome: {result.summary}"]
    for step in result.steps:
        verified = ("verified" if step.verified else
                    "not verified" if step.written else "not written")
        lines.append(f"- {step.provider} ({step.vendor}): {step.state}, {verified}"
                     + (f": {step.error}" if step.error else ""))
    if result.kind == "move" and result.state != "failed":
        lines.append(f"Undo with: failover rollback {result.move_id}")
    return Notice(result.kind, severity, title, "\n".join(lines), result.move_id)


def terminated_notice(service: str, vendor: str, hostings: list[str], reason: str) -> Notice:
    return Notice("terminated", "failure",
                  f"[{service}] vendor {vendor} TERMINATED our account",
                  f"Hostings {', '.join(hostings) or '(none)'} at {vendor} are judged "
                  f"TERMINATED: {reason}\nfailover will not serve {vendor} again until "
                  f"'failover reinstate {vendor}'.")


def blocked_notice(service: str, sentence: str) -> Notice:
    """A cycle that needs a move it may not make (auto_move off, an unsafe plan, a lock)."""
    return Notice("blocked", "failure", f"[{service}] a move is needed and was not made",
                  sentence + "\nReview with 'failover plan', apply with 'failover move'.")


def coordination_notice(service: str, detail: str) -> Notice:
    """The watchers lost their coordination (etcd quorum): no automatic move until it is back."""
    return Notice("coordination", "failure", f"[{service}] watchers lost coordination",
                  f"{detail}\nNo automatic move until coordination is back; a person can "
                  "still move with --break-glass.")


def drill_notice(service: str, drill: DrillEnded) -> Notice:
    """A drill that failed (one that passed is in the journal and its report)."""
    body = [drill.sentence or f"drill of {drill.vendor} {drill.outcome}"]
    if drill.failed:
        body.append("Failed phases: " + ", ".join(drill.failed))
    body += [f"Problem: {e}" for e in drill.errors]
    return Notice("drill", "failure", f"[{service}] drill of vendor {drill.vendor} FAILED",
                  "\n".join(body))


def trial_notice(service: str) -> Notice:
    return Notice("test", "info", f"[{service}] failover test notice",
                  "A test from 'failover notify test': this channel delivers.")


def channel_failed_notice(service: str, failures: list[tuple[str, str]], about: Notice
                          ) -> Notice:
    """Tells the channels that worked which ones did not (so a dead channel is noticed)."""
    lines = [f"- {name}: {why}" for name, why in failures]
    return Notice("channel-failed", "warning",
                  f"[{service}] {len(failures)} notice channel(s) failed",
                  f"While sending '{about.title}':\n" + "\n".join(lines)
                  + "\nCheck them with 'failover notify test'.", about.move_id)
