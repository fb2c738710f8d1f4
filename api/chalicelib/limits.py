"""Abuse limits that refuse: pledges beyond a per-client rate, and new clients beyond a per-address rate.

Many donors share one address (a campus network, carrier NAT on mobile), so the address
alone cannot be the unit: refusing it would refuse everyone behind it. Each browser
sends its own random client token (``Qingyi-Client``, kept in the page's local storage);
the unit is *(address, client)*:

* **per client**: at most :data:`PER_CLIENT` pledges per minute from one client token at
  one address. A flooding script keeping one token meets 429 at once; nobody else does.
* **new clients per address**: a script that rotates tokens makes every request a new
  client. Each address admits at most :data:`NEW_CLIENTS` clients it has not seen
  before per minute; past that, *new* tokens from that address get 429 for the rest of
  the minute, while every client already admitted (this minute, or any earlier minute
  within a day) keeps pledging under its own per-client limit. So the donors already
  on the page behind the NAT are never refused because of the flood.

A request without a token counts as one shared anonymous client per address (the
site's widget always sends one). Counters are items in the ledger table keyed by
truncated digests (``RATE#``, ``CLIENT#``; the raw address and token are never
stored), each an ADD conditioned on "below the limit", so there is no read-then-write
race, with a ``ttl``; the minute is a fixed window and ``Retry-After`` is the seconds
left in it. The edge adds a coarser AWS WAF rate-based rule per address (infra/api-merge.yaml).
"""

from __future__ import annotations

import contextlib
import os
import re
import time
from collections.abc import Callable
from typing import Any

from . import errors, keys
from .records import Records
from .store import ABSENT, Put, Update, absent_or_lt

WINDOW_SECONDS = 60
CLIENT_HEADER = "qingyi-client"
_CLIENT = re.compile(r"^[0-9A-Za-z_-]{16,64}$")
#: how long an admitted client counts as known at its address
KNOWN_SECONDS = 24 * 3600


def _setting(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    return int(raw) if raw.isascii() and raw.isdigit() and int(raw) > 0 else default


def per_client() -> int:
    return _setting("QINGYI_RATE_PER_CLIENT", 10)


def new_clients() -> int:
    return _setting("QINGYI_RATE_NEW_CLIENTS", 30)


def client_token(headers: Any) -> str:
    """The browser's client token, or "" (the shared anonymous client) when absent or malformed."""
    value = (headers.get(CLIENT_HEADER) if headers is not None else None) or ""
    value = value.strip()
    return value if _CLIENT.match(value) else ""


def counter(address_ref: str, client_ref: str, window: int) -> tuple[str, str]:
    return (f"RATE#{address_ref}#{client_ref}#{window}", "COUNT")


def new_client_counter(address_ref: str, window: int) -> tuple[str, str]:
    return (f"RATE#{address_ref}#new#{window}", "COUNT")


def known_client(address_ref: str, client_ref: str) -> tuple[str, str]:
    return (f"CLIENT#{address_ref}#{client_ref}", "CLIENT")


class Limits:
    def __init__(self, records: Records, *, clock: Callable[[], float] = time.time) -> None:
        self.records = records
        self.clock = clock

    def admit(self, address: str | None, client: str) -> None:
        """Count one pledge attempt; :class:`errors.RateLimited` (429, Retry-After) past a limit."""
        if not address:
            return  # no address at all (a direct invocation): nothing to key on
        now = self.clock()
        window = int(now) // WINDOW_SECONDS
        retry_after = WINDOW_SECONDS - int(now) % WINDOW_SECONDS
        ttl = (window + 2) * WINDOW_SECONDS
        address_ref = keys.digest("rate-address", address)
        client_ref = keys.digest("rate-client", client) if client else "anonymous"
        known = self.records.get(known_client(address_ref, client_ref))
        if known is None:
            try:
                self.records.write(
                    Update(
                        new_client_counter(address_ref, window),
                        add={"n": 1},
                        set={"ttl": ttl},
                        conds=(absent_or_lt("n", new_clients()),),
                    )
                )
            except errors.ConditionFailed:
                raise errors.RateLimited(
                    retry_after,
                    "这个网络地址这一分钟里新出现的认捐客户端太多，请稍后再试",
                    "too many new clients from this network address this minute; try again shortly",
                ) from None
            # A concurrent first request of the same client may have made it: known either way.
            with contextlib.suppress(errors.ConditionFailed):
                self.records.write(
                    Put(known_client(address_ref, client_ref), {"ttl": int(now) + KNOWN_SECONDS}, (ABSENT,))
                )
        try:
            self.records.write(
                Update(
                    counter(address_ref, client_ref, window),
                    add={"n": 1},
                    set={"ttl": ttl},
                    conds=(absent_or_lt("n", per_client()),),
                )
            )
        except errors.ConditionFailed:
            raise errors.RateLimited(retry_after) from None
