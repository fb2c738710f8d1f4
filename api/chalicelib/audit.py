"""Who read or wrote children's and donors' private records, what, and when.

Each read or write of a visit book, a claim export, a pledge export or a settlement is
recorded in the ledger table before its answer leaves (a read whose record cannot be
written is refused: 503, try again), under the programme it concerns (``AUDIT#<programme_id>``;
``AUDIT#*`` for a platform admin's read across every programme). Who is the token's
reference (the first 8 hex digits of its digest, never the token) and the role it acted in;
what is the route and the ids of the records; when is the API's clock. Operators of a
programme list its trail with ``GET /admin/audit`` (newest first, paginated).
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Iterable
from typing import Any

from . import clock, errors, keys
from .auth import Principal
from .store import ABSENT, Put

ALL_PROGRAMMES = "*"
DEFAULT_LIMIT = 50
MAX_LIMIT = 200


def record(
    records: Any,
    principal: Principal,
    action: str,
    route: str,
    programmes: Iterable[str | None] | None,
    **resource: str,
) -> None:
    """One entry per programme concerned (None: every programme, the platform-wide partition)."""
    at = clock.iso(records.now())
    entry_id = secrets.token_hex(4)
    wanted = [ALL_PROGRAMMES] if programmes is None else sorted({p or ALL_PROGRAMMES for p in programmes})
    for programme_id in wanted:
        key = keys.audit_entry(programme_id, at, entry_id)
        records.write(
            Put(
                key,
                {
                    "programme_id": programme_id,
                    "at": at,
                    "token_ref": principal.token_ref,
                    "role": principal.acting_role("operator", None if programme_id == ALL_PROGRAMMES else programme_id),
                    "action": action,
                    "route": route,
                    "resource": {k: v for k, v in sorted(resource.items()) if v is not None},
                },
                (ABSENT,),
            )
        )


def _encode(sk: str) -> str:
    return base64.urlsafe_b64encode(sk.encode()).decode().rstrip("=")


def _decode(cursor: str) -> str:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("utf-8")
    except (ValueError, UnicodeDecodeError) as exc:
        raise errors.InvalidQuery("cursor 无效", "cursor is not valid") from exc
    if len(text) > 120 or not text.startswith(keys.AUDIT_PREFIX):
        raise errors.InvalidQuery("cursor 无效", "cursor is not valid")
    return text


def page(records: Any, programme_id: str, params: dict[str, str]) -> dict[str, Any]:
    """A programme's trail, newest first: ``limit`` entries from ``cursor`` (the previous page's next_cursor)."""
    limit = int(params.get("limit", DEFAULT_LIMIT))
    before = _decode(params["cursor"]) if "cursor" in params else None
    rows = records.query(
        keys.audit_partition(programme_id),
        sk_below=before,
        sk_prefix=None if before else keys.AUDIT_PREFIX,
        limit=limit + 1,
        newest_first=True,
    )
    shown = rows[:limit]
    next_cursor = _encode(shown[-1]["sk"]) if len(rows) > limit else None
    fields = ("at", "token_ref", "role", "action", "route", "resource")
    return {
        "programme_id": programme_id,
        "entries": [{f: row.get(f) for f in fields} for row in shown],
        "next_cursor": next_cursor,
    }
