"""A small time-bounded cache: a second or two keeps hot reads off the shards."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any


class Cache:
    def __init__(self, monotonic: Callable[[], float]) -> None:
        self._items: dict[Any, tuple[float, Any]] = {}
        self._lock = threading.Lock()
        self._monotonic = monotonic

    def get(self, key: Any, ttl: float) -> Any:
        with self._lock:
            hit = self._items.get(key)
        if hit is None or ttl <= 0 or self._monotonic() - hit[0] > ttl:
            return None
        return hit[1]

    def put(self, key: Any, value: Any) -> None:
        with self._lock:
            self._items[key] = (self._monotonic(), value)

    def drop(self, key: Any) -> None:
        with self._lock:
            self._items.pop(key, None)
