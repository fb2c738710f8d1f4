"""How long children's and donors' private details are kept: one setting, applied on write.

Visit notes (what was done, what the child asked for) are written with a DynamoDB TTL
attribute ``ttl`` (Unix seconds): DynamoDB deletes the item some time after that instant
(usually within days; reads may still see it until then). The period is
``QINGYI_RETENTION_DAYS`` (default :data:`DEFAULT_DAYS`); api/TABLE.md and infra/RUNBOOK.md
say the same. Counters and summaries carry no ``ttl``: the public figures outlive the notes.
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta

ENV = "QINGYI_RETENTION_DAYS"
#: Three years: long enough for a programme's yearly reviews and one audit after, no longer.
DEFAULT_DAYS = 3 * 365
ATTRIBUTE = "ttl"


def days() -> int:
    raw = os.environ.get(ENV, "").strip()
    return int(raw) if raw.isascii() and raw.isdigit() and 0 < int(raw) <= 36500 else DEFAULT_DAYS


def expires_at(now: datetime) -> int:
    """The ``ttl`` value for a private detail written at ``now``."""
    return int((now + timedelta(days=days())).timestamp())
