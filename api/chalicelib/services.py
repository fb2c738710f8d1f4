"""The process-wide ledger, built lazily from the environment.

Nothing is created at import time: the first request builds the store (and
its boto3 client) and reads the catalogue. Tests call :func:`reset` after
changing the environment.
"""

from __future__ import annotations

import os
import threading

from . import catalogue, clock
from .ledger import Ledger
from .store import DynamoStore

_lock = threading.Lock()
_ledger: Ledger | None = None


def cache_seconds() -> float:
    try:
        return float(os.environ.get("QINGYI_CACHE_SECONDS", "1.5"))
    except ValueError:
        return 1.5


def ledger() -> Ledger:
    global _ledger
    if _ledger is None:
        with _lock:
            if _ledger is None:
                _ledger = Ledger(DynamoStore(), catalogue.load, now=clock.now, cache_seconds=cache_seconds())
    return _ledger


def use(value: Ledger | None) -> None:
    """Install a ledger (tests: a MemoryStore or a wrapped client); None = rebuild from the environment."""
    global _ledger
    with _lock:
        _ledger = value


def reset() -> None:
    use(None)
