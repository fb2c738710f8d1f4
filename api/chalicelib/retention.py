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


#: A donor's receipt contact (phone or e-mail left for a 捐赠票据): kept long enough to issue the
#: receipt in the following tax year, then deleted. ``QINGYI_CONTACT_RETENTION_DAYS`` overrides it.
CONTACT_ENV = "QINGYI_CONTACT_RETENTION_DAYS"
CONTACT_DEFAULT_DAYS = 400


def _days(env: str, default: int) -> int:
    raw = os.environ.get(env, "").strip()
    return int(raw) if raw.isascii() and raw.isdigit() and 0 < int(raw) <= 36500 else default


def days() -> int:
    return _days(ENV, DEFAULT_DAYS)


def contact_days() -> int:
    return _days(CONTACT_ENV, CONTACT_DEFAULT_DAYS)


def expires_at(now: datetime) -> int:
    """The ``ttl`` value for a private detail (a visit note) written at ``now``."""
    return int((now + timedelta(days=days())).timestamp())


def contact_expires_at(now: datetime) -> int:
    """The ``ttl`` value for a donor's receipt contact written at ``now``."""
    return int((now + timedelta(days=contact_days())).timestamp())
