"""Retries that never count twice.

The pledge *is* its idempotency record: its id is derived from the project and
the ``Idempotency-Key`` header, and it is written with "must not exist yet" in
the same transaction as the money. A retry therefore finds the pledge and
replays the first response; a retry with a different body is refused
(``idempotency_mismatch``). No separate in-progress record, no window in
which a crash could leave a key half-used, and one write fewer per pledge
than a separate idempotency table.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

from . import errors

HEADER = "Idempotency-Key"
_KEY = re.compile(r"^[\x21-\x7e]{8,128}$")


def require_key(headers: Any) -> str:
    value = headers.get(HEADER.lower()) if headers is not None else None
    if value is None:
        value = headers.get(HEADER) if headers is not None else None
    if not isinstance(value, str) or not _KEY.match(value.strip()):
        raise errors.IdempotencyKeyRequired()
    return value.strip()


def pledge_id(project_id: str, key: str) -> str:
    """The pledge id a key produces for a project: stable, opaque, not reversible to the key."""
    return "p_" + hashlib.sha256(f"pledge\x1f{project_id}\x1f{key}".encode()).hexdigest()[:24]


def fingerprint(body: dict[str, Any]) -> str:
    """The request body, canonicalised (key order and whitespace do not matter)."""
    canonical = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def replay(first: dict[str, Any], stored_fingerprint: str | None, body_fingerprint: str) -> dict[str, Any]:
    """The first response for this key, or :class:`errors.IdempotencyMismatch` if the body differs."""
    if stored_fingerprint != body_fingerprint:
        raise errors.IdempotencyMismatch()
    return first
