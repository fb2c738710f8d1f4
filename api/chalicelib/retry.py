"""The one retry loop: bounded attempts with jittered backoff, then 503.

DynamoDB refuses a conditional write when what we read has changed, and
throttles or cancels transactions under load; all three are safe to retry
because a refused write wrote nothing. Every writer in the API goes through
:meth:`Retry.run`, so the bound, the backoff and the "busy" answer are the
same everywhere.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import TypeVar

from . import errors

T = TypeVar("T")

#: Store errors that mean "nothing was written; try again".
RETRYABLE = (errors.ConditionFailed, errors.Contention, errors.Throttled)


class Again(Exception):
    """Raised by an attempt to ask for another one; ``wait=False`` retries at once."""

    def __init__(self, *, wait: bool = True) -> None:
        super().__init__("again")
        self.wait = wait


class Retry:
    def __init__(
        self, *, sleep: Callable[[float], None] = time.sleep, max_attempts: int = 12, seed: int | None = None
    ) -> None:
        self.sleep = sleep
        self.max_attempts = max_attempts
        self._rng = random.Random(seed)
        self.stats = {"attempts": 0, "retries": 0, "busy": 0}

    def backoff(self, attempt: int) -> None:
        self.stats["retries"] += 1
        self.sleep(self._rng.uniform(0, min(0.2, 0.004 * (2**attempt))))

    def busy(self) -> errors.ServiceBusy:
        self.stats["busy"] += 1
        return errors.ServiceBusy(retry_after=1)

    def run(
        self,
        attempt: Callable[[int], T],
        *,
        attempts: int | None = None,
        give_up: Callable[[], T] | None = None,
    ) -> T:
        """Call ``attempt(n)`` until it returns; a retryable store error or :class:`Again` tries again.

        After the last attempt: ``give_up()`` if given, else :class:`errors.ServiceBusy`.
        """
        for n in range(attempts or self.max_attempts):
            self.stats["attempts"] += 1
            try:
                return attempt(n)
            except Again as again:
                if again.wait:
                    self.backoff(n)
            except RETRYABLE:
                self.backoff(n)
        if give_up is not None:
            return give_up()
        raise self.busy()
