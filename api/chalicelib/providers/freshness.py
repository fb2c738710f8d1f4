"""Our own checks on a notification's age and uniqueness, on top of the provider's signature.

A signature proves who wrote a notification, not when we received it: a copy captured
in transit verifies forever. So a notification is accepted only within
:data:`WINDOW_SECONDS` of its signed timestamp (by the server's real clock, never the
demo clock ``QINGYI_NOW``), and each signed nonce only once. A nonce needs remembering
only while its timestamp is inside the window, hence :data:`REPLAY_TTL_SECONDS`.

The replay check runs last, after the signature and the decryption succeed, so a
forged notification cannot burn a real nonce, and an honest retry (providers re-sign
each delivery with a fresh nonce or notify time) is never mistaken for a replay.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from .base import Seen, refused

WINDOW_SECONDS = 300
REPLAY_TTL_SECONDS = 2 * WINDOW_SECONDS


def check_window(signed_at: float, *, now: Callable[[], float] = time.time) -> None:
    """Refuse a notification signed more than :data:`WINDOW_SECONDS` from now (either way)."""
    skew = now() - signed_at
    if abs(skew) > WINDOW_SECONDS:
        raise refused(
            "stale_notification",
            f"支付通知的时间戳与服务器时间相差 {int(skew)} 秒，超过 ±{WINDOW_SECONDS} 秒，拒收",
            f"the notification's timestamp is {int(skew)} s from the server's clock, beyond ±{WINDOW_SECONDS} s",
        )


def check_replay(seen: Seen, provider: str, nonce: str) -> None:
    """Refuse a nonce this provider already used (the key is namespaced by provider)."""
    if seen(f"{provider}:{nonce}", REPLAY_TTL_SECONDS):
        raise refused(
            "replayed_notification",
            "这条支付通知已经收到过（重放），拒收",
            "this notification was already received (a replay)",
        )


class MemorySeen:
    """A process-local ``seen``: for tests and the local stack only.

    On AWS every instance has its own memory, so the route layer injects a ``seen``
    backed by the ledger table; this one bounds itself (expired nonces are dropped,
    at most ``limit`` kept) so a flood cannot grow it without end.
    """

    def __init__(self, *, clock: Callable[[], float] = time.monotonic, limit: int = 100_000) -> None:
        self._clock = clock
        self._limit = limit
        self._until: dict[str, float] = {}
        self._lock = threading.Lock()

    def __call__(self, nonce: str, ttl_seconds: int) -> bool:
        now = self._clock()
        with self._lock:
            if len(self._until) >= self._limit:
                self._until = {k: t for k, t in self._until.items() if t > now}
                if len(self._until) >= self._limit:  # all live: drop the oldest half, bounded work
                    keep = sorted(self._until.items(), key=lambda kv: kv[1])[self._limit // 2 :]
                    self._until = dict(keep)
            until = self._until.get(nonce)
            if until is not None and until > now:
                return True
            self._until[nonce] = now + ttl_seconds
            return False
