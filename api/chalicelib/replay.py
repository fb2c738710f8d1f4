"""The payment adapters' replay store: one conditional put per notification nonce, in the ledger table.

An adapter calls ``seen(nonce, ttl_seconds)`` after a notification's signature and
decryption succeeded (:mod:`chalicelib.providers.freshness`). Held in process memory
the check would hold per Lambda instance only; here it is a Put of
``REPLAY#<provider>:<nonce>`` conditioned on "absent, or its ``ttl`` already past",
so it holds across every instance, and DynamoDB's lazy TTL deletion (an expired item
may linger for days) never turns an old nonce into a false replay.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from . import errors
from .providers.base import Seen
from .records import Records
from .store import Key, Put, absent_or_lt


def key(nonce: str) -> Key:
    return (f"REPLAY#{nonce}", "REPLAY")


def seen_in(records: Records, *, clock: Callable[[], float] = time.time) -> Seen:
    """A ``seen`` backed by the ledger table (the real clock: the window is the provider's, not the demo's)."""

    def seen(nonce: str, ttl_seconds: int) -> bool:
        now = int(clock())
        try:
            records.write(Put(key(nonce), {"ttl": now + int(ttl_seconds)}, (absent_or_lt("ttl", now),)))
        except errors.ConditionFailed:
            return True
        return False

    return seen
