"""The ledger table as the domain modules use it: reads, writes, a short cache, the retry loop, the clock.

Claims, visits, settlements and the ledger's own parts hold one :class:`Records`
and never a store, a cache or a retry policy of their own.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any, TypeVar

from . import clock
from .cache import Cache
from .retry import Retry
from .store import Key, Op

T = TypeVar("T")


class Records:
    def __init__(
        self,
        store: Any,
        *,
        now: Callable[[], datetime] = clock.now,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        cache_seconds: float = 1.5,
        max_attempts: int = 12,
    ) -> None:
        self.store = store
        self.now = now
        self.cache_seconds = cache_seconds
        self.cache = Cache(monotonic)
        self.retry = Retry(sleep=sleep, max_attempts=max_attempts)

    # ---- the table ----

    def get(self, key: Key) -> dict[str, Any] | None:
        return self.store.get(key)

    def get_many(self, wanted: Iterable[Key], *, consistent: bool = True) -> dict[Key, dict[str, Any]]:
        return self.store.get_many(wanted, consistent=consistent)

    def query(self, partition: str, **kw: Any) -> list[dict[str, Any]]:
        return self.store.query(partition, **kw)

    def transact(self, ops: Sequence[Op]) -> None:
        self.store.transact(ops)

    def write(self, op: Op) -> None:
        self.store.write(op)

    # ---- a short cache in front of hot reads ----

    def cached(self, key: Any, load: Callable[[], T], ttl: float | None = None) -> T:
        """``load()`` at most once per ``ttl`` seconds (default: the configured cache time)."""
        hit = self.cache.get(key, self.cache_seconds if ttl is None else ttl)
        if hit is None:
            hit = load()
            self.cache.put(key, hit)
        return hit

    def forget(self, key: Any) -> None:
        self.cache.drop(key)

    # ---- time ----

    def beijing_today(self) -> Any:
        return self.now().astimezone(clock.BEIJING).date()
