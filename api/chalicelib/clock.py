"""What time the API thinks it is.

``QINGYI_NOW`` lets demos and tests stand inside a campaign window:

* ``2021-09-07T10:00:00+08:00``: time stands still at that instant;
* ``start:2021-09-07T10:00:00+08:00``: time starts there when the process
  first reads the clock and then runs at the real rate.

Unset, the clock is the real UTC time. A value without an offset is Beijing time.
"""

from __future__ import annotations

import os
import threading
import time
from datetime import UTC, datetime, timedelta

from .rules import SHANGHAI

#: Beijing time: the one constant (the campaign rules define it; everything else uses this name).
BEIJING = SHANGHAI

_lock = threading.Lock()
_started: dict[str, float] = {}


def _parse(text: str) -> datetime:
    value = datetime.fromisoformat(text.strip())
    if value.tzinfo is None:
        value = value.replace(tzinfo=BEIJING)
    return value


def now() -> datetime:
    """The current instant, timezone-aware (UTC unless the override says otherwise)."""
    setting = os.environ.get("QINGYI_NOW", "").strip()
    if not setting:
        return datetime.now(UTC)
    if setting.startswith("start:"):
        start = _parse(setting[len("start:") :])
        with _lock:
            began = _started.setdefault(setting, time.monotonic())
        return start + timedelta(seconds=time.monotonic() - began)
    return _parse(setting)


def iso(moment: datetime) -> str:
    """Milliseconds, UTC, sortable as text (used in keys and responses)."""
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def epoch_ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)
