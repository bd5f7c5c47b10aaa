"""How long an operator's pin holds, and whether it yields to a dead target."""

from failover.config.base import LongDuration, Strict


class Pins(Strict):
    # A manual move's or rollback's pin stops holding after this: a decision made in an
    # incident must not switch automatic failover off for good (issue 20).
    move_expires: LongDuration = 1800.0
    # True: a pin holds even when what it serves is DOWN or TERMINATED (every cycle is
    # CRITICAL and notified). False (default): the watcher moves away and says the pin
    # yielded.
    strict: bool = False
