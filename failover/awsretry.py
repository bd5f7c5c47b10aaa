"""Botocore retries only what answered: a refused or timed-out connection fails at once.

Botocore retries connection errors as it retries throttling (legacy mode, and
standard mode too), with exponential backoff: asking a dead AWS endpoint
(connection refused, or a vendor that is gone) costs seconds of sleeping per
call, inside a watcher's one-second cycle. An answer (throttling, a 5xx) is
worth asking again within the cycle; a connection that failed is not: the next
cycle asks again anyway, and the verdict's fall counting is what tolerates
one miss.
"""

from __future__ import annotations

from typing import Any


def retry_answers_only(client: Any) -> None:
    """Register, ahead of botocore's own retry handler, a veto on retrying a failed
    connection (refused, timed out connecting or reading, closed before the answer)."""
    service = client.meta.service_model.service_id.hyphenize()
    client.meta.events.register_first(f"needs-retry.{service}", _no_retry_without_answer)


def _no_retry_without_answer(caught_exception: Exception | None = None, **_: Any) -> bool | None:
    import botocore.exceptions

    if isinstance(caught_exception, (botocore.exceptions.ConnectionError,
                                     botocore.exceptions.HTTPClientError)):
        return False     # not None: botocore takes the first answer and does not retry
    return None          # botocore's own handler decides (throttling, 5xx)
